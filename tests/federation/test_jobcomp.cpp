#include <gtest/gtest.h>

#include <random>

#include "basin/federation/jobcomp.hpp"

using namespace basin::federation;

namespace {
const std::string kLine =
    "JobId=41 UserId=root(0) GroupId=root(0) Name=my job WorkDir=/tmp/a b JobState=COMPLETED "
    "Partition=volunteer TimeLimit=UNLIMITED StartTime=2026-11-22T10:11:23 "
    "EndTime=2026-11-22T10:12:23 NodeList=vol1 NodeCnt=1 ProcCnt=2 "
    "Tres=cpu=2,mem=100M,node=1,billing=2 Account=campus QOS=normal WcKey= Cluster=basin "
    "SubmitTime=2026-11-22T10:11:20 EligibleTime=2026-11-22T10:11:20 DerivedExitCode=0:0 "
    "ExitCode=0:0";
}

TEST(Jobcomp, ParsesARecord) {
  const auto e = parse_jobcomp(kLine + "\n");
  ASSERT_TRUE(e.issues.empty()) << e.issues[0].message;
  ASSERT_EQ(e.rows.size(), 1u);
  const auto& r = e.rows[0];
  EXPECT_EQ(r.job, 41u);
  EXPECT_EQ(r.cluster, "basin");
  EXPECT_EQ(r.alloc_cpus, 2u);
  EXPECT_EQ(r.elapsed_seconds, 60u);
  EXPECT_EQ(r.core_seconds(), 120u);
  EXPECT_EQ(r.submit, 1795342280);
  EXPECT_EQ(r.account, "campus");
  EXPECT_FALSE(r.is_step());
}

TEST(Jobcomp, TruncatedLinesAreReported) {
  // Cut inside DerivedExitCode: the needed fields survive, so the row stays.
  const auto cut = kLine.substr(0, kLine.find("DerivedExitCode") + 5);
  auto e = parse_jobcomp(cut + "\n" + kLine + "\n");
  ASSERT_EQ(e.issues.size(), 1u);
  EXPECT_EQ(e.issues[0].line, 1u);
  EXPECT_NE(e.issues[0].message.find("1024"), std::string::npos);
  EXPECT_EQ(e.rows.size(), 2u);
  // Cut before Cluster=: reported and skipped.
  e = parse_jobcomp(kLine.substr(0, kLine.find("Cluster")) + "\n");
  EXPECT_TRUE(e.rows.empty());
  EXPECT_EQ(e.issues.size(), 2u);
  // A 1023-byte line is what a full buffer leaves.
  e = parse_jobcomp(kLine + " Comment=" + std::string(1023 - kLine.size() - 9, 'x') + "\n");
  EXPECT_EQ(e.issues.size(), 1u);
}

TEST(Jobcomp, HostileNumbersAreRejected) {
  auto bad = kLine;
  bad.replace(bad.find("ProcCnt=2"), 9, "ProcCnt=99999999999");
  auto e = parse_jobcomp(bad);
  EXPECT_TRUE(e.rows.empty());
  bad = kLine;
  bad.replace(bad.find("JobId=41"), 8, "JobId=-1");
  e = parse_jobcomp(bad);
  EXPECT_TRUE(e.rows.empty());
  bad = kLine;
  bad.replace(bad.find("EndTime=2026-11-22T10:12:23"), 27, "EndTime=2026-11-22T10:00:00");
  EXPECT_TRUE(parse_jobcomp(bad).rows.empty());
}

TEST(Jobcomp, SurvivesMutatedInput) {
  std::mt19937 rng(11);
  const std::string alphabet = " =\n-:T0123456789Az\xff";
  for (int i = 0; i < 5000; ++i) {
    std::string s = kLine + "\n" + kLine;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k) {
      const std::size_t p = rng() % s.size();
      s[p] = alphabet[rng() % alphabet.size()];
    }
    const auto e = parse_jobcomp(s);
    for (const auto& r : e.rows) EXPECT_LE(r.alloc_cpus, UINT32_MAX);
  }
}

TEST(Jobcomp, ARunThatEndsPendingWasRequeued) {
  auto line = kLine;
  line.replace(line.find("JobState=COMPLETED"), 18, "JobState=PENDING");
  const auto e = parse_jobcomp(line + "\n");
  ASSERT_EQ(e.rows.size(), 1u);
  EXPECT_EQ(e.rows[0].state, "REQUEUED");
}

TEST(Jobcomp, TresGivesTheGpus) {
  // With AccountingStorageTRES=gres/gpu (slurmdbd), jobcomp's Tres= names the
  // GPUs; without it, it does not (what the local pool writes).
  auto with = [](const std::string& tres) {
    auto line = kLine;
    line.replace(line.find("Tres=cpu=2,mem=100M,node=1,billing=2"),
                 std::string("Tres=cpu=2,mem=100M,node=1,billing=2").size(), "Tres=" + tres);
    return parse_jobcomp(line + "\n");
  };
  auto e = with("cpu=2,mem=100M,node=1,billing=2,gres/gpu=2");
  ASSERT_EQ(e.rows.size(), 1u);
  EXPECT_EQ(e.rows[0].alloc_gpus, 2u);
  EXPECT_EQ(e.rows[0].gpu_seconds(), 120u);
  e = with("cpu=2,mem=100M,node=1,billing=2,gres/gpu:tesla=1");
  EXPECT_EQ(e.rows.at(0).alloc_gpus, 1u);
  e = parse_jobcomp(kLine + "\n");
  EXPECT_EQ(e.rows.at(0).alloc_gpus, std::nullopt);
  e = with("cpu=2,gres/gpu=x");
  EXPECT_TRUE(e.rows.empty());
  ASSERT_EQ(e.issues.size(), 1u);
  EXPECT_NE(e.issues[0].message.find("gres/gpu count"), std::string::npos);
}
