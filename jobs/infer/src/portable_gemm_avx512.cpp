// The AVX-512 clone (compiled with -mavx512f -mfma; called only on CPUs
// with AVX-512F): sixteen lanes, the same per-element order as the others.
#include <immintrin.h>

#include "portable_gemm_clones.hpp"

namespace basin::infer::portable {
#include "portable_conv_kernel.inc"
#include "portable_depthwise_kernel.inc"
#include "portable_gemm_kernel.inc"

namespace {
struct Avx512 {
  static constexpr int W = 16;
  static constexpr int MR = 12;  // 24 accumulators of the 32 registers
  using reg = __m512;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg r) { _mm512_storeu_ps(p, r); }
  // The first n lanes (0 < n < W).
  static void store_part(float* p, reg r, int64_t n) {
    _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1), r);
  }
  static reg bcast(float x) { return _mm512_set1_ps(x); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  // a > b ? a : b and a < b ? a : b, lane by lane (VMAXPS and VMINPS return
  // the second operand for NaNs and for two zeros).
  // (The masked forms, all lanes: GCC 12 warns that the unmasked ones'
  // undefined pass-through may be used uninitialised.)
  static reg max(reg a, reg b) { return _mm512_mask_max_ps(a, __mmask16(0xffff), a, b); }
  static reg min(reg a, reg b) { return _mm512_mask_min_ps(a, __mmask16(0xffff), a, b); }
};
}  // namespace

void gemm_avx512(const GemmArgs& g, float* packed_a, float* packed_b) {
  Blocked<Avx512>::run(g, packed_a, packed_b);
}

void pack_b_avx512(const GemmArgs& g, float* out) {
  Blocked<Avx512>::pack_all_b(g, out);
}

void depthwise_avx512(const DepthwiseArgs& a) {
  Depthwise<Avx512>::run(a);
}

void conv_direct_avx512(const DirectConvArgs& a) {
  DirectConv<Avx512>::run(a);
}

void depthwise_channels_avx512(const DepthwiseChannelsArgs& a) {
  DepthwiseChannels<Avx512>::run(a);
}

}  // namespace basin::infer::portable
