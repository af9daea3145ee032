// The transcendental functions of the kernels, computed here rather than by
// libm: glibc chooses expf, logf, powf and others by CPU at load time (FMA and
// non-FMA variants round differently in rare cases), so the same binary would
// give other bits on another CPU. These use only IEEE +, -, *, / in double
// and exact operations (bit moves, comparisons), each result rounded once to
// float at the end: the same bits on every x86-64 CPU, within about one float
// ulp of the true value.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

namespace basin::infer::pmath {

namespace detail {
inline double bits_to_double(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}
inline uint64_t double_to_bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}
// 2^k for -1022 <= k <= 1023.
inline double pow2(int64_t k) {
  return bits_to_double(uint64_t(k + 1023) << 52);
}
// Round to the nearest integer (ties to even) for |x| < 2^51: adding and
// subtracting 1.5 * 2^52 is exact arithmetic in the default rounding mode.
inline double round_nearest(double x) {
  constexpr double magic = 6755399441055744.0;
  return (x + magic) - magic;
}
}  // namespace detail

// e^x. Range-reduced as x = k ln2 + r, |r| <= ln2/2 (Cody and Waite's split
// of ln2 keeps k * ln2_hi exact), then a degree-12 Taylor polynomial
// (truncation below 1e-16 relative).
inline double exp(double x) {
  if (x != x) return x;
  if (x > 709.78) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  constexpr double log2e = 1.4426950408889634, ln2_hi = 6.93147180369123816490e-01,
                   ln2_lo = 1.90821492927058770002e-10;
  const double k = detail::round_nearest(x * log2e);
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  double p = 1.0 / 479001600.0;  // 1/12!
  constexpr double inv_fact[] = {
      1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0,
      1.0 / 120.0,      1.0 / 24.0,      1.0 / 6.0,      1.0 / 2.0,     1.0,          1.0};
  for (double c : inv_fact) p = p * r + c;
  const auto ki = int64_t(k);
  if (ki < -1022) return p * detail::pow2(ki + 200) * detail::pow2(-200);
  if (ki > 1023) return p * detail::pow2(ki - 1) * 2.0;
  return p * detail::pow2(ki);
}

// e^x - 1 without cancellation near 0.
inline double expm1(double x) {
  if (x > -0.5 && x < 0.5) {
    // Taylor series: |x|^19 / 19! < 1e-22.
    double term = x, sum = x;
    for (int n = 2; n < 19; ++n) term *= x / n, sum += term;
    return sum;
  }
  return exp(x) - 1.0;
}

// ln x. x = m 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s),
// s = (m - 1) / (m + 1), |s| < 0.172, by its series to s^23.
inline double log(double x) {
  if (x != x || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (x == std::numeric_limits<double>::infinity()) return x;
  uint64_t u = detail::double_to_bits(x);
  int64_t e = int64_t((u >> 52) & 0x7ff);
  if (e == 0) {  // subnormal: scale into the normal range first
    u = detail::double_to_bits(x * 18014398509481984.0);  // 2^54
    e = int64_t((u >> 52) & 0x7ff) - 54;
  }
  e -= 1023;
  double m = detail::bits_to_double((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > 1.4142135623730951) m *= 0.5, ++e;
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double p = 1.0 / 23.0;
  for (int n = 21; n >= 1; n -= 2) p = p * s2 + 1.0 / n;
  constexpr double ln2 = 0.6931471805599453;
  return double(e) * ln2 + 2.0 * s * p;
}

inline double log1p(double x) {
  if (x > -1e-4 && x < 1e-4) return x * (1.0 - x * (0.5 - x / 3.0));
  return log(1.0 + x);
}

namespace detail {
// erf on [0, 4) as 32 pieces of width 1/8, each the Taylor polynomial of
// degree 10 about the piece's centre c: with t = x - c, |t| <= 1/16,
//   erf(c + t) = erf(c) + 2/sqrt(pi) e^(-c^2) sum_n (-1)^n H_n(c) t^(n+1) / (n+1)!
// (H_n the Hermite polynomials). The coefficients are computed once, in
// double, by the same operations on every CPU; erf(c) by its own Taylor
// series about 0. Truncation is below 1e-16.
struct ErfTable {
  static constexpr int kPieces = 32, kDegree = 10;
  double coef[kPieces][kDegree + 1];
  ErfTable() {
    for (int p = 0; p < kPieces; ++p) {
      const double c = (p + 0.5) / 8.0;
      // erf(c) = 2/sqrt(pi) sum_n (-1)^n c^(2n+1) / (n! (2n+1)), |c| < 4.
      double term = c, sum = c;
      for (int n = 1; n < 200; ++n) {
        term *= -c * c / n;
        sum += term / (2 * n + 1);
      }
      constexpr double two_over_sqrt_pi = 1.1283791670955126;
      coef[p][0] = two_over_sqrt_pi * sum;
      const double g = two_over_sqrt_pi * exp_for_table(-c * c);
      double h_prev = 1.0, h = 2.0 * c;  // H_0, H_1
      double fact = 1.0;                 // (n+1)!
      for (int n = 0; n < kDegree; ++n) {
        const double hn = n == 0 ? 1.0 : h;
        fact *= n + 1;
        coef[p][n + 1] = (n % 2 ? -1.0 : 1.0) * g * hn / fact;
        if (n >= 1) {
          const double next = 2.0 * c * h - 2.0 * n * h_prev;
          h_prev = h, h = next;
        }
      }
    }
  }
  static double exp_for_table(double x);
};
// The one table, built on first use.
inline const ErfTable& erf_table() {
  static const ErfTable table;
  return table;
}
}  // namespace detail

// erf from the table above (1 beyond |x| = 4: erfc(4) is below half a float
// ulp of 1).
inline double erf(double x) {
  if (x != x) return x;
  const double ax = x < 0 ? -x : x;
  if (ax >= 4.0) return x < 0 ? -1.0 : 1.0;
  const int p = int(ax * 8.0);
  const double t = ax - (p + 0.5) / 8.0;
  const double* c = detail::erf_table().coef[p];
  double r = c[detail::ErfTable::kDegree];
  for (int n = detail::ErfTable::kDegree - 1; n >= 0; --n) r = r * t + c[n];
  return x < 0 ? -r : r;
}
inline double detail::ErfTable::exp_for_table(double x) {
  return pmath::exp(x);
}

inline double tanh(double x) {
  if (x != x) return x;
  if (x > 20) return 1.0;
  if (x < -20) return -1.0;
  const double e = expm1(2.0 * x);
  return e / (e + 2.0);
}

inline double sigmoid(double x) {
  return 1.0 / (1.0 + exp(-x));
}

// x^y as ONNX Pow: an integral y up to 64 in magnitude by repeated squaring
// (exact for small powers, and negative bases allowed), else e^(y ln x).
inline double pow(double x, double y) {
  if (y == 0) return 1.0;
  if (x != x || y != y) return std::numeric_limits<double>::quiet_NaN();
  const double ay = y < 0 ? -y : y;
  if (ay <= 64 && double(int64_t(ay)) == ay) {
    double result = 1.0, base = x;
    for (auto n = int64_t(ay); n > 0; n >>= 1) {
      if (n & 1) result *= base;
      base *= base;
    }
    return y < 0 ? 1.0 / result : result;
  }
  if (y == 0.5) return __builtin_sqrt(x);  // IEEE sqrt: correctly rounded
  if (x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return y > 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return exp(y * log(x));
}

// Float versions: computed in double, rounded once. expf and erff give a
// NaN argument back as it came (a signalling NaN too: whether the double
// round trip quiets it would be the compiler's choice), as their vector
// clones do (portable_map.hpp).
inline float expf(float x) {
  if (x != x) return x;
  return float(exp(double(x)));
}
inline float logf(float x) {
  return float(log(double(x)));
}
inline float erff(float x) {
  if (x != x) return x;
  return float(erf(double(x)));
}
inline float tanhf(float x) {
  return float(tanh(double(x)));
}
inline float sigmoidf(float x) {
  return float(sigmoid(double(x)));
}

}  // namespace basin::infer::pmath
