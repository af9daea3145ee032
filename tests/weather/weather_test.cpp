// The weather model against miniWeather's own check, on every case, and bit
// for bit across rank counts, thread counts and a checkpoint/restart.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <tbb/global_control.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "basin/jobs/weather/model.hpp"
#include "basin/jobs/weather/run.hpp"

namespace bw = basin::jobs::weather;

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// The whole (z, x) field on every rank of comm, in global x order.
std::vector<double> gather(const bw::Model& m, bw::Field f, MPI_Comm comm) {
  int n = 0;
  MPI_Comm_size(comm, &n);
  const auto local = m.local_field(f);
  const int nz = m.config().nz, nx = m.config().nx;
  std::vector<int> counts(n), displs(n);
  const int mine = static_cast<int>(local.size());
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  for (int r = 1; r < n; ++r) displs[r] = displs[r - 1] + counts[r - 1];
  std::vector<double> all(static_cast<std::size_t>(nz) * nx);
  MPI_Allgatherv(local.data(), mine, MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                 MPI_DOUBLE, comm);
  // all is rank-major blocks of (z, x_local); reorder to (z, x).
  std::vector<int> xb(n), xn(n);
  const int b = m.x_begin(), l = m.nx_local();
  MPI_Allgather(&b, 1, MPI_INT, xb.data(), 1, MPI_INT, comm);
  MPI_Allgather(&l, 1, MPI_INT, xn.data(), 1, MPI_INT, comm);
  std::vector<double> out(all.size());
  for (int r = 0; r < n; ++r)
    for (int k = 0; k < nz; ++k)
      for (int i = 0; i < xn[r]; ++i)
        out[static_cast<std::size_t>(k) * nx + xb[r] + i] =
            all[displs[r] + static_cast<std::size_t>(k) * xn[r] + i];
  return out;
}

std::vector<double> all_fields(const bw::Model& m, MPI_Comm comm) {
  std::vector<double> out;
  for (auto f : {bw::Field::dens, bw::Field::uwnd, bw::Field::wwnd, bw::Field::theta}) {
    auto v = gather(m, f, comm);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// Runs cfg on the first `ranks` ranks of the world (others idle) with `threads`
// TBB threads, restarting from a checkpoint after `restart_at` steps if > 0;
// the fields reach world rank 0.
std::vector<double> run_on(int ranks, int threads, const bw::Config& cfg, int restart_at = 0) {
  MPI_Comm comm;
  const bool in = world_rank() < ranks;
  MPI_Comm_split(MPI_COMM_WORLD, in ? 0 : MPI_UNDEFINED, world_rank(), &comm);
  std::vector<double> fields;
  if (in) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    bw::Model m(cfg, comm);
    if (restart_at > 0) {
      for (int s = 0; s < restart_at; ++s) m.step();
      const bw::Checkpoint c = m.save();
      bw::Model again(cfg, comm);
      again.restore(c);
      while (!again.done()) again.step();
      fields = all_fields(again, comm);
    } else {
      while (!m.done()) m.step();
      fields = all_fields(m, comm);
    }
    MPI_Comm_free(&comm);
  }
  return fields;
}

}  // namespace

TEST(Weather, ThermalConservesMassAndLosesLittleEnergy) {
  bw::Config cfg;  // thermal, 100 x 50, 400 s: miniWeather's own check
  bw::Model m(cfg, MPI_COMM_WORLD);
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
    bw::Config cfg{c, 40, 20, 60.};
    bw::Model m(cfg, MPI_COMM_WORLD);
    while (!m.done()) m.step();
    EXPECT_EQ(m.time(), 60.);
    const auto f = all_fields(m, MPI_COMM_WORLD);
    bool finite = true;
    for (double v : f) finite = finite && std::isfinite(v);
    EXPECT_TRUE(finite) << bw::case_name(c);
  }
}

TEST(Weather, InjectionAndCollisionChangeTheState) {
  // The inflow must actually enter: u somewhere becomes nonzero.
  bw::Config cfg{bw::Case::injection, 40, 20, 60.};
  bw::Model m(cfg, MPI_COMM_WORLD);
  while (!m.done()) m.step();
  double umax = 0;
  for (double v : all_fields(m, MPI_COMM_WORLD)) umax = std::max(umax, std::fabs(v));
  EXPECT_GT(umax, 1.);
}

TEST(Weather, FieldsIdenticalAcrossRanksThreadsAndRestart) {
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  bw::Config cfg{bw::Case::collision, 60, 30, 40.};
  const auto ref = run_on(1, 1, cfg);
  const auto two = run_on(std::min(2, world), 2, cfg);
  const auto four = run_on(std::min(4, world), 1, cfg);
  const auto restarted = run_on(std::min(2, world), 1, cfg, 7);
  if (world_rank() == 0) {
    ASSERT_FALSE(ref.empty());
    EXPECT_TRUE(same_bits(ref, two));
    EXPECT_TRUE(same_bits(ref, four));
    EXPECT_TRUE(same_bits(ref, restarted));
  }
}

TEST(Weather, BadCaseIsRefusedWithTheChoices) {
  try {
    bw::parse_case("hurricane");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("thermal"), std::string::npos);
  }
}

namespace {
// The last time level of one variable in a weather output file (rank 0 reads).
std::vector<double> last_level(const std::string& path, const char* var) {
  std::vector<double> out;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, var, H5P_DEFAULT);
  const hid_t fs = H5Dget_space(d);
  hsize_t dims[3];
  H5Sget_simple_extent_dims(fs, dims, nullptr);
  hsize_t start[3] = {dims[0] - 1, 0, 0}, count[3] = {1, dims[1], dims[2]};
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, nullptr, count, nullptr);
  const hid_t ms = H5Screate_simple(3, count, nullptr);
  out.resize(dims[1] * dims[2]);
  H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, out.data());
  H5Sclose(ms);
  H5Sclose(fs);
  H5Dclose(d);
  H5Fclose(f);
  return out;
}
}  // namespace

TEST(Weather, RunRestartedFromACheckpointFileEndsBitIdentical) {
  const std::string dir = "weather_restart_test";
  if (world_rank() == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  bw::RunOptions full;
  full.model = {bw::Case::thermal, 60, 30, 60.};
  full.output = dir + "/full.nc";
  const bw::RunResult a = bw::run(full, MPI_COMM_WORLD, nullptr);

  bw::RunOptions first = full;  // stops midway with a checkpoint, like a job hitting its limit
  first.output = dir + "/first.nc";
  first.checkpoint = dir + "/ck.h5";
  first.max_steps = a.steps / 2;
  const bw::RunResult b = bw::run(first, MPI_COMM_WORLD, nullptr);
  EXPECT_LT(b.time, a.time);

  bw::RunOptions second = first;
  second.output = dir + "/second.nc";
  second.max_steps = -1;
  second.restart = true;
  const bw::RunResult c = bw::run(second, MPI_COMM_WORLD, nullptr);
  EXPECT_EQ(c.steps, a.steps);
  EXPECT_EQ(std::memcmp(&c.final, &a.final, sizeof(bw::Totals)), 0);
  if (world_rank() == 0) {
    for (const char* v : {"dens", "uwnd", "wwnd", "theta"})
      EXPECT_TRUE(same_bits(last_level(full.output, v), last_level(second.output, v))) << v;
  }
}

TEST(Weather, RestartFromAMissingCheckpointSaysWhatToDo) {
  bw::RunOptions o;
  o.checkpoint = "weather_no_such_checkpoint.h5";
  o.restart = true;
  try {
    bw::run(o, MPI_COMM_WORLD, nullptr);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
}
