#include <gtest/gtest.h>

#include <vector>

#include "basin/crypto/msm.hpp"

using namespace basin::crypto;

namespace {
Point naive(const std::vector<Scalar>& s, const std::vector<Point>& p) {
  Point acc;
  for (std::size_t i = 0; i < s.size(); ++i) acc += p[i] * s[i];
  return acc;
}
}  // namespace

class CryptoMsm : public ::testing::TestWithParam<int> {};

TEST_P(CryptoMsm, MatchesNaiveSum) {
  const int n = GetParam();
  std::vector<Scalar> s;
  std::vector<Point> p;
  for (int i = 0; i < n; ++i) {
    // Edge scalars first: zero, one, l-1, then random.
    if (i == 0)
      s.push_back(Scalar());
    else if (i == 1)
      s.push_back(Scalar::from_u64(1));
    else if (i == 2)
      s.push_back(-Scalar::from_u64(1));
    else
      s.push_back(Scalar::random());
    p.push_back(base_mul(Scalar::random()));
  }
  const Point expect = naive(s, p);
  EXPECT_TRUE(msm_straus(s, p) == expect);
  EXPECT_TRUE(msm_pippenger(s, p) == expect);
  EXPECT_TRUE(msm(s, p) == expect);
}

INSTANTIATE_TEST_SUITE_P(Sizes, CryptoMsm, ::testing::Values(0, 1, 2, 3, 17, 64, 130, 600, 900));

TEST(CryptoMsmSizes, MismatchThrows) {
  std::vector<Scalar> s(2);
  std::vector<Point> p(3);
  EXPECT_THROW(msm(s, p), std::invalid_argument);
}

// The AVX-512 IFMA Pippenger (eight windows a pass, one per lane) against the
// scalar Pippenger on the same inputs, including what a hostile batch could
// hold: repeated points (a bucket receiving the same point twice: the
// doubling case of the addition), the identity, a point and its negative,
// zero scalars, l - 1, and points straight from decode_many (Z = 1) mixed
// with points from arithmetic (Z != 1).
TEST(CryptoMsmVector, MatchesScalarPippenger) {
  for (int n : {1, 9, 300, 5000}) {
    std::vector<Scalar> s;
    std::vector<Point> p;
    for (int i = 0; i < n; ++i) {
      const Point r = base_mul(Scalar::random());
      switch (i % 7) {
        case 0:
          s.push_back(Scalar());
          break;
        case 1:
          s.push_back(-Scalar::from_u64(1));
          break;
        case 2:
          s.push_back(Scalar::from_u64(static_cast<std::uint64_t>(i)));
          break;
        default:
          s.push_back(Scalar::random());
      }
      switch (i % 5) {
        case 0:
          p.push_back(r);
          break;
        case 1:
          p.push_back(p.empty() ? r : p.front());
          break;  // repeated point
        case 2:
          p.push_back(Point());
          break;  // identity
        case 3:
          p.push_back(p.empty() ? r : -p.back());
          break;  // a negative
        default:
          p.push_back(*Point::decode(r.encode(), false));  // Z = 1
      }
    }
    // The same point with the same scalar many times: every window's
    // bucket for that digit receives it repeatedly.
    if (n >= 300)
      for (int i = 0; i < 50; ++i) {
        s[static_cast<std::size_t>(i)] = s[3];
        p[static_cast<std::size_t>(i)] = p[3];
      }
    // Limbs as libdecaf may leave them, above 51 bits (the same values: one
    // limb borrows 2^51 from the next), which the vector path must read too.
    for (std::size_t i = 0; i < p.size(); i += 11) {
      for (gf_25519_s* c : {&p[i].raw()->x[0], &p[i].raw()->y[0], &p[i].raw()->t[0]})
        if (c->limb[1] > 0) {
          c->limb[1] -= 1;
          c->limb[0] += std::uint64_t{1} << 51;
        }
    }
    Point vec;
    if (!detail::msm_pippenger_vector(s, p, vec)) GTEST_SKIP() << "this CPU lacks AVX-512 IFMA";
    EXPECT_TRUE(vec == msm_pippenger(s, p)) << "n = " << n;
    EXPECT_TRUE(decaf_255_point_valid(vec.raw())) << "n = " << n;
  }
}
