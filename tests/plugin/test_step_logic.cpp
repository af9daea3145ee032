#include <gtest/gtest.h>
#include <sys/wait.h>

#include "basin/plugin/step_logic.hpp"
#include "basin/records/record_checks.hpp"

using namespace basin::plugin;

namespace {
NodeConfig volunteer_node() {
  return parse_node_config({"tier=volunteer", "site=home", "cluster=c1", "node=vol1", "node_key=/k",
                            "spool=/s", "scratch=/scratch"})
      .config;
}
StepFacts facts() {
  StepFacts f;
  f.cluster = "c1";
  f.node = "vol1";
  f.job_name = "rep";
  f.user_name = "alice";
  f.job_id = 7;
  f.step_id = 0;
  f.uid = 1000;
  f.cpus_per_task = 2;
  f.alloc_cores = "0-1";
  f.alloc_mem_mb = 512;
  f.start_time = 100;
  return f;
}
}  // namespace

TEST(StepLogic, TierPolicy) {
  EXPECT_FALSE(tier_refusal(TierRequest::any, Tier::volunteer, "vol1"));
  EXPECT_FALSE(tier_refusal(TierRequest::volunteer, Tier::volunteer, "vol1"));
  EXPECT_FALSE(tier_refusal(TierRequest::institutional, Tier::institutional, "inst1"));
  const auto msg = tier_refusal(TierRequest::institutional, Tier::volunteer, "vol1");
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find("--basin-tier=institutional"), std::string::npos);
  EXPECT_NE(msg->find("vol1"), std::string::npos);
  EXPECT_NE(msg->find("-C tier_institutional"), std::string::npos);
  EXPECT_TRUE(tier_refusal(TierRequest::volunteer, Tier::institutional, "inst1"));
}

TEST(StepLogic, RequestedTierFallsBackToTheNodesDefault) {
  auto node = volunteer_node();
  node.default_tier = TierRequest::institutional;
  EXPECT_EQ(requested_tier(JobOptions{}, node), TierRequest::institutional);
  JobOptions o;
  o.tier = TierRequest::any;
  EXPECT_EQ(requested_tier(o, node), TierRequest::any);
}

TEST(StepLogic, CountsSlurmCpuLists) {
  EXPECT_EQ(count_cpu_list("0"), 1u);
  EXPECT_EQ(count_cpu_list("0-1"), 2u);
  EXPECT_EQ(count_cpu_list("0-1,4,6-7"), 5u);
  for (const char* bad : {"", "a", "1-", "-1", "3-1", "1,,2", "1,", "0-99999999"})
    EXPECT_FALSE(count_cpu_list(bad)) << bad;
}

TEST(StepLogic, StepStateFromExitStatuses) {
  StepUsage u;
  u.task_exit_status = {0, 0};
  EXPECT_EQ(step_state(u), "completed");
  u.task_exit_status = {0, 3 << 8};
  EXPECT_EQ(step_state(u), "failed:3");
  u.task_exit_status = {3 << 8, SIGTERM};
  EXPECT_EQ(step_state(u), "killed:SIGTERM");
  u.refused = true;
  EXPECT_EQ(step_state(u), "refused");
}

TEST(StepLogic, ClaimedAccountAndReplicaGroup) {
  JobOptions o;
  auto f = facts();
  EXPECT_EQ(claimed_account(f), "alice");
  f.slurm_account = "physics";
  EXPECT_EQ(claimed_account(f), "physics");
  EXPECT_EQ(replica_group(o, f), "");
  o.replicas = 3;
  EXPECT_EQ(replica_group(o, f), "c1:1000:rep");
  f.array_job_id = 55;
  EXPECT_EQ(replica_group(o, f), "c1:array:55");
}

// A job name is the user's: a long one is cut (the record must still
// encode, never lost), two long names sharing a prefix stay two groups, and
// control bytes are escaped so ingest does not quarantine the record.
TEST(StepLogic, ReplicaGroupOfAHostileJobName) {
  JobOptions o;
  o.replicas = 2;
  auto f = facts();
  f.job_name = std::string(1000, 'x') + "a";
  const auto a = replica_group(o, f);
  EXPECT_LE(a.size(), basin::records::kMaxString);
  EXPECT_EQ(a.rfind("c1:1000:xxx", 0), 0u);
  f.job_name = std::string(1000, 'x') + "b";
  const auto b = replica_group(o, f);
  EXPECT_LE(b.size(), basin::records::kMaxString);
  EXPECT_NE(a, b);
  EXPECT_EQ(replica_group(o, f), b);                // every replica computes the same group
  f.job_name = std::string(300, 'x') + "\xc3\xa9";  // é across the cut stays whole
  EXPECT_FALSE(basin::records::string_problem(replica_group(o, f)));
  f.job_name = "evil\x1b[2J\rname\xff";
  EXPECT_EQ(replica_group(o, f), "c1:1000:evil\\x1b[2J\\x0dname\\xff");
  f.job_name = std::string(5000, 'y');
  StepUsage u;
  u.end_time = 160;
  const auto r = build_record(volunteer_node(), o, f, u);
  EXPECT_EQ(basin::records::decode(basin::records::encode(r)), r);
}

TEST(StepLogic, ResultDigestFormat) {
  const std::string hex(64, 'a');
  EXPECT_EQ(parse_result_digest("sha256:" + hex + "\n"), "sha256:" + hex);
  EXPECT_EQ(parse_result_digest("blake2b:" + hex), "blake2b:" + hex);
  EXPECT_EQ(parse_result_digest("portable-blake2b-256:" + hex), "portable-blake2b-256:" + hex);
  for (const std::string& bad :
       {std::string("sha256:") + "ABC", std::string(33, 'a') + ":" + hex, "sha256:" + hex + "\n\n",
        ":" + hex, "SHA256:" + hex, "sha256:" + hex.substr(1), "sha256 " + hex, std::string("")})
    EXPECT_FALSE(parse_result_digest(bad)) << bad;
}

TEST(StepLogic, TaskEnvironment) {
  JobOptions o;
  o.replicas = 2;
  auto f = facts();
  f.slurm_account = "climate-lab";
  const auto env = task_environment(volunteer_node(), o, f, "/scratch/1000/7");
  auto get = [&](const std::string& k) {
    for (const auto& [key, v] : env)
      if (key == k) return v;
    return std::string("<unset>");
  };
  EXPECT_EQ(get("BASIN_TIER"), "volunteer");
  EXPECT_EQ(get("BASIN_SITE"), "home");
  EXPECT_EQ(get("BASIN_NODE"), "vol1");
  EXPECT_EQ(get("BASIN_ACCOUNT"), "climate-lab");
  EXPECT_EQ(get("BASIN_REPLICA_GROUP"), "c1:1000:rep");
  EXPECT_EQ(get("BASIN_CHECKPOINT_DIR"), "/scratch/1000/7");
  EXPECT_EQ(get("BASIN_THREADS"), "2");
  EXPECT_EQ(default_checkpoint_dir(volunteer_node(), facts()), "/scratch/1000/7");
}

TEST(StepLogic, BuildsTheRecord) {
  JobOptions o;
  StepUsage u;
  u.end_time = 160;
  u.cpu_user_us = 5;
  u.task_exit_status = {0};
  const auto r = build_record(volunteer_node(), o, facts(), u);
  EXPECT_EQ(r.cluster, "c1");
  EXPECT_EQ(r.node, "vol1");
  EXPECT_EQ(r.tier, "volunteer");
  EXPECT_EQ(r.requested_tier, "any");
  EXPECT_EQ(r.alloc_cores, 2u);
  EXPECT_EQ(r.step_state, "completed");
  EXPECT_EQ(r.end_time - r.start_time, 60);
  EXPECT_EQ(record_file_name(r), "7.0.r0.vol1.basinrec");
  EXPECT_EQ(basin::records::decode(basin::records::encode(r)), r);
}

TEST(StepLogic, GpusComeFromSlurmGpusOnNodeCappedByTheNode) {
  EXPECT_EQ(step_gpus(std::nullopt, 2), 0u);  // unset: a step without GPUs
  EXPECT_EQ(step_gpus("1", 2), 1u);
  EXPECT_EQ(step_gpus("2", 2), 2u);
  EXPECT_EQ(step_gpus("3", 2), 2u);  // never more than the node declares
  EXPECT_EQ(step_gpus("2", 0), 0u);  // a node declared without GPUs records 0
  EXPECT_EQ(step_gpus("1000", 64), 64u);
  for (const char* bad : {"", "-1", "1,2", "0x2", " 1", "99999", "1.5"})
    EXPECT_EQ(step_gpus(std::string(bad), 64), 0u) << bad;

  auto node = volunteer_node();
  node.gpus = 2;
  auto f = facts();
  f.gpus_on_node = "1";
  StepUsage u;
  u.end_time = 160;
  auto r = build_record(node, JobOptions{}, f, u);
  EXPECT_EQ(r.alloc_gpus, 1u);
  EXPECT_EQ(r.version, basin::records::kRecordVersion);
  EXPECT_EQ(basin::records::decode(basin::records::encode(r)), r);
  f.gpus_on_node.reset();
  EXPECT_EQ(build_record(node, JobOptions{}, f, u).alloc_gpus, 0u);
}
