#include "netcdf_writer.hpp"

#include <hdf5_hl.h>

#include <array>
#include <stdexcept>
#include <utility>

#include "physics.hpp"

namespace basin::jobs::weather {

H5Id::H5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {
  if (id < 0) throw std::runtime_error("HDF5 call failed while writing the weather output");
}
H5Id::~H5Id() {
  if (id_ >= 0 && close_) close_(id_);
}
H5Id::H5Id(H5Id&& o) noexcept
    : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(std::exchange(o.close_, nullptr)) {}
H5Id& H5Id::operator=(H5Id&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0 && close_) close_(id_);
    id_ = std::exchange(o.id_, H5I_INVALID_HID);
    close_ = std::exchange(o.close_, nullptr);
  }
  return *this;
}

namespace {
void check(herr_t e) {
  if (e < 0) throw std::runtime_error("HDF5 call failed while writing the weather output");
}

void text_attr(hid_t obj, const char* name, const std::string& value) {
  H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  check(H5Tset_size(type.get(), value.empty() ? 1 : value.size()));
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM));
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Id a(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  check(H5Awrite(a.get(), type.get(), value.c_str()));
}

void number_attr(hid_t obj, const char* name, double value) {
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Id a(H5Acreate2(obj, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value));
}

// A fixed coordinate (dimension scale) with its values.
H5Id coordinate(hid_t file, const char* name, const std::vector<double>& v, const char* units,
                const char* long_name, const char* axis) {
  const hsize_t n = v.size();
  H5Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  H5Id d(H5Dcreate2(file, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
         H5Dclose);
  check(H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
  check(H5DSset_scale(d.get(), name));
  text_attr(d.get(), "units", units);
  text_attr(d.get(), "long_name", long_name);
  text_attr(d.get(), "axis", axis);
  return d;
}
}  // namespace

NetcdfWriter::NetcdfWriter(const std::string& path, const Config& cfg) : nx_(cfg.nx), nz_(cfg.nz) {
  H5Id fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  // netCDF-4 needs creation order tracked to list variables and attributes.
  check(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
  check(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
  file_ = H5Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), H5Fclose);
  const hid_t f = file_.get();
  text_attr(f, "Conventions", "CF-1.8");
  text_attr(f, "title", "Basin weather: 2-D dry compressible stratified Euler (miniWeather model)");
  text_attr(f, "case", std::string(case_name(cfg.test_case)));
  number_attr(f, "nx", cfg.nx);
  number_attr(f, "nz", cfg.nz);
  number_attr(f, "sim_time", cfg.sim_time);

  const double dx = physics::xlen / cfg.nx, dz = physics::zlen / cfg.nz;
  std::vector<double> xs(cfg.nx), zs(cfg.nz);
  for (int i = 0; i < cfg.nx; ++i) xs[i] = (i + 0.5) * dx;
  for (int k = 0; k < cfg.nz; ++k) zs[k] = (k + 0.5) * dz;
  H5Id x = coordinate(f, "x", xs, "m", "cell centre, horizontal distance", "X");
  H5Id z = coordinate(f, "z", zs, "m", "cell centre, height", "Z");

  // t: unlimited, chunked, grows one level per append.
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk1 = 64;
  H5Id tspace(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
  H5Id tcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  check(H5Pset_chunk(tcpl.get(), 1, &chunk1));
  H5Id t(H5Dcreate2(f, "t", H5T_IEEE_F64LE, tspace.get(), H5P_DEFAULT, tcpl.get(), H5P_DEFAULT),
         H5Dclose);
  check(H5DSset_scale(t.get(), "t"));
  text_attr(t.get(), "units", "s");
  text_attr(t.get(), "long_name", "model time");
  text_attr(t.get(), "axis", "T");

  const std::array<hsize_t, 3> dims0 = {0, hsize_t(nz_), hsize_t(nx_)};
  const std::array<hsize_t, 3> maxd = {H5S_UNLIMITED, hsize_t(nz_), hsize_t(nx_)};
  const std::array<hsize_t, 3> chunk = {1, hsize_t(nz_), hsize_t(nx_)};
  H5Id space(H5Screate_simple(3, dims0.data(), maxd.data()), H5Sclose);
  H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  check(H5Pset_chunk(dcpl.get(), 3, chunk.data()));
  struct Meta {
    const char* name;
    const char* units;
    const char* long_name;
  };
  const std::array<Meta, 4> meta = {{{"dens", "kg m-3", "density perturbation"},
                                     {"uwnd", "m s-1", "x wind"},
                                     {"wwnd", "m s-1", "z wind"},
                                     {"theta", "K", "potential temperature perturbation"}}};
  vars_.push_back(std::move(t));
  for (const Meta& m : meta) {
    H5Id d(H5Dcreate2(f, m.name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
           H5Dclose);
    check(H5DSattach_scale(d.get(), vars_[0].get(), 0));
    check(H5DSattach_scale(d.get(), z.get(), 1));
    check(H5DSattach_scale(d.get(), x.get(), 2));
    text_attr(d.get(), "units", m.units);
    text_attr(d.get(), "long_name", m.long_name);
    vars_.push_back(std::move(d));
  }
}

void NetcdfWriter::append(double time, const std::vector<std::vector<double>>& fields) {
  const hsize_t n = nt_ + 1;
  check(H5Dset_extent(vars_[0].get(), &n));
  {
    H5Id fs(H5Dget_space(vars_[0].get()), H5Sclose);
    const hsize_t one = 1;
    check(H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, &nt_, nullptr, &one, nullptr));
    H5Id ms(H5Screate_simple(1, &one, nullptr), H5Sclose);
    check(H5Dwrite(vars_[0].get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), H5P_DEFAULT, &time));
  }
  const std::array<hsize_t, 3> dims = {n, hsize_t(nz_), hsize_t(nx_)};
  const std::array<hsize_t, 3> start = {nt_, 0, 0};
  const std::array<hsize_t, 3> count = {1, hsize_t(nz_), hsize_t(nx_)};
  for (std::size_t v = 0; v < fields.size(); ++v) {
    const hid_t d = vars_[v + 1].get();
    check(H5Dset_extent(d, dims.data()));
    H5Id fs(H5Dget_space(d), H5Sclose);
    check(H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                              nullptr));
    H5Id ms(H5Screate_simple(3, count.data(), nullptr), H5Sclose);
    check(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms.get(), fs.get(), H5P_DEFAULT, fields[v].data()));
  }
  nt_ = n;
  check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL));
}

void NetcdfWriter::close() {
  vars_.clear();
  file_ = H5Id();
}

}  // namespace basin::jobs::weather
