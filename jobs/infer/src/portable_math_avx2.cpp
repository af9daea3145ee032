// The AVX2 clone of the portable math functions (compiled with -mavx2
// -mfma; called only on CPUs with both): four doubles a lane group, the
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
struct Avx2 {
  static constexpr int W = 4;
  using reg = __m256d;
  using mask = __m256d;
  using idx = __m128i;
  static reg set(double x) { return _mm256_set1_pd(x); }
  static reg from_floats(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  static void to_floats(float* p, reg r, const float* x) {
    const __m128 in = _mm_loadu_ps(x);
    _mm_storeu_ps(p, _mm_blendv_ps(_mm256_cvtpd_ps(r), in, _mm_cmpunord_ps(in, in)));
  }
  static reg add(reg a, reg b) { return _mm256_add_pd(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_pd(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_pd(a, b); }
  static reg div(reg a, reg b) { return _mm256_div_pd(a, b); }
  static reg blend(mask m, reg a, reg b) { return _mm256_blendv_pd(a, b, m); }
  static mask lt(reg a, reg b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
  static mask gt(reg a, reg b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
  static reg neg(reg a) { return _mm256_xor_pd(a, _mm256_set1_pd(-0.0)); }
  static reg trunc(reg a) { return _mm256_round_pd(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
  // 2^52 + 1023 + k holds k + 1023 in its low mantissa bits: shifted up,
  // they are the exponent of 2^k.
  static reg pow2(reg k) {
    const __m256i bits = _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(4503599627371519.0)));
    return _mm256_castsi256_pd(_mm256_slli_epi64(bits, 52));
  }
  static idx pieces(reg p) { return _mm256_cvttpd_epi32(p); }
  // Four loads, not a gather: on AMD's Zen 2 the eleven gathers of an erf
  // made it a quarter of a portable encoder (the same values either way).
  static reg lookup(const double* column, idx i) {
    return _mm256_set_pd(column[_mm_extract_epi32(i, 3)], column[_mm_extract_epi32(i, 2)],
                         column[_mm_extract_epi32(i, 1)], column[_mm_extract_epi32(i, 0)]);
  }
};
}  // namespace

int64_t exp_avx2(const float* x, float* y, int64_t n) {
  return MathLanes<Avx2>::map_exp(x, y, n);
}

int64_t erf_avx2(const double* coef, const float* x, float* y, int64_t n) {
  return MathLanes<Avx2>::map_erf(coef, x, y, n);
}

}  // namespace basin::infer::portable
