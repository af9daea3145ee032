// What every operator kernel needs: sizing outputs, naming the node in
// errors, axes, numpy broadcasting and the few conversions between the two
// element types (float32, int64).
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "graph.hpp"

namespace basin::infer::kernel {

using Shape = std::vector<int64_t>;

// The canonical sum of term(0), ..., term(n - 1) in T: term j goes to
// partial sum j % 8, and the eight partial sums are added in order at the
// end. Vector lanes compute the partial sums, so every instruction set gives
// the same bits, without one long chain of dependent additions (a row of
// 256 took 1,000 cycles of latency that way). Softmax's and
// LayerNormalization's sums.
template <class T, class F>
T lane_sum(int64_t n, F term) {
  T part[8] = {};
  int64_t m = 0;
  for (; m + 8 <= n; m += 8)
    for (int j = 0; j < 8; ++j) part[j] += term(m + j);
  for (; m < n; ++m) part[m % 8] += term(m);
  T sum = 0;
  for (T p : part) sum += p;
  return sum;
}

// A row of n floats summed as ReduceSum and ReduceMean sum trailing axes:
// in double, in lane_sum's order, added to the kernel's accumulator 0.0
// (which turns a -0.0 sum into +0.0). ReduceMean's trailing path and the
// fused pre-opset-17 LayerNorm (decomposed_layer_norm.cpp) both call these,
// so the two give the same bits by construction.
inline double row_sum(const float* p, int64_t n) {
  return 0.0 + lane_sum<double>(n, [p](int64_t k) { return double(p[k]); });
}
inline double row_sum_of_squares(const float* p, int64_t n) {
  return 0.0 + lane_sum<double>(n, [p](int64_t k) { return double(p[k]) * double(p[k]); });
}
// ReduceMean's value for a row: its sum / its count, rounded to float once.
inline float row_mean(const float* p, int64_t n) {
  return float(row_sum(p, n) / double(n));
}

inline void size_f(Tensor& t, Shape s, const Node& n) {
  const int64_t k = checked_numel(s, n.where() + " output");
  t.dtype = DType::f32;
  t.shape = std::move(s);
  t.f.resize(size_t(k));
  t.i.clear();
}
inline void size_i(Tensor& t, Shape s, const Node& n) {
  const int64_t k = checked_numel(s, n.where() + " output");
  t.dtype = DType::i64;
  t.shape = std::move(s);
  t.i.resize(size_t(k));
  t.f.clear();
}

// Whether a double converts to int64 (truncated toward zero) with a defined
// result: [-2^63, 2^63), not NaN. Every float-to-int64 conversion a model
// asks for (Cast, an int64 Pow, an int64 Pad's constant, int64 reductions
// summed in double) refuses what fails it.
inline bool fits_int64(double v) {
  return v >= -0x1p63 && v < 0x1p63;
}

// int64 arithmetic wraps around in two's complement, as in numpy and ONNX
// Runtime, where C++ would leave a signed overflow undefined (a model's
// int64 tensors are its own data; results beyond int64 are not refused).
inline int64_t wrap_add(int64_t p, int64_t q) {
  return int64_t(uint64_t(p) + uint64_t(q));
}
inline int64_t wrap_sub(int64_t p, int64_t q) {
  return int64_t(uint64_t(p) - uint64_t(q));
}
inline int64_t wrap_mul(int64_t p, int64_t q) {
  return int64_t(uint64_t(p) * uint64_t(q));
}
[[noreturn]] inline void fail(const Node& n, const std::string& msg) {
  throw ModelError(n.where() + ": " + msg);
}
inline std::string str(const Shape& s) {
  std::string r = "[";
  for (size_t k = 0; k < s.size(); ++k) r += (k ? "," : "") + std::to_string(s[k]);
  return r + "]";
}
inline int64_t norm_axis(const Node& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    fail(n, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}
inline const Tensor& need(const Node& n, const std::vector<const Tensor*>& in, size_t k) {
  if (k >= in.size() || !in[k]) fail(n, "missing input " + std::to_string(k));
  return *in[k];
}
inline void need_f(const Node& n, const Tensor& t) {
  if (t.dtype != DType::f32) fail(n, "expects float32 data");
}

// ---- elementwise ---------------------------------------------------------
inline Shape broadcast(const Node& n, const Shape& a, const Shape& b) {
  Shape r(std::max(a.size(), b.size()));
  for (size_t k = 0; k < r.size(); ++k) {
    int64_t da = k < r.size() - a.size() ? 1 : a[k - (r.size() - a.size())];
    int64_t db = k < r.size() - b.size() ? 1 : b[k - (r.size() - b.size())];
    if (da != db && da != 1 && db != 1) fail(n, "cannot broadcast " + str(a) + " with " + str(b));
    r[k] = da == 1 ? db : da;
  }
  return r;
}
// Strides of `s` read as shape `r` (0 where broadcast).
inline std::vector<int64_t> bstrides(const Shape& s, const Shape& r) {
  std::vector<int64_t> st(r.size(), 0);
  int64_t acc = 1;
  for (size_t k = s.size(); k-- > 0;) {
    size_t rk = k + r.size() - s.size();
    st[rk] = s[k] == 1 ? 0 : acc;
    acc *= s[k];
  }
  return st;
}
template <class T, class F>
inline void binary(const Shape& r, const T* a, const Shape& sa, const T* b, const Shape& sb, T* y,
                   F f) {
  const int64_t total = std::accumulate(r.begin(), r.end(), int64_t{1}, std::multiplies<>());
  if (sa == sb && sa == r) {
    for (int64_t k = 0; k < total; ++k) y[k] = f(a[k], b[k]);
    return;
  }
  if (total == 0) return;
  const int64_t na = std::accumulate(sa.begin(), sa.end(), int64_t{1}, std::multiplies<>());
  const int64_t nb = std::accumulate(sb.begin(), sb.end(), int64_t{1}, std::multiplies<>());
  // Common cases: one operand repeats along the trailing dims of the other
  // (a bias, a scalar), either way round.
  auto trails = [&](const Shape& s) { return std::equal(s.rbegin(), s.rend(), r.rbegin()); };
  if (sa == r && nb > 0 && trails(sb)) {
    for (int64_t o = 0; o < total; o += nb)
      for (int64_t j = 0; j < nb; ++j) y[o + j] = f(a[o + j], b[j]);
    return;
  }
  if (sb == r && na > 0 && trails(sa)) {
    for (int64_t o = 0; o < total; o += na)
      for (int64_t j = 0; j < na; ++j) y[o + j] = f(a[j], b[o + j]);
    return;
  }
  if (r.empty()) {  // scalars (only reached when a or b is empty-shaped too)
    y[0] = f(a[0], b[0]);
    return;
  }
  // General broadcasting: the innermost dim as a strided loop, the outer
  // index advanced once per row.
  auto sta = bstrides(sa, r), stb = bstrides(sb, r);
  const size_t last = r.size() - 1;
  const int64_t len = r[last], da = sta[last], db = stb[last];
  for (int64_t k = 0; k < total; k += len) {
    int64_t rest = k / len, oa = 0, ob = 0;
    for (size_t d = last; d-- > 0;) {
      const int64_t i = rest % r[d];
      rest /= r[d];
      oa += i * sta[d], ob += i * stb[d];
    }
    for (int64_t j = 0; j < len; ++j) y[k + j] = f(a[oa + j * da], b[ob + j * db]);
  }
}
inline void copy(const Node& n, const Tensor& x, Tensor& y, Shape s) {
  if (x.dtype == DType::f32) {
    size_f(y, std::move(s), n);
    std::copy(x.f.begin(), x.f.end(), y.f.begin());
  } else {
    size_i(y, std::move(s), n);
    std::copy(x.i.begin(), x.i.end(), y.i.begin());
  }
}

// dst (contiguous, shape `box`) = the elements of src at offsets
// sum_d idx[d] * stride[d]: a transpose, a slice, a split. Dimensions that
// are contiguous in src too are merged first, so the innermost loop is as
// long as possible and, where its stride is 1, a plain copy of runs.
template <class T>
void strided_copy(const T* src, Shape box, Shape stride, T* dst) {
  Shape b, s;  // merged, outermost first
  for (size_t d = 0; d < box.size(); ++d) {
    if (box[d] == 0) return;
    if (box[d] == 1) continue;
    if (!b.empty() && s.back() == stride[d] * box[d])
      b.back() *= box[d], s.back() = stride[d];
    else
      b.push_back(box[d]), s.push_back(stride[d]);
  }
  if (b.empty()) b.push_back(1), s.push_back(1);
  const size_t inner = b.size() - 1;
  const int64_t len = b[inner], step = s[inner];
  std::vector<int64_t> idx(inner, 0);
  int64_t off = 0;
  for (;;) {
    if (step == 1)
      std::copy_n(src + off, len, dst);
    else
      for (int64_t j = 0; j < len; ++j) dst[j] = src[off + j * step];
    dst += len;
    size_t d = inner;
    for (; d-- > 0;) {
      off += s[d];
      if (++idx[d] < b[d]) break;
      off -= s[d] * b[d];
      idx[d] = 0;
    }
    if (d == size_t(-1)) return;
  }
}

inline const std::vector<int64_t>& ints_input(const Node& n, const Tensor& t) {
  if (t.dtype != DType::i64) fail(n, "expects an int64 shape/index input");
  return t.i;
}

// The values of `t` as doubles (float32 and int64 alike), for operators
// whose inputs may mix element types (Pow, Max, Min, Sum).
inline std::vector<double> as_double(const Tensor& t) {
  return t.dtype == DType::f32 ? std::vector<double>(t.f.begin(), t.f.end())
                               : std::vector<double>(t.i.begin(), t.i.end());
}

}  // namespace basin::infer::kernel
