#include "basin/runtime/exact_sum.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace basin::runtime {

void ExactSum::add(double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const int exp = int((bits >> 52) & 0x7ff);
  std::uint64_t mant = bits & ((std::uint64_t(1) << 52) - 1);
  const bool negative = (bits >> 63) != 0;
  if (exp == 0x7ff) {
    special_ |= mant != 0 ? 4 : (negative ? 2 : 1);
    return;
  }
  if (exp == 0 && mant == 0) return;
  // x = mant * 2^(b - 1074) with b = max(exp - 1, 0).
  int b = 0;
  if (exp != 0) {
    mant |= std::uint64_t(1) << 52;
    b = exp - 1;
  }
  const int limb = b / 32, shift = b % 32;
  const unsigned __int128 v = static_cast<unsigned __int128>(mant) << shift;
  const auto l0 = std::int64_t(std::uint64_t(v) & 0xffffffffu);
  const auto l1 = std::int64_t(std::uint64_t(v >> 32) & 0xffffffffu);
  const auto l2 = std::int64_t(std::uint64_t(v >> 64));
  if (negative) {
    limbs_[limb] -= l0;
    limbs_[limb + 1] -= l1;
    limbs_[limb + 2] -= l2;
  } else {
    limbs_[limb] += l0;
    limbs_[limb + 1] += l1;
    limbs_[limb + 2] += l2;
  }
  if (++pending_ >= (std::int64_t(1) << 30)) normalise();
}

void ExactSum::normalise() {
  for (int i = 0; i + 1 < kLimbs; ++i) {
    const std::int64_t carry = limbs_[i] >> 32;  // arithmetic shift: floor division
    limbs_[i] -= carry * (std::int64_t(1) << 32);
    limbs_[i + 1] += carry;
  }
  pending_ = 0;
}

void ExactSum::merge(const ExactSum& other) {
  ExactSum o = other;
  o.normalise();
  normalise();
  for (int i = 0; i < kLimbs; ++i) limbs_[i] += o.limbs_[i];
  special_ |= o.special_;
  normalise();
}

double round_limbs(std::array<std::int64_t, 70> l, int special) {
  if (special & 4 || (special & 3) == 3) return std::numeric_limits<double>::quiet_NaN();
  if (special & 1) return std::numeric_limits<double>::infinity();
  if (special & 2) return -std::numeric_limits<double>::infinity();
  const int n = int(l.size());
  auto carry = [&] {
    for (int i = 0; i + 1 < n; ++i) {
      const std::int64_t c = l[i] >> 32;
      l[i] -= c * (std::int64_t(1) << 32);
      l[i + 1] += c;
    }
  };
  carry();
  const bool negative = l[n - 1] < 0;
  if (negative) {
    for (auto& x : l) x = -x;
    carry();
  }
  int top = n - 1;
  while (top >= 0 && l[top] == 0) --top;
  if (top < 0) return 0.0;
  // The top three limbs as a 96-bit integer, the rest as a sticky bit.
  const int lo = top >= 2 ? top - 2 : 0;
  unsigned __int128 m = 0;
  for (int i = top; i >= lo; --i) m = (m << 32) | std::uint64_t(l[i]);
  bool sticky = false;
  for (int i = 0; i < lo; ++i) sticky |= l[i] != 0;
  int length = 0;
  for (unsigned __int128 t = m; t != 0; t >>= 1) ++length;
  int scale = 32 * lo - 1074;
  if (length > 53) {
    const int drop = length - 53;
    const unsigned __int128 q = m >> drop;
    const unsigned __int128 rem = m & ((static_cast<unsigned __int128>(1) << drop) - 1);
    const unsigned __int128 half = static_cast<unsigned __int128>(1) << (drop - 1);
    const bool up = rem > half || (rem == half && (sticky || (q & 1)));
    m = q + (up ? 1 : 0);
    scale += drop;
  }
  const double r = std::ldexp(static_cast<double>(static_cast<std::uint64_t>(m)), scale);
  return negative ? -r : r;
}

double ExactSum::value() const {
  return round_limbs(limbs_, special_);
}

double ExactSum::allreduce(MPI_Comm comm) const {
  ExactSum mine = *this;
  mine.normalise();
  // Integer sums are associative: any reduction order gives the same limbs.
  std::array<std::int64_t, kLimbs> total{};
  MPI_Allreduce(mine.limbs_.data(), total.data(), kLimbs, MPI_INT64_T, MPI_SUM, comm);
  int special = 0;
  MPI_Allreduce(&mine.special_, &special, 1, MPI_INT, MPI_BOR, comm);
  return round_limbs(total, special);
}

double tile_sum(const double* a, int n) {
  double s[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) s[l] += a[i + l];
  for (int l = 0; i < n; ++i, ++l) s[l] += a[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

double tile_dot(const double* a, const double* b, int n) {
  double s[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) s[l] += a[i + l] * b[i + l];
  for (int l = 0; i < n; ++i, ++l) s[l] += a[i] * b[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace basin::runtime
