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

struct RunOptions {
  std::string workload;
  std::string config;             // TOML file, optional
  std::vector<std::string> sets;  // key=value overrides
  std::string output;             // netCDF-4 file; empty: no field output
  std::string checkpoint_dir;     // empty: BASIN_CHECKPOINT_DIR (rank 0's), else none
  bool restart = false;           // require a checkpoint to continue from
  std::string digest_file;        // empty: <checkpoint dir>/basin-result-digest
};

struct RunReport {
  int exit_code = 0;  // 0 done, kExitPreempted after a signal-triggered checkpoint
  std::string digest;
  std::int64_t steps = 0;
  double wall_s = 0, io_s = 0;
};

// Parameters every workload has, added by the driver (threads, output_every,
// checkpoint_every, stop_after, progress_every, deflate).
std::vector<ParamSpec> driver_params(const WorkloadInfo& info);

// Collective over comm. Bad parameters or files throw std::invalid_argument /
// std::runtime_error before any step is taken. `log` is used on rank 0 only.
RunReport run_workload(const RunOptions& options, MPI_Comm comm, std::FILE* log);

}  // namespace basin::runtime
