// Running Slurm's client commands (squeue, scontrol, sacctmgr, sacct) from
// the CLI: argv only (never through a shell), with a time limit, stdout
// captured, and a failure that names the command and Slurm's own message.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace basin::cli {

struct CommandResult {
  int status = -1;  // exit status; -1 when it did not exit normally
  std::string out, err;
};

// Runs argv[0] from PATH with the process's environment (SLURM_CONF
// included). Throws only when it cannot start or outlives `limit` (then it
// is killed).
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::seconds limit = std::chrono::seconds(30));

// run_command, and a non-zero exit becomes an error naming the command and
// quoting its stderr.
std::string slurm_output(const std::vector<std::string>& argv,
                         std::chrono::seconds limit = std::chrono::seconds(30));

}  // namespace basin::cli
