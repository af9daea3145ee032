// Point::decode_many against libdecaf's decoder (Point::decode), one encoding
// at a time: the same verdicts and the same points, on the RFC 9496 vectors,
// on random points and random bytes, at the edges of the field encoding, and
// for batch lengths that do not fill the eight lanes. The AVX-512 IFMA path is
// also called directly, so a run-time fallback cannot hide a wrong result.
#include <gtest/gtest.h>
#include <sodium.h>

#include <optional>
#include <string>
#include <vector>

#include "basin/crypto/detail/decode_many.hpp"
#include "basin/crypto/group.hpp"
#include "hex.hpp"
#include "rfc9496_vectors.hpp"

using namespace basin::crypto;
using basin::crypto::test::unhex;

namespace {

Bytes32 bytes32(const char* h) {
  const auto v = unhex(h);
  Bytes32 out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

bool cpu_has_ifma() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma") &&
         __builtin_cpu_supports("avx512dq");
}

// Both decoders of `in` agree with decode() on every item: the verdict, and
// for accepted items a point valid on libdecaf's curve and equal to decode()'s.
void expect_agreement(const std::vector<Bytes32>& in, bool allow_identity) {
  std::vector<std::optional<Point>> many(in.size()), vec(in.size());
  Point::decode_many(in, allow_identity, many);
  const bool have_vector = detail::decode_many_vector(in, allow_identity, vec);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto ref = Point::decode(in[i], allow_identity);
    const std::string what = "item " + std::to_string(i) + " of " + std::to_string(in.size()) +
                             ": " + basin::crypto::test::hex(in[i]);
    ASSERT_EQ(many[i].has_value(), ref.has_value()) << what;
    if (ref) {
      EXPECT_TRUE(*many[i] == *ref) << what;
      EXPECT_TRUE(decaf_255_point_valid(many[i]->raw())) << what;
      EXPECT_EQ(many[i]->encode(), in[i]) << what;
    }
    if (!have_vector) continue;
    ASSERT_EQ(vec[i].has_value(), ref.has_value()) << "vector path, " << what;
    if (ref) {
      EXPECT_TRUE(*vec[i] == *ref) << "vector path, " << what;
      EXPECT_TRUE(decaf_255_point_valid(vec[i]->raw())) << "vector path, " << what;
    }
  }
}

}  // namespace

TEST(DecodeMany, VectorPathUsedWhereTheCpuHasIfma) {
  // On an IFMA machine the run-time self-check must have passed: a silent
  // fallback would leave the fast path untested by everything else.
  EXPECT_EQ(detail::decode_many_uses_vector(), cpu_has_ifma());
  if (!cpu_has_ifma()) GTEST_SKIP() << "this CPU lacks AVX-512 IFMA: only the scalar path runs";
}

TEST(DecodeMany, Rfc9496MultiplesAndRefusals) {
  std::vector<Bytes32> in;
  for (const char* h : kMultiples) in.push_back(bytes32(h));
  for (const char* h : kInvalid) in.push_back(bytes32(h));
  expect_agreement(in, true);
  expect_agreement(in, false);  // the identity (first multiple) refused too
  std::vector<std::optional<Point>> out(in.size());
  Point::decode_many(in, true, out);
  for (std::size_t i = 0; i < std::size(kMultiples); ++i) EXPECT_TRUE(out[i].has_value()) << i;
  for (std::size_t i = std::size(kMultiples); i < in.size(); ++i)
    EXPECT_FALSE(out[i].has_value()) << kInvalid[i - std::size(kMultiples)];
}

TEST(DecodeMany, RandomPointsDecodeToLibdecafsPoints) {
  ASSERT_GE(sodium_init(), 0);
  std::vector<Bytes32> in;
  std::vector<Point> points;
  for (int i = 0; i < 2000; ++i) {
    points.push_back(base_mul(Scalar::random()));
    in.push_back(points.back().encode());
  }
  expect_agreement(in, false);
  // The points work in libdecaf's arithmetic: a sum and a multiple agree.
  std::vector<std::optional<Point>> out(in.size());
  Point::decode_many(in, false, out);
  Point sum_ref, sum;
  for (std::size_t i = 0; i < in.size(); ++i) {
    sum_ref += points[i];
    sum += *out[i];
  }
  EXPECT_TRUE(sum == sum_ref);
  const Scalar k = Scalar::random();
  EXPECT_TRUE(*out[7] * k == points[7] * k);
}

TEST(DecodeMany, RandomBytesGetLibdecafsVerdicts) {
  ASSERT_GE(sodium_init(), 0);
  std::vector<Bytes32> in(20000);
  for (std::size_t i = 0; i < in.size(); ++i) {
    randombytes_buf(in[i].data(), in[i].size());
    // Mostly non-negative s below 2^255, so that many are accepted; some left
    // with the high bit set or odd.
    if (i % 4 != 0) in[i][31] &= 0x7f;
    if (i % 4 != 1) in[i][0] &= 0xfe;
  }
  std::vector<std::optional<Point>> out(in.size());
  Point::decode_many(in, false, out);
  std::size_t accepted = 0;
  for (const auto& o : out) accepted += o.has_value();
  EXPECT_GT(accepted, in.size() / 10);  // the sample really exercises both verdicts
  EXPECT_LT(accepted, in.size() / 2);
  expect_agreement(in, false);
}

TEST(DecodeMany, EdgesOfTheFieldEncoding) {
  auto le = [](std::uint64_t w0, std::uint64_t w1, std::uint64_t w2, std::uint64_t w3) {
    Bytes32 b{};
    const std::uint64_t w[4] = {w0, w1, w2, w3};
    for (int k = 0; k < 32; ++k) b[k] = static_cast<std::uint8_t>(w[k / 8] >> (8 * (k % 8)));
    return b;
  };
  const std::uint64_t ones = ~0ULL, top = 0x7fffffffffffffffULL;
  std::vector<Bytes32> in = {
      le(0, 0, 0, 0),  // s = 0: the identity
      le(2, 0, 0, 0),  // small even s
      le(4, 0, 0, 0),
      le(0xffffffffffffffecULL, ones, ones, top),   // p - 1 (even: tested for its square)
      le(0xffffffffffffffeaULL, ones, ones, top),   // p - 3
      le(0xffffffffffffffedULL, ones, ones, top),   // p: not canonical
      le(0xffffffffffffffeeULL, ones, ones, top),   // p + 1
      le(0xfffffffffffffffeULL, ones, ones, top),   // 2^255 - 2
      le(0, 0, 0, 0x8000000000000000ULL),           // 2^255
      le(2, 0, 0, 0x8000000000000000ULL),           // 2^255 + 2
      le(0xfffffffffffffffeULL, ones, ones, ones),  // 2^256 - 2
      le(0, 0, 0, top),
      le(0, 0x0010000000000000ULL, 0, 0),  // limb boundaries of both radixes
      le(0, 0, 0x0000010000000000ULL, 0),
  };
  expect_agreement(in, true);
  expect_agreement(in, false);
}

TEST(DecodeMany, BatchLengthsThatDoNotFillTheLanes) {
  ASSERT_GE(sodium_init(), 0);
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 15u, 17u, 24u}) {
    std::vector<Bytes32> in;
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 3 == 1) {
        in.push_back(bytes32(kInvalid[i % std::size(kInvalid)]));
      } else {
        in.push_back(base_mul(Scalar::random()).encode());
      }
    }
    expect_agreement(in, false);
  }
}

TEST(DecodeMany, SpansOfDifferentSizesAreRefused) {
  std::vector<Bytes32> in(3);
  std::vector<std::optional<Point>> out(2);
  EXPECT_THROW(Point::decode_many(in, false, out), std::invalid_argument);
}
