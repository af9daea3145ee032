// A complete weather run: the time loop with output, diagnostics and
// checkpoints, as `basin weather` and batch jobs use it.
#pragma once

#include <mpi.h>

#include <cstdio>
#include <string>

#include "basin/jobs/weather/model.hpp"

namespace basin::jobs::weather {

struct RunOptions {
  Config model;
  std::string output;               // netCDF-4 file; empty: no field output
  double output_interval = -1;      // simulated seconds between outputs; < 0: start and end only
  std::string checkpoint;           // checkpoint file; empty: none
  double checkpoint_interval = -1;  // simulated seconds between checkpoints; < 0: only at the end
  bool restart = false;             // continue from `checkpoint` instead of the initial state
  std::int64_t max_steps = -1;      // stop (with a checkpoint) after this many steps; < 0: none
  int threads = 0;                  // TBB threads per rank; 0: cores of the node / ranks on it
};

struct RunResult {
  Totals initial, final;
  double time = 0;
  std::int64_t steps = 0;
};

// Collective over comm. Progress and diagnostics go to `log` on rank 0.
// Throws std::invalid_argument / std::runtime_error with a message naming the fix.
RunResult run(const RunOptions& options, MPI_Comm comm, std::FILE* log);

}  // namespace basin::jobs::weather
