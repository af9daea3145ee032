// blocked_conv.hpp's loop for AVX2 + FMA (compiled with -mavx2 -mfma;
// called only on CPUs that have both). Output position p of a tile and
// output channel j of its 16 is one accumulator taking, tap after tap and
// input channel after input channel of the tap's block, fma(x, w, acc); then
// the bias, the residual and the Relu. Each element's order is fixed by the
// taps alone, so the bits do not depend on which tile it falls in.
#include <immintrin.h>

#include "blocked_conv_clones.hpp"

namespace basin::infer {
namespace {

// R output positions x 16 channels: position i reads the padded input at
// x + at[i] and writes y0 + 8 i (its 8 channels of the pair's first block)
// and y1 + 8 i (of the second).
template <int R>
void tile(const BlockedConvArgs& a, const float* x, const int64_t* at, const float* w,
          const float* bias, float* y0, float* y1) {
  __m256 c0[R], c1[R];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
  for (int64_t t = 0; t < a.ntaps; ++t, w += 128) {
    const float* p[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) p[i] = x + at[i] + a.taps[t];
#pragma GCC unroll 8
    for (int c = 0; c < 8; ++c) {
      const __m256 b0 = _mm256_loadu_ps(w + c * 16), b1 = _mm256_loadu_ps(w + c * 16 + 8);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m256 xi = _mm256_broadcast_ss(p[i] + c);
        c0[i] = _mm256_fmadd_ps(xi, b0, c0[i]);
        c1[i] = _mm256_fmadd_ps(xi, b1, c1[i]);
      }
    }
  }
  const __m256 bias0 = _mm256_loadu_ps(bias), bias1 = _mm256_loadu_ps(bias + 8);
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    __m256 v0 = _mm256_add_ps(c0[i], bias0), v1 = _mm256_add_ps(c1[i], bias1);
    if (a.sum) {
      v0 = _mm256_add_ps(_mm256_loadu_ps(y0 + i * 8), v0);
      v1 = _mm256_add_ps(_mm256_loadu_ps(y1 + i * 8), v1);
    }
    if (a.relu) v0 = _mm256_max_ps(v0, zero), v1 = _mm256_max_ps(v1, zero);  // NaN -> 0
    _mm256_storeu_ps(y0 + i * 8, v0);
    _mm256_storeu_ps(y1 + i * 8, v1);
  }
}

void tile_of(int64_t r, const BlockedConvArgs& a, const float* x, const int64_t* at, const float* w,
             const float* bias, float* y0, float* y1) {
  switch (r) {
    case 1:
      return tile<1>(a, x, at, w, bias, y0, y1);
    case 2:
      return tile<2>(a, x, at, w, bias, y0, y1);
    case 3:
      return tile<3>(a, x, at, w, bias, y0, y1);
    case 4:
      return tile<4>(a, x, at, w, bias, y0, y1);
    case 5:
      return tile<5>(a, x, at, w, bias, y0, y1);
    default:
      return tile<6>(a, x, at, w, bias, y0, y1);
  }
}

}  // namespace

void blocked_conv_avx2(const BlockedConvArgs& a) {
  // The OH x OW output positions, row after row, in tiles of at most 6
  // that may span rows (an 8-wide row is not cut into 6 + 2), as even as
  // they go (even_tiles.hpp).
  const int64_t P = a.OH * a.OW, tiles = (P + 5) / 6, plane = P * 8;
  for (int64_t g = 0; g < a.M / 16; ++g) {
    const float* w = a.w + g * a.ntaps * 128;
    float* y0 = a.y + 2 * g * plane;
    for (int64_t t = 0, q = 0; t < tiles; ++t) {
      const int64_t r = tile_rows(P, t, tiles);
      int64_t at[6];
      for (int64_t i = 0; i < r; ++i) {
        const int64_t oh = (q + i) / a.OW, ow = (q + i) % a.OW;
        at[i] = (oh * a.SH * a.WP + ow * a.SW) * 8;
      }
      tile_of(r, a, a.x, at, w, a.bias + 16 * g, y0 + q * 8, y0 + plane + q * 8);
      q += r;
    }
  }
}

}  // namespace basin::infer
