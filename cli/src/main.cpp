// basin: the one executable of Basin. Each command group registers itself
// (see commands.hpp); main only parses and reports errors.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "version.hpp"

namespace basin::cli {
std::vector<CommandGroup>& command_groups() {
  static std::vector<CommandGroup> groups;
  return groups;
}
}  // namespace basin::cli

int main(int argc, char** argv) {
  CLI::App app{
      "Basin federates institutional clusters and volunteer machines into one "
      "Slurm pool:\nit runs MPI + TBB workloads with parallel HDF5 output and "
      "settles the credits\nthat member sites owe each other with "
      "zero-knowledge receipts.\n\nSee `basin COMMAND --help` for each command.",
      "basin"};
  app.set_version_flag("--version", basin::cli::version_string(),
                       "Print the version and git commit, then exit");
  app.set_help_all_flag("--help-all", "Print help for every command, then exit");

  basin::cli::CommandContext ctx;
  auto groups = basin::cli::command_groups();
  std::sort(groups.begin(), groups.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& group : groups) group.add(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "basin: error: %s\n", e.what());
    return 1;
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  return ctx.exit_code;
}
