// The AVX-512 clone of the portable math functions (compiled with -mavx512f
// -mfma; called only on CPUs with AVX-512F): eight doubles a lane group, the
// scalar functions' operations in the same order.
// GCC 12 reports the intrinsics' deliberately undefined start registers
// (_mm512_undefined_pd and the like, in cvtps_pd, roundscale, gather) as
// maybe uninitialised once inlined at -O3: a false positive, GCC bug 105593.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "portable_math_clones.hpp"

namespace basin::infer::portable {
#include "portable_math_kernel.inc"

namespace {
struct Avx512 {
  static constexpr int W = 8;
  using reg = __m512d;
  using mask = __mmask8;
  using idx = __m512i;
  static reg set(double x) { return _mm512_set1_pd(x); }
  static reg from_floats(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  static void to_floats(float* p, reg r, const float* x) {
    const __m256 in = _mm256_loadu_ps(x);
    _mm256_storeu_ps(p,
                     _mm256_blendv_ps(_mm512_cvtpd_ps(r), in, _mm256_cmp_ps(in, in, _CMP_UNORD_Q)));
  }
  static reg add(reg a, reg b) { return _mm512_add_pd(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_pd(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_pd(a, b); }
  static reg div(reg a, reg b) { return _mm512_div_pd(a, b); }
  static reg blend(mask m, reg a, reg b) { return _mm512_mask_blend_pd(m, a, b); }
  static mask lt(reg a, reg b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
  static mask gt(reg a, reg b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
  static reg neg(reg a) {
    return _mm512_castsi512_pd(
        _mm512_xor_si512(_mm512_castpd_si512(a), _mm512_set1_epi64(int64_t(1) << 63)));
  }
  static reg trunc(reg a) {
    return _mm512_roundscale_pd(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  }
  // As in the AVX2 clone: 2^52 + 1023 + k's low bits shifted into the exponent.
  static reg pow2(reg k) {
    const __m512i bits = _mm512_castpd_si512(_mm512_add_pd(k, _mm512_set1_pd(4503599627371519.0)));
    return _mm512_castsi512_pd(_mm512_slli_epi64(bits, 52));
  }
  static idx pieces(reg p) { return _mm512_cvtepi32_epi64(_mm512_cvttpd_epi32(p)); }
  // 32 doubles in four registers: two two-register permutes, then bit 4 of
  // the piece number picks between them (no gather: much slower here).
  static reg lookup(const double* column, idx i) {
    const reg lo = _mm512_permutex2var_pd(_mm512_loadu_pd(column), i, _mm512_loadu_pd(column + 8));
    const reg hi =
        _mm512_permutex2var_pd(_mm512_loadu_pd(column + 16), i, _mm512_loadu_pd(column + 24));
    return _mm512_mask_blend_pd(_mm512_test_epi64_mask(i, _mm512_set1_epi64(16)), lo, hi);
  }
};
}  // namespace

int64_t exp_avx512(const float* x, float* y, int64_t n) {
  return MathLanes<Avx512>::map_exp(x, y, n);
}

int64_t erf_avx512(const double* coef, const float* x, float* y, int64_t n) {
  return MathLanes<Avx512>::map_erf(coef, x, y, n);
}

}  // namespace basin::infer::portable
