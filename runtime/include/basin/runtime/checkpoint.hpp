// Checkpoints of a distributed run: one HDF5 file per checkpoint, written in
// parallel in the global layout (so any number of ranks can continue it).
//
// A save writes DIR/checkpoint-<step>.h5.tmp, closes it, fsyncs it, renames
// it to DIR/checkpoint-<step>.h5 and fsyncs DIR; then only the newest two are
// kept. A file carries what it belongs to (workload, grid, state-shaping
// parameters, decomposition rule), a content digest of its fields and an
// integrity hash over everything a restart restores (identity, step, every
// scalar, field names and the content digest); a load refuses a file that
// does not match or fails either check, says so with the file's name, and
// falls back to the previous good one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/field.hpp"

namespace basin::runtime {

struct CheckpointIdentity {
  std::string workload;
  Extent grid;
  std::string parameters;  // Params::state_fingerprint()
};

struct CheckpointState {
  std::int64_t step = 0;
  std::map<std::string, double> scalars;  // the workload's non-field state
};

class CheckpointStore {
 public:
  CheckpointStore(std::string dir, CheckpointIdentity identity, const Decomposition& dec);

  // Collective. Returns the path written.
  std::string save(const CheckpointState& state, const std::vector<const Field*>& fields);
  // Collective. Loads the newest good checkpoint into `fields` (matched by
  // name). Returns nullopt when the directory holds no checkpoint at all;
  // throws std::runtime_error, listing why each file was refused, when there
  // are checkpoints but none is usable. `notes` gets one line per refused file.
  std::optional<CheckpointState> load_latest(const std::vector<Field*>& fields,
                                             std::vector<std::string>& notes);
  // Checkpoint files present, newest first (rank-local directory listing).
  std::vector<std::string> list() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  CheckpointIdentity id_;
  const Decomposition& dec_;
  int saves_ = 0;
};

// The decomposition rule a checkpoint's layout follows (see decomposition.hpp).
inline constexpr const char* kDecompositionRule = "basin-block-zyx-tile32-v1";

}  // namespace basin::runtime
