#include "basin/runtime/netcdf_output.hpp"

#include <hdf5_hl.h>

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace basin::runtime {
namespace {

std::array<hsize_t, 3> hs(const std::array<int, 3>& a) {
  return {hsize_t(a[0]), hsize_t(a[1]), hsize_t(a[2])};
}

// A memory space over the field's storage selecting its owned cells.
H5Id owned_memory_space(const Field& f) {
  const auto st = hs(f.storage());
  H5Id m(H5Screate_simple(3, st.data(), nullptr), H5Sclose);
  const std::array<hsize_t, 3> start{hsize_t(f.halo()), hsize_t(f.halo()), hsize_t(f.halo())};
  const auto count = hs(f.box().size);
  h5_check(
      H5Sselect_hyperslab(m.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
      "selecting the owned cells");
  return m;
}

H5Id coordinate(hid_t file, const Axis& a, const char* axis_letter, hid_t transfer, bool root) {
  const hsize_t n = a.values.size();
  H5Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  H5Id d(H5Dcreate2(file, a.name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                    H5P_DEFAULT),
         H5Dclose, "creating a coordinate");
  // One writer; the others take part with an empty selection.
  H5Id fs(H5Dget_space(d.get()), H5Sclose);
  H5Id ms(H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (!root) {
    H5Sselect_none(fs.get());
    H5Sselect_none(ms.get());
  }
  h5_check(H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), transfer, a.values.data()),
           "writing a coordinate");
  h5_check(H5DSset_scale(d.get(), a.name.c_str()), "H5DSset_scale");
  write_text_attribute(d.get(), "units", a.units);
  write_text_attribute(d.get(), "long_name", a.long_name);
  write_text_attribute(d.get(), "axis", axis_letter);
  return d;
}

}  // namespace

H5Id parallel_access(MPI_Comm comm) {
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  h5_check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  // Metadata writes collective too: fewer small writes from every rank.
  h5_check(H5Pset_coll_metadata_write(fapl.get(), true), "H5Pset_coll_metadata_write");
  return fapl;
}

H5Id collective_transfer() {
  H5Id dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  h5_check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  return dxpl;
}

NetcdfOutput::NetcdfOutput(const std::string& path, const Decomposition& dec,
                           const OutputLayout& layout)
    : dec_(dec), path_(path) {
  H5Id fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  // netCDF-4 lists variables and attributes by creation order.
  h5_check(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
           "H5Pset_link_creation_order");
  h5_check(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
           "H5Pset_attr_creation_order");
  H5Id fapl = parallel_access(dec.comm());
  {
    H5Quiet quiet;
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get());
    if (f < 0)
      throw std::runtime_error("cannot create output file " + path +
                               ": check that its directory exists and is writable");
    file_ = H5Id(f, H5Fclose);
  }
  collective_ = collective_transfer();
  const hid_t f = file_.get();
  write_text_attribute(f, "Conventions", "CF-1.8");
  for (const auto& [k, v] : layout.text_attributes) write_text_attribute(f, k, v);

  const bool root = dec.rank() == 0;
  const char* letters[3] = {"Z", "Y", "X"};
  for (int d = 0; d < 3; ++d)
    coords_.push_back(coordinate(f, layout.axes[d], letters[d], collective_.get(), root));

  const hsize_t zero = 0, unlimited = H5S_UNLIMITED, tchunk = 64;
  H5Id tspace(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
  H5Id tcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  h5_check(H5Pset_chunk(tcpl.get(), 1, &tchunk), "H5Pset_chunk");
  H5Id t(H5Dcreate2(f, "t", H5T_IEEE_F64LE, tspace.get(), H5P_DEFAULT, tcpl.get(), H5P_DEFAULT),
         H5Dclose, "creating t");
  h5_check(H5DSset_scale(t.get(), "t"), "H5DSset_scale");
  write_text_attribute(t.get(), "units", layout.time_units);
  write_text_attribute(t.get(), "long_name", "time");
  write_text_attribute(t.get(), "axis", "T");
  vars_.push_back(std::move(t));

  // One chunk per rank's block (the largest block), one time level deep.
  const Extent& g = dec.global();
  std::array<hsize_t, 4> chunk{1, 1, 1, 1};
  for (int d = 0; d < 3; ++d) {
    const int p = dec.process_grid()[d];
    chunk[d + 1] = hsize_t(std::max(1, (g.n[d] + p - 1) / p));
  }
  const std::array<hsize_t, 4> dims0{0, hsize_t(g.n[0]), hsize_t(g.n[1]), hsize_t(g.n[2])};
  const std::array<hsize_t, 4> maxd{H5S_UNLIMITED, dims0[1], dims0[2], dims0[3]};
  H5Id space(H5Screate_simple(4, dims0.data(), maxd.data()), H5Sclose);
  H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  h5_check(H5Pset_chunk(dcpl.get(), 4, chunk.data()), "H5Pset_chunk");
  if (layout.deflate > 0) {
    h5_check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle");
    h5_check(H5Pset_deflate(dcpl.get(), unsigned(layout.deflate)), "H5Pset_deflate");
  }
  // Fill values are never read (every level is written whole): skip writing them.
  h5_check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
  for (const Variable& v : layout.variables) {
    H5Id d(H5Dcreate2(f, v.name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(),
                      H5P_DEFAULT),
           H5Dclose, "creating an output variable");
    h5_check(H5DSattach_scale(d.get(), vars_[0].get(), 0), "H5DSattach_scale");
    for (int a = 0; a < 3; ++a)
      h5_check(H5DSattach_scale(d.get(), coords_[a].get(), unsigned(a + 1)), "H5DSattach_scale");
    write_text_attribute(d.get(), "units", v.units);
    write_text_attribute(d.get(), "long_name", v.long_name);
    vars_.push_back(std::move(d));
  }
}

NetcdfOutput NetcdfOutput::continue_after(const std::string& path, const Decomposition& dec,
                                          const OutputLayout& layout, double time) {
  int usable = 0;
  NetcdfOutput out(dec);
  out.path_ = path;
  {
    H5Quiet quiet;
    H5Id fapl = parallel_access(dec.comm());
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get());
    if (f >= 0) {
      out.file_ = H5Id(f, H5Fclose);
      usable = H5Lexists(f, "t", H5P_DEFAULT) > 0 ? 1 : 0;
      for (const Variable& v : layout.variables)
        if (usable && H5Lexists(f, v.name.c_str(), H5P_DEFAULT) <= 0) usable = 0;
    }
  }
  if (!usable) {
    out.file_.reset();
    return NetcdfOutput(path, dec, layout);
  }
  out.collective_ = collective_transfer();
  out.vars_.emplace_back(H5Dopen2(out.file_.get(), "t", H5P_DEFAULT), H5Dclose, "opening t");
  for (const Variable& v : layout.variables)
    out.vars_.emplace_back(H5Dopen2(out.file_.get(), v.name.c_str(), H5P_DEFAULT), H5Dclose,
                           "opening an output variable");
  // Keep the levels up to `time`; every rank reads t to agree on the count.
  H5Id ts(H5Dget_space(out.vars_[0].get()), H5Sclose);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(ts.get(), &n, nullptr);
  std::vector<double> t(n);
  if (n > 0)
    h5_check(H5Dread(out.vars_[0].get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, out.collective_.get(),
                     t.data()),
             "reading t");
  hsize_t keep = 0;
  while (keep < n && t[keep] <= time) ++keep;
  out.nt_ = keep;
  return out;
}

void NetcdfOutput::append(double time, const std::vector<const Field*>& fields) {
  if (fields.size() + 1 != vars_.size())
    throw std::logic_error("NetcdfOutput::append: fields do not match the variables");
  // Every rank makes the same collective calls whatever fails, then all agree.
  const char* failed = nullptr;
  auto check = [&](herr_t e, const char* what) {
    if (e < 0 && !failed) failed = what;
  };
  H5Quiet quiet;
  const hsize_t n = nt_ + 1;
  check(H5Dset_extent(vars_[0].get(), &n), "extending t");
  {
    H5Id fs(H5Dget_space(vars_[0].get()), H5Sclose);
    const hsize_t one = 1;
    H5Id ms(H5Screate_simple(1, &one, nullptr), H5Sclose);
    check(H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, &nt_, nullptr, &one, nullptr), "t");
    if (dec_.rank() != 0) {
      H5Sselect_none(fs.get());
      H5Sselect_none(ms.get());
    }
    check(H5Dwrite(vars_[0].get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), collective_.get(), &time),
          "writing t");
  }
  const Extent& g = dec_.global();
  const Box& b = dec_.local();
  const std::array<hsize_t, 4> dims{n, hsize_t(g.n[0]), hsize_t(g.n[1]), hsize_t(g.n[2])};
  const std::array<hsize_t, 4> start{nt_, hsize_t(b.begin[0]), hsize_t(b.begin[1]),
                                     hsize_t(b.begin[2])};
  const std::array<hsize_t, 4> count{1, hsize_t(b.size[0]), hsize_t(b.size[1]), hsize_t(b.size[2])};
  for (std::size_t v = 0; v < fields.size(); ++v) {
    const hid_t d = vars_[v + 1].get();
    check(H5Dset_extent(d, dims.data()), "extending an output variable");
    H5Id fs(H5Dget_space(d), H5Sclose);
    check(
        H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
        "selecting this rank's block");
    H5Id ms = owned_memory_space(*fields[v]);
    check(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms.get(), fs.get(), collective_.get(), fields[v]->data()),
          "writing an output variable");
  }
  check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "flushing the output");
  agree(failed);
  nt_ = n;
}

std::string free_space_note(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return {};
  const double free_b = double(vfs.f_bavail) * double(vfs.f_frsize);
  char t[160];
  std::snprintf(t, sizeof t, "; the file system holding %s has %.1f MiB free%s", dir.c_str(),
                free_b / double(1 << 20), free_b < double(1 << 20) ? " (it is full)" : "");
  return t;
}

void NetcdfOutput::agree(const char* failed) const {
  int bad = failed ? 1 : 0, any = 0;
  MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, dec_.comm());
  if (!any) return;
  const std::string room = free_space_note(path_);
  std::string msg = "cannot write ";
  msg += path_;
  msg += ": ";
  if (!failed) {
    msg += "a write failed on another rank";
  } else {
    msg += failed;
    msg += " failed";
  }
  msg += room;
  msg += ". Free some space or write the output elsewhere";
  throw CollectiveError(msg);
}

void NetcdfOutput::set_global_attribute(const std::string& name, const std::string& value) {
  write_text_attribute(file_.get(), name, value);
}

void NetcdfOutput::close() {
  if (file_.get() >= 0) {
    // Flush first and agree: H5Fclose on a failed flush leaves HDF5 with a
    // half-closed file that crashes it at MPI_Finalize.
    H5Quiet quiet;
    agree(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0 ? "flushing the output" : nullptr);
  }
  vars_.clear();
  coords_.clear();
  collective_.reset();
  file_.reset();
}

void NetcdfOutput::discard() noexcept {
  if (file_.get() < 0) return;
  H5Quiet quiet;
  // The data is not wanted: free its space so the close can write metadata.
  if (dec_.rank() == 0) (void)::truncate(path_.c_str(), 0);
  MPI_Barrier(dec_.comm());
  vars_.clear();
  coords_.clear();
  collective_.reset();
  file_.reset();
  MPI_Barrier(dec_.comm());
  if (dec_.rank() == 0) ::unlink(path_.c_str());
}

void NetcdfOutput::abandon() noexcept {
  for (auto& v : vars_) v.release();
  for (auto& c : coords_) c.release();
  collective_.release();
  file_.release();
  ::unlink(path_.c_str());
}

bool write_distributed(hid_t file, const std::string& name, const Decomposition& dec,
                       const Field& field, hid_t transfer) {
  const auto g = hs(dec.global().n);
  H5Id space(H5Screate_simple(3, g.data(), nullptr), H5Sclose);
  H5Id d(H5Dcreate2(file, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                    H5P_DEFAULT),
         H5Dclose, "creating a checkpoint field");
  H5Id fs(H5Dget_space(d.get()), H5Sclose);
  const auto start = hs(dec.local().begin), count = hs(dec.local().size);
  h5_check(
      H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
      "selecting this rank's block");
  H5Id ms = owned_memory_space(field);
  return H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), transfer, field.data()) >= 0;
}

void read_distributed(hid_t file, const std::string& name, const Decomposition& dec, Field& field,
                      hid_t transfer) {
  H5Id d(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, ("opening dataset " + name).c_str());
  H5Id fs(H5Dget_space(d.get()), H5Sclose);
  std::array<hsize_t, 3> dims{};
  if (H5Sget_simple_extent_ndims(fs.get()) != 3 ||
      H5Sget_simple_extent_dims(fs.get(), dims.data(), nullptr) < 0 || dims != hs(dec.global().n))
    throw std::runtime_error("dataset " + name + " does not have the grid's shape");
  const auto start = hs(dec.local().begin), count = hs(dec.local().size);
  h5_check(
      H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
      "selecting this rank's block");
  H5Id ms = owned_memory_space(field);
  h5_check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, ms.get(), fs.get(), transfer, field.data()),
           ("reading dataset " + name).c_str());
}

}  // namespace basin::runtime
