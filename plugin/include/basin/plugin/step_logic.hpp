// What the plugin decides for a job step, as plain functions of plain data.
//
// The SPANK wrappers (spank_*.cpp) gather StepFacts from Slurm and call these;
// the unit tests call them directly. Nothing here touches SPANK or the disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "basin/plugin/node_config.hpp"
#include "basin/plugin/options.hpp"
#include "basin/records/usage_record.hpp"

namespace basin::plugin {

// Facts about a step, from spank_get_item, the node's plugstack arguments and
// the job's environment. What the environment gives is the user's to set: it
// names things (job name, the account the job claims) but decides no money.
struct StepFacts {
  std::string cluster;        // plugstack cluster= (never the job's environment)
  std::string node;           // plugstack node= (never the job's environment)
  std::string job_name;       // SLURM_JOB_NAME
  std::string slurm_account;  // SLURM_JOB_ACCOUNT as the job sees it: a claim only
  std::string user_name;      // from the uid
  std::uint32_t job_id = 0, step_id = 0, uid = 0, gid = 0;
  std::uint32_t array_job_id = 0, array_task_id = 0, restart_count = 0;
  std::uint32_t cpus_per_task = 1;
  std::string alloc_cores;  // S_STEP_ALLOC_CORES, e.g. "0-1"
  std::uint64_t alloc_mem_mb = 0;
  std::int64_t submit_time = 0;  // BASIN_SUBMIT_TIME, set by the plugin at submission
  std::int64_t start_time = 0;
  // SLURM_GPUS_ON_NODE of the step's environment, read in slurm_spank_exit;
  // nullopt when unset. See step_gpus().
  std::optional<std::string> gpus_on_node;
};

// What the step used, measured in slurmstepd when it ends.
struct StepUsage {
  std::int64_t end_time = 0;
  std::uint64_t cpu_user_us = 0, cpu_system_us = 0, max_rss_kb = 0;
  std::vector<std::int32_t> task_exit_status;
  bool refused = false;       // the tier policy refused the step
  std::string result_digest;  // validated, or empty
};

// The tier a job asked for, or the node's default when it named none.
TierRequest requested_tier(const JobOptions& opts, const NodeConfig& node);

// nullopt when a job that asked for `requested` may run on a node of tier
// `node_tier`; otherwise the message the user sees. `any` runs anywhere; a
// named tier runs only on nodes of that tier.
std::optional<std::string> tier_refusal(TierRequest requested, Tier node_tier,
                                        const std::string& node);

// Number of CPUs in a Slurm list such as "0-1,4,6-7"; nullopt if malformed.
std::optional<std::uint32_t> count_cpu_list(const std::string& list);

// The GPUs a step had on this node, for the usage record.
//
// Source: SLURM_GPUS_ON_NODE in the step's environment (job->env in
// slurmstepd, read with spank_getenv when the step ends). slurmstepd sets it
// from the step's gres allocation in the credential signed by slurmctld, and
// removes a value the user preset (srun --export, sbatch's exported
// environment) when the step has no GPUs: verified on Slurm 22.05 with
// GresTypes=gpu for batch steps and srun steps, on nodes with and without
// GPUs. The other variables are not trustworthy: a preset SLURM_STEP_GPUS
// survives into a batch step, SLURM_JOB_GPUS into an srun step, and
// CUDA_VISIBLE_DEVICES / GPU_DEVICE_ORDINAL on a node without GPUs.
// As a bound the plugin does not take from the job, the count is capped at the
// node's own gpus= (plugstack.conf, from pool.toml): a node declared without
// GPUs records 0 whatever the environment says. Returns 0 when unset or not
// a number.
std::uint32_t step_gpus(const std::optional<std::string>& gpus_on_node, std::uint32_t node_gpus);

// completed | failed:<code> | killed:<SIGNAME> | refused
std::string step_state(const StepUsage& usage);

// The account the job's environment names (SLURM_JOB_ACCOUNT, else the user
// name). Recorded as a claim: the ledger charges the account Slurm's
// accounting holds for the job and reports a record that disagrees.
std::string claimed_account(const StepFacts& facts);

// Replicas of one job share a group id: the array job for an array, else the
// cluster, user and job name. Empty when the job is not replicated.
std::string replica_group(const JobOptions& opts, const StepFacts& facts);

// The runtime's digest file content, "<algorithm>:<hex>" with an optional
// final newline; returns the digest without the newline, or nullopt.
std::optional<std::string> parse_result_digest(const std::string& content);

// The default checkpoint directory: SCRATCH/<uid>/<job id>.
std::string default_checkpoint_dir(const NodeConfig& node, const StepFacts& facts);

// The variables the tasks get.
std::vector<std::pair<std::string, std::string>> task_environment(const NodeConfig& node,
                                                                  const JobOptions& opts,
                                                                  const StepFacts& facts,
                                                                  const std::string& ckpt_dir);

records::UsageRecord build_record(const NodeConfig& node, const JobOptions& opts,
                                  const StepFacts& facts, const StepUsage& usage);

// <job>.<step>.r<restart>.<node>.basinrec: one file per node, step and run.
std::string record_file_name(const records::UsageRecord& record);

}  // namespace basin::plugin
