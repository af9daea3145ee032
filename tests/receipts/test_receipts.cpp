// Receipts: round trip, verification, and rejection of every tampering we
// could think of (each proof byte, swapped commitments, n/m, identity points,
// non-canonical scalars, a receipt moved to another account or period).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "basin/crypto/pedersen.hpp"
#include "basin/crypto/rangeproof.hpp"
#include "basin/receipts/receipt.hpp"

using namespace basin;
using receipts::Receipt;

namespace {

records::UsageRecord sample_record(std::uint32_t job = 42) {
  records::UsageRecord r;
  r.cluster = "basin";
  r.job_id = job;
  r.step_id = records::kBatchStep;
  r.submit_time = 1795000000;
  r.start_time = 1795000010;
  r.end_time = 1795000130;  // 120 s
  r.account = "climate-lab";
  r.node = "inst1";
  r.site = "uni";
  r.tier = "institutional";
  r.requested_tier = "any";
  r.alloc_cores = 2;
  r.alloc_mem_mb = 500;
  r.cpu_user_us = 200000000;
  r.step_state = "completed";
  r.result_digest = "sha256:00ff";
  return r;
}

struct Receipts : ::testing::Test {
  records::NodeKey site_key = records::NodeKey::generate();
  receipts::BlindingKey blinding = receipts::BlindingKey::generate();
  const crypto::Bytes32 record_hash{0xab, 0xcd, 0x01};  // as if of the signed record
  receipts::AccountKey account = receipts::AccountKey::generate();
  receipts::RateCard card{"uni", {3, 1, 100, 0}};
  receipts::Trust trust;

  void SetUp() override {
    trust.pool = "demo";
    trust.site_keys["uni"] = site_key.public_key();
    trust.rate_cards["uni"] = card;
  }
  Receipt issue(std::uint32_t job = 42) {
    return receipts::issue_receipt(sample_record(job), sample_record(job).account, "demo", card,
                                   account.public_key(), site_key, blinding, record_hash);
  }
  void resign(Receipt& r) { r.signature = site_key.sign(receipts::signed_message(r)); }
  bool good(const Receipt& r) { return !receipts::verify_receipt(r, trust).has_value(); }
  // Decodes tampered bytes; true iff the decoder or the verifier rejects them.
  bool rejected(const std::vector<std::uint8_t>& bytes) {
    try {
      return !good(receipts::decode(bytes));
    } catch (const receipts::ReceiptError&) {
      return true;
    }
  }
};

}  // namespace

// The salt is derived from the site's blinding secret: the same identity
// always has the same job_ref (so the site recognises a record already in its
// log), another secret gives another, and the opening still checks.
TEST_F(Receipts, JobReferencesAreDerivedFromTheBlindingSecret) {
  const auto a = issue(), b = issue();
  const auto id = records::identity(sample_record());
  EXPECT_EQ(a.job_ref, b.job_ref);
  EXPECT_EQ(a.job_ref, receipts::expected_job_ref(id, a.period, blinding));
  EXPECT_NE(issue(43).job_ref, a.job_ref);
  const auto other = receipts::BlindingKey::generate();
  EXPECT_NE(receipts::expected_job_ref(id, a.period, other), a.job_ref);
  const auto o = receipts::open_receipt(a, account);
  EXPECT_EQ(o.salt, receipts::job_salt(id, a.period, blinding));
  EXPECT_TRUE(good(a));
}

TEST_F(Receipts, RoundTripAndVerify) {
  const Receipt r = issue();
  EXPECT_EQ(r.proof.size(), crypto::range_proof_size(4));
  EXPECT_EQ(r.period, "2026-11");
  EXPECT_EQ(r.rate_card_id, card.id());
  const auto bytes = receipts::encode(r);
  const Receipt back = receipts::decode(bytes);
  EXPECT_EQ(back, r);
  EXPECT_EQ(receipts::encode(back), bytes);
  EXPECT_TRUE(good(back)) << *receipts::verify_receipt(back, trust);
  const auto json = receipts::to_json(r);
  EXPECT_NE(json.find("\"account\": \"climate-lab\""), std::string::npos);
  EXPECT_NE(json.find("core_seconds"), std::string::npos);
}

TEST_F(Receipts, EnvelopeOfTheBytesChecksEveryByteWithoutDecodingPoints) {
  const Receipt r = issue();
  const auto bytes = receipts::encode(r);
  Receipt header;
  ASSERT_FALSE(receipts::check_envelope_bytes(bytes, trust, header));
  EXPECT_EQ(header.provider_site, r.provider_site);
  EXPECT_EQ(header.account, r.account);
  EXPECT_EQ(header.period, r.period);
  EXPECT_EQ(header.job_ref, r.job_ref);
  EXPECT_EQ(header.signature, r.signature);
  // Any byte changed (header, commitments, proof, opening, signature) fails.
  for (std::size_t i = 0; i < bytes.size(); i += 7) {
    auto bad = bytes;
    bad[i] ^= 0x20;
    EXPECT_TRUE(receipts::check_envelope_bytes(bad, trust, header)) << "byte " << i;
  }
  auto shorter = bytes;
  shorter.resize(40);
  EXPECT_TRUE(receipts::check_envelope_bytes(shorter, trust, header));
  auto other = trust;
  other.pool = "elsewhere";
  EXPECT_TRUE(receipts::check_envelope_bytes(bytes, other, header));

  // Many at once (signatures in one batch): the same verdict for each.
  std::vector<std::vector<std::uint8_t>> many;
  for (std::size_t i = 0; i < bytes.size(); i += 97) {
    many.push_back(bytes);
    if (i % 2) many.back()[i] ^= 0x20;
  }
  many.push_back(shorter);
  std::vector<std::span<const std::uint8_t>> spans(many.begin(), many.end());
  std::vector<Receipt> headers;
  const auto verdicts = receipts::check_envelopes_bytes(spans, trust, headers);
  ASSERT_EQ(verdicts.size(), many.size());
  std::size_t refused = 0;
  for (std::size_t k = 0; k < many.size(); ++k) {
    Receipt one;
    EXPECT_EQ(verdicts[k], receipts::check_envelope_bytes(many[k], trust, one)) << k;
    refused += verdicts[k] ? 1 : 0;
    if (!verdicts[k]) {
      EXPECT_EQ(headers[k].job_ref, r.job_ref);
    }
  }
  EXPECT_GT(refused, 1u);
  EXPECT_LT(refused, many.size());
}

TEST_F(Receipts, QuantitiesFollowTheRecord) {
  const auto q = receipts::quantities_of(sample_record());
  EXPECT_EQ(q[receipts::wall_seconds], 120u);
  EXPECT_EQ(q[receipts::core_seconds], 240u);
  EXPECT_EQ(q[receipts::mem_mb_seconds], 60000u);
  EXPECT_EQ(q[receipts::gpu_seconds], 0u);  // a step without GPUs
  auto gpu = sample_record();
  gpu.alloc_gpus = 2;
  const auto g = receipts::quantities_of(gpu);
  EXPECT_EQ(g[receipts::gpu_seconds], 240u);  // 2 GPUs x the same 120 wall seconds
  EXPECT_EQ(g[receipts::core_seconds], 240u);
  EXPECT_EQ(g[receipts::wall_seconds], 120u);
  // A version 1 record (before GPUs were recorded) commits 0 GPU-seconds.
  auto v1 = sample_record();
  v1.version = 1;
  EXPECT_EQ(receipts::quantities_of(v1)[receipts::gpu_seconds], 0u);
  auto huge = sample_record();
  huge.alloc_mem_mb = ~std::uint64_t{0};
  EXPECT_THROW(receipts::quantities_of(huge), receipts::ReceiptError);
}

TEST_F(Receipts, EveryProofByteFlippedIsRejected) {
  Receipt r = issue();
  const std::size_t proof_offset =
      receipts::encode(r).size() - 64 - 2 - r.sealed_opening.size() - r.proof.size();
  for (std::size_t i = 0; i < r.proof.size(); ++i) {
    Receipt t = r;
    t.proof[i] ^= 0x01;
    // Re-signed by the site, so only the proof can catch it.
    resign(t);
    auto bytes = receipts::encode(t);
    ASSERT_EQ(bytes[proof_offset + i], t.proof[i]);
    EXPECT_TRUE(rejected(bytes)) << "proof byte " << i;
    // And without re-signing the signature catches it as well.
    bytes = receipts::encode(r);
    bytes[proof_offset + i] ^= 0x80;
    EXPECT_TRUE(rejected(bytes)) << "proof byte " << i << " (not re-signed)";
  }
}

TEST_F(Receipts, SwappedCommitmentsAreRejected) {
  Receipt r = issue();
  for (std::size_t a = 0; a < 4; ++a)
    for (std::size_t b = a + 1; b < 4; ++b) {
      Receipt t = r;
      std::swap(t.commitments[a], t.commitments[b]);
      resign(t);
      EXPECT_FALSE(good(t)) << a << "<->" << b;
    }
  // A commitment from another receipt.
  Receipt t = r;
  t.commitments[0] = issue(43).commitments[0];
  resign(t);
  EXPECT_FALSE(good(t));
}

TEST_F(Receipts, WrongNOrMIsRefusedByTheDecoder) {
  const Receipt r = issue();
  const auto bytes = receipts::encode(r);
  // n and m sit right before the four commitments.
  const std::size_t nm =
      bytes.size() - 64 - 2 - r.sealed_opening.size() - 2 - r.proof.size() - 4 * 32 - 2;
  ASSERT_EQ(bytes[nm], 64);
  ASSERT_EQ(bytes[nm + 1], 4);
  for (auto [n, m] : {std::pair{32, 4}, {64, 2}, {64, 8}, {0, 0}, {255, 255}, {64, 64}}) {
    auto t = bytes;
    t[nm] = static_cast<std::uint8_t>(n);
    t[nm + 1] = static_cast<std::uint8_t>(m);
    EXPECT_THROW(receipts::decode(t), receipts::ReceiptError) << n << "," << m;
  }
  // The verifier alone also refuses a proof for the wrong m.
  std::vector<crypto::Bytes32> two(r.commitments.begin(), r.commitments.begin() + 2);
  EXPECT_FALSE(crypto::verify_range(two, r.proof, receipts::proof_context(r)));
}

// decode leaves curve points to verification (an inverse square root each,
// paid once): a receipt with the identity, or any invalid encoding, as a
// commitment or proof point decodes, and is refused by the verifier, single
// and batch, with the point named.
TEST_F(Receipts, IdentityPointsAreRefused) {
  const Receipt r = issue();
  auto refusal = [&](const Receipt& t) {
    const auto back = receipts::decode(receipts::encode(t));
    const auto single = receipts::verify_receipt(back, trust);
    const auto batch = receipts::verify_batch(std::vector<Receipt>{r, back, r}, trust);
    EXPECT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch.empty() ? 0 : batch[0].index, 1u);
    EXPECT_EQ(batch.empty() ? "" : batch[0].reason, single.value_or("accepted"));
    return single.value_or("accepted");
  };
  Receipt t = r;
  t.commitments[1] = {};  // the identity's encoding is all zeros
  resign(t);
  EXPECT_EQ(refusal(t), "commitment mem_mb_seconds is not a valid non-identity ristretto255 point");
  for (std::size_t chunk : {0u, 1u, 2u, 3u, 7u, 8u, 22u}) {  // A, S, T1, T2, L0, R0, R7
    t = r;
    std::fill_n(t.proof.begin() + 32 * chunk, 32, 0);
    resign(t);
    EXPECT_EQ(refusal(t), "proof: point at offset " + std::to_string(32 * chunk) +
                              " is not a valid non-identity ristretto255 encoding")
        << chunk;
    t = r;
    t.proof[32 * chunk + 31] = 0xff;  // not a field element's encoding at all
    resign(t);
    EXPECT_EQ(refusal(t), "proof: point at offset " + std::to_string(32 * chunk) +
                              " is not a valid non-identity ristretto255 encoding")
        << chunk;
  }
}

TEST_F(Receipts, NonCanonicalScalarsAreRefused) {
  // l = 2^252 + 27742317777372353535851937790883648493, little-endian.
  const crypto::Bytes32 l = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                             0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                             0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  const Receipt r = issue();
  const std::size_t chunks = r.proof.size() / 32;
  for (std::size_t chunk :
       {std::size_t{4}, std::size_t{5}, std::size_t{6}, chunks - 2, chunks - 1}) {
    // s + l is the same scalar mod l but not its canonical encoding.
    Receipt t = r;
    auto s = crypto::Scalar::from_canonical(std::span(t.proof).subspan(32 * chunk, 32));
    ASSERT_TRUE(s);
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
      const unsigned v = t.proof[32 * chunk + i] + l[i] + carry;
      t.proof[32 * chunk + i] = static_cast<std::uint8_t>(v);
      carry = v >> 8;
    }
    ASSERT_EQ(carry, 0u);
    resign(t);
    EXPECT_THROW(receipts::decode(receipts::encode(t)), receipts::ReceiptError) << chunk;
    EXPECT_FALSE(good(t)) << chunk;
  }
}

TEST_F(Receipts, MovedToAnotherAccountOrPeriodIsRejected) {
  const Receipt r = issue();
  for (int field = 0; field < 4; ++field) {
    Receipt t = r;
    if (field == 0) t.account = "bio-lab";
    if (field == 1) t.period = "2026-12";
    if (field == 2) t.job_ref[0] ^= 1;
    if (field == 3) t.provider_site = "home";
    EXPECT_FALSE(good(t)) << field << " (signature)";
    // Even the provider's own key cannot move it: the proof binds the fields.
    if (field == 3) {
      trust.site_keys["home"] = site_key.public_key();
      trust.rate_cards["home"] = {"home", card.micro_credits};
      t.rate_card_id = trust.rate_cards["home"].id();
    }
    resign(t);
    const auto why = receipts::verify_receipt(t, trust);
    ASSERT_TRUE(why.has_value()) << field;
    EXPECT_NE(why->find("range proof"), std::string::npos) << *why;
  }
}

TEST_F(Receipts, TrustChecks) {
  const Receipt r = issue();
  auto other = trust;
  other.pool = "elsewhere";
  EXPECT_TRUE(receipts::verify_receipt(r, other).has_value());
  other = trust;
  other.site_keys["uni"] = records::NodeKey::generate().public_key();
  EXPECT_NE(receipts::verify_receipt(r, other)->find("signature"), std::string::npos);
  other = trust;
  other.rate_cards["uni"].micro_credits[0] = 4;
  EXPECT_NE(receipts::verify_receipt(r, other)->find("rate card"), std::string::npos);
  EXPECT_THROW(receipts::issue_receipt(sample_record(), "lab", "demo", {"home", {}},
                                       account.public_key(), site_key, blinding, record_hash),
               receipts::ReceiptError);
}

TEST_F(Receipts, SealedOpeningOpensOnlyWithTheAccountKey) {
  const Receipt r = issue();
  const auto o = receipts::open_receipt(r, account);
  EXPECT_EQ(o.values, receipts::quantities_of(sample_record()));
  EXPECT_EQ(o.job_identity, records::identity(sample_record()));
  EXPECT_EQ(o.result_digest, "sha256:00ff");
  const auto stranger = receipts::AccountKey::generate();
  EXPECT_THROW(receipts::open_receipt(r, stranger), receipts::ReceiptError);
  // An opening sealed to the right key but for other commitments is refused.
  Receipt t = r;
  t.sealed_opening = issue(43).sealed_opening;
  EXPECT_THROW(receipts::open_receipt(t, account), receipts::ReceiptError);
  t = r;
  t.sealed_opening[40] ^= 1;
  EXPECT_THROW(receipts::open_receipt(t, account), receipts::ReceiptError);
}

TEST_F(Receipts, CreditCommitmentOpensToTheCredit) {
  const Receipt r = issue();
  const auto o = receipts::open_receipt(r, account);
  const auto credit = receipts::credit_of(o, card);
  EXPECT_EQ(static_cast<std::uint64_t>(credit), 3u * 240 + 60000 + 0 + 0);
  crypto::Scalar blinding;
  for (std::size_t i = 0; i < 4; ++i)
    blinding += *crypto::Scalar::from_canonical(o.blindings[i]) *
                crypto::Scalar::from_u64(card.micro_credits[i]);
  const auto expect = crypto::pedersen_gens().commit(
      crypto::Scalar::from_u64(static_cast<std::uint64_t>(credit)), blinding);
  EXPECT_EQ(receipts::credit_commitment(r, card), expect);
}

TEST_F(Receipts, GpuSecondsAreCommittedOpenedAndPriced) {
  auto rec = sample_record();
  rec.alloc_gpus = 2;
  const Receipt r = receipts::issue_receipt(rec, rec.account, "demo", card, account.public_key(),
                                            site_key, blinding, record_hash);
  EXPECT_TRUE(good(r));
  const auto o = receipts::open_receipt(r, account);
  EXPECT_EQ(o.values[receipts::gpu_seconds], 240u);
  // credit = sum of rate x value; the card prices a GPU-second at 100.
  const auto credit = receipts::credit_of(o, card);
  EXPECT_EQ(static_cast<std::uint64_t>(credit), 3u * 240 + 1u * 60000 + 100u * 240 + 0);
  crypto::Scalar blinding;
  for (std::size_t i = 0; i < 4; ++i)
    blinding += *crypto::Scalar::from_canonical(o.blindings[i]) *
                crypto::Scalar::from_u64(card.micro_credits[i]);
  EXPECT_EQ(receipts::credit_commitment(r, card),
            crypto::pedersen_gens().commit(
                crypto::Scalar::from_u64(static_cast<std::uint64_t>(credit)), blinding));
}

TEST_F(Receipts, BatchNamesTheBadReceipts) {
  std::vector<Receipt> rs;
  for (std::uint32_t j = 0; j < 6; ++j) rs.push_back(issue(100 + j));
  EXPECT_TRUE(receipts::verify_batch(rs, trust).empty());
  std::swap(rs[2].commitments[0], rs[2].commitments[3]);
  resign(rs[2]);            // passes the signature, fails the proof
  rs[4].account = "other";  // fails the signature
  const auto bad = receipts::verify_batch(rs, trust);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].index, 2u);
  EXPECT_NE(bad[0].reason.find("range proof"), std::string::npos);
  EXPECT_EQ(bad[1].index, 4u);
  EXPECT_NE(bad[1].reason.find("signature"), std::string::npos);
}

TEST_F(Receipts, DecoderRefusesTruncationTrailingBytesAndBadFields) {
  const auto bytes = receipts::encode(issue());
  for (std::size_t n = 0; n < bytes.size(); n += 7)
    EXPECT_THROW(receipts::decode(std::span(bytes).first(n)), receipts::ReceiptError) << n;
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(receipts::decode(longer), receipts::ReceiptError);
  auto bad_version = bytes;
  bad_version[8] = 2;
  EXPECT_THROW(receipts::decode(bad_version), receipts::ReceiptError);
  Receipt r = issue();
  r.period = "2026-13";
  EXPECT_THROW(receipts::encode(r), receipts::ReceiptError);
}

// Found by fuzz_replay_receipt: a text field that is not UTF-8 made the JSON
// view throw; such receipts are now refused by the decoder and the encoder.
TEST_F(Receipts, TextFieldsMustBeUtf8) {
  Receipt r = issue();
  r.account = "lab\xff";
  EXPECT_THROW(receipts::encode(r), receipts::ReceiptError);
  r.account = "caf\xc3\xa9";  // é
  EXPECT_NO_THROW(receipts::encode(r));
  auto bytes = receipts::encode(issue());
  const std::size_t account_at = 8 + 1 + 2 + 4 + 2 + 3 + 2;  // "demo", "uni", then the text
  ASSERT_EQ(bytes[account_at], 'c');
  bytes[account_at] = 0xc0;  // an overlong lead byte
  EXPECT_THROW(receipts::decode(bytes), receipts::ReceiptError);
}

// Settlement: the provider re-derives the blindings from its blinding secret
// (never its signing key) and opens the
// credit commitment (summed over receipts) without the account's key.
TEST_F(Receipts, ProviderOpensTheSummedCreditWithItsBlindingSecret) {
  const Receipt a = issue(1), b = issue(2);
  const auto credit = receipts::credit_of(receipts::open_receipt(a, account), card) +
                      receipts::credit_of(receipts::open_receipt(b, account), card);
  const auto sum_r =
      receipts::credit_blinding(a, card, blinding) + receipts::credit_blinding(b, card, blinding);
  const auto sum = receipts::credit_commitment(a, card) + receipts::credit_commitment(b, card);
  EXPECT_EQ(sum, crypto::pedersen_gens().commit(
                     crypto::Scalar::from_u64(static_cast<std::uint64_t>(credit)), sum_r));
  const auto other = receipts::BlindingKey::generate();
  EXPECT_NE(sum, crypto::pedersen_gens().commit(
                     crypto::Scalar::from_u64(static_cast<std::uint64_t>(credit)),
                     receipts::credit_blinding(a, card, other) +
                         receipts::credit_blinding(b, card, other)));
  // The account's opening carries the same blindings.
  const auto o = receipts::open_receipt(a, account);
  const auto r = receipts::receipt_blindings(a.job_ref, a.period, blinding);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(o.blindings[i], r[i].encode());
}

TEST_F(Receipts, SealedOpeningsHaveOneLengthWhateverTheJob) {
  // A short identity and digest, and the longest ones a record allows.
  auto small = sample_record(1);
  small.node = "n";
  small.result_digest = "";
  auto large = sample_record(4000000000u);
  large.node = std::string(120, 'n');
  large.result_digest = "sha256:" + std::string(249, 'f');
  const auto a = receipts::issue_receipt(small, small.account, "demo", card, account.public_key(),
                                         site_key, blinding, record_hash);
  const auto b = receipts::issue_receipt(large, large.account, "demo", card, account.public_key(),
                                         site_key, blinding, record_hash);
  EXPECT_EQ(a.sealed_opening.size(), b.sealed_opening.size());
  EXPECT_EQ(a.sealed_opening.size(), 789u);
  EXPECT_EQ(receipts::open_receipt(b, account).result_digest, large.result_digest);
  // The opening names the signed record the receipt was issued for.
  EXPECT_EQ(receipts::open_receipt(b, account).record_hash, record_hash);
  EXPECT_EQ(receipts::open_receipt(a, account).job_identity, records::identity(small));
}

// Key rotation: a receipt signed with a previous key verifies for the periods
// up to its `until`, is refused as expired after, and as revoked from its
// `revoked_from` on; the current key signs any period.
TEST_F(Receipts, PreviousKeysVerifyWithinTheirWindowOnly) {
  const Receipt r = issue();  // signed with site_key
  auto rotated = trust;
  rotated.site_keys["uni"] = records::NodeKey::generate().public_key();
  EXPECT_NE(receipts::verify_receipt(r, rotated)->find("does not verify"), std::string::npos);

  rotated.previous_keys["uni"] = {{site_key.public_key(), r.period, ""}};
  EXPECT_FALSE(receipts::verify_receipt(r, rotated).has_value());

  rotated.previous_keys["uni"] = {{site_key.public_key(), "2000-01", ""}};
  const auto expired = receipts::verify_receipt(r, rotated);
  ASSERT_TRUE(expired.has_value());
  EXPECT_NE(expired->find("expired after 2000-01"), std::string::npos) << *expired;
  // The same verdict from the envelope check on bytes (ledger, reconcile).
  Receipt header;
  const auto bytes = receipts::encode(r);
  EXPECT_NE(receipts::check_envelope_bytes(bytes, rotated, header)->find("expired"),
            std::string::npos);

  rotated.previous_keys["uni"] = {{site_key.public_key(), "9999-12", r.period}};
  const auto revoked = receipts::verify_receipt(r, rotated);
  ASSERT_TRUE(revoked.has_value());
  EXPECT_NE(revoked->find("revoked from " + r.period), std::string::npos) << *revoked;
  rotated.previous_keys["uni"] = {{site_key.public_key(), "9999-12", "9999-01"}};
  EXPECT_FALSE(receipts::verify_receipt(r, rotated).has_value()) << "revoked only later";
  // In a batch, the expired receipt is named and the good one passes.
  rotated.previous_keys["uni"] = {{site_key.public_key(), "2000-01", ""}};
  rotated.site_keys["uni"] = site_key.public_key();
  auto old_key = records::NodeKey::generate();
  rotated.previous_keys["uni"] = {{old_key.public_key(), "2000-01", ""}};
  Receipt by_old = issue(7);
  by_old.signature = old_key.sign(receipts::signed_message(by_old));
  const std::vector<Receipt> batch{issue(5), by_old};
  const auto failures = receipts::verify_batch(batch, rotated);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].index, 1u);
  EXPECT_NE(failures[0].reason.find("expired after 2000-01"), std::string::npos);
  // Within its window the old key's receipt passes the batch; one signed by a
  // key the site never had is named.
  rotated.previous_keys["uni"] = {{old_key.public_key(), "9999-12", ""}};
  Receipt by_stranger = issue(9);
  by_stranger.signature = records::NodeKey::generate().sign(receipts::signed_message(by_stranger));
  const auto later =
      receipts::verify_batch(std::vector<Receipt>{by_old, issue(6), by_stranger}, rotated);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].index, 2u);
  EXPECT_NE(later[0].reason.find("does not verify"), std::string::npos) << later[0].reason;
}

// The blinding secrets rotate by period: a new secret changes the blindings
// and job references of its periods only, so earlier periods still open.
TEST(BlindingKey, RotationKeepsEarlierPeriodsAndChangesLaterOnes) {
  auto k = receipts::BlindingKey::generate("2026-01");
  const crypto::Bytes32 ref{1, 2, 3};
  const auto before_nov = receipts::receipt_blindings(ref, "2026-11", k);
  const auto before_dec = receipts::receipt_blindings(ref, "2026-12", k);
  k.rotate("2026-12");
  EXPECT_THROW(k.rotate("2026-12"), receipts::ReceiptError);
  EXPECT_THROW(k.rotate("2026-13"), receipts::ReceiptError);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(receipts::receipt_blindings(ref, "2026-11", k)[i].encode(), before_nov[i].encode());
    EXPECT_NE(receipts::receipt_blindings(ref, "2026-12", k)[i].encode(), before_dec[i].encode());
  }
  // Domain separation: the salt and the blindings of one input differ.
  std::array<std::uint8_t, 32> salt_like{};
  k.derive("2026-11", "basin/job-salt/v2\n", ref, salt_like);
  EXPECT_NE(salt_like, receipts::receipt_blindings(ref, "2026-11", k)[0].encode());
  EXPECT_THROW(receipts::receipt_blindings(ref, "2025-12", k), receipts::ReceiptError)
      << "no secret before the first period";
}

TEST(BlindingKey, FileRoundTripAndStrictParsing) {
  char dir_template[] = "/tmp/basin-blind-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  auto write = [&](const std::string& name, const std::string& text, mode_t mode) {
    const auto path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    chmod(path.c_str(), mode);
    return path;
  };
  auto k = receipts::BlindingKey::generate("2026-01");
  k.rotate("2026-12");
  const auto good = write("good.blind.key", k.to_text(), 0600);
  const auto back = receipts::BlindingKey::load(good);
  EXPECT_EQ(back.to_text(), k.to_text());
  const crypto::Bytes32 ref{9};
  EXPECT_EQ(receipts::receipt_blindings(ref, "2026-12", back)[2].encode(),
            receipts::receipt_blindings(ref, "2026-12", k)[2].encode());

  auto refused = [&](const std::string& text, mode_t mode, const std::string& why) {
    const auto path = write("bad.blind.key", text, mode);
    try {
      (void)receipts::BlindingKey::load(path);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const receipts::ReceiptError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused(k.to_text(), 0640, "chmod");
  const std::string hex(64, 'a');
  refused("", 0600, "holds no secret");
  refused("basin-blinding-secret 2026-1 " + hex + "\n", 0600, "line 1");
  refused("basin-blinding-secret 2026-13 " + hex + "\n", 0600, "line 1");
  refused("basin-blinding-secret 2026-11 " + hex.substr(1) + "g\n", 0600, "line 1");
  refused("basin-blinding-secret 2026-11 " + hex + "\nbasin-blinding-secret 2026-10 " + hex + "\n",
          0600, "periods must increase");
  refused("ed25519-secret:" + hex + "\n", 0600, "basin-blinding-secret <first period");
  refused(std::string(64 * 1024 + 1, 'x'), 0600, "is larger than 65536 bytes");
  // Opened without following a symbolic link (records::read_secret_key_file).
  std::filesystem::create_symlink(good, dir + "/link.blind.key");
  try {
    (void)receipts::BlindingKey::load(dir + "/link.blind.key");
    ADD_FAILURE() << "a symbolic link was followed";
  } catch (const receipts::ReceiptError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open blinding key"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(Periods, NextPeriodCrossesTheYearAndRefusesNonPeriods) {
  EXPECT_EQ(receipts::next_period("2026-11"), "2026-12");
  EXPECT_EQ(receipts::next_period("2026-12"), "2027-01");
  EXPECT_EQ(receipts::next_period(receipts::period_of(1798761600)), "2027-02");  // 2027-01-01
  for (const char* bad : {"2026-13", "2026-00", "2026-1", " 2026-1", "2026/11", "+026-11", ""})
    EXPECT_THROW(receipts::next_period(bad), receipts::ReceiptError) << bad;
}
