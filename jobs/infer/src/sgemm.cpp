#include "sgemm.hpp"

#include "portable_gemm.hpp"

namespace basin::infer {

void KernelChoice::operator()(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                              float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                              float beta, float* C, int64_t ldc) const {
  portable_sgemm(isa, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace basin::infer
