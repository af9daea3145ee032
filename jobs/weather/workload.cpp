// The `weather` workload: the miniWeather model (basin/jobs/weather/model.hpp)
// on the runtime's driver, which does parameters, threads, output,
// checkpoint/restart and the digest.
//
// The model keeps its state in its own padded (var, z, x) arrays, the layout
// its fused flux sweeps are fast on; the runtime Fields here are copies made
// only when the driver asks for them (output, checkpoint, digest), so a
// step costs what the model alone costs.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "basin/jobs/weather/model.hpp"
#include "basin/runtime/workload.hpp"

namespace basin::jobs::weather {
namespace {

using namespace basin::runtime;

const char* const kStateNames[kStateVars] = {"dens_pert", "umom", "wmom", "rhot_pert"};

class Weather final : public Workload {
 public:
  Weather(const Params& p, MPI_Comm comm)
      : cfg_{parse_case(p.text("case")), int(p.integer("nx")), int(p.integer("nz")),
             p.real("sim_time")},
        dec_(comm, grid_extent(cfg_), decomposition_rule()),
        model_(cfg_, dec_),
        output_every_(p.integer("output_every")) {
    state_.reserve(kStateVars);  // no reallocation: state() hands out pointers
    for (const char* n : kStateNames) state_.emplace_back(n, dec_.local(), 0);
    out_.reserve(4);
    for (const char* n : {"dens", "uwnd", "wwnd", "theta"}) out_.emplace_back(n, dec_.local(), 0);
    // The last step is shortened to end exactly at sim_time: count the steps
    // with the model's own arithmetic.
    double t = 0;
    const double dt = model_.dt();
    while (t < cfg_.sim_time) {
      t = t + (t + dt > cfg_.sim_time ? cfg_.sim_time - t : dt);
      ++total_;
    }
  }

  const Decomposition& decomposition() const override { return dec_; }
  void initialise() override { initial_ = model_.totals(); }

  void step() override {
    model_.step();
    if (output_every_ > 0 && model_.steps() % output_every_ == 0) {
      const std::string line = diagnostics("output");
      if (dec_.rank() == 0) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
      }
    }
  }

  std::int64_t steps_done() const override { return model_.steps(); }
  std::int64_t total_steps() const override { return total_; }
  bool finished() const override { return model_.done(); }
  double time() const override { return model_.time(); }

  std::vector<Field*> state() override {
    model_.save_state({&state_[0], &state_[1], &state_[2], &state_[3]});
    return {&state_[0], &state_[1], &state_[2], &state_[3]};
  }
  std::map<std::string, double> scalars() const override {
    return {{"time", model_.time()},
            {"direction_switch", double(model_.direction_switch())},
            {"initial_mass", initial_.mass},
            {"initial_energy", initial_.energy}};
  }
  void restore(std::int64_t steps, const std::map<std::string, double>& s) override {
    auto get = [&](const char* name) {
      const auto it = s.find(name);
      if (it == s.end())
        throw std::runtime_error(std::string("weather checkpoint lacks the scalar '") + name +
                                 "': it was not written by this version; remove it to start over");
      return it->second;
    };
    model_.load_state({&state_[0], &state_[1], &state_[2], &state_[3]}, get("time"), steps,
                      int(get("direction_switch")));
    initial_ = {get("initial_mass"), get("initial_energy")};
  }

  OutputLayout output_layout() const override {
    OutputLayout l;
    const auto& g = dec_.global().n;
    const double dz = 1e4 / g[0], dx = 2e4 / g[2];
    std::vector<double> z(static_cast<std::size_t>(g[0])), x(static_cast<std::size_t>(g[2]));
    for (int k = 0; k < g[0]; ++k) z[std::size_t(k)] = (k + 0.5) * dz;
    for (int i = 0; i < g[2]; ++i) x[std::size_t(i)] = (i + 0.5) * dx;
    l.axes[0] = Axis{"z", "m", "height of the cell centre", std::move(z)};
    l.axes[1] = Axis{"y", "m", "y (one cell: the model is a 2-D x-z slice)", {0.0}};
    l.axes[2] = Axis{"x", "m", "x of the cell centre (periodic domain)", std::move(x)};
    l.variables = {{"dens", "kg m-3", "density perturbation from the hydrostatic background"},
                   {"uwnd", "m s-1", "x wind"},
                   {"wwnd", "m s-1", "z wind"},
                   {"theta", "K", "potential temperature perturbation from the background"}};
    l.text_attributes["title"] =
        "Basin weather: 2-D dry compressible stratified Euler (the miniWeather model)";
    l.text_attributes["case"] = std::string(case_name(cfg_.test_case));
    return l;
  }
  std::vector<const Field*> output_fields() const override {
    for (int v = 0; v < 4; ++v) model_.output_field(OutputVar(v), out_[std::size_t(v)]);
    return {&out_[0], &out_[1], &out_[2], &out_[3]};
  }

  std::vector<std::string> summary() override { return {diagnostics("end")}; }

 private:
  // Collective: miniWeather's relative changes of total mass and energy.
  std::string diagnostics(const char* what) const {
    const Totals t = model_.totals();
    char line[200];
    std::snprintf(line, sizeof line, "weather %s: t=%.3f s steps=%lld d_mass=%.6e d_te=%.6e", what,
                  model_.time(), static_cast<long long>(model_.steps()),
                  (t.mass - initial_.mass) / initial_.mass,
                  (t.energy - initial_.energy) / initial_.energy);
    return line;
  }

  Config cfg_;
  Decomposition dec_;
  Model model_;
  std::int64_t output_every_;
  std::int64_t total_ = 0;
  Totals initial_;
  std::vector<Field> state_;
  // Filled from the model on demand, hence mutable behind a const accessor.
  mutable std::vector<Field> out_;
};

WorkloadInfo weather_info() {
  WorkloadInfo w;
  w.name = "weather";
  w.summary = "2-D dry compressible stratified Euler, the miniWeather model (5 test cases)";
  w.description =
      "The model of mrnorman/miniWeather: a 20 km x 10 km x-z slice, periodic in x, walls at\n"
      "the bottom and top; fourth-order finite volume with hyperviscosity, dimensional Strang\n"
      "splitting alternating each step, the three-stage low-storage Runge-Kutta. MPI ranks split\n"
      "x, TBB threads share a rank's rows; results are the same bit for bit for any split.\n"
      "Time step: dt = min(20000/nx, 10000/nz) / 450 * 1.5 s (nx=200, nz=100: 1/3 s); the last\n"
      "step is shortened to end at sim_time. output_every counts steps, so miniWeather's output\n"
      "interval in seconds is output_every * dt (nx=200, nz=100, output_every=300: every 100 s).\n"
      "At every output_every-th step and at the end rank 0 prints the relative change of total\n"
      "mass and energy since the start (d_mass, d_te, miniWeather's definitions).\n"
      "Output: dens (kg m-3), uwnd, wwnd (m s-1), theta (K) over (t, z, y, x) with y of size 1;\n"
      "x, z cell centres in m, t in s; the case and all parameters as global attributes.";
  w.example =
      "srun -n 2 basin run weather --set case=thermal --set nx=400 --set nz=200 \\\n"
      "       --set sim_time=1000 --set output_every=300 --output weather.nc --checkpoint-dir ck";
  w.default_output_every = 0;
  w.params = {
      {"case",
       ParamKind::choice,
       "thermal",
       "",
       "test case",
       {"thermal", "collision", "gravity_waves", "density_current", "injection"}},
      {"nx", ParamKind::integer, "100", "cells", "cells along x (20 km, periodic)", {}, 4, 1 << 24},
      {"nz", ParamKind::integer, "50", "cells", "cells along z (10 km, walls)", {}, 4, 1 << 24},
      {"sim_time",
       ParamKind::real,
       "400",
       "s",
       "simulated time; a restart may extend it",
       {},
       0,
       1e12,
       false},
  };
  w.create = [](const Params& p, MPI_Comm comm) -> std::unique_ptr<Workload> {
    return std::make_unique<Weather>(p, comm);
  };
  w.memory = [](const Params& p, MPI_Comm comm) {
    const Config cfg{parse_case(p.text("case")), int(p.integer("nx")), int(p.integer("nz")),
                     p.real("sim_time")};
    const Decomposition dec(comm, grid_extent(cfg), decomposition_rule());
    // The model's q and two stage buffers (4 variables, padded by 2 cells),
    // the 4 state and 4 output copies, and one output block.
    const Box& b = dec.local();
    const std::uint64_t padded = std::uint64_t(b.size[0] + 4) * std::uint64_t(b.size[2] + 4);
    const std::uint64_t cells = std::uint64_t(b.size[0]) * std::uint64_t(b.size[2]);
    return MemoryEstimate{(3 * 4 * padded + 9 * cells) * sizeof(double),
                          "model state and 2 stage buffers, 4 state and 4 output fields of " +
                              std::to_string(b.size[2]) + " x " + std::to_string(b.size[0]) +
                              " (x, z) cells, one output block"};
  };
  return w;
}

}  // namespace
}  // namespace basin::jobs::weather

BASIN_WORKLOAD(weather, basin::jobs::weather::weather_info);
