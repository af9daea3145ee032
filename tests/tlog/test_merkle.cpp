// RFC 6962 / 9162 Merkle trees against the reference vectors (the
// Certificate Transparency leaves and tree heads published by
// transparency-dev/merkle, testonly/constants.go), a brute-force reference,
// and every tampering we can think of.
#include <gtest/gtest.h>

#include <random>

#include "basin/tlog/leaf_input.hpp"
#include "basin/tlog/merkle.hpp"

using namespace basin::tlog;

namespace {

Hash H(const std::string& hex) {
  Hash h;
  EXPECT_TRUE(parse_hash(hex, h)) << hex;
  return h;
}

std::vector<Hash> reference_leaves() {
  return hash_leaves(parse_hex_leaves(
      "\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n"));
}

const char* kRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// MTH exactly as RFC 6962 2.1 writes it, recursively.
Hash reference_mth(std::span<const Hash> d) {
  if (d.empty()) return empty_root();
  if (d.size() == 1) return d[0];
  std::uint64_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  return node_hash(reference_mth(d.first(k)), reference_mth(d.subspan(k)));
}

std::vector<Hash> synthetic(std::size_t n) {
  std::vector<Hash> v;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)};
    v.push_back(leaf_hash(b));
  }
  return v;
}

}  // namespace

TEST(Merkle, RootsMatchTheReferenceVectors) {
  const auto leaves = reference_leaves();
  for (std::size_t n = 0; n <= leaves.size(); ++n)
    EXPECT_EQ(to_hex(root(std::span(leaves).first(n))), kRoots[n]) << "size " << n;
}

TEST(Merkle, SplitIsTheLargestPowerOfTwoBelowN) {
  for (auto [n, k] :
       std::vector<std::pair<std::uint64_t, std::uint64_t>>{{2, 1},
                                                            {3, 2},
                                                            {4, 2},
                                                            {5, 4},
                                                            {8, 4},
                                                            {9, 8},
                                                            {1000, 512},
                                                            {(1ull << 40) + 1, 1ull << 40}})
    EXPECT_EQ(split_point(n), k) << n;
}

TEST(Merkle, InclusionProofsMatchTheReferenceVectors) {
  const auto leaves = reference_leaves();
  const std::vector<Hash> p0{H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                             H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                             H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")};
  const std::vector<Hash> p5{H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                             H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                             H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")};
  EXPECT_EQ(inclusion_proof(leaves, 0), p0);
  EXPECT_EQ(inclusion_proof(leaves, 5), p5);
  EXPECT_TRUE(verify_inclusion(0, 8, leaves[0], p0, H(kRoots[8])));
  EXPECT_TRUE(verify_inclusion(5, 8, leaves[5], p5, H(kRoots[8])));
}

TEST(Merkle, ConsistencyProofsMatchTheReferenceVectors) {
  const auto leaves = reference_leaves();
  const std::vector<Hash> c28{
      H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")};
  const std::vector<Hash> c68{
      H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")};
  const std::vector<Hash> c25{
      H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")};
  EXPECT_EQ(consistency_proof(leaves, 2), c28);
  EXPECT_EQ(consistency_proof(leaves, 6), c68);
  EXPECT_EQ(consistency_proof(std::span(leaves).first(5), 2), c25);
  EXPECT_TRUE(verify_consistency(2, 8, H(kRoots[2]), H(kRoots[8]), c28));
  EXPECT_TRUE(verify_consistency(6, 8, H(kRoots[6]), H(kRoots[8]), c68));
  EXPECT_TRUE(verify_consistency(2, 5, H(kRoots[2]), H(kRoots[5]), c25));
}

TEST(Merkle, RootAgreesWithTheRecursiveDefinition) {
  const auto leaves = synthetic(300);
  for (std::size_t n = 0; n <= leaves.size(); ++n)
    ASSERT_EQ(root(std::span(leaves).first(n)), reference_mth(std::span(leaves).first(n))) << n;
}

TEST(Merkle, EveryInclusionProofVerifiesAndNoTamperingDoes) {
  const auto all = synthetic(40);
  for (std::uint64_t n = 1; n <= all.size(); ++n) {
    const auto leaves = std::span(all).first(n);
    const auto r = root(leaves);
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto proof = inclusion_proof(leaves, i);
      ASSERT_TRUE(verify_inclusion(i, n, leaves[i], proof, r)) << i << "/" << n;
      EXPECT_FALSE(verify_inclusion(i + 1, n, leaves[i], proof, r));
      // (A proof may also verify for another size whose path has the same
      // shape: the size is bound by the signed tree head, not the proof.)
      if (n > 1) {
        EXPECT_FALSE(verify_inclusion(i, n, leaves[(i + 1) % n], proof, r));
      }
      if (i > 0) {
        EXPECT_FALSE(verify_inclusion(i - 1, n, leaves[i], proof, r));
      }
      auto extended = proof;
      extended.push_back(r);
      EXPECT_FALSE(verify_inclusion(i, n, leaves[i], extended, r));
      if (!proof.empty()) {
        auto truncated = proof;
        truncated.pop_back();
        EXPECT_FALSE(verify_inclusion(i, n, leaves[i], truncated, r));
        for (std::size_t j = 0; j < proof.size(); ++j) {
          auto bad = proof;
          bad[j][j % 32] ^= 0x01;
          EXPECT_FALSE(verify_inclusion(i, n, leaves[i], bad, r));
        }
      }
    }
  }
}

TEST(Merkle, EveryConsistencyProofVerifiesAndNoTamperingDoes) {
  const auto all = synthetic(40);
  for (std::uint64_t n = 1; n <= all.size(); ++n) {
    const auto leaves = std::span(all).first(n);
    const auto r = root(leaves);
    for (std::uint64_t m = 1; m <= n; ++m) {
      const auto rm = root(leaves.first(m));
      const auto proof = consistency_proof(leaves, m);
      ASSERT_TRUE(verify_consistency(m, n, rm, r, proof)) << m << "->" << n;
      if (m == n) continue;
      EXPECT_FALSE(verify_consistency(m, n, r, rm, proof));
      EXPECT_FALSE(verify_consistency(m + 1, n, rm, r, proof));
      EXPECT_FALSE(verify_consistency(m, n, rm, r, {}));
      auto extended = proof;
      extended.push_back(r);
      EXPECT_FALSE(verify_consistency(m, n, rm, r, extended));
      auto truncated = proof;
      truncated.pop_back();
      EXPECT_FALSE(verify_consistency(m, n, rm, r, truncated));
      for (std::size_t j = 0; j < proof.size(); ++j) {
        auto bad = proof;
        bad[j][31] ^= 0x80;
        EXPECT_FALSE(verify_consistency(m, n, rm, r, bad));
      }
    }
  }
  EXPECT_TRUE(verify_consistency(0, 5, empty_root(), root(std::span(all).first(5)), {}));
}

TEST(LeafInput, HexLinesAreParsedStrictly) {
  EXPECT_EQ(parse_hex_leaves("").size(), 0u);
  EXPECT_EQ(parse_hex_leaves("\n").size(), 1u);
  EXPECT_EQ(parse_hex_leaves("aa\nbb\n").size(), 2u);
  EXPECT_EQ(parse_hex_leaves("aa\nbb").size(), 2u);
  EXPECT_EQ(parse_hex_leaves("aa\n\nbb\n").size(), 3u);
  EXPECT_EQ(parse_hex_leaves("AbCd\n")[0], (std::vector<std::uint8_t>{0xab, 0xcd}));
  EXPECT_THROW(parse_hex_leaves("abc\n"), InputError);
  EXPECT_THROW(parse_hex_leaves("zz\n"), InputError);
  EXPECT_THROW(parse_hex_leaves("aa\r\n"), InputError);
  try {
    parse_hex_leaves("aa\nag\n");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2, column 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_proof("aa\n"), InputError);
  EXPECT_EQ(parse_proof(std::string(64, 'a') + "\n").size(), 1u);
}

TEST(LeafInput, RandomInputNeverCrashesTheParsers) {
  std::mt19937 rng(99);
  const std::string alphabet = "0123456789abcdefABCDEFxz\n\r \0";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int len = static_cast<int>(rng() % 140);
    for (int c = 0; c < len; ++c) s += alphabet[rng() % alphabet.size()];
    try {
      (void)parse_hex_leaves(s);
    } catch (const InputError&) {
    }
    try {
      (void)parse_proof(s);
    } catch (const InputError&) {
    }
  }
}
