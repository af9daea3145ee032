// Reproducible reductions over a rank's cells: `fn(k, j, i0, n)` returns the
// fixed-order sum of one tile (the n <= tile_cells() cells of row (k, j)
// from local x index i0); the tile sums are added exactly, so the result's
// bits do not depend on ranks, threads or TBB's work split. Call
// ExactSum::allreduce on the result for the global sum.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <array>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/exact_sum.hpp"

namespace basin::runtime {

template <int N, class TileFn>
std::array<ExactSum, N> reduce_tiles(const Decomposition& dec, TileFn fn) {
  const Box& b = dec.local();
  const int tile = dec.tile_cells();
  const int rows = b.size[0] * b.size[1];
  using Sums = std::array<ExactSum, N>;
  return tbb::parallel_reduce(
      tbb::blocked_range<int>(0, rows), Sums{},
      [&](const tbb::blocked_range<int>& r, Sums acc) {
        for (int row = r.begin(); row < r.end(); ++row) {
          const int k = row / b.size[1], j = row % b.size[1];
          for (int i0 = 0; i0 < b.size[2]; i0 += tile) {
            const auto s = fn(k, j, i0, std::min(tile, b.size[2] - i0));
            for (int q = 0; q < N; ++q) acc[q].add(s[q]);
          }
        }
        return acc;
      },
      [](Sums a, const Sums& c) {
        for (int q = 0; q < N; ++q) a[q].merge(c[q]);
        return a;
      });
}

}  // namespace basin::runtime
