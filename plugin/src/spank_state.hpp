// State shared by the SPANK hooks of one process, and the thin wrapper over
// SPANK calls. Slurm loads the plugin once per process (sbatch, srun, one
// slurmstepd per step), so one state object per process is one per step.
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "basin/plugin/node_config.hpp"
#include "basin/plugin/options.hpp"
#include "basin/plugin/step_logic.hpp"

namespace basin::plugin {

struct PluginState {
  JobOptions options;
  NodeConfigResult node;
  StepFacts facts;
  StepUsage usage;
  std::string checkpoint_dir;
  bool facts_ready = false;
  // What task_init writes to the job's stderr before refusing it ("" when the
  // job may run on this node), decided in init_post_opt: task_init runs in
  // the task's process right after slurmstepd forks it, where only
  // async-signal-safe calls are safe (a lock another thread of slurmstepd
  // held at the fork, the allocator's among them, is never released there).
  // Empty until it is decided: task_init then refuses.
  std::optional<std::string> task_refusal;
};

PluginState& state();

// Runs a hook body; any exception becomes a logged error and `on_error`.
// Nothing may throw across the C boundary into Slurm.
template <typename F>
int guard(const char* hook, int on_error, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    slurm_error("basin: %s: %s", hook, e.what());
  } catch (...) {
    slurm_error("basin: %s: unknown error", hook);
  }
  return on_error;
}

// The thin wrapper: typed reads of SPANK items and the job's environment.
std::optional<std::string> job_getenv(spank_t sp, const char* name);
std::uint32_t item_u32(spank_t sp, spank_item_t item, std::uint32_t fallback);
std::optional<std::string> item_string(spank_t sp, spank_item_t item);

// Remote (slurmstepd) part of init_post_opt, in spank_remote.cpp.
int remote_init_post_opt(spank_t sp);

}  // namespace basin::plugin
