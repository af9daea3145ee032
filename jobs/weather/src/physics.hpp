// Constants of the model (miniWeather's values) and a pow that gives the same
// bits whether the compiler vectorises the loop around it or not.
#pragma once

#include <bit>
#include <cstdint>

namespace basin::jobs::weather::physics {

inline constexpr double pi = 3.14159265358979323846264338327;
inline constexpr double grav = 9.8;                            // m/s^2
inline constexpr double cp = 1004.;                            // J/(kg K)
inline constexpr double cv = 717.;                             // J/(kg K)
inline constexpr double rd = 287.;                             // J/(kg K)
inline constexpr double p0 = 1.e5;                             // Pa
inline constexpr double C0 = 27.5629410929725921310572974482;  // p = C0 (rho theta)^gamma
inline constexpr double gamm = 1.40027894002789400278940027894;
inline constexpr double xlen = 2.e4;  // m
inline constexpr double zlen = 1.e4;  // m
inline constexpr double hv_beta = 0.05;
inline constexpr double cfl = 1.50;
inline constexpr double max_speed = 450;  // m/s
inline constexpr int hs = 2;              // halo width

// Indices of the conserved variables: rho', rho u, rho w, (rho theta)'.
inline constexpr int ID_DENS = 0, ID_UMOM = 1, ID_WMOM = 2, ID_RHOT = 3, NUM_VARS = 4;

// ln(x) for positive normal x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
// the atanh series in f = (m-1)/(m+1); |f| < 0.172 so ten terms reach 1e-17.
inline double log_pos(double x) {
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  const std::uint64_t mant = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  double m = std::bit_cast<double>(mant);
  // The exponent field as a double without an int-to-double instruction (none
  // exists for 64-bit lanes before AVX-512): 2^52 + field, minus 2^52 + 1023.
  double e = std::bit_cast<double>((bits >> 52) | 0x4330000000000000ull) - 4503599627371519.0;
  // big = (m > sqrt 2) from the mantissa bits, with integer arithmetic only so
  // that the loop around it vectorises (a compare-and-select does not).
  const std::uint64_t big_bit = (0x6A09E667F3BCCull - (bits & 0x000FFFFFFFFFFFFFull)) >> 63;
  const double big = std::bit_cast<double>(big_bit | 0x4330000000000000ull) - 4503599627370496.0;
  m = m * (1.0 - 0.5 * big);
  e = e + big;
  const double f = (m - 1.0) / (m + 1.0);
  const double s = f * f;
  double p = 1.0 / 19.0;
  p = p * s + 1.0 / 17.0;
  p = p * s + 1.0 / 15.0;
  p = p * s + 1.0 / 13.0;
  p = p * s + 1.0 / 11.0;
  p = p * s + 1.0 / 9.0;
  p = p * s + 1.0 / 7.0;
  p = p * s + 1.0 / 5.0;
  p = p * s + 1.0 / 3.0;
  const double ln2_hi = 6.93147180369123816490e-01;  // trailing zeros: e * ln2_hi is exact
  const double ln2_lo = 1.90821492927058770002e-10;
  return e * ln2_hi + ((2.0 * f + 2.0 * f * s * p) + e * ln2_lo);
}

// e^y for |y| < 700: y = n ln2 + r, |r| <= ln2/2, Taylor to r^13.
inline double exp_small(double y) {
  const double shifter = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const double shifted = y * 1.44269504088896338700 + shifter;
  const double nd = shifted - shifter;
  const double ln2_hi = 6.93147180369123816490e-01;
  const double ln2_lo = 1.90821492927058770002e-10;
  const double r = (y - nd * ln2_hi) - nd * ln2_lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // n sits in the low mantissa bits of `shifted`; build 2^n from them with
  // integer lane operations only, so the loop stays vectorisable.
  const std::uint64_t n_bits =
      std::bit_cast<std::uint64_t>(shifted) - std::bit_cast<std::uint64_t>(shifter);
  const double scale = std::bit_cast<double>((n_bits + 1023) << 52);
  return p * scale;
}

// Pressure from rho*theta: C0 (rho theta)^gamma.
inline double pressure(double rho_theta) {
  return C0 * exp_small(gamm * log_pos(rho_theta));
}

}  // namespace basin::jobs::weather::physics
