#include "portable_gemm.hpp"

#include <string>
#include <vector>

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

void portable_sgemm(Isa isa, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (isa == Isa::native) isa = native_isa();
  if (!isa_available(isa))
    throw ModelError(std::string("the ") + isa_name(isa) + " kernels cannot run on this CPU");
  // Packing space and the old C (for beta) are kept per thread: the engine
  // runs one micro-batch a thread, and reallocating per call costs.
  thread_local std::vector<float> packed_a, packed_b, old_c;
  packed_a.resize(size_t(portable::packed_a_floats()));
  packed_b.resize(size_t(portable::packed_b_floats()));
  if (beta != 0.0f) {
    old_c.resize(size_t(M * N));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) old_c[size_t(i * N + j)] = C[i * ldc + j];
  }
  const portable::GemmArgs g{trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc};
  switch (isa) {
    case Isa::avx512:
      portable::gemm_avx512(g, packed_a.data(), packed_b.data());
      break;
    case Isa::avx2:
      portable::gemm_avx2(g, packed_a.data(), packed_b.data());
      break;
    default:
      portable::gemm_scalar(g, packed_a.data(), packed_b.data());
      break;
  }
  // The epilogue, element by element (multiplying by 1 is exact, so the
  // skipped products change nothing).
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

}  // namespace basin::infer
