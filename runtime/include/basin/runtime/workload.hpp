// The Workload interface and registry: a workload is one file in jobs/ that
// implements this interface and registers itself with BASIN_WORKLOAD; the
// runtime's driver (run.hpp) does the rest: parameters, threads, progress,
// output, checkpoint/restart, digest.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/field.hpp"
#include "basin/runtime/netcdf_output.hpp"
#include "basin/runtime/output_file.hpp"
#include "basin/runtime/params.hpp"

namespace basin::runtime {

// Where a workload with its own output writes: `file` is the driver's
// temporary name for the file the user asked for (`final_file`, the part of
// --output before ":/"), `object` the path inside it (e.g. "/y").
struct OwnOutputTarget {
  std::string spec;  // --output as given, for messages
  std::string final_file, file, object;
};

class Workload {
 public:
  virtual ~Workload() = default;

  virtual const Decomposition& decomposition() const = 0;
  // The state at step 0.
  virtual void initialise() = 0;
  // One step; collective.
  virtual void step() = 0;
  // Steps done so far (0 after initialise), and the most a run takes; a
  // workload may end earlier by reporting finished() (e.g. converged).
  virtual std::int64_t steps_done() const = 0;
  virtual std::int64_t total_steps() const = 0;
  virtual bool finished() const { return steps_done() >= total_steps(); }
  // The coordinate of the current state in the output's t dimension.
  virtual double time() const = 0;

  // Everything a checkpoint must hold: the fields and the scalars that,
  // restored together with steps_done(), continue the run bit for bit.
  virtual std::vector<Field*> state() = 0;
  virtual std::map<std::string, double> scalars() const { return {}; }
  virtual void restore(std::int64_t steps_done, const std::map<std::string, double>& scalars) = 0;

  // Output: the variables, axes and attributes, and the fields in that order.
  // The result digest is computed from these fields.
  virtual OutputLayout output_layout() const = 0;
  virtual std::vector<const Field*> output_fields() const = 0;

  // Lines the driver prints (rank 0) once the workload is set up; by default
  // the grid and the process grid.
  virtual std::vector<std::string> description() const;
  // Collective: lines for the end-of-run report (errors, residuals, ...).
  virtual std::vector<std::string> summary() { return {}; }

  // A workload whose WorkloadInfo says own_output writes its results itself
  // as it steps (batch inference: rows of one HDF5 dataset) instead of the
  // driver's netCDF levels of output_fields(). Called once, collectively,
  // after initialise() or restore() (a continued run writes what it
  // restored again). The driver adds the digest, closes and publishes the
  // file, or removes it when the run fails or stops for a requeue.
  virtual std::unique_ptr<OutputFile> open_own_output(const OwnOutputTarget& target);
  // Prefixed to the result digest: inference labels results of its portable
  // arithmetic, so that replicas made another way never match them.
  virtual std::string digest_label() const { return {}; }
  // What a checkpoint must match besides the workload, grid and the
  // state-shaping parameters (inference: the model file's hash and the rank
  // count its batches were cut for). A checkpoint that does not match is
  // refused with both texts shown.
  virtual std::string checkpoint_identity() const { return {}; }
  // What progress lines and the final rate count per step: by default the
  // grid's cells ("cell updates"); inference counts samples.
  struct Work {
    double per_step = 0;
    std::string unit;
  };
  virtual Work work_per_step() const;
  // Seconds step() spent reading and writing files, reported as I/O.
  virtual double io_seconds() const { return 0; }
};

struct RunOptions {
  std::string workload;
  std::string config;             // TOML file, optional
  std::vector<std::string> sets;  // key=value overrides
  std::string output;             // netCDF-4 file; empty: no field output
  std::string checkpoint_dir;     // empty: BASIN_CHECKPOINT_DIR (rank 0's), else none
  bool restart = false;           // require a checkpoint to continue from
  std::string digest_file;        // empty: <checkpoint dir>/basin-result-digest
};

// What a run ended with.
struct RunReport {
  int exit_code = 0;  // 0 done, kExitPreempted after a signal-triggered checkpoint
  std::string digest;
  std::int64_t steps = 0;
  double wall_s = 0, io_s = 0;
};

// A workload's memory need per rank, estimated before anything is allocated.
struct MemoryEstimate {
  std::uint64_t bytes = 0;  // this rank's
  std::string what;         // what it counts, for the message
};

struct WorkloadInfo {
  std::string name;
  std::string summary;      // one line for `basin run --help`
  std::string description;  // the model, its units and what the output holds
  std::string example;      // a command line
  std::vector<ParamSpec> params;
  std::int64_t default_output_every = 0;  // steps between output levels; 0: end only
  std::function<std::unique_ptr<Workload>(const Params&, MPI_Comm)> create;
  // Collective, optional: the memory `create` and the run will need on this
  // rank. The driver refuses the run before `create` when it does not fit.
  std::function<MemoryEstimate(const Params&, MPI_Comm)> memory;

  // Parameters also offered as `--NAME VALUE` command-line options (e.g. infer's --model).
  std::vector<std::string> options;
  // The workload writes --output FILE:/OBJECT itself (Workload::open_own_output)
  // and needs it; output_every and deflate do not apply to it.
  bool own_output = false;
};

// Helpers for 3-D grid workloads: the parameters nx, ny, nz (points, default
// `points`) and split_dims (1, 2 or 3; does not change results), the grid they
// give, and axes z, y, x whose point i sits at (i + 1) * spacing[d].
std::vector<ParamSpec> grid_params(int points);
Extent grid_extent(const Params& params);
// Bytes per rank of `fields` double fields with `halo` cells over the block
// this rank gets of `dec`, plus halo exchange buffers (send and receive, both
// sides, every dimension) and one block for output and checkpoint I/O.
MemoryEstimate grid_memory(const Decomposition& dec, int fields, int halo,
                           const std::string& field_names);
std::array<Axis, 3> point_axes(const Extent& grid, const std::array<double, 3>& spacing,
                               const std::string& units);

void register_workload(WorkloadInfo info);
const std::vector<WorkloadInfo>& workloads();  // sorted by name
const WorkloadInfo* find_workload(const std::string& name);

}  // namespace basin::runtime

// In the workload's .cpp: BASIN_WORKLOAD(heat, heat_info) where heat_info()
// returns its WorkloadInfo.
#define BASIN_WORKLOAD(id, info_fn)                  \
  static const bool basin_workload_registered_##id = \
      (::basin::runtime::register_workload(info_fn()), true)
