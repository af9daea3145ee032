// Submit side (sbatch, salloc: allocator context; srun: local context).
//
// Option values were checked by the callbacks already. Here the plugin only
// stamps the submission time into the job's environment, since 22.05's SPANK
// gives slurmstepd no submit time; reconciliation matches it to Slurm's
// SubmitTime within a tolerance.
#include <cstdlib>
#include <ctime>
#include <string>

#include "basin/common/job_contract.hpp"
#include "spank_state.hpp"

namespace {
void stamp_submit_time() {
  // An srun inside an allocation belongs to that job: keep the job's stamp.
  if (std::getenv("SLURM_JOB_ID") && std::getenv(basin::contract::kEnvSubmitTime)) return;
  const std::string now = std::to_string(static_cast<long long>(std::time(nullptr)));
  setenv(basin::contract::kEnvSubmitTime, now.c_str(), 1);
}
}  // namespace

extern "C" int slurm_spank_init_post_opt(spank_t sp, int, char**) {
  return basin::plugin::guard("slurm_spank_init_post_opt", ESPANK_SUCCESS, [&]() -> int {
    switch (spank_context()) {
      case S_CTX_LOCAL:
      case S_CTX_ALLOCATOR:
        stamp_submit_time();
        break;
      case S_CTX_REMOTE:
        return basin::plugin::remote_init_post_opt(sp);
      default:
        break;
    }
    return ESPANK_SUCCESS;
  });
}
