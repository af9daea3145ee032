// Command groups of the `basin` executable.
//
// Each group (run, records, ledger, log, pool, ...) lives in its own file in
// cli/src/ and registers itself with a static BASIN_COMMAND_GROUP(...) line, so
// adding a group touches no other file. A group appears only once the
// capability behind it works.
#pragma once

#include <CLI/CLI.hpp>
#include <vector>

namespace basin::cli {

// Shared by every command: the exit status the chosen command asks for.
struct CommandContext {
  int exit_code = 0;
};

using AddCommandGroup = void (*)(CLI::App& app, CommandContext& ctx);

struct CommandGroup {
  const char* name;
  int order;  // position in `basin --help`
  AddCommandGroup add;
};

std::vector<CommandGroup>& command_groups();

struct RegisterCommandGroup {
  RegisterCommandGroup(const char* name, int order, AddCommandGroup add) {
    command_groups().push_back({name, order, add});
  }
};

}  // namespace basin::cli

#define BASIN_COMMAND_GROUP(name, order, add)                                  \
  static const ::basin::cli::RegisterCommandGroup basin_command_group_##name { \
#name, order, add                                                          \
  }
