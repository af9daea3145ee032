#include "portable_gemm.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "clone_choice.hpp"
#include "portable_gemm_clones.hpp"

namespace basin::infer {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::native:
      return "native";
    case Isa::scalar:
      return "scalar";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "?";
}

bool isa_available(Isa isa) {
  switch (isa) {
    case Isa::native:
    case Isa::scalar:
      return true;
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f");
  }
  return false;
}

Isa native_isa() {
  static const Isa best = isa_available(Isa::avx512) ? Isa::avx512
                          : isa_available(Isa::avx2) ? Isa::avx2
                                                     : Isa::scalar;
  return best;
}

Isa runnable_isa(Isa isa) {
  if (isa == Isa::native) isa = native_isa();
  if (!isa_available(isa))
    throw ModelError(std::string("the ") + isa_name(isa) + " kernels cannot run on this CPU");
  return isa;
}

namespace {

// Runs the clone on g (C receives the accumulators), then the epilogue
// C = beta C_old + alpha acc, element by element (multiplying by 1 is exact,
// so the skipped products change nothing).
void product(Isa isa, portable::GemmArgs g, float alpha, float beta) {
  // Packing space and the old C (for beta) are kept per thread: the engine
  // runs one micro-batch a thread, and reallocating per call costs.
  thread_local std::vector<float> packed_a, packed_b, old_c;
  packed_a.resize(size_t(portable::packed_a_floats()));
  if (!g.packed_b) packed_b.resize(size_t(portable::packed_b_floats()));
  const int64_t M = g.M, N = g.N, ldc = g.ldc;
  float* C = g.C;
  if (beta != 0.0f) {
    old_c.resize(size_t(M * N));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) old_c[size_t(i * N + j)] = C[i * ldc + j];
  }
  pick_clone(isa, portable::gemm_scalar, portable::gemm_avx2, portable::gemm_avx512)(
      g, packed_a.data(), packed_b.data());
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (alpha != 1.0f)
      for (int64_t j = 0; j < N; ++j) c[j] = alpha * c[j];
    if (beta == 0.0f) continue;
    const float* o = old_c.data() + i * N;
    if (beta == 1.0f)
      for (int64_t j = 0; j < N; ++j) c[j] = o[j] + c[j];
    else
      for (int64_t j = 0; j < N; ++j) c[j] = beta * o[j] + c[j];
  }
}

}  // namespace

void portable_sgemm(Isa isa, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float beta, float* C, int64_t ldc) {
  isa = runnable_isa(isa);
  if (M <= 0 || N <= 0) return;
  product(isa, {trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc}, alpha, beta);
}

void portable_depthwise(Isa isa, const portable::DepthwiseArgs& a) {
  pick_clone(isa, portable::depthwise_scalar, portable::depthwise_avx2,
             portable::depthwise_avx512)(a);
}

void portable_conv_direct(Isa isa, const portable::DirectConvArgs& a) {
  pick_clone(isa, portable::conv_direct_scalar, portable::conv_direct_avx2,
             portable::conv_direct_avx512)(a);
}

std::vector<float> pack_direct_weights(const float* w, int64_t M, int64_t K) {
  constexpr int64_t R = portable::kDirectRows;
  std::vector<float> out(size_t((M + R - 1) / R * R * K), 0.0f);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) out[size_t((m / R * K + k) * R + m % R)] = w[m * K + k];
  return out;
}

void portable_depthwise_channels(Isa isa, const portable::DepthwiseChannelsArgs& a) {
  pick_clone(isa, portable::depthwise_channels_scalar, portable::depthwise_channels_avx2,
             portable::depthwise_channels_avx512)(a);
}

PackedMatrix::PackedMatrix(Isa isa, bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb)
    : isa_(runnable_isa(isa)), K_(K), N_(N) {
  const int64_t panel = isa_ == Isa::avx512 ? 32 : 16;
  data_.resize(size_t(portable::packed_b_size(panel, K, N)));
  const portable::GemmArgs g{false, trans_b, 0, N, K, nullptr, 0, B, ldb, nullptr, 0};
  pick_clone(isa_, portable::pack_b_scalar, portable::pack_b_avx2, portable::pack_b_avx512)(
      g, data_.data());
}

void portable_sgemm_packed(const PackedMatrix& B, bool trans_a, int64_t M, float alpha,
                           const float* A, int64_t lda, float beta, float* C, int64_t ldc,
                           const float* add_row) {
  if (add_row && (alpha != 1.0f || beta != 0.0f))
    throw std::logic_error("portable_sgemm_packed: a row to add needs alpha 1 and beta 0");
  if (M <= 0 || B.cols() <= 0) return;
  portable::GemmArgs g{trans_a, false, M, B.cols(), B.rows(), A, lda, nullptr, 0, C, ldc};
  g.packed_b = B.data();
  g.add_row = add_row;
  product(B.isa(), g, alpha, beta);
}

}  // namespace basin::infer
