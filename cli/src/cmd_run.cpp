// `basin run WORKLOAD`: runs a registered workload under MPI (srun/mpirun)
// through the runtime's driver. One subcommand per workload, each with its
// parameter table in --help.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "basin/runtime/mpi_session.hpp"
#include "basin/runtime/netcdf_output.hpp"
#include "basin/runtime/preemption.hpp"
#include "basin/runtime/run.hpp"
#include "basin/runtime/workload.hpp"
#include "commands.hpp"

namespace basin::cli {
namespace {

namespace rt = basin::runtime;

std::string footer(const rt::WorkloadInfo& w) {
  std::vector<rt::ParamSpec> all = w.params;
  for (auto& s : rt::driver_params(w)) all.push_back(s);
  return w.description + "\n\nParameters (--set KEY=VALUE or KEY = VALUE in --config; " +
         "[default unit]):\n" + rt::describe_params(all) +
         "\nCheckpoints go to --checkpoint-dir, else to $BASIN_CHECKPOINT_DIR (set by the Basin\n"
         "plugin); a run finding a checkpoint there continues from it. On SIGTERM or SIGUSR1\n"
         "(Slurm preemption, --signal, time limit) all ranks checkpoint after the same step and\n"
         "exit 75: requeue the job on that status. The result digest goes into the output file\n"
         "and $BASIN_CHECKPOINT_DIR/basin-result-digest (or --digest-file).\n"
         "Exit status: 0 done, 75 checkpointed on a signal (requeue), 2 bad input, 1 failure.\n\n"
         "Example:\n  " +
         w.example;
}

void add_workload(CLI::App& run, const rt::WorkloadInfo& w, CommandContext& ctx) {
  auto* cmd = run.add_subcommand(w.name, w.summary);
  cmd->footer(footer(w));
  auto opt = std::make_shared<rt::RunOptions>();
  opt->workload = w.name;
  // Values of --NAME options; kept apart because CLI11 assigns --set's vector whole.
  auto named = std::make_shared<std::vector<std::string>>();
  for (const std::string& name : w.options) {
    std::string help;
    for (const auto& p : w.params)
      if (p.name == name) help = p.help;
    cmd->add_option_function<std::string>(
        "--" + name, [named, name](const std::string& v) { named->push_back(name + "=" + v); },
        help);
  }
  cmd->add_option("--config", opt->config, "TOML file of parameters (KEY = VALUE lines)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", opt->sets, "KEY=VALUE parameter, repeatable; overrides --config");
  cmd->add_option("--output", opt->output, "netCDF-4/CF output file (parallel HDF5) [none]");
  cmd->add_option("--checkpoint-dir", opt->checkpoint_dir,
                  "directory for checkpoints [$BASIN_CHECKPOINT_DIR, else none]");
  cmd->add_flag("--restart", opt->restart,
                "require a checkpoint to continue from (fail if there is none)");
  cmd->add_option("--digest-file", opt->digest_file,
                  "where to write the result digest [$BASIN_CHECKPOINT_DIR/basin-result-digest]");
  cmd->callback([opt, named, &ctx] {
    opt->sets.insert(opt->sets.begin(), named->begin(), named->end());
    rt::MpiSession mpi(nullptr, nullptr);
    try {
      const auto report = rt::run_workload(*opt, MPI_COMM_WORLD, stdout);
      ctx.exit_code = report.exit_code;
    } catch (const std::invalid_argument& e) {
      // Bad input is found the same way on every rank: a clean exit.
      if (mpi.rank() == 0)
        std::fprintf(stderr, "basin run %s: error: %s\n", opt->workload.c_str(), e.what());
      ctx.exit_code = 2;
    } catch (const rt::CollectiveError& e) {
      // Every rank failed together and closed its files: a clean exit.
      if (mpi.rank() == 0)
        std::fprintf(stderr, "basin run %s: error: %s\n", opt->workload.c_str(), e.what());
      ctx.exit_code = 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "basin run %s: error on rank %d: %s\n", opt->workload.c_str(),
                   mpi.rank(), e.what());
      std::fflush(stderr);
      // Other ranks may wait in a collective call: end them all.
      if (mpi.size() > 1) MPI_Abort(MPI_COMM_WORLD, 1);
      ctx.exit_code = 1;
    }
  });
}

void add_run(CLI::App& app, CommandContext& ctx) {
  auto* run = app.add_subcommand(
      "run",
      "Run a workload (heat, poisson, ...) under srun or mpirun: MPI across ranks, TBB inside\n"
      "each, parallel netCDF-4 output, checkpoint/restart, a result digest for replicas");
  run->require_subcommand(1);
  run->footer(
      "`basin run WORKLOAD --help` lists the workload's parameters with defaults and units.\n"
      "Example:\n  srun -n 4 basin run heat --set nx=256 --output heat.nc");
  for (const auto& w : rt::workloads()) add_workload(*run, w, ctx);
}

}  // namespace
}  // namespace basin::cli

BASIN_COMMAND_GROUP(run, 5, basin::cli::add_run);
