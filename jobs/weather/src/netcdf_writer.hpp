// A netCDF-4/CF file of the weather fields, written by one rank through HDF5
// with the dimension-scale layout netCDF-4 uses, so ncdump, xarray and
// netCDF4-python read it: dens, uwnd, wwnd, theta over (t, z, x).
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "basin/jobs/weather/model.hpp"

namespace basin::jobs::weather {

// Owns one HDF5 identifier; closes it with the matching H5*close.
class H5Id {
 public:
  H5Id() = default;
  H5Id(hid_t id, herr_t (*close)(hid_t));
  ~H5Id();
  H5Id(H5Id&& o) noexcept;
  H5Id& operator=(H5Id&& o) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

class NetcdfWriter {
 public:
  // Creates path (replacing it) with coordinates x, z in metres and t in
  // seconds; the case and grid become global attributes.
  NetcdfWriter(const std::string& path, const Config& cfg);
  // Appends one time level; each field is (z, x) row-major, global.
  void append(double time, const std::vector<std::vector<double>>& fields);
  void close();

 private:
  H5Id file_;
  std::vector<H5Id> vars_;  // t, dens, uwnd, wwnd, theta
  int nx_, nz_;
  hsize_t nt_ = 0;
};

}  // namespace basin::jobs::weather
