// The driver behind `basin run WORKLOAD`: parameters, threads, restart,
// the step loop with output, checkpoints and preemption, the result digest
// and the end-of-run summary.
#pragma once

#include <mpi.h>

#include <cstdio>
#include <string>
#include <vector>

#include "basin/runtime/params.hpp"
#include "basin/runtime/workload.hpp"

namespace basin::runtime {

// Parameters every workload has, added by the driver (threads, output_every,
// checkpoint_every, stop_after, progress_every, deflate).
std::vector<ParamSpec> driver_params(const WorkloadInfo& info);

// Collective over comm. Bad parameters or files throw std::invalid_argument /
// std::runtime_error before any step is taken. `log` is used on rank 0 only.
RunReport run_workload(const RunOptions& options, MPI_Comm comm, std::FILE* log);

// Writes the digest where the plugin and the user look for it: --digest-file,
// else each node's own $BASIN_CHECKPOINT_DIR/basin-result-digest, else
// `checkpoint_dir`/basin-result-digest. Collective.
void publish_digest(const RunOptions& options, const std::string& checkpoint_dir,
                    const std::string& digest, MPI_Comm comm);

}  // namespace basin::runtime
