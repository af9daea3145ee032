// Replica evidence (books/replica_evidence.hpp): an item stands only for the
// receipt it was issued with, and the charging rule judges a group that
// spans sites from the evidence alone.
#include <gtest/gtest.h>

#include "basin/books/replica_evidence.hpp"
#include "basin/records/signing.hpp"
#include "sample_record.hpp"

using namespace basin;

namespace {

struct Fixture {
  records::NodeKey node_key = records::NodeKey::generate();
  records::NodeKey site_key = records::NodeKey::generate();
  receipts::BlindingKey blinding = receipts::BlindingKey::generate();
  receipts::AccountKey account = receipts::AccountKey::generate();
  receipts::RateCard rates{"uni", {1, 1, 0, 1}};
  federation::Pool pool;
  records::KeyRing keys;

  Fixture() {
    pool.name = "demo";
    pool.cluster = "c";
    const auto hex = [](const records::NodeKey& k) {
      return records::public_key_text(k.public_key()).substr(8);
    };
    pool.sites.push_back(
        {"uni", federation::Tier::institutional, hex(site_key), rates, "", {}, {}});
    pool.sites.push_back(
        {"far", federation::Tier::volunteer, std::string(64, 'a'), {"far", {}}, "", {}, {}});
    pool.nodes.push_back({"n1", "uni", hex(node_key), 2, 2000, 0});
    keys.add("n1", node_key.public_key());
  }

  records::UsageRecord replica(std::uint32_t job, const std::string& digest) const {
    auto r = books::test::sample_record(job);
    r.replica_group = "g";
    r.replicas = 3;
    r.result_digest = digest;
    return r;
  }

  // The receipt of `r` and the evidence its provider publishes for it.
  std::pair<std::vector<std::uint8_t>, ledger::ReplicaEvidence> issue(
      const records::UsageRecord& r) const {
    const auto signed_record = records::sign_record(r, node_key);
    crypto::Bytes32 record_hash{};
    const auto receipt = receipts::issue_receipt(r, "lab", pool.name, rates, account.public_key(),
                                                 site_key, blinding, record_hash);
    const auto period = receipts::period_of(r.end_time);
    return {receipts::encode(receipt),
            {0, receipts::job_salt(records::identity(r), period, blinding), signed_record}};
  }

  std::optional<std::string> check(const ledger::ReplicaEvidence& e,
                                   const std::vector<std::uint8_t>& receipt,
                                   const std::string& site = "uni") const {
    records::UsageRecord record;
    receipts::Receipt decoded;
    return books::check_evidence(e, receipt, pool, site, keys, record, decoded);
  }
};

bool has(const std::optional<std::string>& why, const std::string& what) {
  return why && why->find(what) != std::string::npos;
}

}  // namespace

TEST(ReplicaEvidence, StandsOnlyForItsOwnReceipt) {
  const Fixture f;
  const auto [receipt, evidence] = f.issue(f.replica(1, "sha256:aa"));
  EXPECT_EQ(f.check(evidence, receipt), std::nullopt);

  // Evidence of another job's record offered for this receipt.
  const auto [other_receipt, other] = f.issue(f.replica(2, "sha256:aa"));
  EXPECT_TRUE(has(f.check(other, receipt), "is not the receipt's job_ref"));
  EXPECT_EQ(f.check(other, other_receipt), std::nullopt);
  // The right record with another salt.
  auto salted = evidence;
  salted.salt[0] ^= 1;
  EXPECT_TRUE(has(f.check(salted, receipt), "is not the receipt's job_ref"));
  // A record edited after the node signed it (the digest moved).
  auto edited = evidence;
  edited.signed_record[edited.signed_record.size() / 2] ^= 1;
  EXPECT_TRUE(has(f.check(edited, receipt), "does not verify"));
  // Signed by a key that is not the node's.
  auto forged = evidence;
  forged.signed_record = records::sign_record(f.replica(1, "sha256:aa"), f.site_key);
  EXPECT_TRUE(has(f.check(forged, receipt), "does not verify"));
  // Offered as another site's.
  EXPECT_TRUE(has(f.check(evidence, receipt, "far"), "not a node of site far"));
  // A record of no replica group is no replica evidence.
  auto plain_record = books::test::sample_record(3);
  const auto [plain_receipt, plain] = f.issue(plain_record);
  EXPECT_TRUE(has(f.check(plain, plain_receipt), "names no replica group"));
  // A leaf that is no receipt.
  EXPECT_TRUE(has(f.check(evidence, {1, 2, 3}), "is not a receipt"));
}

// The charging rule over evidence alone: two agreeing replicas of three are
// canonical and the third is INVALID; one replica of each result is
// unvalidated (charged, flagged).
TEST(ReplicaEvidence, JudgesAGroupFromEvidenceAlone) {
  const Fixture f;
  books::CheckedEvidence ev;
  const char* digests[] = {"sha256:aa", "sha256:aa", "sha256:bb"};
  for (std::uint32_t i = 0; i < 3; ++i) {
    ledger::StoredRecord s;
    s.id = i;
    s.record = f.replica(10 + i, digests[i]);
    s.record.node = "n" + std::to_string(i + 1);
    s.identity = records::identity(s.record);
    ev.records.push_back(s);
    ev.accounts.push_back("lab");
    ev.places.push_back({"demo/site" + std::to_string(i) + "/receipts", 4});
  }
  auto d = books::judge_evidence(ev, f.pool);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_TRUE(d[ev.places[0]].charged);
  EXPECT_TRUE(d[ev.places[0]].note.empty()) << d[ev.places[0]].note;
  EXPECT_TRUE(d[ev.places[1]].charged);
  EXPECT_FALSE(d[ev.places[2]].charged);
  EXPECT_NE(d[ev.places[2]].note.find("replica INVALID in group g"), std::string::npos);

  // The agreeing two of three replicas, the third unpublished: canonical,
  // charged, and flagged with the gap.
  {
    auto two = ev;
    two.records.pop_back(), two.accounts.pop_back(), two.places.pop_back();
    const auto d2 = books::judge_evidence(two, f.pool);
    for (const auto& p : two.places) {
      EXPECT_TRUE(d2.at(p).charged);
      EXPECT_NE(d2.at(p).note.find("has the evidence of 2 of its 3 replicas"), std::string::npos)
          << d2.at(p).note;
    }
  }

  // Without the first replica no result has a quorum of 2.
  ev.records.erase(ev.records.begin());
  ev.accounts.erase(ev.accounts.begin());
  ev.places.erase(ev.places.begin());
  d = books::judge_evidence(ev, f.pool);
  for (const auto& p : ev.places) {
    EXPECT_TRUE(d[p].charged);
    EXPECT_NE(d[p].note.find("unvalidated"), std::string::npos) << d[p].note;
  }
}
