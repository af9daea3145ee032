// The per-instruction-set clones of the portable matrix product, for
// portable_gemm.cpp to choose from. Each is compiled in its own unit with
// its instruction set enabled and must only be called on a CPU that has it.
// No standard-library header: see portable_gemm_kernel.inc.
#pragma once

#include <cstdint>

namespace basin::infer::portable {

// Row-major operands; element (i, k) of op(A) is A[i*lda + k], or A[k*lda + i]
// when ta (likewise B with tb).
struct GemmArgs {
  bool ta, tb;
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float* C;
  int64_t ldc;
};

// Packing space each clone needs, in floats (its largest block sizes).
int64_t packed_a_floats();
int64_t packed_b_floats();

// C[i][j] = the canonical accumulation of op(A) op(B) (see the .inc): the
// same bits from every clone.
void gemm_scalar(const GemmArgs& g, float* packed_a, float* packed_b);
void gemm_avx2(const GemmArgs& g, float* packed_a, float* packed_b);
void gemm_avx512(const GemmArgs& g, float* packed_a, float* packed_b);

}  // namespace basin::infer::portable
