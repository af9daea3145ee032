// Scoring many samples of a one-input, one-output model.
//
// Determinism rule: the sample range is cut into micro-batches of a fixed
// size (kMicroBatch) aligned to GLOBAL sample indices: sample g always sits in
// row g % kMicroBatch of micro-batch g / kMicroBatch, and rows that are not
// being scored are zeros. Every micro-batch runs on one thread, with
// single-threaded oneDNN, through a plan of the same shapes, so a
// sample's output comes from the same sequence of floating-point operations
// whatever the number of samples scored per call (the I/O batch size), the
// thread count or the rank count: it is bit-for-bit the same. Rows never mix
// in any kernel; position matters only because a BLAS kernel may treat rows
// at different positions of a block differently, hence the alignment.
// (In fast arithmetic bits may differ between CPUs with different
// instruction sets: oneDNN picks its kernels by CPU.)
//
// Padding is needed only for plans with oneDNN steps (fast arithmetic on a
// model with dense convolutions, see Plan::rows_independent). Every other
// plan computes each row alone in one canonical order (portable_gemm.hpp),
// so a piece holds only the rows being scored, planned for that row count,
// and a row's bits are the same whatever the batch (in portable arithmetic
// on every x86-64 CPU, too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "basin/infer/model.hpp"

namespace basin::infer {

// Samples per micro-batch: large enough for the matrix products to run near
// the BLAS peak, small enough that a 256-sample batch keeps 2 threads busy.
inline constexpr int64_t kMicroBatch = 128;

class BatchRunner {
 public:
  static constexpr int64_t kDefaultMicroBatch = kMicroBatch;

  // Checks the model has one float input [N, ...] whose per-sample dims
  // equal `sample_shape` (expected vs found in the error) and one output.
  // When a plan needs padding (fast arithmetic, oneDNN steps), a
  // micro_batch other than kMicroBatch gives other (equally valid) bits.
  BatchRunner(const Model& model, const std::vector<int64_t>& sample_shape,
              int64_t micro_batch = kMicroBatch, const PlanOptions& options = {});
  ~BatchRunner();
  BatchRunner(BatchRunner&&) noexcept;
  BatchRunner& operator=(BatchRunner&&) noexcept;

  const std::vector<int64_t>& output_sample_shape() const { return out_shape_; }
  int64_t input_sample_size() const { return in_size_; }
  int64_t output_sample_size() const { return out_size_; }

  // Scores n samples (row-major, input_sample_size() floats each) into out
  // (output_sample_size() floats each) with up to `threads` TBB threads;
  // `first` is the global index of in[0] (see the determinism rule).
  // Planned micro-batches are kept between calls; safe to call from
  // several threads at once.
  void run(const float* in, int64_t n, float* out, int threads, int64_t first = 0) const;
  int64_t micro_batch() const { return micro_; }
  const PlanOptions& options() const { return options_; }
  // The largest TBB arena concurrency a run() call had so far (0 before any).
  int arena_concurrency() const;
  // Planned micro-batches kept for later calls, and for how many row counts.
  // Unpadded plans are made per row count, so callers with ever
  // other sizes (a server's requests of 1..micro_batch samples) would keep a
  // plan for each: only the kKeptRowCounts most recently used row counts are
  // kept, the others freed.
  static constexpr std::size_t kKeptRowCounts = 4;
  // Unpadded plans cut a call into pieces of at least this many input
  // floats (64 KiB), so that each piece's pass over the weights serves
  // enough rows.
  static constexpr int64_t kMinPieceFloats = 16384;
  // ... and, above that, of at most as many rows as keep the largest
  // intermediate value within this many floats (768 KiB, three quarters of
  // a core's 1 MiB L2 cache, leaving room for the layer's input and
  // weights): a convolutional net's layers then pass their activations
  // through the cache instead of memory (a MobileNet's 128-image piece
  // holds 8 MiB per activation), and a transformer runs one sequence a
  // piece (two filled the whole 1 MiB with the feed-forward activation
  // alone and ran 8-17% slower).
  static constexpr int64_t kPieceValueFloats = 196608;
  // Padded plans' micro-batch: at most micro_batch rows, and no more than
  // keep the largest intermediate value within this many floats (256 KiB:
  // oneDNN works on blocked copies beside it). Derived from the model, never
  // from a call, so the determinism rule holds; micro_batch() reports it.
  static constexpr int64_t kPaddedValueFloats = 65536;
  std::size_t kept_plans() const;
  std::size_t kept_row_counts() const;

 private:
  struct Pool;
  // A copy (a Model shares its graph): a runner outlives the Model it was
  // made from, even a temporary, and the pool's plans point into the graph.
  Model model_;
  PlanOptions options_;
  std::vector<int64_t> in_shape_, out_shape_;
  int64_t micro_ = 0, in_size_ = 0, out_size_ = 0;
  int64_t value_size_ = 1;  // the largest intermediate value of one sample, in floats
  bool pad_ = false;        // the plans' rows depend on each other (Plan::rows_independent)
  std::unique_ptr<Pool> pool_;
};

struct ScoreOptions {
  int threads = 1;    // TBB threads for this call
  int64_t first = 0;  // global index of the first sample (a rank's hyperslab start)
  PlanOptions plan;   // fast or portable arithmetic
};

// The workload entry point: scores samples [first, first + n_samples) of a
// data set, `in` holding them row-major with the per-sample shape the model
// declares (its input dims after the batch dim, which must all be fixed), into
// `out` (output_sample_size floats per sample, see sample_sizes()). A rank
// scores its own hyperslab by passing its start as `first`; the result is
// bit-identical to scoring the whole set in one call (determinism rule).
// Plans the model on each call: to score a range chunk by chunk, keep a
// BatchRunner instead. Throws ModelError on a model that does not fit.
void score(const Model& model, const float* in, size_t n_samples, float* out,
           const ScoreOptions& options = {});

// Floats per input and per output sample of a one-input, one-output model
// whose input dims after the batch dim are fixed.
struct SampleSizes {
  std::vector<int64_t> input_shape, output_shape;  // without the batch dim
  int64_t input = 0, output = 0;
};
SampleSizes sample_sizes(const Model& model);

}  // namespace basin::infer
