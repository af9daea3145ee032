// The account charged is Slurm's (basin/books/slurm_accounts.hpp).
#include <gtest/gtest.h>

#include "basin/books/slurm_accounts.hpp"
#include "basin/federation/jobcomp.hpp"
#include "basin/federation/sacct.hpp"

namespace {

using basin::books::SlurmAccounts;
namespace fed = basin::federation;

basin::records::UsageRecord record(std::uint32_t job, const std::string& claimed,
                                   std::int64_t start) {
  basin::records::UsageRecord r;
  r.cluster = "pool";
  r.job_id = job;
  r.account = claimed;
  r.start_time = start;
  r.end_time = start + 60;
  return r;
}

// Epoch 1795000000 is 2026-11-18T11:06:40Z.
const char* kSacct =
    "JobIDRaw|Cluster|Account|Submit|Start|End|State|AllocCPUS|ElapsedRaw\n"
    "7|pool|physics|2026-11-18T11:06:00|2026-11-18T11:06:40|2026-11-18T11:07:40|COMPLETED|2|60\n"
    "7.batch|pool||2026-11-18T11:06:00|2026-11-18T11:06:40|2026-11-18T11:07:40|COMPLETED|2|60\n"
    "8|pool|bio|2026-11-18T11:06:00|2026-11-18T11:06:40|2026-11-18T11:08:40|REQUEUED|2|120\n"
    "8|pool|bio|2026-11-18T11:06:00|2026-11-18T11:10:00|2026-11-18T11:11:00|COMPLETED|2|60\n"
    "9|pool|a1|2026-11-18T11:06:00|2026-11-18T11:06:40|2026-11-18T11:07:00|REQUEUED|2|20\n"
    "9|pool|a2|2026-11-18T11:06:00|2026-11-18T12:06:40|2026-11-18T12:07:00|COMPLETED|2|20\n";

SlurmAccounts accounts() {
  const auto parsed = fed::parse_sacct(kSacct);
  EXPECT_TRUE(parsed.issues.empty());
  return SlurmAccounts(parsed.rows, "pool");
}

TEST(SlurmAccounts, TheRecordsAccountIsOnlyAClaim) {
  const auto a = accounts();
  const auto same = a.account_for(record(7, "physics", 1795000000));
  EXPECT_EQ(same.account, "physics");
  EXPECT_FALSE(same.mismatch);
  const auto lie = a.account_for(record(7, "someone-else", 1795000000));
  EXPECT_EQ(lie.account, "physics");
  EXPECT_TRUE(lie.mismatch);
  EXPECT_NE(lie.detail.find("'someone-else'"), std::string::npos) << lie.detail;
}

TEST(SlurmAccounts, AJobSlurmDoesNotKnowIsHeld) {
  const auto r = accounts().account_for(record(70, "physics", 1795000000));
  EXPECT_EQ(r.account, "");
  EXPECT_NE(r.problem.find("not in Slurm's accounting"), std::string::npos) << r.problem;
}

TEST(SlurmAccounts, ARequeuedJobsRunsShareTheAccount) {
  const auto a = accounts();
  EXPECT_EQ(a.account_for(record(8, "bio", 1795000000)).account, "bio");
  EXPECT_EQ(a.account_for(record(8, "bio", 1795000200)).account, "bio");
}

TEST(SlurmAccounts, TheRunContainingTheStepDecides) {
  const auto a = accounts();
  EXPECT_EQ(a.account_for(record(9, "a1", 1795000000)).account, "a1");
  EXPECT_EQ(a.account_for(record(9, "a2", 1795003600)).account, "a2");
  // Outside every run, the runs disagree: a person decides.
  EXPECT_NE(a.account_for(record(9, "a1", 1795100000)).problem.find("different accounts"),
            std::string::npos);
}

TEST(SlurmAccounts, JobcompWithoutSlurmdbdIsThePoolsCluster) {
  const std::string line =
      "JobId=12 UserId=alice(1000) GroupId=alice(1000) Name=x JobState=COMPLETED "
      "Partition=pool TimeLimit=UNLIMITED StartTime=2026-11-18T11:06:40 "
      "EndTime=2026-11-18T11:07:40 NodeList=vol1 NodeCnt=1 ProcCnt=2 WorkDir=/tmp "
      "ReservationName= Tres=cpu=2,mem=512M,node=1,billing=2 Account=physics QOS=normal "
      "WcKey= Cluster=unknown SubmitTime=2026-11-18T11:06:00 "
      "EligibleTime=2026-11-18T11:06:00 DerivedExitCode=0:0 ExitCode=0:0\n";
  const auto parsed = fed::parse_jobcomp(line);
  ASSERT_EQ(parsed.rows.size(), 1u);
  const SlurmAccounts a(parsed.rows, "pool");
  EXPECT_EQ(a.account_for(record(12, "x", 1795000000)).account, "physics");
}

}  // namespace
