// Range-proof speed: Basin's prover and MSM verifier, batch verification over
// both cores, and (same run) a straightforward verifier built only on
// libsodium's crypto_scalarmult_ristretto255 / crypto_core_ristretto255_add.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <vector>

#include "basin/crypto/detail/reference_verifier.hpp"
#include "basin/crypto/pedersen.hpp"
#include "basin/crypto/rangeproof.hpp"

using namespace basin::crypto;

namespace {

struct Fixture {
  std::vector<Bytes32> V;
  std::vector<std::uint8_t> proof;
  std::vector<std::uint8_t> context{'b', 'e', 'n', 'c', 'h'};
};

std::vector<std::uint64_t> values_for(std::size_t m) {
  std::vector<std::uint64_t> v;
  for (std::size_t j = 0; j < m; ++j) v.push_back(0x123456789abcdefULL * (j + 1));
  return v;
}

Fixture make(std::size_t m) {
  Fixture f;
  const auto v = values_for(m);
  std::vector<Scalar> b;
  for (std::size_t j = 0; j < m; ++j) b.push_back(Scalar::random());
  f.V = commit(v, b);
  f.proof = prove_range(v, b, f.context);
  return f;
}

void BM_Prove(benchmark::State& st) {
  const std::size_t m = st.range(0);
  const auto v = values_for(m);
  std::vector<Scalar> b;
  for (std::size_t j = 0; j < m; ++j) b.push_back(Scalar::random());
  const std::vector<std::uint8_t> ctx{'c'};
  vector_gens();
  for (auto _ : st) benchmark::DoNotOptimize(prove_range(v, b, ctx));
}

void BM_Verify(benchmark::State& st) {
  const Fixture f = make(st.range(0));
  for (auto _ : st)
    if (!verify_range(f.V, f.proof, f.context)) st.SkipWithError("proof did not verify");
}

void BM_VerifySodiumOnly(benchmark::State& st) {
  const Fixture f = make(st.range(0));
  for (auto _ : st)
    if (!detail::verify_range_sodium_reference(f.V, f.proof, f.context))
      st.SkipWithError("proof did not verify");
}

void BM_BatchVerify(benchmark::State& st) {
  const std::size_t count = st.range(0), threads = st.range(1);
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, threads);
  std::vector<Fixture> fs;
  for (std::size_t i = 0; i < count; ++i) fs.push_back(make(4));
  std::vector<RangeProofItem> items;
  for (auto& f : fs) items.push_back({f.V, f.proof, f.context});
  for (auto _ : st)
    if (!batch_verify_range(items).empty()) st.SkipWithError("batch did not verify");
  st.counters["receipts_per_s"] =
      benchmark::Counter(static_cast<double>(count * st.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_Prove)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Verify)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifySodiumOnly)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BatchVerify)
    ->Args({256, 1})
    ->Args({256, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
