// The contract between the SPANK plugin, which prepares every job step, and
// the runtime that runs inside it: the BASIN_* variables the plugin exports to
// the tasks, and the result-digest file the runtime leaves for the plugin to
// put into the step's signed usage record. Both sides include this header, so
// a name changes in one place.
#pragma once

#include <cstddef>

namespace basin::contract {

// Exported by the plugin (user_init) into every task's environment.
inline constexpr const char* kEnvTier = "BASIN_TIER";          // the node's trust tier
inline constexpr const char* kEnvSite = "BASIN_SITE";          // the node's site
inline constexpr const char* kEnvNode = "BASIN_NODE";          // the node's pool name
inline constexpr const char* kEnvAccount = "BASIN_ACCOUNT";    // the account Slurm charges
inline constexpr const char* kEnvReplicas = "BASIN_REPLICAS";  // --basin-replicas
inline constexpr const char* kEnvReplicaGroup = "BASIN_REPLICA_GROUP";
// The step's checkpoint directory: the runtime's checkpoints and its result
// digest go there (node scratch, owned by the job's user).
inline constexpr const char* kEnvCheckpointDir = "BASIN_CHECKPOINT_DIR";
// Threads a task may use (the step's CPUs per task): the runtime's default.
inline constexpr const char* kEnvThreads = "BASIN_THREADS";
// Set at submission (sbatch/salloc/srun) and carried in the job's environment.
inline constexpr const char* kEnvSubmitTime = "BASIN_SUBMIT_TIME";

// The result digest: one line "<algorithm>:<lower-case hex>\n" (the runtime
// writes "blake2b-256:<64 hex>") in this file of the checkpoint directory,
// written by the job's user, read by the plugin as root without following
// links and refused above kMaxResultDigestBytes.
inline constexpr const char* kResultDigestFile = "basin-result-digest";
inline constexpr std::size_t kMaxResultDigestBytes = 256;

}  // namespace basin::contract
