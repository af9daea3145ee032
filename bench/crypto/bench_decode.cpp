// The two hot loops of batch verification, libdecaf's scalar arithmetic (the
// peer; libsodium's decoder costs the same on this machine, see
// docs/performance.md) against Basin's AVX-512 IFMA paths, same inputs:
// - ristretto255 decoding of 8,192 random points: libdecaf one at a time vs
//   Point::decode_many (eight at a time);
// - a multi-scalar multiplication of 65,536 random points with random
//   scalars (a 2,700-receipt batch's proof points): Pippenger with libdecaf's
//   point additions vs eight windows at once (msm_pippenger_vector).
// One thread each: both are per-thread loops, and verification splits the
// work over the cores the same way for either.
//   build/bench/crypto/bench_decode --benchmark_repetitions=3
//     --benchmark_min_warmup_time=0.5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <optional>
#include <vector>

#include "basin/crypto/detail/decode_many.hpp"
#include "basin/crypto/group.hpp"
#include "basin/crypto/msm.hpp"

using namespace basin::crypto;

namespace {

const std::vector<Bytes32>& encodings() {
  static const std::vector<Bytes32> e = [] {
    if (sodium_init() < 0) std::abort();
    std::vector<Bytes32> out;
    for (int i = 0; i < 8192; ++i) out.push_back(base_mul(Scalar::random()).encode());
    return out;
  }();
  return e;
}

void BM_LibdecafOneByOne(benchmark::State& st) {
  const auto& in = encodings();
  for (auto _ : st) {
    for (const auto& e : in) benchmark::DoNotOptimize(Point::decode(e, false));
  }
  st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(in.size()));
}

void BM_DecodeMany(benchmark::State& st) {
  const auto& in = encodings();
  std::vector<std::optional<Point>> out(in.size());
  st.SetLabel(detail::decode_many_uses_vector() ? "AVX-512 IFMA" : "scalar fallback");
  for (auto _ : st) {
    Point::decode_many(in, false, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(in.size()));
}

struct MsmInput {
  std::vector<Scalar> s;
  std::vector<Point> p;
};

const MsmInput& msm_input() {
  static const MsmInput in = [] {
    if (sodium_init() < 0) std::abort();
    MsmInput m;
    for (int i = 0; i < 65536; ++i) {
      m.s.push_back(Scalar::random());
      m.p.push_back(base_mul(Scalar::random()));
    }
    return m;
  }();
  return in;
}

void BM_MsmLibdecafPippenger(benchmark::State& st) {
  const auto& in = msm_input();
  for (auto _ : st) benchmark::DoNotOptimize(msm_pippenger(in.s, in.p));
  st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(in.p.size()));
}

void BM_MsmVector(benchmark::State& st) {
  const auto& in = msm_input();
  Point out;
  if (!detail::msm_pippenger_vector(in.s, in.p, out)) {
    st.SkipWithError("this CPU lacks AVX-512 IFMA");
    return;
  }
  for (auto _ : st) {
    detail::msm_pippenger_vector(in.s, in.p, out);
    benchmark::DoNotOptimize(out);
  }
  st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(in.p.size()));
}

}  // namespace

BENCHMARK(BM_MsmLibdecafPippenger)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MsmVector)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LibdecafOneByOne)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeMany)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
