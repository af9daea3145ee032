#include "decomposed_layer_norm.hpp"

#include <cmath>

#include "elementwise_loops.hpp"
#include "kernel_support.hpp"
#include "parallel_chunks.hpp"

namespace basin::infer {
namespace {

class DecomposedLayerNorm : public FastStep {
 public:
  DecomposedLayerNorm(int x, int y, int64_t width, float eps, Isa isa)
      : x_(x), y_(y), width_(width), eps_(eps), isa_(isa) {}

  void run(std::vector<Tensor>& values) override {
    const float* x = values[size_t(x_)].f.data();
    float* y = values[size_t(y_)].f.data();
    const int64_t w = width_, rows = int64_t(values[size_t(x_)].f.size()) / w;
    // Rows shared with idle threads (parallel_chunks.hpp): each is its own.
    in_chunks(rows, std::max<int64_t>(1, kChunkFloats / w), [&](int64_t r0, int64_t r1) {
      thread_local std::vector<float> d, squares;
      d.resize(size_t(w)), squares.resize(size_t(w));
      const float *dp = d.data(), *sp = squares.data();
      for (int64_t r = r0; r < r1; ++r) {
        const float* a = x + r * w;
        // ReduceMean's value, from the function its kernel uses.
        const float mean = kernel::row_mean(a, w);
        // Sub, Pow and Div through the vectorised loops the nodes' kernels
        // use (one IEEE operation an element).
        binary_loop(isa_, BinaryOp::sub, a, 1, &mean, 0, d.data(), w);
        binary_loop(isa_, BinaryOp::mul, dp, 1, dp, 1, squares.data(), w);
        const float var = kernel::row_mean(sp, w);
        const float s = std::sqrt(var + eps_);
        binary_loop(isa_, BinaryOp::div, dp, 1, &s, 0, y + r * w, w);
      }
    });
  }

 private:
  int x_, y_;
  int64_t width_;
  float eps_;
  Isa isa_;
};

bool is_op(const Node& n, const char* op, size_t ins) {
  return n.op == op && n.in.size() == ins && n.out.size() == 1 && n.out[0] >= 0 &&
         std::all_of(n.in.begin(), n.in.end(), [](int v) { return v >= 0; });
}

// The one float of a constant value of one element, if it is one.
bool constant_scalar(const std::vector<Tensor>& values, const std::vector<bool>& is_const, int v,
                     float& out) {
  const Tensor& t = values[size_t(v)];
  if (!is_const[size_t(v)]) return false;
  if (t.dtype == DType::f32 && t.f.size() == 1) return out = t.f[0], true;
  if (t.dtype == DType::i64 && t.i.size() == 1) return out = float(t.i[0]), true;
  return false;
}

}  // namespace

std::unique_ptr<FastStep> make_decomposed_layer_norm(
    const std::vector<const Node*>& live, size_t first, const std::vector<Tensor>& values,
    const std::vector<int>& readers, const std::vector<bool>& is_const, Isa isa, size_t& length) {
  length = 0;
  if (first + 7 > live.size()) return nullptr;
  const Node &mean = *live[first], &sub = *live[first + 1], &pow = *live[first + 2],
             &mean_sq = *live[first + 3], &add = *live[first + 4], &sqrt = *live[first + 5],
             &div = *live[first + 6];
  if (!is_op(mean, "ReduceMean", 1) || !is_op(sub, "Sub", 2) || !is_op(pow, "Pow", 2) ||
      !is_op(mean_sq, "ReduceMean", 1) || !is_op(add, "Add", 2) || !is_op(sqrt, "Sqrt", 1) ||
      !is_op(div, "Div", 2))
    return nullptr;
  const int x = mean.in[0];
  const Tensor& xt = values[size_t(x)];
  if (xt.dtype != DType::f32 || xt.shape.empty() || xt.shape.back() <= 0) return nullptr;
  const auto rank = int64_t(xt.shape.size());
  // ReduceMean over the last axis alone, keeping it.
  auto over_last = [&](const Node& n) {
    const auto axes = n.getints("axes", {});
    return n.geti("keepdims", 1) == 1 && axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
  };
  const int m = mean.out[0], d = sub.out[0], p = pow.out[0], v = mean_sq.out[0];
  const int e = add.out[0], s = sqrt.out[0], y = div.out[0];
  float two = 0, eps = 0;
  const int eps_in = add.in[0] == v ? add.in[1] : add.in[0];
  const bool shape_ok = values[size_t(d)].shape == xt.shape &&
                        values[size_t(y)].shape == xt.shape &&
                        values[size_t(e)].shape == values[size_t(v)].shape;
  if (!over_last(mean) || !over_last(mean_sq) || !shape_ok || sub.in[0] != x || sub.in[1] != m ||
      pow.in[0] != d || !constant_scalar(values, is_const, pow.in[1], two) || two != 2.0f ||
      mean_sq.in[0] != p || (add.in[0] != v && add.in[1] != v) ||
      !constant_scalar(values, is_const, eps_in, eps) ||
      values[size_t(eps_in)].dtype != DType::f32 || sqrt.in[0] != e || div.in[0] != d ||
      div.in[1] != s)
    return nullptr;
  // Every intermediate read inside the pattern only: d by the Pow and the
  // Div, the others by the next node.
  if (readers[size_t(m)] != 1 || readers[size_t(d)] != 2 || readers[size_t(p)] != 1 ||
      readers[size_t(v)] != 1 || readers[size_t(e)] != 1 || readers[size_t(s)] != 1)
    return nullptr;
  for (int id : {m, d, p, v, e, s, y})
    if (values[size_t(id)].dtype != DType::f32) return nullptr;
  length = 7;
  return std::make_unique<DecomposedLayerNorm>(x, y, xt.shape.back(), eps, isa);
}

}  // namespace basin::infer
