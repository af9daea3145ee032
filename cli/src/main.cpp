// basin: the one executable of Basin. Subcommands are added by the groups
// listed in commands.hpp.
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "version.hpp"

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
