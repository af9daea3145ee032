#include "sgemm.hpp"

#include <omp.h>

#include <oneapi/dnnl/dnnl.h>
#include <stdexcept>
#include <string>

namespace basin::infer {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  // oneDNN runs on OpenMP: this thread alone for the call, then as before.
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda,
                                 B, ldb, beta, C, ldc);
  omp_set_num_threads(before);
  if (status != dnnl_success)
    throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string(int(status)) + ")");
}

}  // namespace basin::infer
