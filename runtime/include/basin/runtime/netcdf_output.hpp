// Parallel HDF5 output of distributed fields that netCDF-4 readers (ncdump,
// xarray) open as a CF dataset: dimensions (t, z, y, x) as dimension scales
// with units, one chunked (optionally deflated) variable per field, written
// collectively, each rank its own hyperslab.
//
// Every call is collective over the decomposition's communicator.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/field.hpp"
#include "basin/runtime/h5.hpp"
#include "basin/runtime/output_file.hpp"

namespace basin::runtime {

struct Axis {
  std::string name;  // "z", "y", "x"
  std::string units;
  std::string long_name;
  std::vector<double> values;  // one per global cell
};

struct Variable {
  std::string name;
  std::string units;
  std::string long_name;
};

struct OutputLayout {
  std::array<Axis, 3> axes;         // (z, y, x)
  std::vector<Variable> variables;  // in the order fields are given to append()
  std::string time_units = "s";
  std::map<std::string, std::string> text_attributes;  // global: title, workload, parameters
  int deflate = 0;                                     // 0: none, 1..9: gzip level
};

class NetcdfOutput final : public OutputFile {
 public:
  // Creates (truncates) path. Throws std::runtime_error naming the path.
  // append() and close() check every HDF5 call on every rank and agree on
  // the outcome: a failed write (e.g. a full file system) throws
  // CollectiveError on all ranks, naming the file and the free space left.
  NetcdfOutput(const std::string& path, const Decomposition& decomposition,
               const OutputLayout& layout);
  // Reopens an output a run wrote before it was preempted: levels after
  // `time` are dropped (the continued run writes them again). Creates the
  // file when it does not exist or does not have this layout's variables.
  static NetcdfOutput continue_after(const std::string& path, const Decomposition& decomposition,
                                     const OutputLayout& layout, double time);
  // Appends one time level; fields[i] is variables[i].
  void append(double time, const std::vector<const Field*>& fields);
  void set_global_attribute(const std::string& name, const std::string& value) override;
  // Flushes (collective, checked: CollectiveError on failure) and closes.
  void close() override;
  // After a failure every rank saw: empties the file (so closing it finds
  // room for HDF5's metadata even on a full file system), closes every
  // handle and deletes the file. Collective; never throws.
  void discard() noexcept override;
  // After a failure on this rank only (the run is about to abort): forgets
  // the handles without collective calls and deletes the file.
  void abandon() noexcept override;
  const std::string& path() const { return path_; }
  int levels() const { return int(nt_); }

 private:
  explicit NetcdfOutput(const Decomposition& decomposition) : dec_(decomposition) {}
  // Throws CollectiveError on every rank when any rank's `failed` (what
  // failed on this rank, or nullptr) is set.
  void agree(const char* failed) const;
  const Decomposition& dec_;
  std::string path_;
  H5Id file_;
  H5Id collective_;         // transfer property list: collective MPI-IO
  std::vector<H5Id> vars_;  // [0] = t, then the variables
  std::vector<H5Id> coords_;
  hsize_t nt_ = 0;
};

// Collective write of one distributed field as a fixed (z, y, x) dataset of
// an open parallel file, and the matching read into a field's owned cells.
// The write returns false when it failed (e.g. a full disk), so that every
// rank still makes the same collective calls; creating the dataset throws.
bool write_distributed(hid_t file, const std::string& name, const Decomposition& decomposition,
                       const Field& field, hid_t transfer);
void read_distributed(hid_t file, const std::string& name, const Decomposition& decomposition,
                      Field& field, hid_t transfer);

// "; the file system holding DIR has N MiB free" for path's directory, or "".
std::string free_space_note(const std::string& path);

// File access with MPI-IO over the decomposition's communicator.
H5Id parallel_access(MPI_Comm comm);
H5Id collective_transfer();

}  // namespace basin::runtime
