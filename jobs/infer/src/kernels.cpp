// The operator kernels. Matrix products and convolutions (im2col) go
// through the portable matrix product (sgemm.hpp); the rest are plain loops.
#include "kernels.hpp"
#include "portable_math.hpp"

#include "elementwise_loops.hpp"
#include "fast_math.hpp"
#include "kernel_ops.hpp"
#include "kernel_support.hpp"
#include "parallel_chunks.hpp"
#include "portable_map.hpp"
#include "sgemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <set>

namespace basin::infer {
namespace {

using namespace kernel;

// Float Add/Sub/Mul/Div through the vectorised loops when one operand is
// the output's shape and the other the same, a scalar or repeated along the
// trailing dimensions (a bias); false for other broadcasts.
bool float_binary_loops(const std::string& op, const Tensor& a, const Tensor& b, const Shape& r,
                        Tensor& y, Isa isa) {
  const BinaryOp o = op == "Add"   ? BinaryOp::add
                     : op == "Sub" ? BinaryOp::sub
                     : op == "Mul" ? BinaryOp::mul
                                   : BinaryOp::div;
  const auto total = int64_t(y.f.size()), na = int64_t(a.f.size()), nb = int64_t(b.f.size());
  auto trails = [&](const Shape& s) {
    return s.size() <= r.size() && std::equal(s.rbegin(), s.rend(), r.rbegin());
  };
  // Elements of r per value of s when s is r with its trailing dimensions
  // 1 (LayerNorm's x - mean and d / sqrt(var) in exports before opset 17:
  // one value a row), else 0.
  auto per_value = [&](const Shape& s) -> int64_t {
    if (s.size() != r.size()) return 0;
    size_t d = s.size();
    while (d > 0 && s[d - 1] == 1) --d;
    if (!std::equal(s.begin(), s.begin() + std::ptrdiff_t(d), r.begin())) return 0;
    int64_t inner = 1;
    for (size_t k = d; k < r.size(); ++k) inner *= r[k];
    return inner;
  };
  if (total == 0) return true;
  if (a.shape == r && (b.shape == r || nb == 1)) {
    binary_loop(isa, o, a.f.data(), 1, b.f.data(), b.shape == r ? 1 : 0, y.f.data(), total);
  } else if (b.shape == r && na == 1) {
    binary_loop(isa, o, a.f.data(), 0, b.f.data(), 1, y.f.data(), total);
  } else if (a.shape == r && nb > 0 && trails(b.shape)) {
    for (int64_t k = 0; k < total; k += nb)
      binary_loop(isa, o, a.f.data() + k, 1, b.f.data(), 1, y.f.data() + k, nb);
  } else if (b.shape == r && na > 0 && trails(a.shape)) {
    for (int64_t k = 0; k < total; k += na)
      binary_loop(isa, o, a.f.data(), 1, b.f.data() + k, 1, y.f.data() + k, na);
  } else if (const int64_t m = a.shape == r && nb > 0 ? per_value(b.shape) : 0; m > 1) {
    for (int64_t k = 0; k < nb; ++k)
      binary_loop(isa, o, a.f.data() + k * m, 1, b.f.data() + k, 0, y.f.data() + k * m, m);
  } else if (const int64_t m = b.shape == r && na > 0 ? per_value(a.shape) : 0; m > 1) {
    for (int64_t k = 0; k < na; ++k)
      binary_loop(isa, o, a.f.data() + k, 0, b.f.data() + k * m, 1, y.f.data() + k * m, m);
  } else {
    return false;
  }
  return true;
}

void elementwise(const Node& n, const std::vector<const Tensor*>& in, Tensor& y, Isa isa) {
  const Tensor &a = need(n, in, 0), &b = need(n, in, 1);
  if (a.dtype != b.dtype) fail(n, "inputs have different element types");
  Shape r = broadcast(n, a.shape, b.shape);
  const std::string& op = n.op;
  if (a.dtype == DType::f32) {
    size_f(y, r, n);
    if (float_binary_loops(op, a, b, r, y, isa)) return;
    if (op == "Add")
      binary(r, a.f.data(), a.shape, b.f.data(), b.shape, y.f.data(),
             [](float p, float q) { return p + q; });
    else if (op == "Sub")
      binary(r, a.f.data(), a.shape, b.f.data(), b.shape, y.f.data(),
             [](float p, float q) { return p - q; });
    else if (op == "Mul")
      binary(r, a.f.data(), a.shape, b.f.data(), b.shape, y.f.data(),
             [](float p, float q) { return p * q; });
    else
      binary(r, a.f.data(), a.shape, b.f.data(), b.shape, y.f.data(),
             [](float p, float q) { return p / q; });
  } else {
    size_i(y, r, n);
    using I = int64_t;
    if (op == "Add")
      binary(r, a.i.data(), a.shape, b.i.data(), b.shape, y.i.data(), wrap_add);
    else if (op == "Sub")
      binary(r, a.i.data(), a.shape, b.i.data(), b.shape, y.i.data(), wrap_sub);
    else if (op == "Mul")
      binary(r, a.i.data(), a.shape, b.i.data(), b.shape, y.i.data(), wrap_mul);
    else
      binary(r, a.i.data(), a.shape, b.i.data(), b.shape, y.i.data(), [&](I p, I q) {
        if (q == 0) fail(n, "integer division by zero");
        return q == -1 ? wrap_sub(0, p) : p / q;  // -2^63 / -1 wraps to -2^63
      });
  }
}

void unary(const Node& n, const std::vector<const Tensor*>& in, Tensor& y,
           const KernelChoice& choice) {
  const Tensor& x = need(n, in, 0);
  if ((n.op == "Abs" || n.op == "Neg") && x.dtype == DType::i64) {
    size_i(y, x.shape, n);
    std::transform(x.i.begin(), x.i.end(), y.i.begin(),
                   [&](int64_t v) { return n.op == "Abs" && v >= 0 ? v : wrap_sub(0, v); });
    return;
  }
  need_f(n, x);
  if (n.op != "Relu" && n.op != "LeakyRelu" && n.op != "Sigmoid" && n.op != "Tanh") {
    size_f(y, x.shape, n);
    return unary_math(n, x, y, choice.isa, choice.arithmetic);
  }
  size_f(y, x.shape, n);
  const float* a = x.f.data();
  float* o = y.f.data();
  const size_t k = x.f.size();
  if (n.op == "Relu") {
    for (size_t j = 0; j < k; ++j) o[j] = a[j] > 0 ? a[j] : 0.0f;
  } else if (n.op == "LeakyRelu") {
    const float al = n.getf("alpha", 0.01f);
    for (size_t j = 0; j < k; ++j) o[j] = a[j] >= 0 ? a[j] : al * a[j];
  } else if (n.op == "Sigmoid") {
    for (size_t j = 0; j < k; ++j) o[j] = pmath::sigmoidf(a[j]);
  } else {  // Tanh
    for (size_t j = 0; j < k; ++j) o[j] = pmath::tanhf(a[j]);
  }
}

// The largest of a[m * inner], m < mid, by std::max's comparison (so a NaN
// is never taken), eight running maxima at a time when the row is
// contiguous. The maximum does not depend on the order; only a tie of -0
// and +0 could, and subtracting either from an element gives the same
// exponential.
float row_max(const float* a, int64_t mid, int64_t inner) {
  float mx = -INFINITY;
  int64_t m = 0;
  if (inner == 1 && mid >= 8) {
    float part[8];
    std::fill_n(part, 8, -INFINITY);
    for (; m + 8 <= mid; m += 8)
      for (int j = 0; j < 8; ++j) part[j] = std::max(part[j], a[m + j]);
    for (float p : part) mx = std::max(mx, p);
  }
  for (; m < mid; ++m) mx = std::max(mx, a[m * inner]);
  return mx;
}

// Softmax over [outer, axis, inner] blocks; opset < 13 coerces to 2-D at axis.
// Each row's exponentials come from portable_map (vectorised, the bits of
// pmath::expf), or from fast_exp in fast arithmetic; their sum is lane_sum's.
// Contiguous rows in fast arithmetic are fast_softmax's (one pass a row).
void softmax(const Node& n, int64_t opset, const std::vector<const Tensor*>& in, Tensor& y,
             const KernelChoice& choice) {
  const bool fast = choice.arithmetic == Arithmetic::fast;
  const Tensor& x = need(n, in, 0);
  need_f(n, x);
  const int64_t rank = int64_t(x.shape.size());
  const int64_t axis = norm_axis(n, n.geti("axis", opset >= 13 ? -1 : 1), rank);
  int64_t outer = 1, mid = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : (d == axis || opset < 13) ? mid : inner) *= x.shape[size_t(d)];
  size_f(y, x.shape, n);
  // An empty tensor (a dim of length 0) has no rows: nothing to compute, and
  // its data pointer is null (no row offsets from it).
  if (x.numel() == 0) return;
  const bool log = n.op == "LogSoftmax";
  // Rows shared with idle threads (parallel_chunks.hpp): each is its own.
  in_chunks(outer, std::max<int64_t>(1, kChunkFloats / std::max<int64_t>(mid * inner, 1)),
            [&](int64_t o0, int64_t o1) {
              if (fast && inner == 1 && !log) {
                // Contiguous rows in fast arithmetic: one pass a row.
                const int64_t at = o0 * mid;
                return fast_softmax(choice.isa, x.f.data() + at, y.f.data() + at, o1 - o0, mid);
              }
              thread_local std::vector<float> e;
              e.resize(size_t(mid));
              for (int64_t o = o0; o < o1; ++o)
                for (int64_t i = 0; i < inner; ++i) {
                  const float* a = x.f.data() + o * mid * inner + i;
                  float* r = y.f.data() + o * mid * inner + i;
                  if (inner == 1 && !log) {
                    // A contiguous row: the vectorised loops, the same bits.
                    softmax_shift(choice.isa, a, mid, e.data());
                    portable_map(choice.isa, MathFn::exp, e.data(), e.data(), mid);
                    softmax_scale(choice.isa, e.data(), mid, r);
                    continue;
                  }
                  const float mx = row_max(a, mid, inner);
                  if (inner == 1)
                    for (int64_t m = 0; m < mid; ++m) e[size_t(m)] = a[m] - mx;
                  else
                    for (int64_t m = 0; m < mid; ++m) e[size_t(m)] = a[m * inner] - mx;
                  if (fast)
                    fast_exp(choice.isa, e.data(), e.data(), mid);
                  else
                    portable_map(choice.isa, MathFn::exp, e.data(), e.data(), mid);
                  const float* ep = e.data();
                  const float sum = lane_sum<float>(mid, [ep](int64_t m) { return ep[m]; });
                  if (log) {
                    const float log_sum = pmath::logf(sum);
                    for (int64_t m = 0; m < mid; ++m) r[m * inner] = a[m * inner] - mx - log_sum;
                  } else {
                    for (int64_t m = 0; m < mid; ++m) r[m * inner] = e[size_t(m)] / sum;
                  }
                }
            });
}

// ---- matrix products -----------------------------------------------------
void gemm(const Node& n, const std::vector<const Tensor*>& in, Tensor& y,
          const KernelChoice& sgemm) {
  const Tensor &a = need(n, in, 0), &b = need(n, in, 1);
  need_f(n, a), need_f(n, b);
  if (a.shape.size() != 2 || b.shape.size() != 2)
    fail(n, "expects 2-D A and B, got " + str(a.shape) + " and " + str(b.shape));
  const bool ta = n.geti("transA", 0) != 0, tb = n.geti("transB", 0) != 0;
  const int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1];
  const int64_t K2 = tb ? b.shape[1] : b.shape[0], N = tb ? b.shape[0] : b.shape[1];
  if (K != K2) fail(n, "inner dimensions differ: A " + str(a.shape) + ", B " + str(b.shape));
  size_f(y, {M, N}, n);
  const float alpha = n.getf("alpha", 1.0f), beta = n.getf("beta", 1.0f);
  const Tensor* c = in.size() > 2 ? in[2] : nullptr;
  float blas_beta = 0.0f;
  if (c) {
    // Y starts as beta*C broadcast to [M, N]; sgemm then accumulates into it.
    need_f(n, *c);
    Shape r = broadcast(n, {M, N}, c->shape);
    if (r != Shape{M, N})
      fail(n, "bias C " + str(c->shape) + " does not broadcast to " + str({M, N}));
    if (c->f.size() == size_t(N) && (c->shape.empty() || c->shape.back() == N)) {
      for (int64_t m = 0; m < M; ++m)
        for (int64_t j = 0; j < N; ++j) y.f[size_t(m * N + j)] = beta * c->f[size_t(j)];
    } else {
      const float one = 1.0f;
      binary(r, c->f.data(), c->shape, &one, Shape{}, y.f.data(),
             [beta](float p, float) { return beta * p; });
    }
    blas_beta = 1.0f;
  }
  if (M > 0 && N > 0)
    sgemm(ta, tb, M, N, K, alpha, a.f.data(), a.shape[1], b.f.data(), b.shape[1], blas_beta,
          y.f.data(), N);
}

void matmul(const Node& n, const std::vector<const Tensor*>& in, Tensor& y,
            const KernelChoice& sgemm) {
  const Tensor &a = need(n, in, 0), &b = need(n, in, 1);
  need_f(n, a), need_f(n, b);
  Shape sa = a.shape, sb = b.shape;
  if (sa.empty() || sb.empty()) fail(n, "scalar operands are not supported");
  const bool va = sa.size() == 1, vb = sb.size() == 1;
  if (va) sa.insert(sa.begin(), 1);
  if (vb) sb.push_back(1);
  const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
  if (sb[sb.size() - 2] != K)
    fail(n, "inner dimensions differ: " + str(a.shape) + " x " + str(b.shape));
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  Shape batch = broadcast(n, ba, bb);
  Shape out = batch;
  if (!va) out.push_back(M);
  if (!vb) out.push_back(N);
  size_f(y, out, n);
  const int64_t nbatch =
      std::accumulate(batch.begin(), batch.end(), int64_t{1}, std::multiplies<>());
  if (M == 0 || N == 0) return;
  if (bb.empty() || std::accumulate(bb.begin(), bb.end(), int64_t{1}, std::multiplies<>()) == 1) {
    // B shared by every batch: one product with the batch folded into M.
    sgemm(false, false, nbatch * M, N, K, 1.0f, a.f.data(), K, b.f.data(), N, 0.0f, y.f.data(), N);
    return;
  }
  auto sta = bstrides(ba, batch), stb = bstrides(bb, batch);
  std::vector<int64_t> idx(batch.size(), 0);
  for (int64_t k = 0; k < nbatch; ++k) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < batch.size(); ++d) oa += idx[d] * sta[d], ob += idx[d] * stb[d];
    sgemm(false, false, M, N, K, 1.0f, a.f.data() + oa * M * K, K, b.f.data() + ob * K * N, N, 0.0f,
          y.f.data() + k * M * N, N);
    for (size_t d = batch.size(); d-- > 0;) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
}

// ---- convolution and pooling ---------------------------------------------
}  // namespace

kernel::Window kernel::window(const Node& n, const kernel::Shape& x, kernel::Shape kernel,
                              bool ceil_mode) {
  if (x.size() != 4) fail(n, "only 2-D (NCHW) inputs are supported, got " + str(x));
  Window w{};
  auto strides = n.getints("strides", {1, 1}), dil = n.getints("dilations", {1, 1});
  auto pads = n.getints("pads", {0, 0, 0, 0});
  if (kernel.size() != 2 || strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    fail(n, "kernel_shape/strides/dilations/pads must describe 2 spatial dims");
  const std::string ap = n.gets("auto_pad", "NOTSET");
  for (int j = 0; j < 2; ++j) {
    w.k[j] = kernel[size_t(j)], w.s[j] = strides[size_t(j)], w.d[j] = dil[size_t(j)];
    if (w.k[j] < 1 || w.s[j] < 1 || w.d[j] < 1)
      fail(n, "kernel, strides and dilations must be positive");
    const int64_t in = x[size_t(j) + 2], ext = (w.k[j] - 1) * w.d[j] + 1;
    if (ap == "NOTSET") {
      w.pb[j] = pads[size_t(j)], w.pe[j] = pads[size_t(j) + 2];
      if (w.pb[j] < 0 || w.pe[j] < 0) fail(n, "negative pads");
      const int64_t span = in + w.pb[j] + w.pe[j] - ext;
      if (span < 0) fail(n, "kernel larger than padded input " + str(x));
      w.out[j] = (ceil_mode ? (span + w.s[j] - 1) / w.s[j] : span / w.s[j]) + 1;
      // A window may not start in the end padding (ONNX/PyTorch rule).
      if (ceil_mode && (w.out[j] - 1) * w.s[j] >= in + w.pb[j]) --w.out[j];
    } else if (ap == "VALID") {
      w.pb[j] = w.pe[j] = 0;
      if (in < ext) fail(n, "kernel larger than input " + str(x));
      w.out[j] = (in - ext) / w.s[j] + 1;
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      w.out[j] = (in + w.s[j] - 1) / w.s[j];
      const int64_t total = std::max<int64_t>((w.out[j] - 1) * w.s[j] + ext - in, 0);
      w.pb[j] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pe[j] = total - w.pb[j];
    } else {
      fail(n, "auto_pad '" + ap + "' is not supported");
    }
  }
  return w;
}

namespace {
// Rounds a / b up, for any sign of a (b > 0).
int64_t ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}
}  // namespace

void kernel::im2col(const float* xs, int64_t C, int64_t H, int64_t W, const Window& w, float* col) {
  const int64_t OH = w.out[0], OW = w.out[1], P = OH * OW;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t ki = 0; ki < w.k[0]; ++ki)
      for (int64_t kj = 0; kj < w.k[1]; ++kj) {
        float* row = col + ((c * w.k[0] + ki) * w.k[1] + kj) * P;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t ih = oh * w.s[0] - w.pb[0] + ki * w.d[0];
          float* out = row + oh * OW;
          if (ih < 0 || ih >= H) {
            std::fill(out, out + OW, 0.0f);
            continue;
          }
          // Columns ow whose iw = ow * s + off falls inside [0, W): [lo, hi);
          // zeros either side, and no bounds test per element between.
          const float* in = xs + (c * H + ih) * W;
          const int64_t s = w.s[1], off = kj * w.d[1] - w.pb[1];
          const int64_t lo = std::clamp<int64_t>(ceil_div(-off, s), 0, OW);
          const int64_t hi = std::clamp<int64_t>(ceil_div(W - off, s), lo, OW);
          std::fill(out, out + lo, 0.0f);
          if (s == 1)
            std::copy(in + lo + off, in + hi + off, out + lo);
          else
            for (int64_t ow = lo; ow < hi; ++ow) out[ow] = in[ow * s + off];
          std::fill(out + hi, out + OW, 0.0f);
        }
      }
}

namespace {
// The 2x2 window whose top-left input is column c of row0 (row1 below it):
// from -inf, v > acc ? v : acc (std::max(acc, v) for every input, NaN
// included, compiled to maxss instead of a mispredicted branch) over the
// window row by row.
float max_of_2x2(const float* row0, const float* row1, int64_t c) {
  auto mx2 = [](float a, float v) { return v > a ? v : a; };
  const float acc = mx2(mx2(-INFINITY, row0[c]), row0[c + 1]);
  return mx2(mx2(acc, row1[c]), row1[c + 1]);
}
}  // namespace

void kernel::max_pool_2x2_row(const float* row0, const float* row1, float* out, int64_t ow0,
                              int64_t ow1) {
  int64_t ow = ow0;
  // Four outputs at a time (SSE, any x86-64): the even and odd columns of
  // each row pair, the same comparisons in the same order.
  using V4 = float __attribute__((vector_size(16)));
  using I4 [[maybe_unused]] = int __attribute__((vector_size(16)));
  const V4 lowest = V4{} - INFINITY;
  auto load8 = [](const float* p, V4& even, V4& odd) {
    V4 a, b;
    std::memcpy(&a, p, sizeof a);
    std::memcpy(&b, p + 4, sizeof b);
#if defined(__clang__)
    even = __builtin_shufflevector(a, b, 0, 2, 4, 6);
    odd = __builtin_shufflevector(a, b, 1, 3, 5, 7);
#else
    even = __builtin_shuffle(a, b, I4{0, 2, 4, 6});
    odd = __builtin_shuffle(a, b, I4{1, 3, 5, 7});
#endif
  };
  auto four = [&](int64_t at) {
    V4 e0, o0, e1, o1;
    load8(row0 + at * 2, e0, o0);
    load8(row1 + at * 2, e1, o1);
    V4 acc = e0 > lowest ? e0 : lowest;
    acc = o0 > acc ? o0 : acc;
    acc = e1 > acc ? e1 : acc;
    acc = o1 > acc ? o1 : acc;
    std::memcpy(out + at, &acc, sizeof acc);
  };
  for (; ow + 4 <= ow1; ow += 4) four(ow);
  // The last few outputs as the last four of the row, again: the outputs
  // computed twice get the same value (a CNN's rows of 14 and 7 outputs
  // spent a third of their time in the scalar loop below).
  if (ow < ow1 && ow1 - ow0 >= 4) return four(ow1 - 4);
  for (; ow < ow1; ++ow) out[ow] = max_of_2x2(row0, row1, ow * 2);
}

namespace {

void conv(const Node& n, const std::vector<const Tensor*>& in, Tensor& y,
          const KernelChoice& sgemm) {
  const Tensor &x = need(n, in, 0), &wt = need(n, in, 1);
  need_f(n, x), need_f(n, wt);
  if (wt.shape.size() != 4)
    fail(n, "only 2-D convolutions are supported, weight is " + str(wt.shape));
  const int64_t N = x.shape.size() == 4 ? x.shape[0] : 0, C = x.shape.size() == 4 ? x.shape[1] : 0;
  const int64_t M = wt.shape[0], g = n.geti("group", 1);
  Window w = window(n, x.shape, n.getints("kernel_shape", {wt.shape[2], wt.shape[3]}), false);
  if (w.k[0] != wt.shape[2] || w.k[1] != wt.shape[3])
    fail(n, "kernel_shape does not match the weight " + str(wt.shape));
  if (g < 1 || C % g || M % g || wt.shape[1] != C / g)
    fail(n, "input " + str(x.shape) + ", weight " + str(wt.shape) + " and group " +
                std::to_string(g) + " do not fit");
  const Tensor* bias = in.size() > 2 ? in[2] : nullptr;
  if (bias && (bias->dtype != DType::f32 || bias->shape != Shape{M}))
    fail(n, "bias must be float [" + std::to_string(M) + "]");
  const int64_t H = x.shape[2], W = x.shape[3], OH = w.out[0], OW = w.out[1];
  size_f(y, {N, M, OH, OW}, n);
  // An empty input has no rows to offset into (found by fuzz_onnx_model: a
  // row pointer offset from null); windows over padding alone would give
  // the bias. Refused, as pooling one is.
  if (x.numel() == 0 && y.numel() > 0) fail(n, "convolves an empty input " + str(x.shape));
  // Nothing to compute: an empty input's windows would still be cut from
  // its null data (found by fuzz_onnx_model: [1,1,5,0] with SAME padding
  // and a stride of 64 gives [1,M,1,0]).
  if (y.numel() == 0) return;
  const int64_t Cg = C / g, Mg = M / g, KK = Cg * w.k[0] * w.k[1], P = OH * OW;
  std::vector<float> col(size_t(checked_numel({KK, P}, n.where() + " im2col")));
  for (int64_t b = 0; b < N; ++b)
    for (int64_t gi = 0; gi < g; ++gi) {
      im2col(x.f.data() + (b * C + gi * Cg) * H * W, Cg, H, W, w, col.data());
      float* ys = y.f.data() + (b * M + gi * Mg) * P;
      sgemm(false, false, Mg, P, KK, 1.0f, wt.f.data() + gi * Mg * KK, KK, col.data(), P, 0.0f, ys,
            P);
      if (bias)
        for (int64_t m = 0; m < Mg; ++m)
          for (int64_t p = 0; p < P; ++p) ys[m * P + p] += bias->f[size_t(gi * Mg + m)];
    }
}

void pool(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  need_f(n, x);
  if (n.out.size() > 1 && n.out[1] >= 0) fail(n, "the Indices output is not supported");
  const bool mx = n.op == "MaxPool";
  if (!mx && n.has("dilations")) fail(n, "dilations are not supported");
  Window w = window(n, x.shape, n.getints("kernel_shape", {}), n.geti("ceil_mode", 0) != 0);
  // Pads as wide as the window are invalid ONNX, refused by ONNX Runtime
  // too ("Pad should be smaller than kernel"): windows of padding alone,
  // and with large pads hours spent on an output of almost nothing (found
  // by fuzz_onnx_model: pads of 2^20 around a 28 x 28 input).
  if (n.gets("auto_pad", "NOTSET") == "NOTSET")
    for (int j = 0; j < 2; ++j)
      if (w.pb[j] >= w.k[j] || w.pe[j] >= w.k[j])
        fail(n, "pads (" + std::to_string(w.pb[j]) + ", " + std::to_string(w.pe[j]) +
                    ") must be smaller than the kernel (" + std::to_string(w.k[j]) + ")");
  const bool incl = n.geti("count_include_pad", 0) != 0;
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3], OH = w.out[0],
                OW = w.out[1];
  size_f(y, {N, C, OH, OW}, n);
  // An empty input (a spatial dim of 0) has no rows to offset into; windows
  // over padding alone have no value to take.
  if (x.numel() == 0) {
    if (y.numel() > 0) fail(n, "pools an empty input " + str(x.shape));
    return;
  }
  // Outputs whose window lies wholly inside the input: [oh0, oh1) x [ow0,
  // ow1). They take the same values in the same order as the general loop
  // below, without its bounds checks (the hot loop of a CNN's pooling).
  auto inside = [&](int j, int64_t in_len, int64_t out_len, int64_t& lo, int64_t& hi) {
    lo = (w.pb[j] + w.s[j] - 1) / w.s[j];
    hi = lo;
    while (hi < out_len && hi * w.s[j] - w.pb[j] + (w.k[j] - 1) * w.d[j] < in_len) ++hi;
  };
  int64_t oh0, oh1, ow0, ow1;
  inside(0, H, OH, oh0, oh1);
  inside(1, W, OW, ow0, ow1);
  const int64_t area = w.k[0] * w.k[1];
  for (int64_t bc = 0; bc < N * C; ++bc) {
    const float* xs = x.f.data() + bc * H * W;
    float* ys = y.f.data() + bc * OH * OW;
    const bool two_by_two = mx && w.k[0] == 2 && w.k[1] == 2 && w.d[0] == 1 && w.d[1] == 1;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const float* row0 = xs + (oh * w.s[0] - w.pb[0]) * W - w.pb[1];
      float* out = ys + oh * OW;
      if (two_by_two) {  // the common 2x2 max-pool, unrolled, branch-free
        const float* row1 = row0 + W;
        if (w.s[1] == 2) {
          kernel::max_pool_2x2_row(row0, row1, out, ow0, ow1);
          continue;
        }
        for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = max_of_2x2(row0, row1, ow * w.s[1]);
        continue;
      }
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const float* at = row0 + ow * w.s[1];
        float acc = mx ? -INFINITY : 0.0f;
        for (int64_t ki = 0; ki < w.k[0]; ++ki) {
          const float* r = at + ki * w.d[0] * W;
          if (mx)
            for (int64_t kj = 0; kj < w.k[1]; ++kj) {
              const float v = r[kj * w.d[1]];
              acc = v > acc ? v : acc;  // std::max(acc, v), branch-free
            }
          else
            for (int64_t kj = 0; kj < w.k[1]; ++kj) acc += r[kj * w.d[1]];
        }
        out[ow] = mx ? acc : acc / float(area);
      }
    }
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        if (oh >= oh0 && oh < oh1 && ow >= ow0 && ow < ow1) {
          ow = ow1 - 1;  // done above
          continue;
        }
        float acc = mx ? -INFINITY : 0.0f;
        int64_t cnt = 0, padded = 0;
        for (int64_t ki = 0; ki < w.k[0]; ++ki) {
          const int64_t ih = oh * w.s[0] - w.pb[0] + ki * w.d[0];
          for (int64_t kj = 0; kj < w.k[1]; ++kj) {
            const int64_t iw = ow * w.s[1] - w.pb[1] + kj * w.d[1];
            if (ih < H + w.pe[0] && iw < W + w.pe[1]) ++padded;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const float v = xs[ih * W + iw];
            acc = mx ? std::max(acc, v) : acc + v;
            ++cnt;
          }
        }
        ys[oh * OW + ow] = mx ? acc : acc / float(incl ? padded : std::max<int64_t>(cnt, 1));
      }
  }
}

void global_avg(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  need_f(n, x);
  if (x.shape.size() < 3) fail(n, "expects [N, C, spatial...], got " + str(x.shape));
  Shape out = {x.shape[0], x.shape[1]};
  int64_t sp = 1;
  for (size_t d = 2; d < x.shape.size(); ++d) out.push_back(1), sp *= x.shape[d];
  size_f(y, out, n);
  for (int64_t k = 0; k < x.shape[0] * x.shape[1]; ++k) {
    float s = 0;
    for (int64_t j = 0; j < sp; ++j) s += x.f[size_t(k * sp + j)];
    y.f[size_t(k)] = s / float(sp);
  }
}

void batchnorm(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  need_f(n, x);
  if (n.geti("training_mode", 0) != 0 || (n.out.size() > 1 && n.out[1] >= 0))
    fail(n, "training mode is not supported");
  if (n.geti("spatial", 1) != 1) fail(n, "spatial=0 is not supported");
  if (x.shape.size() < 2) fail(n, "expects [N, C, ...], got " + str(x.shape));
  const int64_t C = x.shape[1];
  for (size_t k = 1; k < 5; ++k) {
    const Tensor& p = need(n, in, k);
    if (p.dtype != DType::f32 || p.shape != Shape{C})
      fail(n, "parameter " + std::to_string(k) + " must be float [" + std::to_string(C) + "]");
  }
  const float eps = n.getf("epsilon", 1e-5f);
  int64_t inner = 1;
  for (size_t d = 2; d < x.shape.size(); ++d) inner *= x.shape[d];
  size_f(y, x.shape, n);
  for (int64_t b = 0; b < x.shape[0]; ++b)
    for (int64_t c = 0; c < C; ++c) {
      const float sc = in[1]->f[size_t(c)] / std::sqrt(in[4]->f[size_t(c)] + eps);
      const float sh = in[2]->f[size_t(c)] - in[3]->f[size_t(c)] * sc;
      const float* a = x.f.data() + (b * C + c) * inner;
      float* o = y.f.data() + (b * C + c) * inner;
      for (int64_t j = 0; j < inner; ++j) o[j] = a[j] * sc + sh;
    }
}

// ---- shape and data movement ---------------------------------------------
void reshape(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  Shape s = ints_input(n, need(n, in, 1));
  const bool allowzero = n.geti("allowzero", 0) != 0;
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == 0 && !allowzero) {
      if (k >= x.shape.size())
        fail(n, "shape " + str(s) + " copies a dim the input " + str(x.shape) + " lacks");
      s[k] = x.shape[k];
    }
    if (s[k] == -1) {
      if (infer >= 0) fail(n, "more than one -1 in shape " + str(s));
      infer = int64_t(k);
    } else if (s[k] < 0) {
      fail(n, "invalid shape " + str(s));
    } else if (__builtin_mul_overflow(known, s[k], &known)) {
      fail(n, "shape " + str(s) + " holds more elements than int64 counts");
    }
  }
  if (infer >= 0) s[size_t(infer)] = known ? x.numel() / known : 0;
  if (checked_numel(s, n.where()) != x.numel())
    fail(n, "cannot reshape " + str(x.shape) + " to " + str(s));
  copy(n, x, y, s);
}

void flatten(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  const int64_t rank = int64_t(x.shape.size());
  int64_t axis = n.geti("axis", 1);
  if (axis < -rank || axis > rank) fail(n, "axis out of range");
  if (axis < 0) axis += rank;
  int64_t a = 1, b = 1;
  for (int64_t d = 0; d < rank; ++d) (d < axis ? a : b) *= x.shape[size_t(d)];
  copy(n, x, y, {a, b});
}

void transpose(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  const size_t r = x.shape.size();
  std::vector<int64_t> def(r);
  for (size_t k = 0; k < r; ++k) def[k] = int64_t(r - 1 - k);
  auto perm = n.getints("perm", def);
  std::vector<bool> seen(r, false);
  if (perm.size() != r) fail(n, "perm has the wrong length");
  for (auto p : perm) {
    if (p < 0 || size_t(p) >= r || seen[size_t(p)]) fail(n, "perm is not a permutation");
    seen[size_t(p)] = true;
  }
  Shape out(r);
  for (size_t k = 0; k < r; ++k) out[k] = x.shape[size_t(perm[k])];
  std::vector<int64_t> st(r, 1);
  for (size_t k = r; k-- > 1;) st[k - 1] = st[k] * x.shape[k];
  if (x.dtype == DType::f32)
    size_f(y, out, n);
  else
    size_i(y, out, n);
  Shape from(r);  // the input stride of each output dimension
  for (size_t k = 0; k < r; ++k) from[k] = st[size_t(perm[k])];
  if (x.dtype == DType::f32)
    strided_copy(x.f.data(), out, from, y.f.data());
  else
    strided_copy(x.i.data(), out, from, y.i.data());
}

void concat(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x0 = need(n, in, 0);
  if (!n.has("axis")) fail(n, "attribute 'axis' is required");
  const int64_t rank = int64_t(x0.shape.size());
  const int64_t axis = norm_axis(n, n.geti("axis", 0), rank);
  Shape out = x0.shape;
  out[size_t(axis)] = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    const Tensor& t = need(n, in, k);
    if (t.dtype != x0.dtype || int64_t(t.shape.size()) != rank)
      fail(n, "inputs differ in type or rank");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.shape[size_t(d)] != x0.shape[size_t(d)])
        fail(n, "cannot concatenate " + str(x0.shape) + " and " + str(t.shape));
    out[size_t(axis)] += t.shape[size_t(axis)];
  }
  if (x0.dtype == DType::f32)
    size_f(y, out, n);
  else
    size_i(y, out, n);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out[size_t(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= out[size_t(d)];
  int64_t off = 0;
  const int64_t row = out[size_t(axis)] * inner;
  for (const Tensor* t : in) {
    const int64_t blk = t->shape[size_t(axis)] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      if (x0.dtype == DType::f32)
        std::copy_n(t->f.data() + o * blk, blk, y.f.data() + o * row + off);
      else
        std::copy_n(t->i.data() + o * blk, blk, y.i.data() + o * row + off);
    }
    off += blk;
  }
}

void constant(const Node& n, Tensor& y) {
  if (n.has("value")) {
    const Tensor& t = n.attrs.at("value").tv;
    copy(n, t, y, t.shape);
  } else if (n.has("value_float")) {
    size_f(y, {}, n), y.f[0] = n.getf("value_float", 0);
  } else if (n.has("value_floats")) {
    const auto& v = n.attrs.at("value_floats").floats_v;
    size_f(y, {int64_t(v.size())}, n), std::copy(v.begin(), v.end(), y.f.begin());
  } else if (n.has("value_int")) {
    size_i(y, {}, n), y.i[0] = n.geti("value_int", 0);
  } else if (n.has("value_ints")) {
    const auto& v = n.attrs.at("value_ints").ints_v;
    size_i(y, {int64_t(v.size())}, n), std::copy(v.begin(), v.end(), y.i.begin());
  } else {
    fail(n, "needs one of value, value_float(s), value_int(s)");
  }
}

void shape_op(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Shape& s = need(n, in, 0).shape;
  const int64_t r = int64_t(s.size());
  auto clampi = [&](int64_t v) { return std::clamp(v < 0 ? v + r : v, int64_t{0}, r); };
  const int64_t b = clampi(n.geti("start", 0)), e = clampi(n.geti("end", r));
  size_i(y, {std::max<int64_t>(e - b, 0)}, n);
  for (int64_t k = b; k < e; ++k) y.i[size_t(k - b)] = s[size_t(k)];
}

void gather(const Node& n, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor &x = need(n, in, 0), &ix = need(n, in, 1);
  const auto& idx = ints_input(n, ix);
  const int64_t rank = int64_t(x.shape.size());
  if (rank == 0) fail(n, "data must have rank >= 1");
  const int64_t axis = norm_axis(n, n.geti("axis", 0), rank);
  Shape out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), ix.shape.begin(), ix.shape.end());
  out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
  if (x.dtype == DType::f32)
    size_f(y, out, n);
  else
    size_i(y, out, n);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape[size_t(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape[size_t(d)];
  const int64_t A = x.shape[size_t(axis)], I = int64_t(idx.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < I; ++k) {
      int64_t j = idx[size_t(k)];
      if (j < -A || j >= A)
        fail(n, "index " + std::to_string(j) + " out of range [" + std::to_string(-A) + ", " +
                    std::to_string(A) + ")");
      if (j < 0) j += A;
      const int64_t src = (o * A + j) * inner, dst = (o * I + k) * inner;
      if (x.dtype == DType::f32)
        std::copy_n(x.f.data() + src, inner, y.f.data() + dst);
      else
        std::copy_n(x.i.data() + src, inner, y.i.data() + dst);
    }
}

void unsqueeze(const Node& n, int64_t opset, const std::vector<const Tensor*>& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  std::vector<int64_t> axes = opset >= 13 ? ints_input(n, need(n, in, 1)) : n.getints("axes", {});
  const int64_t r = int64_t(x.shape.size() + axes.size());
  std::vector<bool> ins(size_t(r), false);
  for (auto a : axes) {
    a = norm_axis(n, a, r);
    if (ins[size_t(a)]) fail(n, "repeated axis");
    ins[size_t(a)] = true;
  }
  Shape out;
  size_t src = 0;
  for (int64_t d = 0; d < r; ++d) out.push_back(ins[size_t(d)] ? 1 : x.shape[src++]);
  copy(n, x, y, out);
}

}  // namespace

bool is_unary_elementwise(const std::string& op) {
  static const std::set<std::string> ops = {
      "Relu",        "LeakyRelu", "Sigmoid", "Tanh", "Abs",
      "Neg",         "Exp",       "Log",     "Sqrt", "Reciprocal",
      "Erf",         "Ceil",      "Floor",   "Sign", "Softsign",
      "Softplus",    "Elu",       "Celu",    "Selu", "ThresholdedRelu",
      "HardSigmoid", "HardSwish", "Round"};
  return ops.count(op) > 0;
}

namespace {

// 1-D convolution and pooling run as 2-D over one row: [N, C, L] is
// [N, C, 1, L], a kernel of k is 1 x k, pads (b, e) are (0, b, 0, e).
Node as_2d(const Node& n) {
  Node m = n;
  auto widen = [&](const char* name, int64_t lead) {
    if (!m.has(name)) return;
    auto& v = m.attrs.at(name).ints_v;
    if (v.size() != (std::string(name) == "pads" ? 2u : 1u))
      fail(n, std::string(name) + " does not describe 1 spatial dim");
    if (std::string(name) == "pads")
      v = {0, v[0], 0, v[1]};
    else
      v.insert(v.begin(), lead);
  };
  widen("kernel_shape", 1);
  widen("strides", 1);
  widen("dilations", 1);
  widen("pads", 0);
  return m;
}

}  // namespace

void run_node(const Node& n, int64_t opset, const std::vector<const Tensor*>& in,
              const std::vector<Tensor*>& out, const KernelChoice& sgemm) {
  const std::string& op = n.op;
  // The recurrent operators may leave their first output (Y) unused.
  if (op == "LSTM") return lstm(n, in, out);
  if (op == "GRU") return gru(n, in, out);
  if (out.empty() || !out[0]) fail(n, "has no output");
  Tensor& y = *out[0];
  if ((op == "Conv" || op == "MaxPool" || op == "AveragePool") && !in.empty() && in[0] &&
      in[0]->shape.size() == 3) {
    Tensor x2 = *in[0], w2;
    x2.shape.insert(x2.shape.begin() + 2, 1);
    std::vector<const Tensor*> in2 = in;
    in2[0] = &x2;
    if (op == "Conv") {
      w2 = need(n, in, 1);
      if (w2.shape.size() != 3) fail(n, "a 1-D convolution needs a weight [M, C/group, k]");
      w2.shape.insert(w2.shape.begin() + 2, 1);
      in2[1] = &w2;
    }
    run_node(as_2d(n), opset, in2, out, sgemm);
    y.shape.erase(y.shape.begin() + 2);
    return;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div")
    elementwise(n, in, y, sgemm.isa);
  else if (is_unary_elementwise(op))
    unary(n, in, y, sgemm);
  else if (op == "Pow")
    power(n, in, y);
  else if (op == "Max" || op == "Min" || op == "Sum")
    variadic(n, in, y);
  else if (op == "PRelu")
    prelu(n, in, y);
  else if (op == "Clip")
    clip(n, opset, in, y);
  else if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceSumSquare" ||
           op == "ReduceMax" || op == "ReduceMin")
    reduce(n, opset, in, y);
  else if (op == "LayerNormalization")
    layer_norm(n, in, out, sgemm.isa);
  else if (op == "Slice")
    slice(n, opset, in, y);
  else if (op == "Squeeze")
    squeeze(n, opset, in, y);
  else if (op == "Expand")
    expand(n, in, y);
  else if (op == "Split")
    split(n, opset, in, out);
  else if (op == "Cast")
    cast(n, in, y);
  else if (op == "GlobalMaxPool")
    global_max(n, in, y);
  else if (op == "InstanceNormalization")
    instance_norm(n, in, y);
  else if (op == "Tile")
    tile(n, in, y);
  else if (op == "DepthToSpace")
    depth_to_space(n, in, y);
  else if (op == "Pad")
    pad(n, opset, in, y);
  else if (op == "ConvTranspose")
    conv_transpose(n, in, y);
  else if (op == "Equal" || op == "Less" || op == "LessOrEqual" || op == "Greater" ||
           op == "GreaterOrEqual")
    compare(n, in, y);
  else if (op == "Not" || op == "And" || op == "Or" || op == "Xor")
    logic(n, in, y);
  else if (op == "Where")
    where(n, in, y);
  else if (op == "ConstantOfShape")
    constant_of_shape(n, in, y);
  else if (op == "Range")
    range(n, in, y);
  else if (op == "Resize")
    resize(n, opset, in, y);
  else if (op == "Einsum")
    einsum(n, in, y);
  else if (op == "Softmax" || op == "LogSoftmax")
    softmax(n, opset, in, y, sgemm);
  else if (op == "Gemm")
    gemm(n, in, y, sgemm);
  else if (op == "MatMul")
    matmul(n, in, y, sgemm);
  else if (op == "Conv")
    conv(n, in, y, sgemm);
  else if (op == "MaxPool" || op == "AveragePool")
    pool(n, in, y);
  else if (op == "GlobalAveragePool")
    global_avg(n, in, y);
  else if (op == "BatchNormalization")
    batchnorm(n, in, y);
  else if (op == "Flatten")
    flatten(n, in, y);
  else if (op == "Reshape")
    reshape(n, in, y);
  else if (op == "Transpose")
    transpose(n, in, y);
  else if (op == "Concat")
    concat(n, in, y);
  else if (op == "Constant")
    constant(n, y);
  else if (op == "Shape")
    shape_op(n, in, y);
  else if (op == "Gather")
    gather(n, in, y);
  else if (op == "Unsqueeze")
    unsqueeze(n, opset, in, y);
  else if (op == "Identity")
    copy(n, need(n, in, 0), y, need(n, in, 0).shape);
  else if (op == "Dropout") {
    if (out.size() > 1 && out[1]) fail(n, "the mask output is not supported");
    if (in.size() > 2 && in[2] && (in[2]->i.empty() || in[2]->i[0] != 0))
      fail(n, "training_mode is not supported");
    copy(n, need(n, in, 0), y, need(n, in, 0).shape);
  } else
    fail(n, "operator is not supported");
}

}  // namespace basin::infer
