#include "sgemm.hpp"

#include "one_omp_thread.hpp"
#include "portable_gemm.hpp"

#include <oneapi/dnnl/dnnl.h>
#include <stdexcept>
#include <string>

namespace basin::infer {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  dnnl_status_t status;
  {
    OneOmpThread one;  // oneDNN runs on OpenMP: this thread alone for the call
    status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb,
                        beta, C, ldc);
  }
  if (status != dnnl_success)
    throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string(int(status)) + ")");
}

void GemmChoice::operator()(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                            float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                            float beta, float* C, int64_t ldc) const {
  if (arithmetic == Arithmetic::portable)
    portable_sgemm(isa, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace basin::infer
