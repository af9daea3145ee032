// A run of n items (a product's rows, a convolution's output positions) cut
// into `tiles` register tiles, as evenly as they go, the shorter ones first:
// 32 rows in 6-row tiles as 5, 5, 5, 5, 6, 6, not 6 x 5 + 2 (a tile of one
// or two rows has too few accumulators to hide the fma's latency and runs
// at a third of the speed). Included by units compiled for different
// instruction sets, hence internal linkage and no standard-library header
// (see portable_gemm_kernel.inc).
#pragma once

#include <cstdint>

namespace basin::infer {
namespace {

// Items in tile t.
inline int64_t tile_rows(int64_t n, int64_t t, int64_t tiles) {
  return n / tiles + (t >= tiles - n % tiles ? 1 : 0);
}

// The first item of tile t.
inline int64_t rows_before(int64_t n, int64_t t, int64_t tiles) {
  const int64_t shorter = tiles - n % tiles;  // tiles of n / tiles items
  return t <= shorter ? t * (n / tiles) : shorter * (n / tiles) + (t - shorter) * (n / tiles + 1);
}

}  // namespace
}  // namespace basin::infer
