// Reductions over axes (ReduceMean, ReduceSum, ReduceSumSquare, ReduceMax,
// ReduceMin) and LayerNormalization. Sums run in double in one fixed order
// whatever the batch or threads (over trailing axes in lane_sum's lanes,
// over others in the input's order).
#include <limits>

#include "elementwise_loops.hpp"
#include "kernel_ops.hpp"
#include "kernel_support.hpp"
#include "parallel_chunks.hpp"

namespace basin::infer::kernel {
namespace {

// Which dimensions of a rank-`rank` input are reduced: `axes` (negative
// counting from the end), or all of them when empty.
std::vector<bool> reduced_dims(const Node& n, const std::vector<int64_t>& axes, size_t rank) {
  std::vector<bool> r(rank, axes.empty());
  for (auto a : axes) {
    const auto d = size_t(norm_axis(n, a, int64_t(rank)));
    if (r[d] && !axes.empty()) fail(n, "repeated axis " + std::to_string(a));
    r[d] = true;
  }
  return r;
}

// Whether a reduction over no elements has no value: a mean, a maximum or a
// minimum (a sum of nothing is 0).
bool op_has_no_empty_value(const std::string& op) {
  return op != "ReduceSum" && op != "ReduceSumSquare";
}

}  // namespace

void reduce(const Node& n, int64_t opset, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  // ReduceSum takes its axes as an input from opset 13; the others as an
  // attribute up to opset 17 (the newest this engine reads).
  std::vector<int64_t> axes;
  if (n.op == "ReduceSum" && opset >= 13) {
    if (in.size() > 1 && in[1]) axes = ints_input(n, *in[1]);
    if (axes.empty() && n.geti("noop_with_empty_axes", 0) != 0) return copy(n, x, y, x.shape);
  } else {
    axes = n.getints("axes", {});
  }
  const bool keep = n.geti("keepdims", 1) != 0;
  const auto red = reduced_dims(n, axes, x.shape.size());
  Shape out_keep, out;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    out_keep.push_back(red[d] ? 1 : x.shape[d]);
    if (!red[d]) out.push_back(x.shape[d]);
  }
  const int64_t total = checked_numel(x.shape, n.where() + " input");
  const int64_t m = checked_numel(out_keep, n.where() + " output");
  // Output cells but no input elements: a reduced axis is empty. Its sum is
  // 0; its mean, maximum or minimum has no value (NaN or an infinity, which
  // an int64 result cannot even hold), so those are refused.
  if (m > 0 && total == 0 && op_has_no_empty_value(n.op)) fail(n, "reduces an empty axis");
  const auto ost = bstrides(out_keep, x.shape);  // 0 along reduced dims
  const std::string& op = n.op;
  const bool is_max = op == "ReduceMax", is_min = op == "ReduceMin";
  std::vector<double> acc(size_t(m), is_max   ? -std::numeric_limits<double>::infinity()
                                     : is_min ? std::numeric_limits<double>::infinity()
                                              : 0.0);
  // Reduced axes all trailing (LayerNorm's mean over the last axis): output
  // o sums elements [o * inner, (o + 1) * inner) in lane_sum's eight lanes
  // (one addition after another in double took 4 cycles an element),
  // without the general loop's index arithmetic per element or its copy of
  // the input as doubles.
  size_t first_reduced = x.shape.size();
  while (first_reduced > 0 && red[first_reduced - 1]) --first_reduced;
  bool trailing = x.dtype == DType::f32;
  for (size_t d = 0; d < first_reduced; ++d) trailing = trailing && !red[d];
  const bool squares = op == "ReduceSumSquare";
  if (trailing && m > 0) {
    const int64_t inner = total / m;
    for (int64_t o = 0; o < m; ++o) {
      const float* p = x.f.data() + o * inner;
      double& s = acc[size_t(o)];
      if (is_max)
        for (int64_t k = 0; k < inner; ++k) s = std::max(s, double(p[k]));
      else if (is_min)
        for (int64_t k = 0; k < inner; ++k) s = std::min(s, double(p[k]));
      else  // s is the accumulator's 0.0, which row_sum adds too
        s = squares ? row_sum_of_squares(p, inner) : row_sum(p, inner);
    }
  }
  const auto v = trailing ? std::vector<double>{} : as_double(x);
  std::vector<int64_t> idx(x.shape.size(), 0);
  for (int64_t k = 0; k < (trailing ? 0 : total); ++k) {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d) o += idx[d] * ost[d];
    const double a = v[size_t(k)];
    double& s = acc[size_t(o)];
    if (is_max)
      s = std::max(s, a);
    else if (is_min)
      s = std::min(s, a);
    else
      s += squares ? a * a : a;
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
  if (op == "ReduceMean" && m > 0)
    for (auto& s : acc) s /= double(total / m);
  Shape shape = keep ? out_keep : out;
  if (x.dtype == DType::f32) {
    size_f(y, std::move(shape), n);
    std::transform(acc.begin(), acc.end(), y.f.begin(), [](double s) { return float(s); });
  } else {
    size_i(y, std::move(shape), n);
    // Summed as doubles: a sum of large int64 values can leave int64's range,
    // where the conversion would be undefined.
    for (size_t k = 0; k < acc.size(); ++k) {
      if (!fits_int64(acc[k])) fail(n, "an int64 result beyond int64");
      y.i[k] = int64_t(acc[k]);
    }
  }
}

void layer_norm(const Node& n, const Inputs& in, const std::vector<Tensor*>& out, Isa isa) {
  const Tensor &x = need(n, in, 0), &scale = need(n, in, 1);
  need_f(n, x);
  need_f(n, scale);
  const Tensor* bias = in.size() > 2 ? in[2] : nullptr;
  if (bias) need_f(n, *bias);
  const auto rank = int64_t(x.shape.size());
  const auto axis = norm_axis(n, n.geti("axis", -1), rank);
  const Shape inner_shape(x.shape.begin() + axis, x.shape.end());
  const int64_t inner = checked_numel(inner_shape, n.where() + " normalised block");
  const int64_t outer = inner > 0 ? int64_t(x.f.size()) / inner : 0;
  // Scale and bias broadcast to the normalised block.
  const Shape sr = broadcast(n, inner_shape, scale.shape);
  if (sr != inner_shape || (bias && broadcast(n, inner_shape, bias->shape) != inner_shape))
    fail(n, "scale/bias do not broadcast to the normalised block " + str(inner_shape));
  std::vector<float> sc(static_cast<size_t>(inner)), bi(static_cast<size_t>(inner), 0.0f);
  const std::vector<float> zero(size_t(inner), 0.0f);
  binary(inner_shape, zero.data(), inner_shape, scale.f.data(), scale.shape, sc.data(),
         [](float, float s) { return s; });
  if (bias)
    binary(inner_shape, zero.data(), inner_shape, bias->f.data(), bias->shape, bi.data(),
           [](float, float b) { return b; });
  const double eps = n.getf("epsilon", 1e-5f);
  Tensor& y = *out[0];
  size_f(y, x.shape, n);
  // The optional Mean and InvStdDev outputs: X's shape with the normalised
  // dimensions 1.
  Shape stat_shape(x.shape.begin(), x.shape.begin() + axis);
  stat_shape.resize(x.shape.size(), 1);
  Tensor* mean_out = out.size() > 1 ? out[1] : nullptr;
  Tensor* inv_out = out.size() > 2 ? out[2] : nullptr;
  if (mean_out) size_f(*mean_out, stat_shape, n);
  if (inv_out) size_f(*inv_out, stat_shape, n);
  // Rows shared with idle threads (parallel_chunks.hpp): each is its own.
  in_chunks(outer, std::max<int64_t>(1, kChunkFloats / std::max<int64_t>(inner, 1)),
            [&](int64_t o0, int64_t o1) {
              layer_norm_rows(isa, x.f.data() + o0 * inner, o1 - o0, inner, sc.data(), bi.data(),
                              eps, y.f.data() + o0 * inner,
                              mean_out ? mean_out->f.data() + o0 : nullptr,
                              inv_out ? inv_out->f.data() + o0 : nullptr);
            });
}

}  // namespace basin::infer::kernel
