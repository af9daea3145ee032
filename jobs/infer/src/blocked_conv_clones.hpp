// The AVX2 + FMA loop of blocked_conv.hpp, in its own unit compiled with
// -mavx2 -mfma (no standard-library header there: see
// portable_gemm_kernel.inc).
#pragma once

#include <cstdint>

#include "even_tiles.hpp"

namespace basin::infer {

// One image: x the padded input [C/8][HP][WP][8]; w [M/16][taps][8][16];
// y [M/8][OH][OW][8].
struct BlockedConvArgs {
  const float* x;
  const float* w;
  const float* bias;    // [M]
  const int64_t* taps;  // `ntaps` offsets into x, in w's tap order
  int64_t ntaps;
  float* y;
  int64_t M, OH, OW, WP;  // WP: the padded input's row length in positions
  int64_t SH, SW;
  bool sum, relu;
};

void blocked_conv_avx2(const BlockedConvArgs& a);

}  // namespace basin::infer
