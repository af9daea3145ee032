#include "checkpoint_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "netcdf_writer.hpp"
#include "physics.hpp"

namespace basin::jobs::weather {
namespace {

struct Layout {  // every rank's first global x index and width
  std::vector<int> begin, width;
};

Layout layout(const Model& m, MPI_Comm comm) {
  int n = 0;
  MPI_Comm_size(comm, &n);
  Layout l{std::vector<int>(n), std::vector<int>(n)};
  const int b = m.x_begin(), w = m.nx_local();
  MPI_Allgather(&b, 1, MPI_INT, l.begin.data(), 1, MPI_INT, comm);
  MPI_Allgather(&w, 1, MPI_INT, l.width.data(), 1, MPI_INT, comm);
  return l;
}

void fsync_path(const std::filesystem::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error("weather: cannot open " + p.string() + " to fsync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("weather: fsync of " + p.string() + " failed");
}

void check(herr_t e, const std::string& what) {
  if (e < 0) throw std::runtime_error("weather checkpoint: " + what + " failed");
}

constexpr std::array<const char*, 5> kScalars = {"time", "steps", "direction_switch", "mass0",
                                                 "energy0"};
}  // namespace

std::vector<double> gather_global(const Model& m, const std::vector<double>& local, int per_cell,
                                  MPI_Comm comm) {
  const Layout l = layout(m, comm);
  const int rows = per_cell * m.config().nz, nx = m.config().nx;
  const int ranks = static_cast<int>(l.begin.size());
  std::vector<int> counts(ranks), displs(ranks);
  for (int r = 0; r < ranks; ++r) {
    counts[r] = rows * l.width[r];
    displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
  }
  int me = 0;
  MPI_Comm_rank(comm, &me);
  std::vector<double> all(me == 0 ? static_cast<std::size_t>(rows) * nx : 0);
  MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), counts.data(),
              displs.data(), MPI_DOUBLE, 0, comm);
  if (me != 0) return {};
  std::vector<double> out(all.size());
  for (int r = 0; r < ranks; ++r)
    for (int row = 0; row < rows; ++row)
      for (int i = 0; i < l.width[r]; ++i)
        out[static_cast<std::size_t>(row) * nx + l.begin[r] + i] =
            all[displs[r] + static_cast<std::size_t>(row) * l.width[r] + i];
  return out;
}

void write_checkpoint(const Model& m, const Totals& initial, const std::string& path,
                      MPI_Comm comm) {
  const Checkpoint c = m.save();
  const std::vector<double> state = gather_global(m, c.state, physics::NUM_VARS, comm);
  int me = 0;
  MPI_Comm_rank(comm, &me);
  int ok = 1;
  std::string error;
  if (me == 0) {
    try {
      const std::filesystem::path final_path(path);
      const std::filesystem::path tmp = final_path.string() + ".tmp";
      {
        H5Id f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        const std::array<hsize_t, 3> dims = {physics::NUM_VARS, hsize_t(m.config().nz),
                                             hsize_t(m.config().nx)};
        H5Id space(H5Screate_simple(3, dims.data(), nullptr), H5Sclose);
        H5Id d(H5Dcreate2(f.get(), "state", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT),
               H5Dclose);
        check(H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, state.data()),
              "writing the state");
        const std::array<double, 5> values = {c.time, static_cast<double>(c.steps),
                                              static_cast<double>(c.direction_switch), initial.mass,
                                              initial.energy};
        H5Id scalar(H5Screate(H5S_SCALAR), H5Sclose);
        for (std::size_t i = 0; i < kScalars.size(); ++i) {
          H5Id a(H5Acreate2(f.get(), kScalars[i], H5T_IEEE_F64LE, scalar.get(), H5P_DEFAULT,
                            H5P_DEFAULT),
                 H5Aclose);
          check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &values[i]), kScalars[i]);
        }
        const std::array<int, 3> grid = {m.config().nx, m.config().nz,
                                         static_cast<int>(m.config().test_case)};
        const hsize_t three = 3;
        H5Id gspace(H5Screate_simple(1, &three, nullptr), H5Sclose);
        H5Id g(H5Acreate2(f.get(), "nx_nz_case", H5T_STD_I32LE, gspace.get(), H5P_DEFAULT,
                          H5P_DEFAULT),
               H5Aclose);
        check(H5Awrite(g.get(), H5T_NATIVE_INT, grid.data()), "grid");
      }
      fsync_path(tmp);
      std::filesystem::rename(tmp, final_path);
      fsync_path(final_path.parent_path().empty() ? "." : final_path.parent_path());
    } catch (const std::exception& e) {
      ok = 0;
      error = e.what();
    }
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
  if (!ok)
    throw std::runtime_error(me == 0 ? error
                                     : "weather: rank 0 could not write the checkpoint " + path);
}

Totals restore_checkpoint(Model& m, const std::string& path, MPI_Comm comm) {
  int me = 0;
  MPI_Comm_rank(comm, &me);
  const int rows = physics::NUM_VARS * m.config().nz, nx = m.config().nx;
  std::vector<double> state;
  std::array<double, 5> values{};
  std::string error;
  if (me == 0) {
    try {
      if (!std::filesystem::exists(path))
        throw std::invalid_argument("weather: checkpoint " + path +
                                    " does not exist: run once without restart=1 first");
      H5Id f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
      std::array<int, 3> grid{};
      H5Id g(H5Aopen(f.get(), "nx_nz_case", H5P_DEFAULT), H5Aclose);
      check(H5Aread(g.get(), H5T_NATIVE_INT, grid.data()), "reading the grid");
      if (grid[0] != nx || grid[1] != m.config().nz ||
          grid[2] != static_cast<int>(m.config().test_case))
        throw std::invalid_argument("weather: checkpoint " + path + " is for nx=" +
                                    std::to_string(grid[0]) + " nz=" + std::to_string(grid[1]) +
                                    " case " + std::string(case_name(static_cast<Case>(grid[2]))) +
                                    ": restart with the same case and grid");
      for (std::size_t i = 0; i < kScalars.size(); ++i) {
        H5Id a(H5Aopen(f.get(), kScalars[i], H5P_DEFAULT), H5Aclose);
        check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &values[i]), kScalars[i]);
      }
      state.resize(static_cast<std::size_t>(rows) * nx);
      H5Id d(H5Dopen2(f.get(), "state", H5P_DEFAULT), H5Dclose);
      check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, state.data()),
            "reading the state");
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "weather: cannot read checkpoint " + path;
    }
  }
  // Every rank reports rank 0's reason, so whichever rank prints says the fix.
  int len = static_cast<int>(error.size());
  MPI_Bcast(&len, 1, MPI_INT, 0, comm);
  if (len > 0) {
    error.resize(len);
    MPI_Bcast(error.data(), len, MPI_CHAR, 0, comm);
    throw std::invalid_argument(error);
  }
  MPI_Bcast(values.data(), 5, MPI_DOUBLE, 0, comm);

  // Rank 0 cuts each rank's x range out of the global rows.
  const Layout l = layout(m, comm);
  const int ranks = static_cast<int>(l.begin.size());
  std::vector<int> counts(ranks), displs(ranks);
  std::vector<double> packed;
  for (int r = 0; r < ranks; ++r) {
    counts[r] = rows * l.width[r];
    displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
  }
  if (me == 0) {
    packed.resize(state.size());
    for (int r = 0; r < ranks; ++r)
      for (int row = 0; row < rows; ++row)
        for (int i = 0; i < l.width[r]; ++i)
          packed[displs[r] + static_cast<std::size_t>(row) * l.width[r] + i] =
              state[static_cast<std::size_t>(row) * nx + l.begin[r] + i];
  }
  Checkpoint c;
  c.time = values[0];
  c.steps = static_cast<std::int64_t>(values[1]);
  c.direction_switch = static_cast<int>(values[2]);
  c.state.resize(static_cast<std::size_t>(rows) * m.nx_local());
  MPI_Scatterv(packed.data(), counts.data(), displs.data(), MPI_DOUBLE, c.state.data(),
               static_cast<int>(c.state.size()), MPI_DOUBLE, 0, comm);
  m.restore(c);
  return {values[3], values[4]};
}

}  // namespace basin::jobs::weather
