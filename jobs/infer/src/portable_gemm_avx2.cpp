// The AVX2 + FMA clone (compiled with -mavx2 -mfma; called only on CPUs
// that have both).
#include <immintrin.h>

#include "portable_gemm_clones.hpp"

namespace basin::infer::portable {
#include "portable_conv_kernel.inc"
#include "portable_depthwise_kernel.inc"
#include "portable_gemm_kernel.inc"

namespace {
struct Avx2 {
  static constexpr int W = 8;
  static constexpr int MR = 6;  // 12 accumulators of the 16 registers
  using reg = __m256;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg r) { _mm256_storeu_ps(p, r); }
  // The first n lanes (0 < n < W).
  static void store_part(float* p, reg r, int64_t n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), lane), r);
  }
  static reg bcast(float x) { return _mm256_set1_ps(x); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  // a > b ? a : b and a < b ? a : b, lane by lane (MAXPS and MINPS return
  // the second operand for NaNs and for two zeros).
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
};
}  // namespace

void gemm_avx2(const GemmArgs& g, float* packed_a, float* packed_b) {
  Blocked<Avx2>::run(g, packed_a, packed_b);
}

void pack_b_avx2(const GemmArgs& g, float* out) {
  Blocked<Avx2>::pack_all_b(g, out);
}

void depthwise_avx2(const DepthwiseArgs& a) {
  Depthwise<Avx2>::run(a);
}

void conv_direct_avx2(const DirectConvArgs& a) {
  DirectConv<Avx2>::run(a);
}

void depthwise_channels_avx2(const DepthwiseChannelsArgs& a) {
  DepthwiseChannels<Avx2>::run(a);
}

}  // namespace basin::infer::portable
