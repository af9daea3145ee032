// Replays generated mutations of valid range proofs through the parser and
// verifier: nothing may crash (ASan/UBSan builds run this too) and no
// mutation of the proof bytes may verify. The same entry point is the
// libFuzzer target in fuzz_rangeproof.cpp.
#include <gtest/gtest.h>

#include <random>

#include "basin/crypto/pedersen.hpp"
#include "basin/crypto/rangeproof.hpp"

using namespace basin::crypto;

TEST(CryptoParserReplay, MutatedProofsNeverVerifyOrCrash) {
  const std::vector<std::uint64_t> values = {11, 22};
  const std::vector<Scalar> blind = {Scalar::random(), Scalar::random()};
  const auto V = commit(values, blind);
  const std::vector<std::uint8_t> ctx = {'r'};
  const auto proof = prove_range(values, blind, ctx);
  ASSERT_TRUE(verify_range(V, proof, ctx));

  std::mt19937_64 rng(20261122);  // fixed seed: the same mutations every run
  for (int iter = 0; iter < 300; ++iter) {
    auto p = proof;
    switch (iter % 5) {
      case 0:  // random byte overwrites
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) p[rng() % p.size()] = rng();
        break;
      case 1:  // truncate
        p.resize(rng() % p.size());
        break;
      case 2:  // extend with junk
        for (int k = 0; k < 1 + static_cast<int>(rng() % 64); ++k) p.push_back(rng());
        break;
      case 3: {  // swap two 32-byte fields
        const std::size_t f = p.size() / 32, i = rng() % f, j = rng() % f;
        if (i == j) p[0] ^= 1;
        for (int b = 0; b < 32; ++b) std::swap(p[32 * i + b], p[32 * j + b]);
        break;
      }
      default: {  // overwrite a field with 0xff.. (non-canonical scalar, invalid point)
        const std::size_t f = rng() % (p.size() / 32);
        std::fill(p.begin() + 32 * f, p.begin() + 32 * (f + 1), 0xff);
      }
    }
    if (p == proof) continue;
    EXPECT_FALSE(verify_range(V, p, ctx)) << "mutation " << iter;
  }
}

TEST(CryptoParserReplay, RandomCommitmentCountsAndBytes) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<Bytes32> V(rng() % 70);
    for (auto& v : V)
      for (auto& b : v) b = rng();
    std::vector<std::uint8_t> p(rng() % 1200);
    for (auto& b : p) b = rng();
    EXPECT_FALSE(verify_range(V, p, {}));
    auto bad = batch_verify_range(std::vector<RangeProofItem>{{V, p, {}}});
    EXPECT_EQ(bad.size(), 1u);
  }
}
