// The per-instruction-set clones of the portable matrix product, for
// portable_gemm.cpp to choose from. Each is compiled in its own unit with
// its instruction set enabled and must only be called on a CPU that has it.
// No standard-library header: see portable_gemm_kernel.inc.
#pragma once

#include <cstdint>

#include "even_tiles.hpp"

namespace basin::infer::portable {

// Row-major operands; element (i, k) of op(A) is A[i*lda + k], or A[k*lda + i]
// when ta (likewise B with tb).
struct GemmArgs {
  bool ta, tb;
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float* C;
  int64_t ldc;
  // B already packed by pack_b_* of the same clone (the whole matrix, block
  // after block in the order the product visits them), or nullptr.
  const float* packed_b = nullptr;
  // A row vector of N floats added to every row of C as it is stored:
  // C[i][j] = acc + add_row[j], the bits of the product followed by that
  // addition as a pass of its own (only with alpha 1 and beta 0), or nullptr.
  const float* add_row = nullptr;
};

// Packing space each clone needs, in floats (its largest block sizes).
int64_t packed_a_floats();
int64_t packed_b_floats();

// Floats pack_b_* writes for a K x N matrix: panels of `panel` columns
// (16 for the scalar and AVX2 clones, 32 for AVX-512).
inline int64_t packed_b_size(int64_t panel, int64_t K, int64_t N) {
  return ((N + panel - 1) / panel) * panel * (K > 0 ? K : 0);
}
// C[i][j] = the canonical accumulation of op(A) op(B) (see the .inc): the
// same bits from every clone.
void gemm_scalar(const GemmArgs& g, float* packed_a, float* packed_b);
void gemm_avx2(const GemmArgs& g, float* packed_a, float* packed_b);
void gemm_avx512(const GemmArgs& g, float* packed_a, float* packed_b);
// The whole of op(B) (g.K x g.N) packed for that clone's products.
void pack_b_scalar(const GemmArgs& g, float* out);
void pack_b_avx2(const GemmArgs& g, float* out);
void pack_b_avx512(const GemmArgs& g, float* out);

// One output channel of a depthwise convolution (portable_depthwise_kernel.inc):
// x is its input channel with the pads written out as zeros (HP x WP, row-major),
// w its kh x kw taps, y the OH x OW output (y = the canonical sum, no bias).
struct DepthwiseArgs {
  const float* x;
  int64_t HP, WP;
  const float* w;
  int64_t kh, kw, sh, sw, dh, dw;
  float* y;
  int64_t OH, OW;
};
// All channels of one image of a depthwise convolution with a channel
// multiplier of 1, channels last: x is the image [H][W][C] itself, without
// pads (a tap that falls in the pads multiplies a +0, as it would from a
// padded copy: the same operation); w is [kh * kw][C] (tap-major), y is
// [OH * OW][C]; the same sums as DepthwiseArgs gives channel by channel.
// Then, as the step's plain kernels would in turn: y = y + bias[c] when
// bias is given, and the activation `act` (kActNone, kActRelu: y > 0 ? y :
// 0, kActClip: min(max(y, lo), hi) as std::min and std::max compare).
inline constexpr int kActNone = 0, kActRelu = 1, kActClip = 2;
struct DepthwiseChannelsArgs {
  const float* x;
  int64_t H, W, C, pt, pl;
  const float* w;
  int64_t kh, kw, sh, sw, dh, dw;
  float* y;
  int64_t OH, OW;
  const float* bias;
  int act;
  float lo, hi;
};
// A convolution group with unit horizontal stride computed from its input
// (portable_conv_kernel.inc): x is the group's input [Cg][HP][WP] with the
// pads written as zeros, readable for kDirectSlack floats past its end; w
// the weights packed by pack_direct_weights (panels of kDirectRows output
// channels, k-major, zero rows past M); off[k] the offset in x of tap
// k = (c, ki, kj), c * HP * WP + ki * dh * WP + kj * dw; sh the vertical
// stride; y the output [M][OH][OW]. The bits of im2col + the product.
inline constexpr int kDirectRows = 6;
inline constexpr int64_t kDirectSlack = 32;
struct DirectConvArgs {
  const float* x;
  int64_t WP, sh;
  const float* w;
  const int64_t* off;
  int64_t K, M;
  float* y;
  int64_t OH, OW;
};
void conv_direct_scalar(const DirectConvArgs& a);
void conv_direct_avx2(const DirectConvArgs& a);
void conv_direct_avx512(const DirectConvArgs& a);
void depthwise_channels_scalar(const DepthwiseChannelsArgs& a);
void depthwise_channels_avx2(const DepthwiseChannelsArgs& a);
void depthwise_channels_avx512(const DepthwiseChannelsArgs& a);
void depthwise_scalar(const DepthwiseArgs& a);
void depthwise_avx2(const DepthwiseArgs& a);
void depthwise_avx512(const DepthwiseArgs& a);

}  // namespace basin::infer::portable
