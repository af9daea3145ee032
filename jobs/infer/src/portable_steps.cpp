#include "portable_steps.hpp"

#include "portable_gemm.hpp"

namespace basin::infer {
namespace {

// Gemm: Y = beta C + alpha op(A) op(B), with B constant and C constant (or
// absent). As the plain kernel: Y starts as beta C broadcast, then the
// product is added (beta = 1 in the product's epilogue).
class PackedGemm : public FastStep {
 public:
  PackedGemm(PackedMatrix b, bool ta, int64_t M, float alpha, std::vector<float> start, int a,
             int y)
      : b_(std::move(b)), ta_(ta), M_(M), alpha_(alpha), start_(std::move(start)), a_(a), y_(y) {}
  void run(std::vector<Tensor>& values) override {
    const Tensor& a = values[size_t(a_)];
    Tensor& y = values[size_t(y_)];
    const int64_t N = b_.cols(), lda = a.shape[1];
    if (start_.empty()) {
      portable_sgemm_packed(b_, ta_, M_, alpha_, a.f.data(), lda, 0.0f, y.f.data(), N);
      return;
    }
    for (int64_t i = 0; i < M_; ++i) std::copy(start_.begin(), start_.end(), y.f.begin() + i * N);
    portable_sgemm_packed(b_, ta_, M_, alpha_, a.f.data(), lda, 1.0f, y.f.data(), N);
  }

 private:
  PackedMatrix b_;
  bool ta_;
  int64_t M_;
  float alpha_;
  std::vector<float> start_;  // beta C for one row, when C is a row vector
  int a_, y_;
};

std::unique_ptr<FastStep> gemm_step(const Node& n, Isa isa, const std::vector<Tensor>& values,
                                    const std::vector<bool>& is_const) {
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
  PackedMatrix packed(isa, tb, K, N, b.f.data(), b.shape[1]);
  return std::make_unique<PackedGemm>(std::move(packed), ta, M, alpha, std::move(start), n.in[0],
                                      n.out[0]);
}

// MatMul of A [..., M, K] by a constant B [K, N]: one product with the
// leading dims folded into M, as the plain kernel does.
class PackedMatMul : public FastStep {
 public:
  PackedMatMul(PackedMatrix b, int64_t rows, int a, int y)
      : b_(std::move(b)), rows_(rows), a_(a), y_(y) {}
  void run(std::vector<Tensor>& values) override {
    portable_sgemm_packed(b_, false, rows_, 1.0f, values[size_t(a_)].f.data(), b_.rows(), 0.0f,
                          values[size_t(y_)].f.data(), b_.cols());
  }

 private:
  PackedMatrix b_;
  int64_t rows_;
  int a_, y_;
};

std::unique_ptr<FastStep> matmul_step(const Node& n, Isa isa, const std::vector<Tensor>& values,
                                      const std::vector<bool>& is_const) {
  if (n.in.size() < 2 || n.in[1] < 0 || !is_const[size_t(n.in[1])]) return nullptr;
  const Tensor &a = values[size_t(n.in[0])], &b = values[size_t(n.in[1])];
  if (a.dtype != DType::f32 || b.dtype != DType::f32 || a.shape.size() < 2 || b.shape.size() != 2 ||
      a.shape.back() != b.shape[0])
    return nullptr;
  const int64_t K = b.shape[0], N = b.shape[1], rows = a.numel() / K;
  PackedMatrix packed(isa, false, K, N, b.f.data(), N);
  return std::make_unique<PackedMatMul>(std::move(packed), rows, n.in[0], n.out[0]);
}

}  // namespace

std::unique_ptr<FastStep> make_portable_step(const Node& node, Isa isa,
                                             const std::vector<Tensor>& values,
                                             const std::vector<bool>& is_const) {
  if (node.out.empty() || node.out[0] < 0 || node.in.empty() || node.in[0] < 0) return nullptr;
  if (node.op == "Gemm") return gemm_step(node, isa, values, is_const);
  if (node.op == "MatMul") return matmul_step(node, isa, values, is_const);
  return nullptr;
}

}  // namespace basin::infer
