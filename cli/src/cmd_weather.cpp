// `basin weather`: runs the weather workload (the miniWeather model) under
// MPI (srun/mpirun) with output, diagnostics and checkpoint/restart.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "basin/jobs/weather/run.hpp"
#include "basin/runtime/mpi_session.hpp"
#include "commands.hpp"

namespace {
namespace bw = basin::jobs::weather;

double number(const std::string& key, const std::string& v) {
  try {
    std::size_t used = 0;
    const double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--set " + key + "=" + v + ": not a number (e.g. --set " + key +
                              "=100)");
}

bw::RunOptions parse(const std::vector<std::string>& sets) {
  bw::RunOptions o;
  for (const std::string& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument("--set " + s + ": expected KEY=VALUE (e.g. --set nx=400)");
    const std::string k = s.substr(0, eq), v = s.substr(eq + 1);
    if (k == "case")
      o.model.test_case = bw::parse_case(v);
    else if (k == "nx")
      o.model.nx = static_cast<int>(number(k, v));
    else if (k == "nz")
      o.model.nz = static_cast<int>(number(k, v));
    else if (k == "sim_time")
      o.model.sim_time = number(k, v);
    else if (k == "output_interval")
      o.output_interval = number(k, v);
    else if (k == "threads")
      o.threads = static_cast<int>(number(k, v));
    else if (k == "max_steps")
      o.max_steps = static_cast<std::int64_t>(number(k, v));
    else if (k == "checkpoint_interval")
      o.checkpoint_interval = number(k, v);
    else
      throw std::invalid_argument(
          "--set " + k +
          ": unknown parameter; known: case, nx, nz, "
          "sim_time, output_interval, checkpoint_interval, max_steps, threads");
  }
  return o;
}

void add_weather(CLI::App& app, basin::cli::CommandContext& ctx) {
  auto* cmd = app.add_subcommand(
      "weather",
      "Run the weather workload: 2-D dry compressible stratified Euler (the miniWeather model),\n"
      "MPI over x, TBB inside each rank. Launch under srun or mpirun.\n\n"
      "Parameters (--set KEY=VALUE, repeatable; defaults in brackets):\n"
      "  case                 thermal | collision | gravity_waves | density_current | injection"
      " [thermal]\n"
      "  nx, nz               cells over 20 km x 10 km [100, 50]\n"
      "  sim_time             simulated seconds [400]\n"
      "  output_interval      simulated seconds between output levels; <0: start and end [-1]\n"
      "  checkpoint_interval  simulated seconds between checkpoints; <0: end only [-1]\n"
      "  max_steps            stop after this many steps, checkpointing (for time limits) [-1]\n"
      "  threads              TBB threads per rank; 0: node's cores / ranks on the node [0]\n\n"
      "Example:\n"
      "  srun --mpi=pmix -n 2 basin weather --set case=thermal --set nx=400 --set nz=200 \\\n"
      "       --set sim_time=1000 --set output_interval=100 --output out.nc \\\n"
      "       --checkpoint ck.h5 --set checkpoint_interval=200\n"
      "  (add --restart to continue from ck.h5 after a requeue)");
  auto sets = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  auto checkpoint = std::make_shared<std::string>();
  auto restart = std::make_shared<bool>(false);
  cmd->add_option("--set", *sets, "KEY=VALUE parameter (see above)");
  cmd->add_option("--output", *output,
                  "netCDF-4/CF file of dens, uwnd, wwnd, theta over (t, z, x) [none]");
  cmd->add_option("--checkpoint", *checkpoint, "checkpoint file (HDF5), rewritten atomically");
  cmd->add_flag("--restart", *restart, "continue from --checkpoint instead of the initial state");
  cmd->callback([&ctx, sets, output, checkpoint, restart] {
    basin::runtime::MpiSession mpi(nullptr, nullptr);
    try {
      bw::RunOptions o = parse(*sets);
      o.output = *output;
      o.checkpoint = *checkpoint;
      o.restart = *restart;
      bw::run(o, MPI_COMM_WORLD, stdout);
    } catch (const std::exception& e) {
      if (mpi.rank() == 0) std::fprintf(stderr, "basin weather: error: %s\n", e.what());
      ctx.exit_code = 1;
    }
  });
}
}  // namespace

BASIN_COMMAND_GROUP(weather, 40, add_weather);
