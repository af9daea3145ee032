// The weather workload's dynamical core: the model of mrnorman/miniWeather
// (2-D dry compressible stratified Euler, 4th-order finite volume with
// hyperviscosity, alternating Strang splitting, 3-stage low-storage RK),
// decomposed over x across the ranks of an MPI communicator, TBB inside a rank.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace basin::jobs::weather {

enum class Case { thermal, collision, gravity_waves, density_current, injection };

// Parses "thermal", "collision", ...; throws std::invalid_argument naming the choices.
Case parse_case(std::string_view name);
std::string_view case_name(Case c);

struct Config {
  Case test_case = Case::thermal;
  int nx = 100;           // global cells in x (domain 20 km, periodic)
  int nz = 50;            // cells in z (domain 10 km, walls)
  double sim_time = 400;  // simulated seconds
};

// Totals over the whole domain, as miniWeather defines them (kg/m and J/m).
struct Totals {
  double mass = 0;
  double energy = 0;
};

// Output variables, as miniWeather writes them: density perturbation (kg/m^3),
// winds (m/s), potential-temperature perturbation (K).
enum class Field { dens, uwnd, wwnd, theta };

// Everything needed to continue a run bit for bit (one rank's part).
struct Checkpoint {
  double time = 0;
  std::int64_t steps = 0;
  int direction_switch = 1;
  std::vector<double> state;  // this rank's interior cells, (var, z, x_local)
};

class Model {
 public:
  // Collective over comm. Throws std::invalid_argument for a bad grid
  // (nx or nz < 4, or more ranks than nx / 2).
  Model(const Config& config, MPI_Comm comm);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // One dimensionally split step; the last step is shortened to end at sim_time.
  void step();
  bool done() const;
  double time() const;
  double dt() const;  // the full step, min(dx, dz) / 450 * 1.5
  std::int64_t steps() const;
  int nx_local() const;
  int x_begin() const;  // first global x index of this rank
  const Config& config() const;

  // Collective. The bits do not depend on the number of ranks or threads:
  // each rank sums its columns in z order, rank 0 adds columns in x order.
  Totals totals() const;

  // This rank's part of a field, (z, x_local) row-major.
  std::vector<double> local_field(Field f) const;

  Checkpoint save() const;
  // Throws std::invalid_argument if the checkpoint does not fit this rank's grid.
  void restore(const Checkpoint& c);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // pimpl keeps TBB out of the header
};

}  // namespace basin::jobs::weather
