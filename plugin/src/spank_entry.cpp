// Plugin symbols, the --basin-* options, and slurm_spank_init for every
// context. Context-specific hooks live in spank_submit.cpp (sbatch, salloc,
// srun) and spank_remote.cpp (slurmstepd).
#include <string>
#include <vector>

#include "spank_state.hpp"

// Explicit C linkage: a namespace-scope const in C++ has internal linkage, so
// SPANK_PLUGIN() would export nothing.
extern "C" {
extern const char plugin_name[] = "basin";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
}

namespace {

using basin::plugin::guard;
using basin::plugin::state;

// One callback per option: parse into the state; on the submit side a bad
// value is refused before the job is queued.
template <auto Apply>
int on_option(int, const char* optarg, int) {
  return guard("option", ESPANK_BAD_ARG, [&]() -> int {
    const auto err = Apply(optarg ? optarg : "", state().options);
    if (err) {
      slurm_error("%s", err->c_str());
      return ESPANK_BAD_ARG;
    }
    return ESPANK_SUCCESS;
  });
}

char* c(const char* s) {
  return const_cast<char*>(s);
}

spank_option options[] = {
    {c("basin-tier"), c("TIER"),
     c("[basin] Where the job may run: institutional (site-run nodes only), volunteer "
       "(volunteer nodes only) or any. Pair with -C tier_TIER so Slurm places the job."),
     1, 0, on_option<basin::plugin::apply_tier>},
    {c("basin-account"), c("NAME"),
     c("[basin] No longer accepted: use Slurm's -A/--account; the account charged is the "
       "one Slurm holds for the job."),
     1, 0, on_option<basin::plugin::refuse_account_option>},
    {c("basin-replicas"), c("N"),
     c("[basin] This job is one of N (1-5) replicas of the same work; results are "
       "validated by quorum. Replicas share a job name (-J) or one job array."),
     1, 0, on_option<basin::plugin::apply_replicas>},
    {c("basin-checkpoint"), c("DIR"),
     c("[basin] Checkpoint into DIR (default: the node's scratch) and restart from it "
       "after preemption or requeue."),
     2, 0, on_option<basin::plugin::apply_checkpoint>},
};

}  // namespace

extern "C" int slurm_spank_init(spank_t sp, int ac, char** av) {
  return guard("slurm_spank_init", ESPANK_ERROR, [&]() -> int {
    // sbatch and salloc ignore a static spank_options[] table: register in
    // every context that parses options.
    for (auto& opt : options) {
      const spank_err_t rc = spank_option_register(sp, &opt);
      if (rc != ESPANK_SUCCESS) {
        slurm_error("basin: cannot register --%s: %s", opt.name, spank_strerror(rc));
        return static_cast<int>(rc);
      }
    }
    auto& node = state().node;
    node = basin::plugin::parse_node_config(std::vector<std::string>(av, av + ac));
    // A misconfigured node must not drain: log here, refuse jobs in task_init.
    for (const auto& e : node.errors) slurm_error("basin: plugstack.conf: %s", e.c_str());
    if (spank_context() == S_CTX_REMOTE)
      for (const auto& m : node.missing_for_node())
        slurm_error("basin: plugstack.conf: required argument '%s=' is missing on this node",
                    m.c_str());
    return ESPANK_SUCCESS;
  });
}
