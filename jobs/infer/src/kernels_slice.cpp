// Slicing and reshaping data: Slice, Squeeze, Expand, Split; Cast between
// the engine's two element types; the tensors shape subgraphs build
// (ConstantOfShape, Range).
#include <limits>

#include "kernel_ops.hpp"
#include "kernel_support.hpp"

namespace basin::infer::kernel {
namespace {

// Copies the strided box of `x` (per dimension: first index, step, count)
// into `y`, sized `box` beforehand.
template <class Buffer>
void copy_box(const Buffer& x, const Shape& xs, const Shape& first, const Shape& step,
              const Shape& box, Buffer& y) {
  // An empty box copies nothing; its first index may lie in an empty
  // tensor, whose data pointer must not be offset (found by fuzz_onnx_model).
  for (int64_t b : box)
    if (b == 0) return;
  Shape stride(xs.size(), 1);
  for (size_t d = xs.size(); d-- > 1;) stride[d - 1] = stride[d] * xs[d];
  int64_t o = 0;
  Shape box_stride(xs.size());
  for (size_t d = 0; d < xs.size(); ++d) {
    o += first[d] * stride[d];
    box_stride[d] = step[d] * stride[d];
  }
  strided_copy(x.data() + o, box, box_stride, y.data());
}

void take_box(const Node& n, const Tensor& x, const Shape& first, const Shape& step,
              const Shape& box, Tensor& y) {
  if (x.dtype == DType::f32) {
    size_f(y, box, n);
    copy_box(x.f, x.shape, first, step, box, y.f);
  } else {
    size_i(y, box, n);
    copy_box(x.i, x.shape, first, step, box, y.i);
  }
}

}  // namespace

SliceBox slice_box(const Node& n, int64_t opset, const Inputs& in) {
  const Tensor& x = need(n, in, 0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset >= 10) {
    starts = ints_input(n, need(n, in, 1));
    ends = ints_input(n, need(n, in, 2));
    if (in.size() > 3 && in[3]) axes = ints_input(n, *in[3]);
    if (in.size() > 4 && in[4]) steps = ints_input(n, *in[4]);
  } else {
    starts = n.getints("starts", {});
    ends = n.getints("ends", {});
    axes = n.getints("axes", {});
  }
  if (starts.size() != ends.size()) fail(n, "starts and ends differ in length");
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(int64_t(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    fail(n, "axes/steps differ in length from starts");
  const auto rank = int64_t(x.shape.size());
  Shape first(x.shape.size(), 0), step(x.shape.size(), 1), box = x.shape;
  std::vector<bool> seen(x.shape.size(), false);
  for (size_t k = 0; k < starts.size(); ++k) {
    const auto d = size_t(norm_axis(n, axes[k], rank));
    if (seen[d]) fail(n, "repeated axis " + std::to_string(axes[k]));
    seen[d] = true;
    const int64_t dim = x.shape[d], st = steps[k];
    if (st == 0) fail(n, "a step of 0");
    // ONNX's clamping: negative positions count from the end; a forward
    // slice stays within [0, dim], a backward one within [-1, dim - 1].
    auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0) v = v < -dim ? -dim - 1 : v + dim;  // INT64_MIN-safe
      return std::min(std::max(v, lo), hi);
    };
    const int64_t s = st > 0 ? clamp(starts[k], 0, dim) : clamp(starts[k], 0, dim - 1);
    const int64_t e = st > 0 ? clamp(ends[k], 0, dim) : clamp(ends[k], -1, dim - 1);
    // Written so that no step (up to int64's limits either way) overflows:
    // |e - s| <= dim, and the quotient truncates toward zero.
    const int64_t count =
        st > 0 ? (e > s ? (e - s - 1) / st + 1 : 0) : (s > e ? (e - s + 1) / st + 1 : 0);
    // A step matters only between two elements taken; with one or none it
    // is 1, so that no reader multiplies a stride by a step of 2^62.
    first[d] = s, step[d] = count > 1 ? st : 1, box[d] = count;
  }
  return {first, step, box};
}

void slice(const Node& n, int64_t opset, const Inputs& in, Tensor& y) {
  const SliceBox b = slice_box(n, opset, in);
  take_box(n, need(n, in, 0), b.first, b.step, b.box, y);
}

void squeeze(const Node& n, int64_t opset, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  std::vector<int64_t> axes;
  if (opset >= 13) {
    if (in.size() > 1 && in[1]) axes = ints_input(n, *in[1]);
  } else {
    axes = n.getints("axes", {});
  }
  std::vector<bool> drop(x.shape.size(), false);
  for (auto a : axes) {
    const auto d = size_t(norm_axis(n, a, int64_t(x.shape.size())));
    if (x.shape[d] != 1)
      fail(n, "axis " + std::to_string(a) + " has size " + std::to_string(x.shape[d]) + ", not 1");
    drop[d] = true;
  }
  Shape out;
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (!(axes.empty() ? x.shape[d] == 1 : drop[d])) out.push_back(x.shape[d]);
  copy(n, x, y, out);
}

void expand(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  const Shape r = broadcast(n, x.shape, ints_input(n, need(n, in, 1)));
  if (x.dtype == DType::f32) {
    const std::vector<float> zero(1, 0.0f);
    size_f(y, r, n);
    binary(r, x.f.data(), x.shape, zero.data(), Shape{}, y.f.data(),
           [](float v, float) { return v; });
  } else {
    const std::vector<int64_t> zero(1, 0);
    size_i(y, r, n);
    binary(r, x.i.data(), x.shape, zero.data(), Shape{}, y.i.data(),
           [](int64_t v, int64_t) { return v; });
  }
}

void split(const Node& n, int64_t opset, const Inputs& in, const std::vector<Tensor*>& out) {
  const Tensor& x = need(n, in, 0);
  const auto axis = size_t(norm_axis(n, n.geti("axis", 0), int64_t(x.shape.size())));
  std::vector<int64_t> parts;
  if (opset >= 13) {
    if (in.size() > 1 && in[1]) parts = ints_input(n, *in[1]);
  } else {
    parts = n.getints("split", {});
  }
  const int64_t dim = x.shape[axis];
  if (parts.empty()) {
    if (out.empty() || dim % int64_t(out.size()) != 0)
      fail(n, "axis of size " + std::to_string(dim) + " does not split into " +
                  std::to_string(out.size()) + " equal parts");
    parts.assign(out.size(), dim / int64_t(out.size()));
  }
  if (parts.size() != out.size()) fail(n, "split sizes and outputs differ in number");
  int64_t at = 0;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (parts[k] < 0 || parts[k] > dim - at) fail(n, "split sizes exceed the axis");
    Shape first(x.shape.size(), 0), step(x.shape.size(), 1), box = x.shape;
    first[axis] = at, box[axis] = parts[k];
    if (out[k]) take_box(n, x, first, step, box, *out[k]);
    at += parts[k];
  }
  if (at != dim) fail(n, "split sizes do not add up to the axis");
}

void cast(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  // ONNX TensorProto element types: FLOAT 1, INT32 6, INT64 7 (INT32 is
  // held as int64 by this engine, as on load).
  const auto to = n.geti("to", 0);
  if (to == 1) {
    size_f(y, x.shape, n);
    if (x.dtype == DType::f32)
      std::copy(x.f.begin(), x.f.end(), y.f.begin());
    else
      std::transform(x.i.begin(), x.i.end(), y.f.begin(), [](int64_t v) { return float(v); });
  } else if (to == 6 || to == 7) {
    size_i(y, x.shape, n);
    if (x.dtype == DType::i64)
      std::copy(x.i.begin(), x.i.end(), y.i.begin());
    else
      std::transform(x.f.begin(), x.f.end(), y.i.begin(), [&](float v) {
        if (!fits_int64(v)) fail(n, "a value beyond int64 (or NaN) cast to int");
        return int64_t(v);  // toward zero, as C and numpy
      });
  } else {
    fail(n, "cast to element type " + std::to_string(to) + " (float32 and int64 only)");
  }
}

void constant_of_shape(const Node& n, const Inputs& in, Tensor& y) {
  const Shape shape = ints_input(n, need(n, in, 0));
  Tensor value;
  value.dtype = DType::f32;
  value.f = {0.0f};
  if (n.has("value")) value = n.attrs.at("value").tv;
  if ((value.dtype == DType::f32 ? value.f.size() : value.i.size()) != 1)
    fail(n, "value must hold one element");
  if (value.dtype == DType::f32) {
    size_f(y, shape, n);
    std::fill(y.f.begin(), y.f.end(), value.f[0]);
  } else {
    size_i(y, shape, n);
    std::fill(y.i.begin(), y.i.end(), value.i[0]);
  }
}

void range(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor &a = need(n, in, 0), &b = need(n, in, 1), &c = need(n, in, 2);
  if (a.dtype != b.dtype || a.dtype != c.dtype) fail(n, "inputs have different element types");
  const auto start = as_double(a), limit = as_double(b), delta = as_double(c);
  if (start.size() != 1 || limit.size() != 1 || delta.size() != 1)
    fail(n, "start, limit and delta must be scalars");
  if (delta[0] == 0) fail(n, "delta is 0");
  // int64 bounds counted exactly (doubles round them beyond 2^53), in 128
  // bits so that neither limit - start nor i * delta overflows; every
  // element lies between start and limit, so it fits int64.
  using Wide = __int128;
  double count = std::max(0.0, std::ceil((limit[0] - start[0]) / delta[0]));
  if (a.dtype == DType::i64) {
    const Wide span = Wide(b.i[0]) - Wide(a.i[0]), d = c.i[0];
    const Wide q = span / d + ((span % d != 0 && (span > 0) == (d > 0)) ? 1 : 0);  // ceil
    count = q > 0 ? double(q) : 0.0;
  }
  if (!(count <= double(std::numeric_limits<int32_t>::max())))
    fail(n, "would hold more than 2^31 elements");
  const auto k = int64_t(count);
  if (a.dtype == DType::f32) {
    size_f(y, {k}, n);
    // As ONNX's reference: start + i * delta, computed in the input type.
    for (int64_t i = 0; i < k; ++i) y.f[size_t(i)] = a.f[0] + float(i) * c.f[0];
  } else {
    size_i(y, {k}, n);
    for (int64_t i = 0; i < k; ++i) y.i[size_t(i)] = int64_t(Wide(a.i[0]) + Wide(i) * c.i[0]);
  }
}

}  // namespace basin::infer::kernel
