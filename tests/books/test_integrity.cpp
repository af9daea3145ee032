// Books that defend themselves (basin/books/integrity.hpp): stored records
// re-checked against the node keys, a record's receipt recognised in the log
// leaves whatever the receipts index says, and a conflicting record for a
// step that has a receipt named and charged once.
#include "basin/books/integrity.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <deque>

#include "basin/books/charging.hpp"
#include "sample_record.hpp"

namespace {

using namespace basin;

using books::test::sample_record;

ledger::SignedRow row_of(std::int64_t id, const std::vector<std::uint8_t>& bytes,
                         const std::string& identity) {
  ledger::SignedRow row{id, identity, {}, bytes};
  crypto_hash_sha256(row.content_hash.data(), bytes.data(), bytes.size());
  return row;
}

struct RecheckRecords : ::testing::Test {
  records::NodeKey node = records::NodeKey::generate();
  records::NodeKey other = records::NodeKey::generate();
  records::KeyRing ring;
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    ring.add("n1", node.public_key());
  }
};

TEST_F(RecheckRecords, RecordsThatStillVerifyPass) {
  const auto r = sample_record(1);
  const std::vector rows{row_of(1, records::sign_record(r, node), records::identity(r))};
  EXPECT_TRUE(books::recheck_records(rows, ring).empty());
}

TEST_F(RecheckRecords, AnEditedRecordIsNamedWhateverWasEdited) {
  const auto r = sample_record(1);
  const auto id = records::identity(r);
  auto bytes = records::sign_record(r, node);
  // Bytes edited, stored hash left: the hash no longer matches.
  auto edited = row_of(1, bytes, id);
  edited.bytes[edited.bytes.size() / 2] ^= 1;
  // Bytes edited and the hash recomputed: the node's signature fails.
  auto rehashed = edited;
  rehashed = row_of(2, edited.bytes, id);
  // Another node's key signed it (a forged row put in by hand).
  const auto forged = row_of(3, records::sign_record(r, other), id);
  // Good bytes filed under another identity.
  const auto moved = row_of(4, bytes, "c/2.batch/r0/n1");
  const std::vector rows{edited, rehashed, forged, moved};
  const auto bad = books::recheck_records(rows, ring);
  ASSERT_EQ(bad.size(), 4u);
  EXPECT_NE(bad[0].reason.find("not the ones it was stored under"), std::string::npos);
  EXPECT_NE(bad[1].reason.find("signature does not verify"), std::string::npos) << bad[1].reason;
  EXPECT_NE(bad[2].reason.find("signature does not verify"), std::string::npos) << bad[2].reason;
  EXPECT_NE(bad[3].reason.find("indexed as c/2.batch/r0/n1"), std::string::npos) << bad[3].reason;
  EXPECT_EQ(bad[3].record_id, 4);
}

// Signatures are checked in one batch: among many good rows, exactly the
// re-signed-by-hand ones are named.
TEST_F(RecheckRecords, AmongManyRowsOnlyTheBadOnesAreNamed) {
  std::vector<ledger::SignedRow> rows;
  for (int j = 1; j <= 40; ++j) {
    const auto r = sample_record(j);
    const auto& key = (j == 7 || j == 33) ? other : node;
    rows.push_back(row_of(j, records::sign_record(r, key), records::identity(r)));
  }
  EXPECT_EQ(books::recheck_records(std::span(rows).first(6), ring).size(), 0u);
  const auto bad = books::recheck_records(rows, ring);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].record_id, 7);
  EXPECT_EQ(bad[1].record_id, 33);
  EXPECT_NE(bad[1].reason.find("not signed by node 'n1'"), std::string::npos) << bad[1].reason;
}

struct RecogniseInLog : ::testing::Test {
  records::NodeKey site = records::NodeKey::generate();
  receipts::BlindingKey blinding = receipts::BlindingKey::generate();
  receipts::AccountKey account = receipts::AccountKey::generate();
  receipts::RateCard card{"uni", {3, 1, 0, 0}};
  receipts::Trust trust;
  void SetUp() override {
    trust.pool = "demo";
    trust.site_keys["uni"] = site.public_key();
    trust.rate_cards["uni"] = card;
  }
  ledger::LogLeaf leaf(std::uint64_t index, const records::UsageRecord& r, bool indexed) {
    const auto receipt =
        receipts::issue_receipt(r, "lab", "demo", card, account.public_key(), site, blinding, {});
    return {index, receipts::encode(receipt), indexed};
  }
  ledger::StoredRecord stored(std::int64_t id, const records::UsageRecord& r) {
    return {id, records::identity(r), "", false, r};
  }
};

TEST_F(RecogniseInLog, AReceiptIsRecognisedInTheLogWithoutItsIndexRow) {
  const auto a = sample_record(1), b = sample_record(2), c = sample_record(3);
  // Leaf 0: a's receipt, indexed. Leaf 1: b's, its receipt row lost.
  const std::vector leaves{leaf(0, a, true), leaf(1, b, false)};
  const auto sa = stored(1, a), sb = stored(2, b), sc = stored(3, c);
  const std::vector<const ledger::StoredRecord*> pending{&sa, &sb, &sc};
  const auto m = books::match_log(leaves, pending, blinding, trust);
  EXPECT_TRUE(m.problems.empty());
  EXPECT_TRUE(m.orphans.empty());
  ASSERT_EQ(m.in_log.size(), 2u);
  EXPECT_EQ(m.in_log[0].pending, 0u);
  EXPECT_TRUE(m.in_log[0].indexed);
  EXPECT_EQ(m.in_log[1].pending, 1u);
  EXPECT_EQ(m.in_log[1].leaf, 1u);
  EXPECT_FALSE(m.in_log[1].indexed);
  EXPECT_EQ(m.in_log[1].header.account, "lab");
}

TEST_F(RecogniseInLog, AnotherRecordForTheSameStepHasTheSameJobReference) {
  // A conflicting record (same identity, other bytes) cannot get a second
  // receipt past this check even if its conflict flag were cleared.
  auto a = sample_record(1), a2 = sample_record(1);
  a2.cpu_user_us = 7;
  const std::vector leaves{leaf(0, a, true)};
  const auto s2 = stored(2, a2);
  const std::vector<const ledger::StoredRecord*> pending{&s2};
  const auto m = books::match_log(leaves, pending, blinding, trust);
  ASSERT_EQ(m.in_log.size(), 1u);
  EXPECT_TRUE(m.in_log[0].indexed);
}

TEST_F(RecogniseInLog, UnattributableLeavesStopIssue) {
  const std::vector leaves{leaf(0, sample_record(1), false)};  // no row, no pending record
  const auto m = books::match_log(leaves, {}, blinding, trust);
  ASSERT_EQ(m.orphans.size(), 1u);
  EXPECT_EQ(m.orphans[0], 0u);
  auto forged = leaf(1, sample_record(2), false);
  forged.data[forged.data.size() - 1] ^= 1;  // not the site's signature
  const std::vector bad{forged};
  EXPECT_EQ(books::match_log(bad, {}, blinding, trust).problems.size(), 1u);
}

TEST(Conflicts, ARecordClaimingAReceiptedStepIsAFindingAndChargedOnce) {
  // Job 1: the batch step (receipted) and an srun step inside it; then a
  // second signed record for the batch step arrives (both flagged conflict).
  std::deque<ledger::StoredRecord> recs;
  auto batch = sample_record(1), other = sample_record(1), step = sample_record(1, 0);
  other.cpu_user_us = 9;
  step.start_time += 5;
  step.end_time += 1;  // scancel: ended a second after the batch step
  recs.push_back({1, records::identity(batch), "aa", true, batch});
  recs.push_back({2, records::identity(step), "bb", false, step});
  recs.push_back({3, records::identity(other), "cc", true, other});
  std::vector<ledger::StoredRecord> records(recs.begin(), recs.end());
  std::vector<ledger::StoredReceipt> receipts(2);
  receipts[0].record_id = 1;
  receipts[0].identity = records[0].identity;
  receipts[0].account = "lab";
  receipts[1].record_id = 2;
  receipts[1].identity = records[1].identity;
  receipts[1].account = "lab";
  const auto found = books::conflicts_with_receipts(records, receipts);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].record->id, 3);
  EXPECT_EQ(found[0].receipt->record_id, 1);

  const auto entries = books::entries_of(records, receipts);
  const auto d = books::decide_charges(entries, {});
  EXPECT_TRUE(d[0].charged) << "the receipted batch step is charged";
  EXPECT_NE(d[0].note.find("another signed record claims this step"), std::string::npos);
  EXPECT_FALSE(d[1].charged) << "the srun step is still covered by the batch step";
  EXPECT_FALSE(d[2].charged) << "the conflicting record is never charged";
}

}  // namespace
