// Comparisons, boolean logic and Where. The engine holds booleans as int64
// 0 or 1 (bool tensors widen on load, as int32 ones do), so a mask flows
// through Shape/Gather-style subgraphs like any index tensor.
#include "kernel_ops.hpp"
#include "kernel_support.hpp"

namespace basin::infer::kernel {

void compare(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor &a = need(n, in, 0), &b = need(n, in, 1);
  if (a.dtype != b.dtype) fail(n, "inputs have different element types");
  const Shape r = broadcast(n, a.shape, b.shape);
  const std::string& op = n.op;
  auto test = [&](auto p, auto q) -> int64_t {
    if (op == "Equal") return p == q;
    if (op == "Less") return p < q;
    if (op == "LessOrEqual") return p <= q;
    if (op == "Greater") return p > q;
    return p >= q;  // GreaterOrEqual
  };
  size_i(y, r, n);
  if (a.dtype == DType::f32) {
    // Compared as float, written as int64 0/1.
    std::vector<float> out(y.i.size());
    binary(r, a.f.data(), a.shape, b.f.data(), b.shape, out.data(),
           [&](float p, float q) { return float(test(p, q)); });
    std::transform(out.begin(), out.end(), y.i.begin(), [](float v) { return int64_t(v); });
  } else {
    binary(r, a.i.data(), a.shape, b.i.data(), b.shape, y.i.data(),
           [&](int64_t p, int64_t q) { return test(p, q); });
  }
}

void logic(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor& a = need(n, in, 0);
  if (a.dtype != DType::i64) fail(n, "expects boolean input");
  if (n.op == "Not") {
    size_i(y, a.shape, n);
    std::transform(a.i.begin(), a.i.end(), y.i.begin(), [](int64_t v) { return int64_t(v == 0); });
    return;
  }
  const Tensor& b = need(n, in, 1);
  if (b.dtype != DType::i64) fail(n, "expects boolean input");
  const Shape r = broadcast(n, a.shape, b.shape);
  size_i(y, r, n);
  const std::string& op = n.op;
  binary(r, a.i.data(), a.shape, b.i.data(), b.shape, y.i.data(), [&](int64_t p, int64_t q) {
    const bool u = p != 0, v = q != 0;
    return int64_t(op == "And" ? (u && v) : op == "Or" ? (u || v) : (u != v));
  });
}

void where(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor &c = need(n, in, 0), &a = need(n, in, 1), &b = need(n, in, 2);
  if (c.dtype != DType::i64) fail(n, "expects a boolean condition");
  if (a.dtype != b.dtype) fail(n, "X and Y have different element types");
  const Shape r = broadcast(n, broadcast(n, c.shape, a.shape), b.shape);
  // Each operand read through its broadcast strides.
  const auto sc = bstrides(c.shape, r), sa = bstrides(a.shape, r), sb = bstrides(b.shape, r);
  const int64_t total = checked_numel(r, n.where() + " output");
  if (a.dtype == DType::f32)
    size_f(y, r, n);
  else
    size_i(y, r, n);
  std::vector<int64_t> idx(r.size(), 0);
  for (int64_t k = 0; k < total; ++k) {
    int64_t oc = 0, oa = 0, ob = 0;
    for (size_t d = 0; d < r.size(); ++d)
      oc += idx[d] * sc[d], oa += idx[d] * sa[d], ob += idx[d] * sb[d];
    const bool take_a = c.i[size_t(oc)] != 0;
    if (a.dtype == DType::f32)
      y.f[size_t(k)] = take_a ? a.f[size_t(oa)] : b.f[size_t(ob)];
    else
      y.i[size_t(k)] = take_a ? a.i[size_t(oa)] : b.i[size_t(ob)];
    for (size_t d = r.size(); d-- > 0;) {
      if (++idx[d] < r[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace basin::infer::kernel
