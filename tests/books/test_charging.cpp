// The charging rule (basin/books/charging.hpp): every step is charged except
// INVALID replicas and nested steps; the user's --basin-replicas never makes
// a job free, and the quorum is the pool's.
#include <gtest/gtest.h>

#include <deque>

#include "basin/books/charging.hpp"

namespace {

using basin::books::Decision;
using basin::books::Entry;
using basin::books::ReplicaPolicy;
using basin::ledger::StoredRecord;
using basin::records::kBatchStep;

// Records of jobs on nodes; a deque keeps the addresses Entry points at.
struct Books {
  std::deque<StoredRecord> stored;
  std::vector<Entry> entries;

  StoredRecord& add(std::uint32_t job, const std::string& node, const std::string& group = "",
                    const std::string& digest = "", std::uint8_t replicas = 1,
                    const std::string& account = "lab") {
    StoredRecord s;
    s.id = static_cast<std::int64_t>(stored.size() + 1);
    auto& r = s.record;
    r.cluster = "c";
    r.job_id = job;
    r.step_id = kBatchStep;
    r.start_time = 1000;
    r.end_time = 1100;
    r.node = node;
    r.account = account;
    r.alloc_cores = 2;
    r.replica_group = group;
    r.replicas = replicas;
    r.result_digest = digest;
    stored.push_back(s);
    entries.push_back({&stored.back(), account});
    return stored.back();
  }
  std::vector<Decision> decide(const ReplicaPolicy& p = {}) {
    return basin::books::decide_charges(entries, p);
  }
};

TEST(Charging, PlainJobsAreChargedWithoutNote) {
  Books b;
  b.add(1, "n1");
  b.add(2, "n2");
  for (const auto& d : b.decide()) {
    EXPECT_TRUE(d.charged);
    EXPECT_EQ(d.note, "");
  }
}

TEST(Charging, ALoneReplicaAskingForFiveIsChargedAndFlaggedUnvalidated) {
  Books b;
  b.add(1, "n1", "c:1000:sim", "sha256:aa", 5);
  const auto d = b.decide();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].charged);
  EXPECT_NE(d[0].note.find("unvalidated"), std::string::npos) << d[0].note;
  EXPECT_NE(d[0].note.find("quorum of 2"), std::string::npos) << d[0].note;
}

TEST(Charging, AReplicatedJobWithoutDigestIsChargedAndFlagged) {
  Books b;
  b.add(1, "n1", "c:1000:sim", "", 3);
  const auto d = b.decide();
  EXPECT_TRUE(d[0].charged);
  EXPECT_NE(d[0].note.find("without a result digest"), std::string::npos) << d[0].note;
}

TEST(Charging, OnlyTheReplicaAQuorumShowsWrongGoesUncharged) {
  Books b;
  b.add(1, "n1", "g", "sha256:aa", 3);
  b.add(2, "n2", "g", "sha256:aa", 3);
  b.add(3, "n3", "g", "sha256:bb", 3);
  ReplicaPolicy p;
  p.default_quorum = 3;
  const auto d = b.decide(p);
  EXPECT_TRUE(d[0].charged);
  EXPECT_EQ(d[0].note, "");
  EXPECT_TRUE(d[1].charged);
  EXPECT_FALSE(d[2].charged);
  EXPECT_NE(d[2].note.find("INVALID"), std::string::npos);
}

TEST(Charging, TheQuorumIsThePoolsNotTheUsers) {
  // The user says 1-of-5, the pool says 2: two agreeing replicas decide.
  Books b;
  b.add(1, "n1", "g", "sha256:aa", 5);
  b.add(2, "n2", "g", "sha256:aa", 5);
  const auto d = b.decide();
  EXPECT_TRUE(d[0].charged && d[1].charged);
  EXPECT_EQ(d[0].note, "");
  const auto v = basin::books::validate_replicas(b.entries, {});
  EXPECT_EQ(v.groups.at("g").quorum, 2u);
  EXPECT_TRUE(v.groups.at("g").canonical);
}

TEST(Charging, AnAccountsOwnQuorumApplies) {
  Books b;
  b.add(1, "n1", "g", "sha256:aa", 2, "strict");
  b.add(2, "n2", "g", "sha256:aa", 2, "strict");
  ReplicaPolicy p;
  p.by_account["strict"] = 3;
  const auto v = basin::books::validate_replicas(b.entries, p);
  EXPECT_EQ(v.groups.at("g").quorum, 3u);
  EXPECT_FALSE(v.groups.at("g").canonical);
  for (const auto& d : b.decide(p)) {
    EXPECT_TRUE(d.charged);
    EXPECT_NE(d.note.find("unvalidated"), std::string::npos);
  }
}

TEST(Charging, OneNodeCannotOutvoteOthers) {
  Books b;
  b.add(1, "n1", "g", "sha256:bb", 2);
  b.add(2, "n1", "g", "sha256:bb", 2);
  b.add(3, "n2", "g", "sha256:aa", 2);
  const auto v = basin::books::validate_replicas(b.entries, {});
  EXPECT_FALSE(v.groups.at("g").canonical);
}

TEST(Charging, NestedStepsAreChargedThroughTheirBatchStep) {
  Books b;
  b.add(1, "n1");
  auto& step = b.add(1, "n1");
  step.record.step_id = 0;
  step.record.start_time = 1010;
  step.record.end_time = 1090;
  const auto d = b.decide();
  EXPECT_TRUE(d[0].charged);
  EXPECT_FALSE(d[1].charged);
  EXPECT_NE(d[1].note.find("runs inside step batch"), std::string::npos) << d[1].note;
}

TEST(Charging, AnInvalidReplicasStepsAllGoUncharged) {
  Books b;
  b.add(1, "n1", "g", "sha256:aa", 3);
  b.add(2, "n2", "g", "sha256:aa", 3);
  b.add(3, "n3", "g", "sha256:bb", 3);
  auto& step = b.add(3, "n3", "g", "", 3);
  step.record.step_id = 0;
  step.record.start_time = 1010;
  step.record.end_time = 1090;
  const auto d = b.decide();
  EXPECT_FALSE(d[2].charged);
  EXPECT_FALSE(d[3].charged);
  EXPECT_NE(d[3].note.find("INVALID"), std::string::npos) << d[3].note;
}

TEST(Charging, PolicyComesFromPoolToml) {
  basin::federation::Pool pool;
  pool.replica_quorum = 3;
  pool.accounts.push_back({"a", "s", "", 0, {}});
  pool.accounts.push_back({"b", "s", "", 4, {}});
  const auto p = basin::books::replica_policy_of(pool);
  EXPECT_EQ(p.quorum_for("a"), 3u);
  EXPECT_EQ(p.quorum_for("b"), 4u);
  EXPECT_EQ(p.quorum_for("unknown"), 3u);
}

}  // namespace
