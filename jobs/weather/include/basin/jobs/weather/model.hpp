// The weather workload's dynamical core: the model of mrnorman/miniWeather
// (2-D dry compressible stratified Euler, 4th-order finite volume with
// hyperviscosity, alternating Strang splitting, 3-stage low-storage RK),
// decomposed over x by a runtime Decomposition (see decomposition_rule()),
// TBB inside a rank.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/field.hpp"

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
enum class OutputVar { dens, uwnd, wwnd, theta };

// The prognostic state: perturbations of density, x and z momentum and
// density * potential temperature from the hydrostatic background.
inline constexpr int kStateVars = 4;

// The grid as the runtime sees it: (z, y, x) = (nz, 1, nx).
basin::runtime::Extent grid_extent(const Config& config);
// How the ranks split the grid: x only, in blocks of whole cells (tile of 1),
// at least 2 columns (the stencil's halo) per rank. Results do not depend on it.
basin::runtime::Decomposition::Rule decomposition_rule();

class Model {
 public:
  // Collective over the decomposition's communicator; the model computes
  // exactly the decomposition's x range of its rank. Throws
  // std::invalid_argument for a bad grid (nx or nz < 4) or a decomposition
  // that does not split x only over grid_extent(config).
  Model(const Config& config, const basin::runtime::Decomposition& decomposition);
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

  int direction_switch() const;  // 1: this step sweeps x first

  // Fills the owned cells of `out` (this rank's box) with an output variable.
  void output_field(OutputVar v, basin::runtime::Field& out) const;

  // The prognostic state to and from fields over this rank's box; loading it
  // with the time, step count and direction switch of the moment it was
  // saved continues the run bit for bit.
  void save_state(const std::array<basin::runtime::Field*, kStateVars>& out) const;
  void load_state(const std::array<const basin::runtime::Field*, kStateVars>& in, double time,
                  std::int64_t steps, int direction_switch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // pimpl keeps TBB out of the header
};

}  // namespace basin::jobs::weather
