// The plain kernels' matrix product: C = alpha A B + beta C, row-major,
// through oneDNN's sgemm on the calling thread only.
//
// Why not OpenBLAS: Debian's OpenBLAS 0.3.21 picks its kernel from the CPU
// model, and on CPUs it does not know (this machine's virtual "Intel Xeon
// Processor" with AVX-512) it falls back to the SSE3 "Prescott" kernel, about
// 10x slower, unless OPENBLAS_CORETYPE is set before the library loads.
// oneDNN picks its JIT kernel from the CPU's feature flags (avx512_core
// here). One thread per call, as the engine runs one micro-batch a thread.
#pragma once

#include <cstdint>

#include "basin/infer/model.hpp"

namespace basin::infer {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// The matrix product a plan's plain kernels call, as its options chose it:
// sgemm above (fast) or portable_sgemm (portable_gemm.hpp).
struct GemmChoice {
  Arithmetic arithmetic = Arithmetic::fast;
  Isa isa = Isa::native;
  void operator()(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc) const;
};

}  // namespace basin::infer
