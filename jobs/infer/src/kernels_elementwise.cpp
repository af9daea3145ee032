// Elementwise operators beyond the four arithmetic ones: functions of one
// input as ONNX defines them, Pow, the variadic Max/Min/Sum, PRelu and Clip.
#include <cmath>
#include <limits>

#include "fast_math.hpp"
#include "kernel_ops.hpp"
#include "kernel_support.hpp"
#include "portable_map.hpp"
#include "portable_math.hpp"

namespace basin::infer::kernel {
namespace {

template <class F>
void map_f(const Tensor& x, Tensor& y, F f) {
  std::transform(x.f.begin(), x.f.end(), y.f.begin(), f);
}

}  // namespace

// Pow: the base's element type; computed in double and rounded once (numpy's
// float32 power is within the backend tolerance of it; int64 truncates).
void power(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor &a = need(n, in, 0), &b = need(n, in, 1);
  const Shape r = broadcast(n, a.shape, b.shape);
  const size_t b_size = b.dtype == DType::f32 ? b.f.size() : b.i.size();
  if (a.dtype == DType::f32 && b_size == 1) {
    // A float base and one exponent (LayerNorm's x^2 in exports before
    // opset 17, a tenth of such an encoder's time through the general path
    // below): element by element, without broadcasting or copies in double,
    // the same bits. x^2 is x * x: pmath::pow's product in double is exact,
    // then rounded once to float, as the float product is.
    const double q = b.dtype == DType::f32 ? double(b.f[0]) : double(b.i[0]);
    size_f(y, r, n);
    const float* x = a.f.data();
    float* o = y.f.data();
    if (q == 2.0)
      for (size_t k = 0; k < a.f.size(); ++k) o[k] = x[k] * x[k];
    else
      for (size_t k = 0; k < a.f.size(); ++k) o[k] = float(pmath::pow(double(x[k]), q));
    return;
  }
  const auto da = as_double(a), db = as_double(b);
  std::vector<double> out(size_t(checked_numel(r, n.where() + " output")));
  binary(r, da.data(), a.shape, db.data(), b.shape, out.data(),
         [](double p, double q) { return pmath::pow(p, q); });
  if (a.dtype == DType::f32) {
    size_f(y, r, n);
    std::transform(out.begin(), out.end(), y.f.begin(), [](double v) { return float(v); });
  } else {
    size_i(y, r, n);
    // As Cast's bound: a power beyond int64 (or a NaN, 0 to a negative
    // power is inf) has no int64 (found by fuzz_onnx_model: UBSan).
    std::transform(out.begin(), out.end(), y.i.begin(), [&](double v) {
      if (!fits_int64(v)) fail(n, "an int64 power beyond int64 (or not a number)");
      return int64_t(v);
    });
  }
}

// Max, Min, Sum of one or more inputs of one element type, broadcast
// together, folded left to right.
void variadic(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor& first = need(n, in, 0);
  Tensor acc = first;
  for (size_t k = 1; k < in.size(); ++k) {
    const Tensor& b = need(n, in, k);
    if (b.dtype != first.dtype) fail(n, "inputs have different element types");
    const Shape r = broadcast(n, acc.shape, b.shape);
    Tensor next;
    if (first.dtype == DType::f32) {
      size_f(next, r, n);
      float (*f)(float, float) = n.op == "Max"   ? +[](float p, float q) { return std::max(p, q); }
                                 : n.op == "Min" ? +[](float p, float q) { return std::min(p, q); }
                                                 : +[](float p, float q) { return p + q; };
      binary(r, acc.f.data(), acc.shape, b.f.data(), b.shape, next.f.data(), f);
    } else {
      size_i(next, r, n);
      int64_t (*f)(int64_t, int64_t) =
          n.op == "Max"   ? +[](int64_t p, int64_t q) { return std::max(p, q); }
          : n.op == "Min" ? +[](int64_t p, int64_t q) { return std::min(p, q); }
                          : wrap_add;
      binary(r, acc.i.data(), acc.shape, b.i.data(), b.shape, next.i.data(), f);
    }
    acc = std::move(next);
  }
  // Into y's own buffer (the plan may have sized it already).
  copy(n, acc, y, acc.shape);
}

// PRelu: y = x where x >= 0, slope * x elsewhere (slope broadcast to x).
void prelu(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor &x = need(n, in, 0), &slope = need(n, in, 1);
  need_f(n, x);
  need_f(n, slope);
  const Shape r = broadcast(n, x.shape, slope.shape);
  if (r != x.shape) fail(n, "slope " + str(slope.shape) + " does not broadcast to " + str(x.shape));
  size_f(y, r, n);
  binary(r, x.f.data(), x.shape, slope.f.data(), slope.shape, y.f.data(),
         [](float v, float a) { return v < 0 ? a * v : v; });
}

// Clip: bounds from inputs 1 and 2 (opset 11 on; either may be absent) or
// the min/max attributes (before).
void clip(const Node& n, int64_t opset, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  auto bound = [&](size_t k, const char* attr, double def) {
    if (opset < 11) return double(n.getf(attr, float(def)));
    if (k >= in.size() || !in[k]) return def;
    const auto v = as_double(*in[k]);
    if (v.size() != 1) fail(n, std::string(attr) + " must be a scalar");
    return v[0];
  };
  if (x.dtype == DType::f32) {
    const auto lo = float(bound(1, "min", -HUGE_VAL)), hi = float(bound(2, "max", HUGE_VAL));
    size_f(y, x.shape, n);
    std::transform(x.f.begin(), x.f.end(), y.f.begin(),
                   [&](float v) { return std::min(std::max(v, lo), hi); });
  } else {
    // Bounds read as int64 (through double, int64's limits would round to
    // 2^63, which has no int64); Clip before opset 11 is for floats only.
    if (opset < 11) fail(n, "Clip of int64 values needs opset 11 or later");
    auto int_bound = [&](size_t k, int64_t def) {
      if (k >= in.size() || !in[k]) return def;
      if (in[k]->dtype != DType::i64 || in[k]->i.size() != 1)
        fail(n, "the bounds of an int64 Clip must be int64 scalars");
      return in[k]->i[0];
    };
    const int64_t lo = int_bound(1, std::numeric_limits<int64_t>::min()),
                  hi = int_bound(2, std::numeric_limits<int64_t>::max());
    size_i(y, x.shape, n);
    std::transform(x.i.begin(), x.i.end(), y.i.begin(),
                   [&](int64_t v) { return std::min(std::max(v, lo), hi); });
  }
}

void unary_math(const Node& n, const Tensor& x, Tensor& y, Isa isa, Arithmetic arithmetic) {
  const std::string& op = n.op;
  if ((op == "Exp" || op == "Erf") && arithmetic == Arithmetic::fast)
    return (op == "Exp" ? fast_exp : fast_erf)(isa, x.f.data(), y.f.data(), int64_t(x.f.size()));
  if (op == "Exp" || op == "Erf")
    return portable_map(isa, op == "Exp" ? MathFn::exp : MathFn::erf, x.f.data(), y.f.data(),
                        int64_t(x.f.size()));
  if (op == "Abs") return map_f(x, y, [](float v) { return std::fabs(v); });
  if (op == "Neg") return map_f(x, y, [](float v) { return -v; });
  if (op == "Log") return map_f(x, y, [](float v) { return pmath::logf(v); });
  if (op == "Sqrt") return map_f(x, y, [](float v) { return std::sqrt(v); });
  if (op == "Reciprocal") return map_f(x, y, [](float v) { return 1.0f / v; });
  if (op == "Ceil") return map_f(x, y, [](float v) { return std::ceil(v); });
  if (op == "Floor") return map_f(x, y, [](float v) { return std::floor(v); });
  if (op == "Round")  // halves to even, as ONNX (and the default rounding mode)
    return map_f(x, y, [](float v) { return std::nearbyint(v); });
  if (op == "Sign") return map_f(x, y, [](float v) { return float((v > 0) - (v < 0)); });
  if (op == "Softsign") return map_f(x, y, [](float v) { return v / (1.0f + std::fabs(v)); });
  if (op == "Softplus")  // log(1 + e^x) without overflow for large x
    return map_f(x, y, [](float v) {
      const double d = v;
      return float(d > 0 ? d + pmath::log1p(pmath::exp(-d)) : pmath::log1p(pmath::exp(d)));
    });
  if (op == "Elu") {
    const float a = n.getf("alpha", 1.0f);
    return map_f(x, y, [a](float v) { return v >= 0 ? v : a * (pmath::expf(v) - 1.0f); });
  }
  if (op == "Celu") {
    const float a = n.getf("alpha", 1.0f);
    return map_f(x, y, [a](float v) {
      return std::max(0.0f, v) + std::min(0.0f, a * (pmath::expf(v / a) - 1.0f));
    });
  }
  if (op == "Selu") {
    const float a = n.getf("alpha", 1.67326319217681884765625f);
    const float g = n.getf("gamma", 1.05070102214813232421875f);
    return map_f(x, y, [a, g](float v) { return v > 0 ? g * v : g * (a * pmath::expf(v) - a); });
  }
  if (op == "ThresholdedRelu") {
    const float a = n.getf("alpha", 1.0f);
    return map_f(x, y, [a](float v) { return v > a ? v : 0.0f; });
  }
  if (op == "HardSigmoid") {
    const float a = n.getf("alpha", 0.2f), b = n.getf("beta", 0.5f);
    return map_f(x, y, [a, b](float v) { return std::max(0.0f, std::min(1.0f, a * v + b)); });
  }
  if (op == "HardSwish")
    return map_f(
        x, y, [](float v) { return v * std::max(0.0f, std::min(1.0f, v * (1.0f / 6.0f) + 0.5f)); });
  fail(n, "operator is not supported");
}

}  // namespace basin::infer::kernel
