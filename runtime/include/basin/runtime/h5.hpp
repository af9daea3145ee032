// RAII for HDF5 identifiers and the few attribute helpers every writer needs.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

namespace basin::runtime {

// Closes the identifier with the matching H5?close on destruction. A failed
// HDF5 call (id < 0) throws std::runtime_error with `what` in the message.
class H5Id {
 public:
  H5Id() = default;
  H5Id(hid_t id, herr_t (*close)(hid_t), const char* what = "HDF5 call");
  ~H5Id() { reset(); }
  H5Id(H5Id&& o) noexcept
      : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(std::exchange(o.close_, nullptr)) {}
  H5Id& operator=(H5Id&& o) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  hid_t get() const { return id_; }
  void reset();
  // Forgets the identifier without closing it (a failed run about to abort).
  hid_t release() {
    close_ = nullptr;
    return std::exchange(id_, H5I_INVALID_HID);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// Throws std::runtime_error("<what> failed") when e < 0.
void h5_check(herr_t e, const char* what);

// Collective in parallel files: every rank calls with identical arguments.
void write_text_attribute(hid_t object, const std::string& name, const std::string& value);
void write_number_attribute(hid_t object, const std::string& name, double value);
// Empty / NaN when the attribute is missing or of another type.
std::string read_text_attribute(hid_t object, const std::string& name);
double read_number_attribute(hid_t object, const std::string& name);

// Silences HDF5's own error stack printing while alive (our messages say more).
class H5Quiet {
 public:
  H5Quiet();
  ~H5Quiet();
  H5Quiet(const H5Quiet&) = delete;
  H5Quiet& operator=(const H5Quiet&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

}  // namespace basin::runtime
