// The weather model against miniWeather's own check, on every case, and
// `basin run weather` (the runtime's driver) bit for bit across rank counts,
// thread counts and a checkpoint/restart, with its netCDF-4 output.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "basin/jobs/weather/model.hpp"
#include "basin/runtime/h5.hpp"
#include "basin/runtime/run.hpp"

namespace bw = basin::jobs::weather;
namespace rt = basin::runtime;

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Runs cfg to the end on all of MPI_COMM_WORLD; returns max |v| over the
// four output variables (NaN if any value is not finite).
double run_to_end(const bw::Config& cfg, double* end_time = nullptr) {
  rt::Decomposition dec(MPI_COMM_WORLD, bw::grid_extent(cfg), bw::decomposition_rule());
  bw::Model m(cfg, dec);
  while (!m.done()) m.step();
  if (end_time) *end_time = m.time();
  double local = 0;
  rt::Field f("v", dec.local(), 0);
  for (auto v :
       {bw::OutputVar::dens, bw::OutputVar::uwnd, bw::OutputVar::wwnd, bw::OutputVar::theta}) {
    m.output_field(v, f);
    for (double x : f.interior())
      local = std::isfinite(x) ? std::max(local, std::fabs(x)) : HUGE_VAL;
  }
  double global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return global;
}

// `basin run weather` with `sets` on the first `ranks` ranks of the world
// (the others idle); the report reaches world rank 0.
rt::RunReport run_on(int ranks, std::vector<std::string> sets, const std::string& ckdir = "",
                     const std::string& output = "") {
  MPI_Comm comm;
  const bool in = world_rank() < ranks;
  MPI_Comm_split(MPI_COMM_WORLD, in ? 0 : MPI_UNDEFINED, world_rank(), &comm);
  rt::RunReport report;
  if (in) {
    rt::RunOptions o;
    o.workload = "weather";
    o.sets = std::move(sets);
    o.checkpoint_dir = ckdir;
    o.output = output;
    report = rt::run_workload(o, comm, nullptr);
    MPI_Comm_free(&comm);
  }
  return report;
}

std::string fresh_dir(const std::string& name) {
  if (world_rank() == 0) {
    std::filesystem::remove_all(name);
    std::filesystem::create_directories(name);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return name;
}

}  // namespace

TEST(Weather, ThermalConservesMassAndLosesLittleEnergy) {
  bw::Config cfg;  // thermal, 100 x 50, 400 s: miniWeather's own check
  rt::Decomposition dec(MPI_COMM_WORLD, bw::grid_extent(cfg), bw::decomposition_rule());
  bw::Model m(cfg, dec);
  const bw::Totals t0 = m.totals();
  while (!m.done()) m.step();
  const bw::Totals t1 = m.totals();
  const double d_mass = (t1.mass - t0.mass) / t0.mass;
  const double d_te = (t1.energy - t0.energy) / t0.energy;
  EXPECT_DOUBLE_EQ(m.time(), 400.);
  EXPECT_LT(std::fabs(d_mass), 1e-13);
  EXPECT_LT(d_te, 0.);
  EXPECT_LT(std::fabs(d_te), 4.5e-5);
  if (world_rank() == 0) std::printf("d_mass %.6e d_te %.6e\n", d_mass, d_te);
}

TEST(Weather, EveryCaseRunsToTheEndWithFiniteFields) {
  for (auto c : {bw::Case::thermal, bw::Case::collision, bw::Case::gravity_waves,
                 bw::Case::density_current, bw::Case::injection}) {
    double end = 0;
    const double vmax = run_to_end({c, 40, 20, 60.}, &end);
    EXPECT_EQ(end, 60.) << bw::case_name(c);
    EXPECT_TRUE(std::isfinite(vmax)) << bw::case_name(c);
  }
}

TEST(Weather, InjectionInflowEntersTheDomain) {
  // The inflow must actually enter: |u| somewhere exceeds 1 m/s.
  EXPECT_GT(run_to_end({bw::Case::injection, 40, 20, 60.}), 1.);
}

TEST(Weather, ModelRefusesADecompositionThatSplitsZ) {
  const bw::Config cfg{bw::Case::thermal, 40, 20, 10.};
  rt::Decomposition::Rule rule = bw::decomposition_rule();
  rule.process_grid = {0, 1, 1};
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  if (world < 2) GTEST_SKIP() << "needs 2 ranks";
  rt::Decomposition dec(MPI_COMM_WORLD, bw::grid_extent(cfg), rule);
  EXPECT_THROW(bw::Model(cfg, dec), std::invalid_argument);
}

TEST(Weather, DigestIdenticalAcrossRanksThreadsAndRestart) {
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  const std::vector<std::string> sets{"case=collision", "nx=60", "nz=30", "sim_time=40"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> s = sets;
    s.insert(s.end(), extra.begin(), extra.end());
    return s;
  };
  const auto ref = run_on(1, with({"threads=1"}));
  const auto two = run_on(std::min(2, world), with({"threads=2"}));
  const auto four = run_on(std::min(4, world), with({"threads=1"}));
  // A run stopped after 7 steps with a checkpoint (exit 75, as when
  // preempted), then continued from it on another number of ranks.
  const std::string dir = fresh_dir("weather_restart_test");
  const auto first = run_on(std::min(2, world), with({"threads=1", "stop_after=7"}), dir);
  const auto second = run_on(std::min(4, world), with({"threads=2"}), dir);
  if (world_rank() == 0) {
    ASSERT_EQ(ref.digest.rfind("blake2b-256:", 0), 0u) << ref.digest;
    EXPECT_EQ(ref.digest, two.digest);
    EXPECT_EQ(ref.digest, four.digest);
    EXPECT_EQ(first.exit_code, 75);
    EXPECT_EQ(first.steps, 7);
    EXPECT_EQ(second.exit_code, 0);
    EXPECT_EQ(second.steps, ref.steps - 7);
    EXPECT_EQ(ref.digest, second.digest);
    std::filesystem::remove_all(dir);
  }
}

namespace {
using basin::runtime::H5Id;
using basin::runtime::read_text_attribute;

std::vector<hsize_t> dims_of(hid_t file, const char* name) {
  const H5Id d(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, name);
  const H5Id s(H5Dget_space(d.get()), H5Sclose, "H5Dget_space");
  std::vector<hsize_t> dims(std::size_t(H5Sget_simple_extent_ndims(s.get())));
  H5Sget_simple_extent_dims(s.get(), dims.data(), nullptr);
  return dims;
}

std::vector<double> read_all(hid_t file, const char* name) {
  const H5Id d(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, name);
  const H5Id s(H5Dget_space(d.get()), H5Sclose, "H5Dget_space");
  std::vector<double> v(std::size_t(H5Sget_simple_extent_npoints(s.get())));
  H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  return v;
}
}  // namespace

TEST(Weather, OutputIsNetcdf4WithUnitsCoordinatesAndCase) {
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  const std::string dir = fresh_dir("weather_output_test");
  // 40 x 20: dt = 500 / 450 * 1.5 = 5/3 s, 12 steps to 20 s; output every 4.
  const auto r = run_on(std::min(2, world),
                        {"case=thermal", "nx=40", "nz=20", "sim_time=20", "output_every=4"}, "",
                        dir + "/out.nc");
  if (world_rank() == 0) {
    ASSERT_EQ(r.exit_code, 0);
    const H5Id file(H5Fopen((dir + "/out.nc").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                    "H5Fopen");
    const hid_t f = file.get();
    EXPECT_EQ(read_text_attribute(f, "case"), "thermal");
    EXPECT_NE(read_text_attribute(f, "basin_parameters").find("nx=40"), std::string::npos);
    EXPECT_EQ(read_text_attribute(f, "basin_result_digest"), r.digest);
    for (const char* v : {"dens", "uwnd", "wwnd", "theta"})
      EXPECT_EQ(dims_of(f, v), (std::vector<hsize_t>{4, 20, 1, 40})) << v;  // t = 0, 4, 8, 12 steps
    const H5Id theta(H5Dopen2(f, "theta", H5P_DEFAULT), H5Dclose, "theta");
    EXPECT_EQ(read_text_attribute(theta.get(), "units"), "K");
    const auto t = read_all(f, "t");
    ASSERT_EQ(t.size(), 4u);
    EXPECT_EQ(t.front(), 0.);
    EXPECT_EQ(t.back(), 20.);
    const auto x = read_all(f, "x");
    ASSERT_EQ(x.size(), 40u);
    EXPECT_EQ(x[0], 250.);  // cell centres, dx = 500 m
    EXPECT_EQ(x[39], 19750.);
    std::filesystem::remove_all(dir);
  }
}

TEST(Weather, BadCaseIsRefusedWithTheChoices) {
  try {
    run_on(1, {"case=hurricane"});
    if (world_rank() == 0) FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("thermal"), std::string::npos) << e.what();
  }
}
