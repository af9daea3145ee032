// Reductions whose bits do not depend on the number of ranks or threads.
//
// Two parts:
//  - a tile sum: the cells of one x-tile (kTileCells cells starting at a
//    global multiple of kTileCells) are summed in a fixed order by one thread;
//    the decomposition never cuts a tile, so each tile sum is the same double
//    on any number of ranks or threads;
//  - ExactSum: the tile sums are then added exactly (a fixed-point
//    accumulator wide enough for every double), so the order in which ranks
//    and threads combine them cannot change a bit. The total is rounded to
//    the nearest double once, at the end.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>

namespace basin::runtime {

class ExactSum {
 public:
  void add(double x);
  void merge(const ExactSum& other);
  // Collective: the exact sum over all ranks, on every rank.
  double allreduce(MPI_Comm comm) const;
  double value() const;  // this accumulator alone, rounded to nearest

 private:
  // 32 value bits per limb from 2^-1074 upward, carried lazily: a limb may
  // absorb 2^30 additions before carries must be propagated.
  static constexpr int kLimbs = 70;
  void normalise();
  std::array<std::int64_t, kLimbs> limbs_{};
  std::int64_t pending_ = 0;  // additions since the last normalise
  int special_ = 0;           // bit 1: +inf seen, 2: -inf, 4: NaN
  friend double round_limbs(std::array<std::int64_t, 70> limbs, int special);
};

// Fixed-order sums of one tile (n <= kTileCells): four interleaved partial
// sums combined as (s0 + s1) + (s2 + s3), the same pattern for every tile.
double tile_sum(const double* a, int n);
double tile_dot(const double* a, const double* b, int n);

}  // namespace basin::runtime
