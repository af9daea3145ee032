#include "basin/runtime/h5.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace basin::runtime {

H5Id::H5Id(hid_t id, herr_t (*close)(hid_t), const char* what) : id_(id), close_(close) {
  if (id < 0) throw std::runtime_error(std::string(what) + " failed");
}

H5Id& H5Id::operator=(H5Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = std::exchange(o.id_, H5I_INVALID_HID);
    close_ = std::exchange(o.close_, nullptr);
  }
  return *this;
}

void H5Id::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = H5I_INVALID_HID;
  close_ = nullptr;
}

void h5_check(herr_t e, const char* what) {
  if (e < 0) throw std::runtime_error(std::string(what) + " failed");
}

void write_text_attribute(hid_t obj, const std::string& name, const std::string& value) {
  H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  h5_check(H5Tset_size(type.get(), value.empty() ? 1 : value.size()), "H5Tset_size");
  h5_check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "H5Tset_strpad");
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) h5_check(H5Adelete(obj, name.c_str()), "H5Adelete");
  H5Id a(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
         "creating an attribute");
  h5_check(H5Awrite(a.get(), type.get(), value.c_str()), "writing an attribute");
}

void write_number_attribute(hid_t obj, const std::string& name, double value) {
  H5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) h5_check(H5Adelete(obj, name.c_str()), "H5Adelete");
  H5Id a(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
         H5Aclose, "creating an attribute");
  h5_check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value), "writing an attribute");
}

std::string read_text_attribute(hid_t obj, const std::string& name) {
  H5Quiet quiet;
  if (H5Aexists(obj, name.c_str()) <= 0) return {};
  H5Id a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  H5Id type(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) return {};
  const std::size_t n = H5Tget_size(type.get());
  if (n == 0 || n > (1u << 20)) return {};
  std::vector<char> buf(n + 1, '\0');
  H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
  h5_check(H5Tset_size(mem.get(), n + 1), "H5Tset_size");
  if (H5Aread(a.get(), mem.get(), buf.data()) < 0) return {};
  return std::string(buf.data());
}

double read_number_attribute(hid_t obj, const std::string& name) {
  H5Quiet quiet;
  if (H5Aexists(obj, name.c_str()) <= 0) return NAN;
  H5Id a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  H5Id space(H5Aget_space(a.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return NAN;
  double v = NAN;
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) return NAN;
  return v;
}

H5Quiet::H5Quiet() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}
H5Quiet::~H5Quiet() {
  H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

}  // namespace basin::runtime
