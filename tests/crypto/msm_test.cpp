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
