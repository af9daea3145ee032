// The main loop of a weather run, top to bottom: build (or restore) the model,
// write the first output, then step; write output and checkpoints when their
// intervals have passed; print the mass and energy changes at the end.
#include "basin/jobs/weather/run.hpp"

#include <hdf5.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <thread>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "checkpoint_file.hpp"
#include "netcdf_writer.hpp"

namespace basin::jobs::weather {
namespace {

int rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

// One output level: the four fields gathered to rank 0, written there.
void write_output(const Model& m, MPI_Comm comm, std::optional<NetcdfWriter>& out) {
  std::vector<std::vector<double>> fields;
  for (Field f : {Field::dens, Field::uwnd, Field::wwnd, Field::theta})
    fields.push_back(gather_global(m, m.local_field(f), 1, comm));
  if (out) out->append(m.time(), fields);
}

void print_totals(std::FILE* log, const char* what, const Model& m, const Totals& t0,
                  const Totals& t) {
  if (!log) return;
  std::fprintf(log, "weather %s: t=%.3f s steps=%lld d_mass=%.6e d_te=%.6e\n", what, m.time(),
               static_cast<long long>(m.steps()), (t.mass - t0.mass) / t0.mass,
               (t.energy - t0.energy) / t0.energy);
  std::fflush(log);
}

}  // namespace

RunResult run(const RunOptions& opt, MPI_Comm comm, std::FILE* log) {
  const bool root = rank_of(comm) == 0;
  if (!root) log = nullptr;
  if (opt.restart && opt.checkpoint.empty())
    throw std::invalid_argument("weather: restart needs a checkpoint file (--set checkpoint=PATH)");

  // Ranks sharing a node share its cores: more TBB threads than cores only
  // adds switching. Thread count never changes the bits.
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int on_node = 1;
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = opt.threads > 0 ? opt.threads : std::max(1, hw / on_node);
  tbb::global_control cap(tbb::global_control::max_allowed_parallelism, threads);
  if (log) std::fprintf(log, "weather: %d TBB thread(s) per rank\n", threads);

  Model model(opt.model, comm);
  Totals initial = model.totals();
  if (opt.restart) {
    initial = restore_checkpoint(model, opt.checkpoint, comm);
    if (log)
      std::fprintf(log, "weather: restarted from %s at t=%.3f s\n", opt.checkpoint.c_str(),
                   model.time());
  }

  std::optional<NetcdfWriter> out;
  if (!opt.output.empty() && root) out.emplace(opt.output, opt.model);
  if (!opt.output.empty()) write_output(model, comm, out);

  // Counters in simulated seconds since the last output / checkpoint.
  double since_output = 0, since_checkpoint = 0;
  std::int64_t steps_here = 0;  // max_steps splits a long run over several jobs
  while (!model.done() && (opt.max_steps < 0 || steps_here < opt.max_steps)) {
    ++steps_here;
    const double before = model.time();
    model.step();
    since_output += model.time() - before;
    since_checkpoint += model.time() - before;
    if (!opt.output.empty() && opt.output_interval > 0 && since_output >= opt.output_interval) {
      since_output -= opt.output_interval;
      write_output(model, comm, out);
      print_totals(log, "output", model, initial, model.totals());
    }
    if (!opt.checkpoint.empty() && opt.checkpoint_interval > 0 &&
        since_checkpoint >= opt.checkpoint_interval && !model.done()) {
      since_checkpoint -= opt.checkpoint_interval;
      write_checkpoint(model, initial, opt.checkpoint, comm);
      if (log) std::fprintf(log, "weather: checkpoint at t=%.3f s\n", model.time());
    }
  }
  if (!opt.output.empty() && model.done() && !(opt.output_interval > 0 && since_output == 0))
    write_output(model, comm, out);
  if (out) out->close();
  if (!opt.checkpoint.empty()) write_checkpoint(model, initial, opt.checkpoint, comm);

  RunResult r{initial, model.totals(), model.time(), model.steps()};
  print_totals(log, "end", model, r.initial, r.final);
  return r;
}

}  // namespace basin::jobs::weather
