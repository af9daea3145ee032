// Budgets and Slurm's billing TRES (basin/books/budget.hpp).
#include <gtest/gtest.h>

#include "basin/books/budget.hpp"

namespace {

using namespace basin::books;

basin::federation::Pool two_sites() {
  basin::federation::Pool p;
  p.name = "demo";
  p.cluster = "basin";
  p.sites.push_back({"campus",
                     basin::federation::Tier::institutional,
                     "",
                     {"campus", {40, 0, 900, 1}},
                     "",
                     {},
                     {}});
  p.sites.push_back(
      {"home", basin::federation::Tier::volunteer, "", {"home", {10, 1, 0, 0}}, "", {}, {}});
  p.nodes.push_back({"inst1", "campus", "", 2, 2000});
  p.nodes.push_back({"vol1", "home", "", 2, 2000});
  return p;
}

TEST(Budget, BillingWeightsAreTheHighestRateOfThePartitionsSites) {
  const auto p = two_sites();
  const auto w = billing_weights(p, {"inst1", "vol1"});
  EXPECT_EQ(tres_billing_weights(w), "CPU=40,Mem=1,GRES/gpu=900,Node=1");
  EXPECT_EQ(tres_billing_weights(billing_weights(p, {"vol1"})), "CPU=10,Mem=1,GRES/gpu=0,Node=0");
  EXPECT_THROW(billing_weights(p, {"nope"}), basin::federation::PoolError);
}

TEST(Budget, SqueueTimes) {
  EXPECT_EQ(parse_squeue_time("1:00:00"), 3600);
  EXPECT_EQ(parse_squeue_time("10:05"), 605);
  EXPECT_EQ(parse_squeue_time("7"), 420);
  EXPECT_EQ(parse_squeue_time("2-00:00:00"), 172800);
  EXPECT_EQ(parse_squeue_time("0-01"), 3600);
  EXPECT_EQ(parse_squeue_time("UNLIMITED"), std::nullopt);
  EXPECT_THROW(parse_squeue_time("1:2:3:4"), std::invalid_argument);
  EXPECT_THROW(parse_squeue_time("x"), std::invalid_argument);
}

TEST(Budget, WorstCaseOfQueuedJobs) {
  const auto jobs = parse_squeue(
      "12|physics|pool|RUNNING|10:00|4:00|2|500M|gres:gpu:1|1\n"
      "13|physics|pool|PENDING|UNLIMITED|0:00|1|1G|N/A|1\n");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].mem_mb, 500u);
  EXPECT_EQ(jobs[0].gpus, 1u);
  EXPECT_EQ(jobs[1].mem_mb, 1024u);
  BillingWeights w{40, 1, 900, 1};
  // (2*40 + 500*1 + 1*900 + 1) per second for the 360 s left.
  EXPECT_EQ(worst_case_micro_credits(jobs[0], w), (80 + 500 + 900 + 1) * 360);
  EXPECT_EQ(worst_case_micro_credits(jobs[1], w), std::nullopt);
  EXPECT_THROW(parse_squeue("12|physics|pool\n"), std::invalid_argument);
}

TEST(Budget, RemainingIsGrantedMinusChargedUnsettledAndInFlight) {
  std::vector<basin::ledger::BudgetGrant> grants{
      {"physics", 1000000, "", 0}, {"physics", -100000, "", 0}, {"bio", 50, "", 0}};
  AccountCharges c;
  c.settled["physics"] = 200000;
  c.unsettled["physics"] = 100000;
  const auto b = budgets(grants, c, {{"physics", 50000}}, {{"bio", 1}});
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].account, "bio");
  EXPECT_EQ(b[0].unbounded_jobs, 1u);
  EXPECT_EQ(b[1].granted, 900000);
  EXPECT_EQ(b[1].left(), 600000);
  EXPECT_EQ(b[1].remaining(), 550000);
}

const char* kAssocMgr =
    "Current Association Manager state\n\nAssociation Records\n\n"
    "ClusterName=basin Account=physics UserName= Partition= Priority=0 ID=2\n"
    "    SharesRaw/Norm/Level/Factor=1/0.50/2/0.00\n"
    "    GrpTRESMins=cpu=N(3),mem=N(1200),energy=N(0),node=N(1),billing=100(42),fs/disk=N(0)\n"
    "    GrpTRESRunMins=cpu=N(0),mem=N(0),energy=N(0),node=N(0),billing=N(7),fs/disk=N(0)\n"
    "ClusterName=basin Account=physics UserName=alice(1001) Partition= Priority=0 ID=5\n"
    "    GrpTRESMins=cpu=N(3),mem=N(1200),energy=N(0),node=N(1),billing=N(999),fs/disk=N(0)\n";

TEST(Budget, SlurmsUsageOfTheAccountAssociation) {
  const auto a = parse_assoc_billing(kAssocMgr, "physics");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->used_minutes, 42);
  EXPECT_EQ(a->running_minutes, 7);
  EXPECT_FALSE(parse_assoc_billing(kAssocMgr, "bio"));
}

TEST(Budget, TheLimitLeavesWhatIsLeftAndNeverKillsRunningJobs) {
  // 6000 micro-credits left = 100 billing-minutes on top of the 42 used.
  EXPECT_EQ(billing_minutes_limit(6000, {42, 7}), 142);
  // Nothing left: new jobs stop, running ones may still use their 7 minutes.
  EXPECT_EQ(billing_minutes_limit(0, {42, 7}), 49);
  EXPECT_EQ(billing_minutes_limit(-500, {42, 0}), 42);
  EXPECT_EQ(billing_minutes_limit(59, {0, 0}), 0);  // never rounds up
}

}  // namespace
