// Times the weather model the way miniWeather times itself (the time loop
// only) and prints cell-steps per second and the relative mass/energy changes.
// Usage: [THREADS=n] weather_bench CASE NX NZ SIM_TIME   (e.g. weather_bench thermal 400 200 100)
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

#include <tbb/global_control.h>

#include "basin/jobs/weather/model.hpp"
#include "basin/runtime/mpi_session.hpp"

namespace bw = basin::jobs::weather;

int main(int argc, char** argv) {
  basin::runtime::MpiSession mpi(&argc, &argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: weather_bench CASE NX NZ SIM_TIME  (e.g. thermal 400 200 100)\n");
    return 2;
  }
  try {
    bw::Config cfg{bw::parse_case(argv[1]), std::stoi(argv[2]), std::stoi(argv[3]),
                   std::stod(argv[4])};
    // THREADS=n caps the TBB threads of each rank (default: TBB's choice).
    std::optional<tbb::global_control> cap;
    if (const char* t = std::getenv("THREADS"))
      cap.emplace(tbb::global_control::max_allowed_parallelism, std::stoi(t));
    bw::Model m(cfg, MPI_COMM_WORLD);
    const bw::Totals t0 = m.totals();
    MPI_Barrier(MPI_COMM_WORLD);
    const auto a = std::chrono::steady_clock::now();
    while (!m.done()) m.step();
    MPI_Barrier(MPI_COMM_WORLD);
    const auto b = std::chrono::steady_clock::now();
    const bw::Totals t1 = m.totals();
    const double secs = std::chrono::duration<double>(b - a).count();
    if (mpi.rank() == 0) {
      std::printf("steps %lld seconds %.4f cell_steps_per_s %.4e\n",
                  static_cast<long long>(m.steps()), secs,
                  static_cast<double>(cfg.nx) * cfg.nz * m.steps() / secs);
      std::printf("d_mass: %.6e\nd_te:   %.6e\n", (t1.mass - t0.mass) / t0.mass,
                  (t1.energy - t0.energy) / t0.energy);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weather_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
