// A run's output file as the driver finishes it: the digest attribute, the
// close, or its removal when the run fails. NetcdfOutput (the grid
// workloads' levels) is one; batch inference writes its own (rows of one
// HDF5 dataset) and hands the driver this interface.
#pragma once

#include <stdexcept>
#include <string>

namespace basin::runtime {

// A failure every rank of the communicator raises together (after agreeing
// on it), so the run can end cleanly on all of them without MPI_Abort.
class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OutputFile {
 public:
  virtual ~OutputFile() = default;
  // An attribute of the result as a whole (netCDF: a global attribute;
  // inference: one on the output dataset). Collective.
  virtual void set_global_attribute(const std::string& name, const std::string& value) = 0;
  // Flushes (collective, checked: CollectiveError on failure) and closes.
  virtual void close() = 0;
  // After a failure every rank saw: closes every handle and deletes the
  // file. Collective; never throws.
  virtual void discard() noexcept = 0;
  // After a failure on this rank only (the run is about to abort): forgets
  // the handles without collective calls and deletes the file.
  virtual void abandon() noexcept = 0;
};

}  // namespace basin::runtime
