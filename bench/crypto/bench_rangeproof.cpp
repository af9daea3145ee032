// Range-proof speed: Basin's prover and MSM verifier, batch verification over
// both cores, and (same run) a straightforward verifier built only on
// libsodium's crypto_scalarmult_ristretto255 / crypto_core_ristretto255_add;
// and what one hostile proof costs a batch of 4,096.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
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

// What one hostile proof costs a large batch: 4,096 items (64 distinct m = 4
// proofs, each repeated: every item gets its own random weights), all good
// or with one item's proof checked against another proof's commitments
// (well formed, wrong). The bad batch is narrowed by halving
// (detail::narrow_failure) instead of 4,096 single checks; the third
// benchmark is those single checks, the cost the halving avoids.
struct Tiled {
  std::vector<Fixture> fs;
  std::vector<RangeProofItem> good, one_bad;
};

const Tiled& tiled() {
  static const Tiled t = [] {
    Tiled out;
    for (int i = 0; i < 64; ++i) out.fs.push_back(make(4));
    for (std::size_t i = 0; i < 4096; ++i) {
      const Fixture& f = out.fs[i % 64];
      out.good.push_back({f.V, f.proof, f.context});
    }
    out.one_bad = out.good;
    out.one_bad[3000].commitments = out.fs[1].V;  // item 3000 carries proof 56's bytes
    return out;
  }();
  return t;
}

void BM_BatchOf4096(benchmark::State& st) {
  const bool hostile = st.range(0) != 0;
  const auto& items = hostile ? tiled().one_bad : tiled().good;
  for (auto _ : st) {
    const auto bad = batch_verify_range(items);
    if (bad.size() != (hostile ? 1u : 0u) || (hostile && bad[0] != 3000))
      st.SkipWithError("batch verdict is wrong");
  }
  st.SetLabel(hostile ? "one hostile proof, narrowed by halving" : "all good");
}

void BM_SingleChecksOf4096(benchmark::State& st) {
  const auto& items = tiled().one_bad;
  for (auto _ : st) {
    // On every core, as the batch's own single checks run.
    std::vector<char> ok(items.size());
    tbb::parallel_for(std::size_t{0}, items.size(), [&](std::size_t i) {
      ok[i] = verify_range(items[i].commitments, items[i].proof, items[i].context);
    });
    if (std::count(ok.begin(), ok.end(), 0) != 1)
      st.SkipWithError("single checks' verdict is wrong");
  }
}

}  // namespace

BENCHMARK(BM_BatchOf4096)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SingleChecksOf4096)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_Prove)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Verify)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifySodiumOnly)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BatchVerify)
    ->Args({256, 1})
    ->Args({256, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
