// The group layer against RFC 9496 appendix A (vectors copied from the RFC).
#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "basin/crypto/group.hpp"
#include "hex.hpp"
#include "rfc9496_vectors.hpp"

using namespace basin::crypto;
using basin::crypto::test::hex;
using basin::crypto::test::unhex;

namespace {

// RFC 9496 A.3: element derivation, input = SHA-512(label).
struct Derivation {
  const char* label;
  const char* element;
};
const Derivation kDerivations[] = {
    {"Ristretto is traditionally a short shot of espresso coffee",
     "3066f82a1a747d45120d1740f14358531a8f04bbffe6a819f86dfe50f44a0a46"},
    {"made with the normal amount of ground coffee but extracted with",
     "f26e5b6f7d362d2d2a94c5d0e7602cb4773c95a2e5c31a64f133189fa76ed61b"},
    {"about half the amount of water in the same amount of time",
     "006ccd2a9e6867e6a2c5cea83d3302cc9de128dd2a9a57dd8ee7b9d7ffe02826"},
    {"by using a finer grind.", "f8f0c87cf237953c5890aec3998169005dae3eca1fbb04548c635953c817f92a"},
    {"This produces a concentrated shot of coffee per volume.",
     "ae81e7dedf20a497e10c304a765c1767a42d6e06029758d2d7e8ef7cc4c41179"},
    {"Just pulling a normal shot short will produce a weaker shot",
     "e2705652ff9f5e44d3e841bf1c251cf7dddb77d140870d1ab2ed64f1a9ce8628"},
    {"and is not a Ristretto as some believe.",
     "80bd07262511cdde4863f8a7434cef696750681cb9510eea557088f76d9e5065"},
};

// l = 2^252 + 27742317777372353535851937790883648493, little-endian.
const char* kOrder = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

}  // namespace

TEST(CryptoGroup, MultiplesOfBaseMatchRfc9496) {
  Point acc;
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(hex(acc.encode()), kMultiples[i]) << "i = " << i;
    EXPECT_EQ(hex(base_mul(Scalar::from_u64(i)).encode()), kMultiples[i]) << "i = " << i;
    EXPECT_EQ(hex((Point::base() * Scalar::from_u64(i)).encode()), kMultiples[i]);
    const auto dec = Point::decode(unhex(kMultiples[i]), /*allow_identity=*/true);
    ASSERT_TRUE(dec.has_value()) << i;
    EXPECT_TRUE(*dec == acc);
    acc += Point::base();
  }
}

TEST(CryptoGroup, IdentityRefusedUnlessAllowed) {
  EXPECT_FALSE(Point::decode(unhex(kMultiples[0]), false).has_value());
  EXPECT_TRUE(Point::decode(unhex(kMultiples[0]), true).has_value());
}

TEST(CryptoGroup, InvalidEncodingsRejected) {
  for (const char* h : kInvalid) {
    EXPECT_FALSE(Point::decode(unhex(h), true).has_value()) << h;
  }
}

TEST(CryptoGroup, WrongLengthsRejected) {
  auto b = unhex(kMultiples[1]);
  EXPECT_FALSE(Point::decode(std::span(b).first(31), true).has_value());
  b.push_back(0);
  EXPECT_FALSE(Point::decode(b, true).has_value());
  EXPECT_FALSE(Scalar::from_canonical(std::span(b).first(31)).has_value());
}

TEST(CryptoGroup, ElementDerivationMatchesRfc9496) {
  ASSERT_GE(sodium_init(), 0);
  for (const auto& d : kDerivations) {
    std::array<std::uint8_t, 64> h;
    const std::string label = d.label;
    crypto_hash_sha512(h.data(), reinterpret_cast<const unsigned char*>(label.data()),
                       label.size());
    EXPECT_EQ(hex(Point::from_uniform_bytes(h).encode()), d.element) << d.label;
  }
}

TEST(CryptoGroup, ScalarCanonicalityIsStrict) {
  auto l = unhex(kOrder);
  EXPECT_FALSE(Scalar::from_canonical(l).has_value());
  l[0] -= 1;  // l - 1 is the largest canonical scalar
  const auto lm1 = Scalar::from_canonical(l);
  ASSERT_TRUE(lm1.has_value());
  EXPECT_TRUE(*lm1 + Scalar::from_u64(1) == Scalar());
  std::vector<std::uint8_t> ff(32, 0xff);
  EXPECT_FALSE(Scalar::from_canonical(ff).has_value());
}

TEST(CryptoGroup, ScalarArithmetic) {
  const Scalar a = Scalar::random(), b = Scalar::random();
  EXPECT_TRUE((a * b) * b.invert() == a);
  EXPECT_TRUE(a - a == Scalar());
  EXPECT_TRUE(-a + a == Scalar());
  EXPECT_TRUE(Scalar::from_canonical(a.encode()).value() == a);
  EXPECT_TRUE(base_mul(a + b) == base_mul(a) + base_mul(b));
  EXPECT_TRUE(Point::base() * (a * b) == (Point::base() * a) * b);
}

TEST(CryptoGroup, HashToGroupIsDomainSeparated) {
  const std::uint8_t x[] = {1, 2, 3};
  const Point p = Point::hash_to_group("basin.test.a", x);
  EXPECT_TRUE(p == Point::hash_to_group("basin.test.a", x));
  EXPECT_FALSE(p == Point::hash_to_group("basin.test.b", x));
  EXPECT_FALSE(p.is_identity());
}

// Scalar products use Basin's own unrolled Montgomery arithmetic
// (src/scalar_mul.hpp); libdecaf's decaf_255_scalar_mul is the oracle.
TEST(ScalarMul, MatchesLibdecafOnEdgeAndRandomInputs) {
  const Scalar zero, one = Scalar::from_u64(1), minus_one = -one;
  std::vector<Scalar> inputs = {zero, one, minus_one, minus_one - one, Scalar::from_u64(~0ULL)};
  // 2^252 - 1 and 2^252 + small: just below and above l's top limb.
  std::array<std::uint8_t, 32> b{};
  b.fill(0xff);
  b[31] = 0x0f;
  inputs.push_back(*Scalar::from_canonical(b));
  b.fill(0);
  b[31] = 0x10;
  b[0] = 5;
  inputs.push_back(*Scalar::from_canonical(b));
  for (int i = 0; i < 200; ++i) inputs.push_back(Scalar::random());
  for (const auto& x : inputs)
    for (const auto& y : {inputs[0], inputs[1], inputs[2], inputs[5], inputs[6], inputs.back()}) {
      decaf_255_scalar_t want;
      decaf_255_scalar_mul(want, x.raw(), y.raw());
      std::array<std::uint8_t, 32> want_bytes;
      decaf_255_scalar_encode(want_bytes.data(), want);
      ASSERT_EQ(hex((x * y).encode()), hex(want_bytes));
    }
  // A chain of products stays reduced and equal to libdecaf's chain.
  Scalar acc = Scalar::random();
  decaf_255_scalar_t ref;
  decaf_255_scalar_copy(ref, acc.raw());
  for (int i = 0; i < 10000; ++i) {
    const Scalar k = Scalar::random();
    acc = acc * k;
    decaf_255_scalar_mul(ref, ref, k.raw());
  }
  std::array<std::uint8_t, 32> ref_bytes;
  decaf_255_scalar_encode(ref_bytes.data(), ref);
  EXPECT_EQ(hex(acc.encode()), hex(ref_bytes));
}

TEST(ScalarMul, PreparedMultiplierGivesTheSameProducts) {
  for (int i = 0; i < 100; ++i) {
    const Scalar k = Scalar::random(), x = Scalar::random(), y = Scalar::random();
    const ScalarMultiplier km(k), xm(x);
    ASSERT_EQ(hex((km * x).encode()), hex((k * x).encode()));
    ASSERT_EQ(hex(km.value().encode()), hex(k.encode()));
    ASSERT_EQ(hex(((km * xm) * y).encode()), hex((k * x * y).encode()));
  }
  const Scalar minus_one = -Scalar::from_u64(1);
  EXPECT_EQ(hex((ScalarMultiplier(minus_one) * minus_one).encode()),
            hex(Scalar::from_u64(1).encode()));
  EXPECT_TRUE((ScalarMultiplier(Scalar()) * Scalar::random()).is_zero());
}
