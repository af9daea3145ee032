// Runs examples/workload/smooth.cpp through the runtime's driver, as `basin
// run smooth` would once the example is added to jobs/: keeps the example
// compiling and working. Prints the digest on rank 0.
#include <cstdio>
#include <exception>

#include "basin/runtime/mpi_session.hpp"
#include "basin/runtime/run.hpp"

int main(int argc, char** argv) {
  basin::runtime::MpiSession mpi(&argc, &argv);
  try {
    basin::runtime::RunOptions o;
    o.workload = "smooth";
    for (int i = 1; i < argc; ++i) o.sets.emplace_back(argv[i]);
    o.digest_file = "/tmp/basin-example-smooth.digest";
    const auto r = basin::runtime::run_workload(o, MPI_COMM_WORLD, stdout);
    return r.exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "example: %s\n", e.what());
    return 1;
  }
}
