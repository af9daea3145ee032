// Each command group of the `basin` executable lives in its own file and is
// added to the application here. A group appears only once the capability
// behind it works.
#pragma once

#include <CLI/CLI.hpp>

namespace basin::cli {

// Every group adds its subcommand to `app`; its callback runs the command and
// sets `exit_code`.
struct CommandContext {
  int exit_code = 0;
};

}  // namespace basin::cli
