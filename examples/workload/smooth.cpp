// A user-written Basin workload, complete: `smooth` relaxes a field towards
// the mean of its neighbours (Jacobi smoothing with walls held at 0).
//
// To add it to your `basin`: copy this file to jobs/smooth/smooth.cpp, add
// jobs/smooth/CMakeLists.txt with
//     add_library(basin_workload_smooth OBJECT smooth.cpp)
//     target_link_libraries(basin_workload_smooth PUBLIC basin_runtime)
//     set_property(GLOBAL APPEND PROPERTY BASIN_CLI_LIBS basin_workload_smooth)
// and `add_subdirectory(smooth)` to jobs/CMakeLists.txt; then
//     mpirun -n 2 basin run smooth --set n=64 --output smooth.nc
// The runtime gives it parameters with --help, threads, output, checkpoints,
// restart and a digest; the workload only says what a step is.
//
// Arrays (local, halo 1): c and c_next, (n+2)^3 with the walls in the halo.
#include <tbb/parallel_for.h>

#include <memory>

#include "basin/runtime/halo_exchange.hpp"
#include "basin/runtime/workload.hpp"

namespace {

using namespace basin::runtime;

class Smooth final : public Workload {
 public:
  Smooth(const Params& p, MPI_Comm comm)
      : dec_(comm, Extent{{int(p.integer("n")), int(p.integer("n")), int(p.integer("n"))}}, 3),
        steps_total_(p.integer("steps")),
        c_("c", dec_.local(), 1),
        next_("c_next", dec_.local(), 1),
        halo_(dec_, c_) {}

  const Decomposition& decomposition() const override { return dec_; }

  void initialise() override {
    // A checkerboard of blocks: a value from global indices only, so every
    // decomposition starts from the same field.
    const Box& b = dec_.local();
    for (int k = 0; k < b.size[0]; ++k)
      for (int j = 0; j < b.size[1]; ++j)
        for (int i = 0; i < b.size[2]; ++i)
          c_.at(k, j, i) = ((b.begin[0] + k) / 4 + (b.begin[1] + j) / 4 + (b.begin[2] + i) / 4) % 2;
    steps_ = 0;
  }

  void step() override {
    halo_.exchange(c_);
    const Box& b = dec_.local();
    const std::ptrdiff_t sy = c_.stride_y(), sz = c_.stride_z();
    tbb::parallel_for(0, b.size[0], [&](int k) {
      for (int j = 0; j < b.size[1]; ++j) {
        const double* c = c_.row(k, j);
        double* o = next_.row(k, j);
        for (int i = 0; i < b.size[2]; ++i)
          o[i] = (c[i - 1] + c[i + 1] + c[i - sy] + c[i + sy] + c[i - sz] + c[i + sz]) / 6;
      }
    });
    c_.swap_values(next_);
    ++steps_;
  }

  std::int64_t steps_done() const override { return steps_; }
  std::int64_t total_steps() const override { return steps_total_; }
  double time() const override { return double(steps_); }
  std::vector<Field*> state() override { return {&c_}; }
  void restore(std::int64_t steps, const std::map<std::string, double>&) override {
    steps_ = steps;
  }

  OutputLayout output_layout() const override {
    OutputLayout l;
    l.axes = point_axes(dec_.global(), {1, 1, 1}, "1");
    l.time_units = std::string("1");
    l.variables = {{"c", "1", "smoothed field"}};
    return l;
  }
  std::vector<const Field*> output_fields() const override { return {&c_}; }

 private:
  Decomposition dec_;
  std::int64_t steps_total_, steps_ = 0;
  Field c_, next_;
  HaloExchange halo_;
};

WorkloadInfo smooth_info() {
  WorkloadInfo w;
  w.name = "smooth";
  w.summary = "Jacobi smoothing of a checkerboard (an example of a user-written workload)";
  w.description = "c <- mean of the six neighbours, walls at 0. Output: c over (t, z, y, x).";
  w.example = "mpirun -n 2 basin run smooth --set n=64 --output smooth.nc";
  w.default_output_every = 0;
  w.params = {{"n", ParamKind::integer, "32", "points", "grid points per side", {}, 2, 4096},
              {"steps", ParamKind::integer, "50", "steps", "smoothing steps", {}, 1, 1e9, false}};
  w.create = [](const Params& p, MPI_Comm comm) -> std::unique_ptr<Workload> {
    return std::make_unique<Smooth>(p, comm);
  };
  return w;
}

}  // namespace

BASIN_WORKLOAD(smooth, smooth_info);
