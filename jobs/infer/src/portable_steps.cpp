#include "portable_steps.hpp"

#include <xmmintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernel_ops.hpp"
#include "parallel_chunks.hpp"
#include "portable_gemm.hpp"
#include "portable_gemm_clones.hpp"

namespace basin::infer {
namespace {

// A Relu or Clip folded into the convolution before it, doing exactly what
// the plain kernels do (kernels.cpp: Relu; kernels_elementwise.cpp: Clip).
// Copies one image row of n floats. Inline, four at a time: rows here are
// short (7 to 64 columns) and std::copy_n's call to memmove cost more than
// the copy (16% of a small CNN).
inline void copy_row(float* dst, const float* src, int64_t n) {
  using V4 = float __attribute__((vector_size(16)));
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V4 v;
    std::memcpy(&v, src + i, sizeof v);
    std::memcpy(dst + i, &v, sizeof v);
  }
  for (; i < n; ++i) dst[i] = src[i];
}

// dst[j * dst_ld + i] = src[i * src_ld + j] for i < rows, j < cols: 4 x 4
// blocks through SSE registers (every x86-64 has SSE; moving floats does not
// change them, so any way of doing it gives the same bits), the edges one
// by one. Scattering one float at a time to stride-C addresses cost a third
// of a MobileNet.
void transpose(const float* src, int64_t rows, int64_t cols, int64_t src_ld, float* dst,
               int64_t dst_ld) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* s = src + i * src_ld;
    int64_t j = 0;
    for (; j + 4 <= cols; j += 4) {
      __m128 r0 = _mm_loadu_ps(s + j), r1 = _mm_loadu_ps(s + src_ld + j),
             r2 = _mm_loadu_ps(s + 2 * src_ld + j), r3 = _mm_loadu_ps(s + 3 * src_ld + j);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      float* d = dst + j * dst_ld + i;
      _mm_storeu_ps(d, r0);
      _mm_storeu_ps(d + dst_ld, r1);
      _mm_storeu_ps(d + 2 * dst_ld, r2);
      _mm_storeu_ps(d + 3 * dst_ld, r3);
    }
    for (; j < cols; ++j)
      for (int64_t r = 0; r < 4; ++r) dst[j * dst_ld + i + r] = s[r * src_ld + j];
  }
  for (; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) dst[j * dst_ld + i] = src[i * src_ld + j];
}

struct Activation {
  enum class Kind { none, relu, clip } kind = Kind::none;
  float lo = 0, hi = 0;

  // A channels-last row: y[j] = act(y[j] + bias[j]) (bias per column), or
  // act(y[j]) without a bias; the same operations as finish().
  void finish_row(float* y, int64_t n, const float* bias) const {
    switch (kind) {
      case Kind::none:
        if (bias) row<Kind::none, true>(y, n, bias);
        return;
      case Kind::relu:
        return bias ? row<Kind::relu, true>(y, n, bias) : row<Kind::relu, false>(y, n, bias);
      case Kind::clip:
        return bias ? row<Kind::clip, true>(y, n, bias) : row<Kind::clip, false>(y, n, bias);
    }
  }

  // y[j] = act(y[j] + *bias), or act(y[j]) without a bias (adding a zero
  // would turn -0 into +0). The addition is the plain kernel's bias
  // addition and the comparisons are its Relu's (y > 0 ? y : 0) and Clip's
  // (std::min(std::max(y, lo), hi)), exact, so the bits are the plain
  // kernels' however many lanes run them.
  void finish(float* y, int64_t n, const float* bias) const {
    const float b = bias ? *bias : 0.0f;
    switch (kind) {
      case Kind::none:
        if (bias) return lanes<Kind::none, true>(y, n, b);
        return;
      case Kind::relu:
        return bias ? lanes<Kind::relu, true>(y, n, b) : lanes<Kind::relu, false>(y, n, b);
      case Kind::clip:
        return bias ? lanes<Kind::clip, true>(y, n, b) : lanes<Kind::clip, false>(y, n, b);
    }
  }

 private:
  // Four floats at a time with GCC/Clang vector extensions (SSE, which every
  // x86-64 has: -O2 does not vectorise the scalar loop), then the rest.
  template <Kind K, bool Bias, typename T>
  T one(T v, T b, T l, T h) const {
    if constexpr (Bias) v = v + b;
    if constexpr (K == Kind::relu) v = v > T{} ? v : T{};
    if constexpr (K == Kind::clip) {
      v = v < l ? l : v;  // std::max(v, lo)
      v = h < v ? h : v;  // std::min(., hi)
    }
    return v;
  }
  template <Kind K, bool Bias>
  void lanes(float* y, int64_t n, float b) const {
    using V = float __attribute__((vector_size(16)));
    const V bv = V{} + b, lv = V{} + lo, hv = V{} + hi;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      V v;
      std::memcpy(&v, y + j, sizeof v);
      v = one<K, Bias>(v, bv, lv, hv);
      std::memcpy(y + j, &v, sizeof v);
    }
    for (; j < n; ++j) y[j] = one<K, Bias>(y[j], b, lo, hi);
  }
  template <Kind K, bool Bias>
  void row(float* y, int64_t n, const float* bias) const {
    using V = float __attribute__((vector_size(16)));
    const V lv = V{} + lo, hv = V{} + hi;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      V v, b{};
      std::memcpy(&v, y + j, sizeof v);
      if constexpr (Bias) std::memcpy(&b, bias + j, sizeof b);
      v = one<K, Bias>(v, b, lv, hv);
      std::memcpy(y + j, &v, sizeof v);
    }
    for (; j < n; ++j) y[j] = one<K, Bias>(y[j], Bias ? bias[j] : 0.0f, lo, hi);
  }
};

// The activation `next` stands for, or none when it cannot be folded: a
// Relu, or a Clip whose bounds are float scalars fixed at plan time (given
// as inputs, opset 11 on; a Clip with min/max attributes is left alone).
Activation activation_of(const Node* next, const std::vector<Tensor>& values,
                         const std::vector<bool>& is_const) {
  Activation a;
  if (!next || next->out.empty() || next->out[0] < 0) return a;
  if (next->op == "Relu" && next->in.size() == 1) {
    a.kind = Activation::Kind::relu;
  } else if (next->op == "Clip" && !next->has("min") && !next->has("max")) {
    a.lo = -HUGE_VALF, a.hi = HUGE_VALF;
    for (size_t k = 1; k < next->in.size() && k < 3; ++k) {
      const int v = next->in[k];
      if (v < 0) continue;
      const Tensor& t = values[size_t(v)];
      if (!is_const[size_t(v)] || t.dtype != DType::f32 || t.f.size() != 1) return a;
      (k == 1 ? a.lo : a.hi) = t.f[0];
    }
    a.kind = Activation::Kind::clip;
  }
  return a;
}

// Rows of a product per chunk shared with idle threads (parallel_chunks.hpp).
constexpr int64_t kChunkRows = 64;

// A constant right-hand side packed as parts of kPartCols columns, so that a
// product of too few rows to cut (an MLP's batch of 16) shares its columns
// with idle threads instead: cut by rows, every thread would stream all the
// weights for a few rows each, slower than one thread alone; cut by columns,
// each streams its own part. Each element of C is still computed alone
// (portable_gemm.hpp), so however the work is cut the bits are the same.
class ColumnParts {
 public:
  // op(B) is K x N (B [N][K] when tb), as for PackedMatrix.
  ColumnParts(Isa isa, bool tb, int64_t K, int64_t N, const float* B, int64_t ldb) : K_(K), N_(N) {
    for (int64_t j = 0; j < N; j += kPartCols)
      parts_.emplace_back(isa, tb, K, std::min(kPartCols, N - j), tb ? B + j * ldb : B + j, ldb);
  }
  int64_t rows() const { return K_; }
  int64_t cols() const { return N_; }

  // C (M x N, row stride ldc) = alpha op(A) B, A as for portable_sgemm_packed
  // (its rows at A + i lda, or its columns at A + i when ta), plus add_row
  // (N floats, or nullptr; alpha must then be 1) added to every row as it is
  // stored. Each chunk of rows, or each part of the columns when there are
  // too few rows to cut, then goes through `done(lo, hi)` for rows [lo, hi)
  // of C once they are complete (the caller's activation).
  template <class Done>
  void multiply(bool ta, int64_t M, float alpha, const float* A, int64_t lda, float* C, int64_t ldc,
                const float* add_row, Done&& done) const {
    auto part = [&](size_t p, int64_t lo, int64_t hi) {
      const int64_t j = int64_t(p) * kPartCols;
      portable_sgemm_packed(parts_[p], ta, hi - lo, alpha, A + (ta ? lo : lo * lda), lda, 0.0f,
                            C + lo * ldc + j, ldc, add_row ? add_row + j : nullptr);
    };
    if (M < 2 * kChunkRows && parts_.size() > 1 && M * K_ * N_ >= kMinSharedMacs) {
      in_chunks(int64_t(parts_.size()), 1, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) part(size_t(p), 0, M);
      });
      return done(int64_t{0}, M);
    }
    in_chunks(M, kChunkRows, [&](int64_t lo, int64_t hi) {
      for (size_t p = 0; p < parts_.size(); ++p) part(p, lo, hi);
      done(lo, hi);
    });
  }

 private:
  static constexpr int64_t kPartCols = 128;  // whole panels for every clone (16 or 32 columns)
  // Fewer multiply-adds than this (tens of microseconds) are not worth
  // waking another thread for: the MLP at batch 1 on two threads ran at a
  // quarter of its one-thread speed with every layer shared.
  static constexpr int64_t kMinSharedMacs = int64_t{1} << 21;
  int64_t K_, N_;
  std::vector<PackedMatrix> parts_;
};

// Gemm: Y = beta C + alpha op(A) op(B), with B constant and C constant (or
// absent), and the Relu or Clip after it. The plain kernel starts Y as beta C
// broadcast and adds the product in the product's epilogue (beta C +
// alpha acc); here the product comes first and each row takes act(alpha acc
// + beta C): the same addition (IEEE addition commutes), without the copies
// around the epilogue. With alpha 1 (a layer's Gemm) the product adds beta C
// as it stores each tile, and only the activation is a pass of its own.
class PackedGemm : public FastStep {
 public:
  PackedGemm(ColumnParts b, bool ta, int64_t M, float alpha, std::vector<float> start,
             Activation act, int a, int y)
      : b_(std::move(b)),
        ta_(ta),
        M_(M),
        alpha_(alpha),
        start_(std::move(start)),
        act_(act),
        a_(a),
        y_(y) {}
  void run(std::vector<Tensor>& values) override {
    const Tensor& a = values[size_t(a_)];
    float* y = values[size_t(y_)].f.data();
    const int64_t N = b_.cols(), lda = a.shape[1];
    const float* bias = start_.empty() ? nullptr : start_.data();
    const bool in_product = alpha_ == 1.0f;  // else alpha acc + beta C after it
    b_.multiply(ta_, M_, alpha_, a.f.data(), lda, y, N, in_product ? bias : nullptr,
                [&](int64_t lo, int64_t hi) {
                  for (int64_t i = lo; i < hi; ++i)
                    act_.finish_row(y + i * N, N, in_product ? nullptr : bias);
                });
  }

 private:
  ColumnParts b_;
  bool ta_;
  int64_t M_;
  float alpha_;
  std::vector<float> start_;  // beta C for one row, when C is a row vector
  Activation act_;
  int a_, y_;
};

std::unique_ptr<FastStep> gemm_step(const Node& n, Isa isa, const std::vector<Tensor>& values,
                                    const std::vector<bool>& is_const, const Node* next,
                                    bool& absorbed_next) {
  if (n.in.size() < 2 || n.in[1] < 0 || !is_const[size_t(n.in[1])]) return nullptr;
  const Tensor &a = values[size_t(n.in[0])], &b = values[size_t(n.in[1])];
  const Tensor& y = values[size_t(n.out[0])];
  if (a.dtype != DType::f32 || b.dtype != DType::f32 || a.shape.size() != 2 ||
      b.shape.size() != 2 || y.shape.size() != 2)
    return nullptr;
  const bool ta = n.geti("transA", 0) != 0, tb = n.geti("transB", 0) != 0;
  const int64_t M = y.shape[0], N = y.shape[1], K = ta ? a.shape[0] : a.shape[1];
  const float alpha = n.getf("alpha", 1.0f), beta = n.getf("beta", 1.0f);
  std::vector<float> start;
  if (n.in.size() > 2 && n.in[2] >= 0) {
    // Only a constant bias of N values (a row broadcast over the batch).
    const Tensor& c = values[size_t(n.in[2])];
    if (!is_const[size_t(n.in[2])] || c.dtype != DType::f32 || c.f.size() != size_t(N) ||
        (!c.shape.empty() && c.shape.back() != N))
      return nullptr;
    for (float v : c.f) start.push_back(beta * v);
  }
  ColumnParts packed(isa, tb, K, N, b.f.data(), b.shape[1]);
  const Activation act = activation_of(next, values, is_const);
  absorbed_next = act.kind != Activation::Kind::none;
  return std::make_unique<PackedGemm>(std::move(packed), ta, M, alpha, std::move(start), act,
                                      n.in[0], absorbed_next ? next->out[0] : n.out[0]);
}

// MatMul of A [..., M, K] by a constant B [K, N]: one product with the
// leading dims folded into M, as the plain kernel does; and the Add of a
// constant row of N values (a bias) after it, added by the product as it
// stores each tile (bias + y is y + bias: IEEE addition commutes), so that
// the Add is not a pass of its own.
class PackedMatMul : public FastStep {
 public:
  PackedMatMul(ColumnParts b, int64_t rows, std::vector<float> add, int a, int y)
      : b_(std::move(b)), rows_(rows), add_(std::move(add)), a_(a), y_(y) {}
  void run(std::vector<Tensor>& values) override {
    const float* a = values[size_t(a_)].f.data();
    float* y = values[size_t(y_)].f.data();
    b_.multiply(false, rows_, 1.0f, a, b_.rows(), y, b_.cols(),
                add_.empty() ? nullptr : add_.data(), [](int64_t, int64_t) {});
  }

 private:
  ColumnParts b_;
  int64_t rows_;
  std::vector<float> add_;  // the absorbed Add's row, or empty
  int a_, y_;
};

// The constant row of N floats that `next`, an Add of the MatMul's output y
// and a constant of shape [N] (or [1, ..., 1, N]), adds to y, with y's shape
// as its output; empty when `next` is not such an Add.
std::vector<float> bias_row(const Node& n, const Node* next, const std::vector<Tensor>& values,
                            const std::vector<bool>& is_const, int64_t N) {
  if (!next || next->op != "Add" || next->in.size() != 2 || next->out.empty() || next->out[0] < 0)
    return {};
  const int y = n.out[0], other = next->in[0] == y ? next->in[1] : next->in[0];
  if (other < 0 || other == y || (next->in[0] != y && next->in[1] != y) || !is_const[size_t(other)])
    return {};
  const Tensor &c = values[size_t(other)], &out = values[size_t(next->out[0])];
  if (c.dtype != DType::f32 || out.dtype != DType::f32 || out.shape != values[size_t(y)].shape ||
      c.f.size() != size_t(N) || c.shape.size() > out.shape.size() ||
      (!c.shape.empty() && c.shape.back() != N))
    return {};
  return {c.f.begin(), c.f.end()};
}

std::unique_ptr<FastStep> matmul_step(const Node& n, Isa isa, const std::vector<Tensor>& values,
                                      const std::vector<bool>& is_const, const Node* next,
                                      bool& absorbed_next) {
  if (n.in.size() < 2 || n.in[1] < 0 || !is_const[size_t(n.in[1])]) return nullptr;
  const Tensor &a = values[size_t(n.in[0])], &b = values[size_t(n.in[1])];
  if (a.dtype != DType::f32 || b.dtype != DType::f32 || a.shape.size() < 2 || b.shape.size() != 2 ||
      a.shape.back() != b.shape[0])
    return nullptr;
  const int64_t K = b.shape[0], N = b.shape[1], rows = a.numel() / K;
  ColumnParts packed(isa, false, K, N, b.f.data(), N);
  std::vector<float> add = bias_row(n, next, values, is_const, N);
  absorbed_next = !add.empty();
  return std::make_unique<PackedMatMul>(std::move(packed), rows, std::move(add), n.in[0],
                                        absorbed_next ? next->out[0] : n.out[0]);
}

// Conv (2-D, NCHW) with constant weights W [M, C/g, kh, kw] and bias, and at
// least 8 output channels a group. Per image and group the input is laid out
// as the plain kernel's im2col (KK x P, k in the order c, ki, kj) and read
// transposed, one row per output pixel, times W^T packed at plan time:
// out[p][m] = the canonical sum over k of col[k][p] W[m][k], the same
// operations in the same order as the plain kernel's W x col (a product is
// the same whichever factor comes first), then transposed into Y and the bias
// added, as the plain kernel does. The output channels are the columns,
// which fill the vector lanes; a depthwise convolution (one channel a group)
// would not, and keeps the plain kernel. A pointwise convolution (1x1 window,
// stride 1, no padding: MobileNet's expansions and projections) has im2col
// equal to its input, so the product reads the input itself: the same
// operands, hence the same bits, without the copy.
// The convolution steps that can hand a tensor over channels last
// ([N][H][W][C] in the buffer of a tensor whose shape says NCHW): a
// pointwise convolution to a depthwise one, a depthwise one to a pointwise
// one (link_channels_last), sparing the transposes around depthwise layers.
class ConvStep : public FastStep {
 public:
  ConvStep(int xi, int yi) : xi_(xi), yi_(yi) {}
  int input() const { return xi_; }
  int output() const { return yi_; }
  virtual bool can_read_channels_last() const { return false; }
  virtual bool can_write_channels_last() const { return false; }
  void read_channels_last() { in_last_ = true; }
  void write_channels_last() { out_last_ = true; }

 protected:
  int xi_, yi_;
  bool in_last_ = false, out_last_ = false;
};

class PackedConv : public ConvStep {
 public:
  PackedConv(const Node& n, Isa isa, const Tensor& x, const Tensor& w, const Tensor* bias, int xi,
             int yi, Activation act)
      : ConvStep(xi, yi), isa_(isa), act_(act) {
    win_ = kernel::window(n, x.shape, n.getints("kernel_shape", {w.shape[2], w.shape[3]}), false);
    N_ = x.shape[0], C_ = x.shape[1], H_ = x.shape[2], W_ = x.shape[3];
    M_ = w.shape[0], G_ = n.geti("group", 1);
    Cg_ = C_ / G_, Mg_ = M_ / G_, KK_ = Cg_ * win_.k[0] * win_.k[1];
    P_ = win_.out[0] * win_.out[1];
    weights_.assign(w.f.begin(), w.f.end());
    if (bias) bias_.assign(bias->f.begin(), bias->f.end());
    pointwise_ = win_.k[0] == 1 && win_.k[1] == 1 && win_.s[0] == 1 && win_.s[1] == 1 &&
                 win_.pb[0] == 0 && win_.pb[1] == 0 && win_.pe[0] == 0 && win_.pe[1] == 0;
    direct_ = !pointwise_ && win_.s[1] == 1;
    if (direct_) {
      // The input's pads written once as zeros; each tap's offset in it.
      HP_ = H_ + win_.pb[0] + win_.pe[0], WP_ = W_ + win_.pb[1] + win_.pe[1];
      padded_.assign(size_t(Cg_ * HP_ * WP_ + portable::kDirectSlack), 0.0f);
      for (int64_t c = 0; c < Cg_; ++c)
        for (int64_t ki = 0; ki < win_.k[0]; ++ki)
          for (int64_t kj = 0; kj < win_.k[1]; ++kj)
            offsets_.push_back((c * HP_ + ki * win_.d[0]) * WP_ + kj * win_.d[1]);
      for (int64_t g = 0; g < G_; ++g)
        packed_.push_back(pack_direct_weights(weights_.data() + g * Mg_ * KK_, Mg_, KK_));
    } else if (!pointwise_) {
      col_.resize(size_t(KK_ * P_));
    } else if (G_ == 1) {
      // For a channels-last neighbour (link_channels_last): W^T (C x M)
      // packed once, the right-hand side of every product that writes or
      // reads pixels as rows.
      weights_t_ = std::make_unique<PackedMatrix>(isa, true, C_, M_, weights_.data(), C_);
    }
  }

  // Pointwise and ungrouped: its product reads or writes either layout.
  bool can_read_channels_last() const override { return pointwise_ && G_ == 1; }
  bool can_write_channels_last() const override { return pointwise_ && G_ == 1 && pool_y_ < 0; }

  // MaxPool 2x2 / stride 2 / no pads over this step's output, which it
  // alone reads: each image is pooled as soon as it is computed, from a
  // buffer of one image that is still in cache (the small CNN's pooling
  // read the whole piece's activations back from memory: 17% of its time).
  // Not for a pointwise convolution, which may hand its output over
  // channels last instead.
  bool absorb_max_pool(const Node& pool, const std::vector<Tensor>& values) {
    if (pointwise_ || pool.out.empty() || pool.out[0] < 0 || pool.in.size() != 1 ||
        (pool.out.size() > 1 && pool.out[1] >= 0))
      return false;
    const Tensor& y = values[size_t(pool.out[0])];
    const int64_t OH = win_.out[0], OW = win_.out[1];
    const kernel::Window w = kernel::window(
        pool, {N_, M_, OH, OW}, pool.getints("kernel_shape", {}), pool.geti("ceil_mode", 0) != 0);
    if (y.dtype != DType::f32 || y.shape != std::vector<int64_t>{N_, M_, OH / 2, OW / 2})
      return false;
    for (int j = 0; j < 2; ++j)
      if (w.k[j] != 2 || w.s[j] != 2 || w.d[j] != 1 || w.pb[j] != 0 || w.pe[j] != 0) return false;
    pool_y_ = pool.out[0];
    image_.assign(size_t(M_ * P_), 0.0f);
    return true;
  }

  void run(std::vector<Tensor>& values) override {
    if (in_last_ || out_last_) return run_pointwise_last(values);
    if (direct_) return run_direct(values);
    const float* x = values[size_t(xi_)].f.data();
    for (int64_t b = 0; b < N_; ++b) {
      float* yb = image_out(values, b);
      for (int64_t g = 0; g < G_; ++g) {
        // The plain kernel's im2col (KK x P) times the group's weights
        // (Mg x KK), written straight into the output's NCHW rows: element
        // (m, p) is the canonical chain over k of W[m][k] * col[k][p], the
        // plain kernel's products in its order (fma is symmetric in its
        // factors), so the same bits as col^T W^T.
        const float* xg = x + (b * C_ + g * Cg_) * H_ * W_;
        const float* col = xg;  // pointwise: im2col is the input, [Cg, H * W]
        if (!pointwise_) {
          kernel::im2col(xg, Cg_, H_, W_, win_, col_.data());
          col = col_.data();
        }
        float* ys = yb + g * Mg_ * P_;
        portable_sgemm(isa_, false, false, Mg_, P_, KK_, 1.0f, weights_.data() + g * Mg_ * KK_, KK_,
                       col, P_, 0.0f, ys, P_);
        for (int64_t m = 0; m < Mg_; ++m)
          act_.finish(ys + m * P_, P_, bias_.empty() ? nullptr : &bias_[size_t(g * Mg_ + m)]);
      }
      pool_image(values, b);
    }
  }

 private:
  // A pointwise convolution with its input or output channels last: the
  // same product (element (m, p) the chain over c of W[m][c] * x[c][p]) as
  // pixels times W^T, W^T packed at plan time: x read as it is ([P][C]) or
  // transposed ([C][P]). Written channels first, the product goes to a
  // [P][M] buffer and is transposed (moving floats: the same bits), which
  // costs a quarter of transposing x as the product's right-hand side
  // (a projection's M is a quarter of its C) and packs nothing per image.
  void run_pointwise_last(std::vector<Tensor>& values) {
    const float* x = values[size_t(xi_)].f.data();
    float* y = values[size_t(yi_)].f.data();
    const float* bias = bias_.empty() ? nullptr : bias_.data();
    if (!out_last_) pixels_.resize(size_t(P_ * M_));
    for (int64_t b = 0; b < N_; ++b) {
      const float* xb = x + b * C_ * P_;
      float* yb = y + b * M_ * P_;
      float* rows = out_last_ ? yb : pixels_.data();  // [P][M]
      portable_sgemm_packed(*weights_t_, !in_last_, P_, 1.0f, xb, in_last_ ? C_ : P_, 0.0f, rows,
                            M_);
      if (out_last_) {
        for (int64_t p = 0; p < P_; ++p) act_.finish_row(yb + p * M_, M_, bias);
      } else {
        transpose(rows, P_, M_, M_, yb, P_);
        for (int64_t m = 0; m < M_; ++m) act_.finish(yb + m * P_, P_, bias ? bias + m : nullptr);
      }
    }
  }

  // Unit horizontal stride: no im2col; each group's input is copied once
  // into the padded buffer and the taps read it where im2col would have
  // copied from (portable_conv_direct: the same bits).
  void run_direct(std::vector<Tensor>& values) {
    const float* x = values[size_t(xi_)].f.data();
    for (int64_t b = 0; b < N_; ++b) {
      float* yb = image_out(values, b);
      for (int64_t g = 0; g < G_; ++g) {
        const float* xg = x + (b * C_ + g * Cg_) * H_ * W_;
        for (int64_t c = 0; c < Cg_; ++c)
          for (int64_t h = 0; h < H_; ++h)
            copy_row(padded_.data() + (c * HP_ + h + win_.pb[0]) * WP_ + win_.pb[1],
                     xg + (c * H_ + h) * W_, W_);
        float* ys = yb + g * Mg_ * P_;
        const portable::DirectConvArgs a{
            padded_.data(),  WP_,        win_.s[0], packed_[size_t(g)].data(),
            offsets_.data(), KK_,        Mg_,       ys,
            win_.out[0],     win_.out[1]};
        portable_conv_direct(isa_, a);
        for (int64_t m = 0; m < Mg_; ++m)
          act_.finish(ys + m * P_, P_, bias_.empty() ? nullptr : &bias_[size_t(g * Mg_ + m)]);
      }
      pool_image(values, b);
    }
  }

  // Where image b's convolution goes: the output, or the one-image buffer
  // the absorbed pool reads.
  float* image_out(std::vector<Tensor>& values, int64_t b) {
    return pool_y_ >= 0 ? image_.data() : values[size_t(yi_)].f.data() + b * M_ * P_;
  }

  // Image b's pooled planes from image_, when a pool was absorbed.
  void pool_image(std::vector<Tensor>& values, int64_t b) {
    if (pool_y_ < 0) return;
    const int64_t OW = win_.out[1], PH = win_.out[0] / 2, PW = OW / 2;
    float* out = values[size_t(pool_y_)].f.data() + b * M_ * PH * PW;
    for (int64_t m = 0; m < M_; ++m)
      for (int64_t oh = 0; oh < PH; ++oh) {
        const float* row0 = image_.data() + m * P_ + 2 * oh * OW;
        kernel::max_pool_2x2_row(row0, row0 + OW, out + (m * PH + oh) * PW, 0, PW);
      }
  }

  kernel::Window win_{};
  int64_t N_ = 0, C_ = 0, H_ = 0, W_ = 0, M_ = 0, G_ = 1, Cg_ = 0, Mg_ = 0, KK_ = 0, P_ = 0;
  bool pointwise_ = false;  // im2col would copy the input unchanged
  bool direct_ = false;     // unit horizontal stride: from the padded input
  Isa isa_;
  std::vector<float> weights_;  // W [M, Cg, kh, kw]: per group an Mg x KK matrix
  std::vector<float> bias_, col_;
  int64_t HP_ = 0, WP_ = 0;                  // direct: the padded input's size
  std::vector<float> padded_;                // direct: [Cg][HP][WP], pads zero, then slack
  std::vector<int64_t> offsets_;             // direct: tap k's offset in padded_
  std::vector<std::vector<float>> packed_;   // direct: per group, pack_direct_weights
  std::unique_ptr<PackedMatrix> weights_t_;  // pointwise, one group: W^T (C x M) packed
  std::vector<float> pixels_;                // pointwise, input channels last: one image's [P][M]
  int pool_y_ = -1;                          // the absorbed MaxPool's output, or -1
  std::vector<float> image_;                 // pooled: one image's output [M][P]
  Activation act_;
};

// Conv whose groups hold one input channel each (depthwise: MobileNet's 3x3
// layers), constant weights W [M, 1, kh, kw] and bias. Through im2col and the
// product a group is a 1-row product (one lane in six of the micro-kernel
// used) after nine copies of the input; here each input channel is copied
// once into a buffer with its pads written as zeros, and the taps run over it
// (portable_depthwise: the same bits), then the bias is added as the plain
// kernel adds it. With a channel multiplier of 1 (MobileNet) all channels
// run at once channels last, the lanes over channels, the bias and the
// activation applied as each output is stored (portable_depthwise_channels:
// the same bits; small images and stride 2 fill the lanes too): on the
// input as it is when handed over channels last, else on a transposed copy,
// and the result transposed back unless handed on channels last.
class DepthwiseConv : public ConvStep {
 public:
  DepthwiseConv(const Node& n, Isa isa, const Tensor& x, const Tensor& w, const Tensor* bias,
                int xi, int yi, Activation act)
      : ConvStep(xi, yi), isa_(isa), act_(act) {
    win_ = kernel::window(n, x.shape, n.getints("kernel_shape", {w.shape[2], w.shape[3]}), false);
    N_ = x.shape[0], C_ = x.shape[1], H_ = x.shape[2], W_ = x.shape[3];
    M_ = w.shape[0], Mg_ = M_ / C_;
    HP_ = H_ + win_.pb[0] + win_.pe[0], WP_ = W_ + win_.pb[1] + win_.pe[1];
    if (bias) bias_.assign(bias->f.begin(), bias->f.end());
    const int64_t K = win_.k[0] * win_.k[1];
    if (Mg_ == 1) {
      // Taps major: weights_last_[t][c] = W[c][t].
      weights_last_.resize(size_t(K * C_));
      for (int64_t c = 0; c < C_; ++c)
        for (int64_t t = 0; t < K; ++t) weights_last_[size_t(t * C_ + c)] = w.f[size_t(c * K + t)];
      in_cl_.resize(size_t(H_ * W_ * C_));
      out_cl_.resize(size_t(win_.out[0] * win_.out[1] * C_));
    } else {
      weights_.assign(w.f.begin(), w.f.end());
      padded_.assign(size_t(HP_ * WP_), 0.0f);  // the pads stay zero
    }
  }

  // With a channel multiplier of 1 it runs channels last anyway.
  bool can_read_channels_last() const override { return Mg_ == 1; }
  bool can_write_channels_last() const override { return Mg_ == 1; }

  void run(std::vector<Tensor>& values) override {
    if (Mg_ == 1) return run_channels_last(values);
    const float* x = values[size_t(xi_)].f.data();
    float* y = values[size_t(yi_)].f.data();
    const int64_t P = win_.out[0] * win_.out[1], K = win_.k[0] * win_.k[1];
    for (int64_t b = 0; b < N_; ++b)
      for (int64_t c = 0; c < C_; ++c) {
        const float* xc = x + (b * C_ + c) * H_ * W_;
        for (int64_t h = 0; h < H_; ++h)
          copy_row(padded_.data() + (h + win_.pb[0]) * WP_ + win_.pb[1], xc + h * W_, W_);
        for (int64_t m = c * Mg_; m < (c + 1) * Mg_; ++m) {
          float* ym = y + (b * M_ + m) * P;
          const portable::DepthwiseArgs a{
              padded_.data(), HP_,       WP_,       weights_.data() + m * K,
              win_.k[0],      win_.k[1], win_.s[0], win_.s[1],
              win_.d[0],      win_.d[1], ym,        win_.out[0],
              win_.out[1]};
          portable_depthwise(isa_, a);
          act_.finish(ym, P, bias_.empty() ? nullptr : &bias_[size_t(m)]);
        }
      }
  }

 private:
  void run_channels_last(std::vector<Tensor>& values) {
    const float* x = values[size_t(xi_)].f.data();
    float* y = values[size_t(yi_)].f.data();
    const int64_t P = win_.out[0] * win_.out[1];
    const int act = act_.kind == Activation::Kind::relu   ? portable::kActRelu
                    : act_.kind == Activation::Kind::clip ? portable::kActClip
                                                          : portable::kActNone;
    for (int64_t b = 0; b < N_; ++b) {
      const float* image = x + b * C_ * H_ * W_;  // [H][W][C] given channels last
      if (!in_last_) {
        transpose(image, C_, H_ * W_, H_ * W_, in_cl_.data(), C_);
        image = in_cl_.data();
      }
      float* out = out_last_ ? y + b * P * C_ : out_cl_.data();  // [P][C]
      const portable::DepthwiseChannelsArgs a{image,
                                              H_,
                                              W_,
                                              C_,
                                              win_.pb[0],
                                              win_.pb[1],
                                              weights_last_.data(),
                                              win_.k[0],
                                              win_.k[1],
                                              win_.s[0],
                                              win_.s[1],
                                              win_.d[0],
                                              win_.d[1],
                                              out,
                                              win_.out[0],
                                              win_.out[1],
                                              bias_.empty() ? nullptr : bias_.data(),
                                              act,
                                              act_.lo,
                                              act_.hi};
      portable_depthwise_channels(isa_, a);
      if (!out_last_) transpose(out_cl_.data(), P, C_, C_, y + b * C_ * P, P);
    }
  }

  Isa isa_;
  kernel::Window win_{};
  int64_t N_ = 0, C_ = 0, H_ = 0, W_ = 0, M_ = 0, Mg_ = 0, HP_ = 0, WP_ = 0;
  // With a multiplier of 1: weights_last_ ([K][C]); in_cl_ the image
  // channels last (H x W x C) when given channels first, out_cl_ the output
  // channels last ((OH * OW) x C) before its transpose. Otherwise weights_
  // ([M][K]) and padded_ one channel (HP x WP).
  std::vector<float> weights_, weights_last_, bias_, padded_, in_cl_, out_cl_;
  Activation act_;
};

std::unique_ptr<FastStep> conv_step(const Node& n, Isa isa, const std::vector<Tensor>& values,
                                    const std::vector<bool>& is_const, const Node* next,
                                    bool& absorbed_next) {
  if (n.in.size() < 2 || n.in[1] < 0 || !is_const[size_t(n.in[1])]) return nullptr;
  const Tensor &x = values[size_t(n.in[0])], &w = values[size_t(n.in[1])];
  const Tensor* bias = n.in.size() > 2 && n.in[2] >= 0 ? &values[size_t(n.in[2])] : nullptr;
  // Only what the plain kernel accepted when planning (it ran once already):
  // 2-D float NCHW with 4-D weights, a constant bias.
  if (x.dtype != DType::f32 || w.dtype != DType::f32 || x.shape.size() != 4 ||
      w.shape.size() != 4 || (bias && !is_const[size_t(n.in[2])]))
    return nullptr;
  const int64_t groups = std::max<int64_t>(n.geti("group", 1), 1);
  const bool depthwise = groups == x.shape[1] && w.shape[1] == 1 && w.shape[0] / groups < 8;
  if (!depthwise && w.shape[0] / groups < 8) return nullptr;
  const Activation act = activation_of(next, values, is_const);
  absorbed_next = act.kind != Activation::Kind::none;
  const int y = absorbed_next ? next->out[0] : n.out[0];
  if (depthwise) return std::make_unique<DepthwiseConv>(n, isa, x, w, bias, n.in[0], y, act);
  return std::make_unique<PackedConv>(n, isa, x, w, bias, n.in[0], y, act);
}

}  // namespace

bool absorb_max_pool(FastStep& step, const Node& pool, const std::vector<Tensor>& values) {
  auto* conv = dynamic_cast<PackedConv*>(&step);
  return pool.op == "MaxPool" && conv && conv->absorb_max_pool(pool, values);
}

void link_channels_last(const std::vector<FastStep*>& steps, const std::vector<int>& readers) {
  for (size_t k = 0; k + 1 < steps.size(); ++k) {
    auto* a = dynamic_cast<ConvStep*>(steps[k]);
    auto* b = dynamic_cast<ConvStep*>(steps[k + 1]);
    if (!a || !b || a->output() != b->input() || readers[size_t(a->output())] != 1) continue;
    // Only between a pointwise and a depthwise step, in either order.
    const bool a_depthwise = dynamic_cast<DepthwiseConv*>(a) != nullptr;
    const bool b_depthwise = dynamic_cast<DepthwiseConv*>(b) != nullptr;
    if (a_depthwise == b_depthwise) continue;
    if (!a->can_write_channels_last() || !b->can_read_channels_last()) continue;
    a->write_channels_last();
    b->read_channels_last();
  }
}

std::unique_ptr<FastStep> make_portable_step(const Node& node, Isa isa,
                                             const std::vector<Tensor>& values,
                                             const std::vector<bool>& is_const, const Node* next,
                                             bool& absorbed_next) {
  absorbed_next = false;
  if (node.out.empty() || node.out[0] < 0 || node.in.empty() || node.in[0] < 0) return nullptr;
  if (node.op == "Gemm") return gemm_step(node, isa, values, is_const, next, absorbed_next);
  if (node.op == "MatMul") return matmul_step(node, isa, values, is_const, next, absorbed_next);
  if (node.op == "Conv") return conv_step(node, isa, values, is_const, next, absorbed_next);
  return nullptr;
}

}  // namespace basin::infer
