// ristretto255 point decoding: libdecaf's decoder one point at a time (the
// peer: libsodium's decoder costs the same on this machine, see
// docs/performance.md) against Point::decode_many (eight at a time with
// AVX-512 IFMA where the CPU has it), on the same 8,192 encodings of random
// points. One thread each: decoding is per point, so threads scale both alike.
//   build/bench/crypto/bench_decode --benchmark_repetitions=3
//     --benchmark_min_warmup_time=0.5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <optional>
#include <vector>

#include "basin/crypto/detail/decode_many.hpp"
#include "basin/crypto/group.hpp"

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

}  // namespace

BENCHMARK(BM_LibdecafOneByOne)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeMany)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
