// Merkle tree root and proofs over 100,000 leaves: Basin's implementation
// (iterative root, proofs by range roots) against a straightforward recursive
// RFC 6962 MTH in the same run.
#include <benchmark/benchmark.h>

#include <vector>

#include "basin/tlog/merkle.hpp"

using namespace basin::tlog;

namespace {

std::vector<Hash> leaves(std::size_t n) {
  std::vector<Hash> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8),
                               static_cast<std::uint8_t>(i >> 16), 0};
    v.push_back(leaf_hash(b));
  }
  return v;
}

// The peer: MTH exactly as RFC 6962 2.1 writes it.
Hash naive_mth(std::span<const Hash> d) {
  if (d.empty()) return empty_root();
  if (d.size() == 1) return d[0];
  std::size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  return node_hash(naive_mth(d.first(k)), naive_mth(d.subspan(k)));
}

void BM_Root_Basin(benchmark::State& st) {
  const auto l = leaves(static_cast<std::size_t>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(root(l));
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
void BM_Root_NaiveRecursive(benchmark::State& st) {
  const auto l = leaves(static_cast<std::size_t>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(naive_mth(l));
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
void BM_InclusionProof(benchmark::State& st) {
  const auto l = leaves(static_cast<std::size_t>(st.range(0)));
  std::uint64_t i = 0;
  for (auto _ : st) benchmark::DoNotOptimize(inclusion_proof(l, (i += 7919) % l.size()));
}
void BM_VerifyInclusion(benchmark::State& st) {
  const auto l = leaves(static_cast<std::size_t>(st.range(0)));
  const auto r = root(l);
  const auto p = inclusion_proof(l, 12345);
  for (auto _ : st) benchmark::DoNotOptimize(verify_inclusion(12345, l.size(), l[12345], p, r));
}
void BM_ConsistencyProof(benchmark::State& st) {
  const auto l = leaves(static_cast<std::size_t>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(consistency_proof(l, l.size() / 3));
}

}  // namespace

BENCHMARK(BM_Root_Basin)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Root_NaiveRecursive)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InclusionProof)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyInclusion)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ConsistencyProof)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
