#include "basin/infer/batch.hpp"

#include <cblas.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>

#include "graph.hpp"

extern "C" void openblas_set_num_threads(int);

namespace basin::infer {

namespace {
std::string str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t k = 0; k < s.size(); ++k)
    r += (k ? "," : "") + (s[k] < 0 ? std::string("N") : std::to_string(s[k]));
  return r + "]";
}
}  // namespace

BatchRunner::BatchRunner(const Model& model, const std::vector<int64_t>& sample_shape,
                         int64_t micro_batch)
    : model_(&model), micro_(micro_batch) {
  if (model.inputs().size() != 1 || model.outputs().size() != 1)
    throw ModelError("model '" + model.name() + "' must have exactly one input and one output");
  if (micro_ < 1) throw ModelError("micro-batch size must be positive");
  const auto& want = model.inputs()[0].dims;
  std::vector<int64_t> found = sample_shape;
  found.insert(found.begin(), -1);
  bool ok = want.size() == found.size() && model.inputs()[0].dtype == DType::f32;
  for (size_t d = 1; ok && d < want.size(); ++d) ok = want[d] < 0 || want[d] == found[d];
  if (!ok)
    throw ModelError("input shape mismatch: the model expects " + str(want) + ", found " +
                     str(found));
  in_shape_ = found;
  in_shape_[0] = micro_;
  in_size_ = checked_numel(sample_shape, "input sample");
  Plan probe(model, {in_shape_});
  out_shape_ = probe.output_shape(0);
  if (out_shape_.empty() || out_shape_[0] != micro_)
    throw ModelError("the model's output " + str(out_shape_) +
                     " does not keep the batch dimension first");
  out_shape_.erase(out_shape_.begin());
  out_size_ = checked_numel(out_shape_, "output sample");
}

void BatchRunner::run(const float* in, int64_t n, float* out, int threads, int64_t first) const {
  // One BLAS thread per call: parallelism comes from micro-batches, and the
  // BLAS arithmetic then never depends on how many threads exist.
  openblas_set_num_threads(1);
  struct Local {
    Plan plan;
    Tensor x;
  };
  tbb::enumerable_thread_specific<std::unique_ptr<Local>> locals;
  if (n <= 0) return;
  const int64_t c0 = first / micro_, c1 = (first + n - 1) / micro_ + 1;
  tbb::task_arena arena(std::max(threads, 1));
  arena.execute([&] {
    tbb::parallel_for(c0, c1, [&](int64_t c) {
      auto& l = locals.local();
      if (!l) {
        l = std::make_unique<Local>(Local{Plan(*model_, {in_shape_}), Tensor{}});
        l->x.shape = in_shape_;
        l->x.f.assign(size_t(micro_ * in_size_), 0.0f);
      }
      // Global rows [lo, hi) of this micro-batch are ours; the rest stay zero.
      const int64_t lo = std::max(c * micro_, first), hi = std::min((c + 1) * micro_, first + n);
      const int64_t row = lo - c * micro_, m = hi - lo;
      std::fill(l->x.f.begin(), l->x.f.end(), 0.0f);
      std::copy_n(in + (lo - first) * in_size_, m * in_size_, l->x.f.data() + row * in_size_);
      const Tensor* y = l->plan.run({&l->x})[0];
      std::copy_n(y->f.data() + row * out_size_, m * out_size_, out + (lo - first) * out_size_);
    });
  });
}

}  // namespace basin::infer
