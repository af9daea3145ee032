#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "basin/crypto/detail/reference_verifier.hpp"
#include "basin/crypto/pedersen.hpp"
#include "basin/crypto/rangeproof.hpp"

using namespace basin::crypto;

namespace {

struct Case {
  std::vector<std::uint64_t> values;
  std::vector<Scalar> blindings;
  std::vector<Bytes32> V;
  std::vector<std::uint8_t> context;
  std::vector<std::uint8_t> proof;
};

Case make(std::vector<std::uint64_t> values, std::string ctx = "receipt-1") {
  Case c;
  c.values = std::move(values);
  for (std::size_t i = 0; i < c.values.size(); ++i) c.blindings.push_back(Scalar::random());
  c.V = commit(c.values, c.blindings);
  c.context.assign(ctx.begin(), ctx.end());
  c.proof = prove_range(c.values, c.blindings, c.context);
  return c;
}

bool verifies(const Case& c) {
  return verify_range(c.V, c.proof, c.context);
}

}  // namespace

TEST(CryptoRangeProof, SizesFollowTheFormula) {
  EXPECT_EQ(range_proof_size(1), 32u * (9 + 2 * 6));
  EXPECT_EQ(range_proof_size(4), 32u * (9 + 2 * 8));
  EXPECT_EQ(range_proof_size(64), 32u * (9 + 2 * 12));
  EXPECT_EQ(range_proof_size(0), 0u);
  EXPECT_EQ(range_proof_size(3), 0u);
  EXPECT_EQ(range_proof_size(128), 0u);
}

TEST(CryptoRangeProof, VerifiesForM1M2M4AndEdgeValues) {
  for (auto values : std::vector<std::vector<std::uint64_t>>{
           {0}, {~std::uint64_t{0}}, {12345}, {0, ~std::uint64_t{0}}, {1, 2, 3, 1ull << 63}}) {
    if (values.size() == 3) values.push_back(0);
    const Case c = make(values);
    EXPECT_EQ(c.proof.size(), range_proof_size(values.size()));
    EXPECT_TRUE(verifies(c)) << "m = " << values.size();
  }
}

TEST(CryptoRangeProof, ProverRefusesBadM) {
  std::vector<std::uint64_t> v3 = {1, 2, 3};
  std::vector<Scalar> b3(3);
  EXPECT_THROW(prove_range(v3, b3, {}), std::invalid_argument);
  std::vector<std::uint64_t> v2 = {1, 2};
  EXPECT_THROW(prove_range(v2, b3, {}), std::invalid_argument);
}

TEST(CryptoRangeProof, EveryFlippedByteIsRejected) {
  const Case c = make({42});
  for (std::size_t i = 0; i < c.proof.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x80}) {
      auto bad = c.proof;
      bad[i] ^= mask;
      EXPECT_FALSE(verify_range(c.V, bad, c.context)) << "byte " << i;
    }
  }
}

TEST(CryptoRangeProof, SwappedCommitmentsRejected) {
  Case c = make({7, 9});
  std::swap(c.V[0], c.V[1]);
  EXPECT_FALSE(verifies(c));
}

TEST(CryptoRangeProof, CommitmentToOtherValueRejected) {
  Case c = make({7});
  c.V = commit(std::vector<std::uint64_t>{8}, c.blindings);
  EXPECT_FALSE(verifies(c));
}

TEST(CryptoRangeProof, WrongContextRejected) {
  Case c = make({7}, "period=2026-11");
  c.context.back() ^= 1;
  EXPECT_FALSE(verifies(c));
  c.context.clear();
  EXPECT_FALSE(verifies(c));
}

TEST(CryptoRangeProof, WrongMRejected) {
  const Case c = make({1, 2});
  // Fewer, more and a non-power-of-two number of commitments.
  EXPECT_FALSE(verify_range(std::span(c.V).first(1), c.proof, c.context));
  auto three = c.V;
  three.push_back(c.V[0]);
  EXPECT_FALSE(verify_range(three, c.proof, c.context));
  auto four = three;
  four.push_back(c.V[1]);
  EXPECT_FALSE(verify_range(four, c.proof, c.context));
  EXPECT_FALSE(verify_range({}, c.proof, c.context));
}

TEST(CryptoRangeProof, TruncatedAndExtendedRejected) {
  const Case c = make({5});
  for (std::size_t len :
       {std::size_t{0}, std::size_t{1}, c.proof.size() - 32, c.proof.size() - 1}) {
    EXPECT_FALSE(verify_range(c.V, std::span(c.proof).first(len), c.context)) << len;
  }
  auto longer = c.proof;
  longer.push_back(0);
  EXPECT_FALSE(verify_range(c.V, longer, c.context));
  longer.insert(longer.end(), 63, 0);
  EXPECT_FALSE(verify_range(c.V, longer, c.context));
}

TEST(CryptoRangeProof, IdentityPointsRejected) {
  const Case c = make({5});
  const std::size_t lg = 6;
  // A, S, T1, T2 at 0..3, L/R at 7 + k.
  std::vector<std::size_t> slots = {0, 1, 2, 3};
  for (std::size_t k = 0; k < 2 * lg; ++k) slots.push_back(7 + k);
  for (std::size_t s : slots) {
    auto bad = c.proof;
    std::fill(bad.begin() + 32 * s, bad.begin() + 32 * (s + 1), 0);
    EXPECT_FALSE(verify_range(c.V, bad, c.context)) << "slot " << s;
  }
  auto V = c.V;
  V[0] = Bytes32{};
  EXPECT_FALSE(verify_range(V, c.proof, c.context));
}

TEST(CryptoRangeProof, NonCanonicalScalarsRejected) {
  const Case c = make({5});
  const std::size_t lg = 6;
  // t_hat, taux, mu at 4..6, a and b at the end. Adding l keeps the value mod l
  // the same, so only strict parsing can refuse it.
  const Bytes32 l = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                     0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                     0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  for (std::size_t s : {std::size_t{4}, std::size_t{5}, std::size_t{6}, 7 + 2 * lg, 8 + 2 * lg}) {
    auto bad = c.proof;
    unsigned carry = 0;
    for (int i = 0; i < 32; ++i) {
      const unsigned v = bad[32 * s + i] + l[i] + carry;
      bad[32 * s + i] = static_cast<std::uint8_t>(v);
      carry = v >> 8;
    }
    if (carry) continue;  // would not fit in 32 bytes: not a representable alias
    EXPECT_FALSE(verify_range(c.V, bad, c.context)) << "slot " << s;
  }
}

TEST(CryptoRangeProof, OutOfRangeValueCannotBeProvenByPretending) {
  // A proof for v made with a different blinding than the commitment fails.
  Case c = make({3});
  c.V = commit(std::vector<std::uint64_t>{3}, std::vector<Scalar>{Scalar::random()});
  EXPECT_FALSE(verifies(c));
}

TEST(CryptoRangeProof, BatchVerifyNamesTheBadProof) {
  std::vector<Case> cases;
  for (int i = 0; i < 6; ++i)
    cases.push_back(make(i % 2 ? std::vector<std::uint64_t>{1, 2, 3, 4}
                               : std::vector<std::uint64_t>{static_cast<std::uint64_t>(i)},
                         "ctx" + std::to_string(i)));
  auto items = [&] {
    std::vector<RangeProofItem> it;
    for (auto& c : cases) it.push_back({c.V, c.proof, c.context});
    return it;
  };
  EXPECT_TRUE(batch_verify_range(items()).empty());
  cases[3].context.push_back('x');  // verifies structurally, fails the equation
  cases[4].proof.resize(10);        // fails parsing
  const auto bad = batch_verify_range(items());
  EXPECT_EQ(bad, (std::vector<std::size_t>{3, 4}));
}

// A failed combination is narrowed by halving: one bad proof among many, two
// in different halves, a bad proof beside one that does not parse. Copies of
// a few proofs stand for many (each copy weighted afresh).
TEST(CryptoRangeProof, BatchNarrowsAFailureToTheBadProofs) {
  const Case base[] = {make({5}, "a"), make({1, 2, 3, 4}, "b")};
  auto run = [&](const std::vector<std::size_t>& wrong_context,
                 const std::vector<std::size_t>& unparsable) {
    std::vector<Case> cases;
    for (std::size_t i = 0; i < 200; ++i) cases.push_back(base[i % 2]);
    for (auto i : wrong_context) cases[i].context.push_back('x');
    for (auto i : unparsable) cases[i].proof.resize(10);
    std::vector<RangeProofItem> it;
    for (auto& c : cases) it.push_back({c.V, c.proof, c.context});
    return batch_verify_range(it);
  };
  EXPECT_TRUE(run({}, {}).empty());
  EXPECT_EQ(run({137}, {}), (std::vector<std::size_t>{137}));
  EXPECT_EQ(run({10, 150}, {}), (std::vector<std::size_t>{10, 150}));
  EXPECT_EQ(run({5}, {6, 199}), (std::vector<std::size_t>{5, 6, 199}));
  EXPECT_EQ(run({}, {64}), (std::vector<std::size_t>{64}));
}

TEST(CryptoRangeProof, SodiumReferenceVerifierAgrees) {
  Case c = make({77, 0});
  EXPECT_TRUE(detail::verify_range_sodium_reference(c.V, c.proof, c.context));
  c.proof[40] ^= 1;
  EXPECT_FALSE(detail::verify_range_sodium_reference(c.V, c.proof, c.context));
}
