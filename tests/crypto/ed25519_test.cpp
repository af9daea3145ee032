// Cofactored Ed25519 verification (crypto/ed25519.hpp) against libsodium's
// signer and verifier, RFC 8032's vectors and the edge cases of "Taming the
// many EdDSAs" (novifinancial/ed25519-speccheck, cases.txt).
#include "basin/crypto/ed25519.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <string>
#include <vector>

#include "hex.hpp"

namespace {

using basin::crypto::ed25519_verify;
using basin::crypto::ed25519_verify_batch;
using basin::crypto::Ed25519Check;
using basin::crypto::test::unhex;

struct Signed {
  std::array<std::uint8_t, 64> sig{};
  std::vector<std::uint8_t> msg;
  std::array<std::uint8_t, 32> pk{};
  Ed25519Check check() const { return {sig, msg, pk}; }
  bool by_libsodium() const {
    return crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0;
  }
};

Signed from_hex(const std::string& msg, const std::string& pk, const std::string& sig) {
  Signed s;
  s.msg = unhex(msg);
  const auto p = unhex(pk), g = unhex(sig);
  std::copy(p.begin(), p.end(), s.pk.begin());
  std::copy(g.begin(), g.end(), s.sig.begin());
  return s;
}

struct KeyPair {
  std::array<std::uint8_t, 32> pk{};
  std::array<std::uint8_t, 64> sk{};
  KeyPair() { crypto_sign_keypair(pk.data(), sk.data()); }
  Signed sign(std::vector<std::uint8_t> msg) const {
    Signed s;
    s.msg = std::move(msg);
    s.pk = pk;
    crypto_sign_detached(s.sig.data(), nullptr, s.msg.data(), s.msg.size(), sk.data());
    return s;
  }
};

std::vector<std::uint8_t> random_message(std::size_t n) {
  std::vector<std::uint8_t> m(n);
  if (n) randombytes_buf(m.data(), n);
  return m;
}

class Ed25519 : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
};

TEST_F(Ed25519, Rfc8032Vectors) {
  const Signed v[] = {
      from_hex("", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
               "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc6"
               "1e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
      from_hex("72", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
               "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e45"
               "8f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
  };
  for (const auto& s : v) {
    ASSERT_TRUE(s.by_libsodium());  // the vectors are typed right
    EXPECT_TRUE(ed25519_verify(s.check()));
  }
}

TEST_F(Ed25519, AgreesWithLibsodiumOnHonestAndAlteredSignatures) {
  KeyPair k;
  for (int i = 0; i < 200; ++i) {
    auto s = k.sign(random_message(static_cast<std::size_t>(i * 7)));
    EXPECT_TRUE(ed25519_verify(s.check())) << i;
    // One flipped bit anywhere (message, R, s or key): both refuse.
    std::uint8_t flip = static_cast<std::uint8_t>(1u << (i % 8));
    switch (i % 4) {
      case 0:
        if (s.msg.empty()) continue;
        s.msg[static_cast<std::size_t>(i) % s.msg.size()] ^= flip;
        break;
      case 1:
        s.sig[static_cast<std::size_t>(i) % 32] ^= flip;
        break;
      case 2:
        s.sig[32 + static_cast<std::size_t>(i) % 32] ^= flip;
        break;
      default:
        s.pk[static_cast<std::size_t>(i) % 32] ^= flip;
        break;
    }
    EXPECT_EQ(ed25519_verify(s.check()), s.by_libsodium()) << i;
    EXPECT_FALSE(ed25519_verify(s.check())) << i;
  }
}

TEST_F(Ed25519, NonCanonicalScalarIsRefused) {
  KeyPair k;
  auto s = k.sign(random_message(40));
  // s + l: the same value mod l, a second encoding of the signature.
  static const std::uint8_t l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                     0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                     0,    0,    0,    0,    0,    0,    0,    0,
                                     0,    0,    0,    0,    0,    0,    0,    0x10};
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned v = s.sig[32 + i] + l[i] + carry;
    s.sig[32 + i] = static_cast<std::uint8_t>(v);
    carry = v >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_FALSE(s.by_libsodium());
  EXPECT_FALSE(ed25519_verify(s.check()));
  EXPECT_EQ(ed25519_verify_batch(std::vector{s.check()}), std::vector<std::size_t>{0});
}

// The twelve vectors of ed25519-speccheck. Expected: small-order A or R and
// non-canonical s, A or R refused (as libsodium does); mixed-order A and R
// judged by the cofactored equation (vectors 4 and 5 pass it and fail the
// cofactorless one, which libsodium uses).
TEST_F(Ed25519, SpeccheckEdgeCases) {
  const Signed v[] = {
      from_hex("8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
               "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
               "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000"
               "000000000000000000000000000000000000000000000"),
      from_hex("9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
               "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
               "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476"
               "f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
      from_hex("aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
               "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
               "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb"
               "97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e"),
      from_hex("9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
               "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
               "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e"
               "9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009"),
      from_hex("e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
               "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
               "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0"
               "668e540911a9a6a58921d6925e434ab10aa7940551a09"),
      from_hex("e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
               "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
               "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f"
               "9abe3a53f9c03c1ceeeddb658d0030494ace586687405"),
      from_hex("85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
               "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
               "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d"
               "87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514"),
      from_hex("85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
               "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
               "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13"
               "f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22"),
      from_hex("9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
               "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
               "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92"
               "b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f"),
      from_hex("9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
               "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
               "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa3"
               "8d4936621a4775aa233aa0505711d8fdcfdaa943d4908"),
      from_hex("e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b",
               "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
               "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476"
               "f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
      from_hex("39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f",
               "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
               "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476"
               "f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
  };
  const bool expected[12] = {false, false, false, true,  true,  true,
                             false, false, false, false, false, false};
  // libsodium's verdicts (results.md of speccheck): only vector 3 passes.
  const bool libsodium[12] = {false, false, false, true,  false, false,
                              false, false, false, false, false, false};
  std::vector<Ed25519Check> checks;
  std::vector<std::size_t> expected_bad;
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(ed25519_verify(v[i].check()), expected[i]) << "vector " << i;
    EXPECT_EQ(v[i].by_libsodium(), libsodium[i]) << "vector " << i;
    checks.push_back(v[i].check());
    if (!expected[i]) expected_bad.push_back(i);
  }
  EXPECT_EQ(ed25519_verify_batch(checks), expected_bad);
  // The mixed-order vectors hold in the combination too (cofactored).
  EXPECT_TRUE(basin::crypto::detail::ed25519_combination_holds(std::span(checks).subspan(3, 3)));
}

TEST_F(Ed25519, BatchNamesExactlyTheBadSignatures) {
  const KeyPair keys[3];
  std::vector<Signed> sigs;
  for (int i = 0; i < 96; ++i)
    sigs.push_back(keys[i % 3].sign(random_message(static_cast<std::size_t>(50 + i))));
  auto checks_of = [&] {
    std::vector<Ed25519Check> c;
    for (const auto& s : sigs) c.push_back(s.check());
    return c;
  };
  EXPECT_TRUE(basin::crypto::detail::ed25519_combination_holds(checks_of()));
  EXPECT_TRUE(ed25519_verify_batch(checks_of()).empty());
  EXPECT_TRUE(ed25519_verify_batch({}).empty());

  sigs[5].msg[0] ^= 1;  // another message: every encoding still passes
  EXPECT_FALSE(basin::crypto::detail::ed25519_combination_holds(checks_of()));
  sigs[17].pk = keys[0].pk;     // another site's key (17 is key 2's)
  sigs[40].sig[63] ^= 0x80;     // s no longer canonical
  sigs[41].sig[0] ^= 1;         // another R (likely off the curve or wrong)
  sigs[95].sig = sigs[94].sig;  // a signature of another message
  const std::vector<std::size_t> bad = {5, 17, 40, 41, 95};
  EXPECT_EQ(ed25519_verify_batch(checks_of()), bad);
  for (std::size_t i = 0; i < sigs.size(); ++i)
    EXPECT_EQ(ed25519_verify(sigs[i].check()), !std::count(bad.begin(), bad.end(), i)) << i;
}

// A batch large enough to be split over the cores (one MSM per slice).
TEST_F(Ed25519, LargeBatchSplitOverCores) {
  const KeyPair keys[2];
  std::vector<Signed> sigs;
  for (int i = 0; i < 9000; ++i) sigs.push_back(keys[i % 2].sign(random_message(64)));
  std::vector<Ed25519Check> checks;
  for (const auto& s : sigs) checks.push_back(s.check());
  EXPECT_TRUE(basin::crypto::detail::ed25519_combination_holds(checks));
  sigs[8999].msg[3] ^= 4;
  EXPECT_FALSE(basin::crypto::detail::ed25519_combination_holds(checks));
  EXPECT_EQ(ed25519_verify_batch(checks), std::vector<std::size_t>{8999});
  // Narrowed by halving: bad ones in one half, in both, beside an
  // unparsable one.
  sigs[17].msg[0] ^= 1;
  EXPECT_EQ(ed25519_verify_batch(checks), (std::vector<std::size_t>{17, 8999}));
  sigs[8999].msg[3] ^= 4;
  sigs[4000].sig[63] ^= 0x80;  // s not canonical: refused before any combination
  EXPECT_EQ(ed25519_verify_batch(checks), (std::vector<std::size_t>{17, 4000}));
  sigs[17].msg[0] ^= 1;
  EXPECT_EQ(ed25519_verify_batch(checks), (std::vector<std::size_t>{4000}));
}

}  // namespace
