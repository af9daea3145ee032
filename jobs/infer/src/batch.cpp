#include "basin/infer/batch.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "graph.hpp"
#include "parallel_chunks.hpp"

namespace basin::infer {

// Planned micro-batches waiting for work, by row count (always the
// micro-batch size when padded). A plan holds its buffers and its
// reordered oneDNN weights, so it is built once per concurrent task and row
// count and kept for later calls rather than planned again each batch. Only
// the kKeptRowCounts most recently returned row counts stay (`recent`, most
// recent first): unpadded plans are made per row count, and a caller whose
// calls have ever other sizes must not grow memory without bound.
struct BatchRunner::Pool {
  struct Worker {
    Plan plan;
  };
  std::mutex mu;
  std::map<int64_t, std::vector<std::unique_ptr<Worker>>> idle;
  std::vector<int64_t> recent;
  std::atomic<int> concurrency{0};
  // One TBB arena per thread count, kept for the runner's life: an arena
  // made per call had its worker join it anew for every batch, a cost that
  // a small batch (an MLP's 16 samples, about 0.3 ms) pays in full.
  std::mutex arena_mu;
  std::map<int, std::unique_ptr<tbb::task_arena>> arenas;

  tbb::task_arena& arena(int ways) {
    std::lock_guard lock(arena_mu);
    auto& a = arenas[ways];
    if (!a) a = std::make_unique<tbb::task_arena>(ways);
    return *a;
  }

  std::unique_ptr<Worker> take(const Model& model, std::vector<int64_t> shape, int64_t rows,
                               const PlanOptions& options) {
    {
      std::lock_guard lock(mu);
      auto it = idle.find(rows);
      if (it != idle.end() && !it->second.empty()) {
        auto w = std::move(it->second.back());
        it->second.pop_back();
        return w;
      }
    }
    shape[0] = rows;
    return std::make_unique<Worker>(Worker{Plan(model, {shape}, options)});
  }
  void give_back(std::unique_ptr<Worker> w, int64_t rows) {
    std::vector<std::unique_ptr<Worker>> freed;  // destroyed outside the lock
    std::lock_guard lock(mu);
    idle[rows].push_back(std::move(w));
    std::erase(recent, rows);
    recent.insert(recent.begin(), rows);
    while (recent.size() > kKeptRowCounts) {
      auto it = idle.find(recent.back());
      for (auto& p : it->second) freed.push_back(std::move(p));
      idle.erase(it);
      recent.pop_back();
    }
  }
  std::size_t plans() {
    std::lock_guard lock(mu);
    std::size_t n = 0;
    for (const auto& [rows, list] : idle) n += list.size();
    return n;
  }
};

BatchRunner::BatchRunner(const Model& model, const std::vector<int64_t>& sample_shape,
                         int64_t micro_batch, const PlanOptions& options)
    : model_(model), options_(options), micro_(micro_batch), pool_(std::make_unique<Pool>()) {
  if (model.inputs().size() != 1 || model.outputs().size() != 1)
    throw ModelError("model '" + model.name() + "' must have exactly one input and one output");
  if (micro_ < 1) throw ModelError("micro-batch size must be positive");
  const auto& want = model.inputs()[0].dims;
  std::vector<int64_t> found = sample_shape;
  found.insert(found.begin(), -1);
  if (!dims_fit(want, found) || model.inputs()[0].dtype != DType::f32)
    throw ModelError("input shape mismatch: the model expects " + shape_text(want) + ", found " +
                     shape_text(found));
  in_shape_ = found;
  in_shape_[0] = micro_;
  in_size_ = checked_numel(sample_shape, "input sample");
  // The first worker doubles as the probe that resolves the output shape
  // and whether plans need padding (one row: a large model's full
  // micro-batch plan is big, and unpadded plans are per row count anyway).
  const int64_t probe_rows = 1;
  auto probe = pool_->take(model, in_shape_, probe_rows, options_);
  pad_ = !probe->plan.rows_independent();
  out_shape_ = probe->plan.output_shape(0);
  // Scores are floats: an int64 output (a Shape, an ArgMax) is not a score.
  if (probe->plan.output_dtype(0) != DType::f32)
    throw ModelError(
        "the model's output is int64; scores must be float (end the model with a "
        "Cast to float)");
  if (out_shape_.empty() || out_shape_[0] != probe_rows)
    throw ModelError("the model's output " + shape_text(out_shape_) +
                     " does not keep the batch dimension first");
  out_shape_.erase(out_shape_.begin());
  out_size_ = checked_numel(out_shape_, "output sample");
  value_size_ = std::max<int64_t>(1, probe->plan.largest_value() / probe_rows);
  if (pad_) {
    // Padded micro-batches as small as keep oneDNN's blocked copies of the
    // largest value in a core's cache (more rows only stream them through
    // memory), and a probe plan of one row is not kept.
    micro_ = std::clamp(kPaddedValueFloats / value_size_, int64_t{1}, micro_);
    in_shape_[0] = micro_;
  } else {
    pool_->give_back(std::move(probe), probe_rows);
  }
}

BatchRunner::~BatchRunner() = default;
BatchRunner::BatchRunner(BatchRunner&&) noexcept = default;
BatchRunner& BatchRunner::operator=(BatchRunner&&) noexcept = default;

void BatchRunner::run(const float* in, int64_t n, float* out, int threads, int64_t first) const {
  if (n <= 0) return;
  if (first < 0) throw ModelError("the first sample index must not be negative");
  // Padded plans (oneDNN steps): micro-batches aligned to global indices
  // (the determinism rule), each planned whole with the other rows zero.
  // Otherwise any cut gives the same bits, so the samples are cut into
  // `step` rows from `first` (a micro-batch, or fewer so that a small call
  // still keeps every thread busy) and each piece is planned for its own
  // row count.
  const int64_t ways = std::max(threads, 1);
  // An unpadded piece holds at least kMinPieceFloats of input: a piece
  // streams all the model's weights, and a small call cut into tiny pieces
  // (an MLP's 16 samples in two pieces of 8) makes every thread stream them
  // for a few rows, slower than one thread alone. Large samples (a
  // transformer's sequence) still give one piece per thread.
  const int64_t min_rows = std::max<int64_t>(1, kMinPieceFloats / std::max<int64_t>(in_size_, 1));
  const int64_t cache_rows = std::max(min_rows, kPieceValueFloats / value_size_);
  const int64_t step =
      pad_ ? micro_
           : std::min({micro_, cache_rows, std::max((n + ways - 1) / ways, std::min(n, min_rows))});
  const int64_t base = pad_ ? 0 : first;
  const int64_t c0 = (first - base) / step, c1 = (first + n - 1 - base) / step + 1;
  tbb::task_arena& arena = pool_->arena(static_cast<int>(ways));
  arena.execute([&] {
    const int conc = tbb::this_task_arena::max_concurrency();
    int seen = pool_->concurrency.load();
    while (conc > seen && !pool_->concurrency.compare_exchange_weak(seen, conc)) {
    }
    tbb::parallel_for(c0, c1, [&](int64_t c) {
      // Global rows [lo, hi) of this piece are ours.
      const int64_t start = base + c * step;
      const int64_t lo = std::max(start, first), hi = std::min(start + step, first + n);
      const int64_t m = hi - lo;
      const int64_t rows = pad_ ? micro_ : m, row = pad_ ? lo - start : 0;
      auto w = pool_->take(model_, in_shape_, rows, options_);
      // A piece shares its work with idle threads only when there are
      // fewer pieces than threads (parallel_chunks.hpp).
      SharingWithIdleThreads sharing(c1 - c0 < ways);
      float* x = w->plan.input_data(0);
      std::fill(x, x + row * in_size_, 0.0f);
      std::copy_n(in + (lo - first) * in_size_, m * in_size_, x + row * in_size_);
      std::fill(x + (row + m) * in_size_, x + rows * in_size_, 0.0f);
      const Tensor* y = w->plan.run_in_place()[0];
      // The probe saw one row; a model whose output does not follow the row
      // count (a Shape of a Shape is [1] for any batch) is refused here, not
      // read past its end.
      if (y->dtype != DType::f32 || int64_t(y->f.size()) != rows * out_size_)
        throw ModelError("the model's output " + shape_text(y->shape) + " for " +
                         std::to_string(rows) + " samples is not " + std::to_string(out_size_) +
                         " floats a sample");
      std::copy_n(y->f.data() + row * out_size_, m * out_size_, out + (lo - first) * out_size_);
      pool_->give_back(std::move(w), rows);
    });
  });
}

int BatchRunner::arena_concurrency() const {
  return pool_->concurrency.load();
}

std::size_t BatchRunner::kept_plans() const {
  return pool_->plans();
}

std::size_t BatchRunner::kept_row_counts() const {
  std::lock_guard lock(pool_->mu);
  return pool_->idle.size();
}

SampleSizes sample_sizes(const Model& model) {
  if (model.inputs().size() != 1 || model.outputs().size() != 1)
    throw ModelError("model '" + model.name() + "' must have exactly one input and one output");
  const auto& dims = model.inputs()[0].dims;
  SampleSizes r;
  r.input_shape.assign(dims.begin() + (dims.empty() ? 0 : 1), dims.end());
  if (dims.empty() ||
      std::any_of(r.input_shape.begin(), r.input_shape.end(), [](int64_t d) { return d < 0; }))
    throw ModelError("model '" + model.name() + "': input " + shape_text(dims) +
                     " must be [N, fixed dims...] to be scored sample by sample");
  BatchRunner probe(model, r.input_shape, 1);
  r.output_shape = probe.output_sample_shape();
  r.input = probe.input_sample_size();
  r.output = probe.output_sample_size();
  return r;
}

void score(const Model& model, const float* in, size_t n_samples, float* out,
           const ScoreOptions& options) {
  const SampleSizes s = sample_sizes(model);
  BatchRunner(model, s.input_shape, kMicroBatch, options.plan)
      .run(in, int64_t(n_samples), out, options.threads, options.first);
}

}  // namespace basin::infer
