// Which pending records get a receipt, charged to whom (books/issuing.hpp).
#include <gtest/gtest.h>

#include "basin/books/issuing.hpp"
#include "basin/federation/sacct.hpp"

namespace {

using namespace basin;
using Kind = books::IssueNote::Kind;

// Epoch 1795000000 is 2026-11-18T11:06:40Z.
const char* kSacct =
    "JobIDRaw|Cluster|Account|Submit|Start|End|State|AllocCPUS|ElapsedRaw\n"
    "7|pool|physics|2026-11-18T11:06:00|2026-11-18T11:06:40|2026-11-18T11:07:40|COMPLETED|2|60\n"
    "8|pool|stranger|2026-11-18T11:06:00|2026-11-18T11:06:40|2026-11-18T11:07:40|COMPLETED|2|60\n";

federation::Pool pool() {
  federation::Pool p;
  p.name = "demo";
  p.cluster = "pool";
  p.sites.push_back(
      {"campus", federation::Tier::institutional, std::string(64, 'a'), {}, "", {}, {}});
  p.nodes.push_back({"inst1", "campus", std::string(64, 'b'), 2, 2000, 0});
  p.accounts.push_back({"physics", "campus", std::string(64, 'c'), 0, {}});
  return p;
}

ledger::StoredRecord stored(std::uint32_t job, const std::string& node, const std::string& claim,
                            std::uint32_t restart = 0) {
  ledger::StoredRecord s;
  s.record.cluster = "pool";
  s.record.job_id = job;
  s.record.node = node;
  s.record.site = "campus";
  s.record.account = claim;
  s.record.restart_count = restart;
  s.record.start_time = 1795000000;
  s.record.end_time = 1795000060;
  s.identity = "pool/" + std::to_string(job) + ".batch/r" + std::to_string(restart) + "/" + node;
  return s;
}

}  // namespace

TEST(Issuing, ChargesSlurmsAccountAndNamesEveryOtherOutcome) {
  const auto p = pool();
  const books::SlurmAccounts slurm(federation::parse_sacct(kSacct).rows, "pool");
  const std::vector<ledger::StoredRecord> recs = {
      stored(7, "inst1", "physics"),     // issued
      stored(7, "inst1", "biology", 0),  // claims another account: finding, still Slurm's
      stored(7, "vol9", "physics"),      // node not in the site
      stored(8, "inst1", "stranger"),    // Slurm's account is not in pool.toml
      stored(99, "inst1", "physics"),    // Slurm does not show the job yet
      stored(7, "inst1", "physics", 3),  // claims a run Slurm does not show
  };
  std::vector<const ledger::StoredRecord*> pending;
  for (const auto& r : recs) pending.push_back(&r);
  const auto plan = books::plan_issue(pending, p, slurm);
  ASSERT_EQ(plan.todo.size(), 3u);
  EXPECT_EQ(plan.todo[0].record, &recs[0]);
  EXPECT_EQ(plan.todo[1].record, &recs[1]);
  EXPECT_EQ(plan.todo[2].record, &recs[5]);
  for (const auto& t : plan.todo) EXPECT_EQ(t.account, "physics");  // never the claim
  EXPECT_EQ(plan.count(Kind::account_mismatch), 1u);
  EXPECT_EQ(plan.count(Kind::restart_mismatch), 1u);
  EXPECT_EQ(plan.count(Kind::not_issued), 2u);
  EXPECT_EQ(plan.count(Kind::held), 1u);
  bool node_named = false, account_named = false;
  for (const auto& n : plan.notes) {
    node_named |= n.line().find("not issued pool/7.batch/r0/vol9: node 'vol9'") == 0;
    account_named |= n.line().find("not issued pool/8.batch/r0/inst1: account 'stranger'") == 0;
  }
  EXPECT_TRUE(node_named);
  EXPECT_TRUE(account_named);
}

TEST(Issuing, NotesAreSafeToPrint) {
  books::IssueNote n{Kind::held, "pool/1.batch/r0/x\x1b[2J", "job\r\n"};
  EXPECT_EQ(n.line().find('\x1b'), std::string::npos);
  EXPECT_EQ(n.line().find('\r'), std::string::npos);
}

// Pending: this site's records without a receipt row; other sites' counted
// and left; a record in conflict with a receipted step is a finding, never
// pending.
TEST(Issuing, PendingRecordsOfASite) {
  std::vector<ledger::StoredRecord> recs = {
      stored(1, "inst1", "physics"), stored(2, "inst1", "physics"), stored(3, "inst1", "physics"),
      stored(4, "inst1", "physics"), stored(5, "vol1", "physics")};
  for (std::size_t i = 0; i < recs.size(); ++i) recs[i].id = static_cast<std::int64_t>(i + 1);
  recs[4].record.site = "home";
  recs[2].identity = recs[1].identity;  // a second record for job 2's step...
  recs[2].conflict = true;              // ...stored as a conflict
  ledger::StoredReceipt receipted;      // job 2's step has a receipt
  receipted.record_id = 2;
  receipted.identity = recs[1].identity;
  receipted.origin = "demo/campus/receipts";
  receipted.leaf_index = 7;
  const std::vector<ledger::StoredReceipt> receipts{receipted};
  const auto p = books::pending_of_site(recs, receipts, "campus");
  ASSERT_EQ(p.mine.size(), 2u);
  EXPECT_EQ(p.mine[0]->id, 1);
  EXPECT_EQ(p.mine[1]->id, 4);
  EXPECT_EQ(p.other_sites, 1u);
  ASSERT_EQ(p.conflicts.size(), 1u);
  EXPECT_EQ(p.conflicts[0].record->id, 3);
  EXPECT_EQ(p.conflicts[0].receipt->leaf_index, 7u);
  EXPECT_TRUE(books::pending_of_site(recs, receipts, "home").conflicts.empty());
}
