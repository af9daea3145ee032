// Scoring many samples of a one-input, one-output model.
//
// Determinism rule: the sample range is cut into micro-batches of a fixed
// size aligned to GLOBAL sample indices (sample g always sits in row g % size
// of micro-batch g / size; missing rows are zeros), and every micro-batch runs
// on one thread, with single-threaded BLAS, through a plan of the same shapes.
// Rows never mix in any kernel, and OpenBLAS's arithmetic for a row depends
// only on its position in the block (checked: the Haswell kernel used on this
// machine gives different bits for the same row at another position), so a
// sample's output is bit-for-bit the same whatever the batch size, thread
// count or rank count.
#pragma once

#include <cstdint>
#include <vector>

#include "basin/infer/model.hpp"

namespace basin::infer {

class BatchRunner {
 public:
  static constexpr int64_t kDefaultMicroBatch = 64;

  // Checks the model has one float input [N, ...] whose per-sample dims
  // equal `sample_shape` (expected vs found in the error) and one output.
  BatchRunner(const Model& model, const std::vector<int64_t>& sample_shape,
              int64_t micro_batch = kDefaultMicroBatch);

  const std::vector<int64_t>& output_sample_shape() const { return out_shape_; }
  int64_t input_sample_size() const { return in_size_; }
  int64_t output_sample_size() const { return out_size_; }

  // Scores n samples (row-major, input_sample_size() floats each) into out
  // (output_sample_size() floats each) with up to `threads` TBB threads;
  // `first` is the global index of in[0] (see the determinism rule).
  void run(const float* in, int64_t n, float* out, int threads, int64_t first = 0) const;
  int64_t micro_batch() const { return micro_; }

 private:
  const Model* model_;
  std::vector<int64_t> in_shape_, out_shape_;
  int64_t micro_ = 0, in_size_ = 0, out_size_ = 0;
};

}  // namespace basin::infer
