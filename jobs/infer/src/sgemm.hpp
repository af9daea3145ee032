// The plain kernels' matrix product: C = alpha A B + beta C, row-major,
// through portable_sgemm (portable_gemm.hpp) in both arithmetics: each row
// of C computed alone in the canonical order, so no kernel chosen by CPU or
// by row count changes a row's bits.
#pragma once

#include <cstdint>

#include "basin/infer/model.hpp"

namespace basin::infer {

// What a plan's options chose for its plain kernels: the instruction set of
// the portable kernels, and the arithmetic (Softmax's exponentials differ in
// fast arithmetic); called, the matrix product they all use.
struct KernelChoice {
  Isa isa = Isa::native;
  Arithmetic arithmetic = Arithmetic::portable;
  void operator()(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc) const;
};

}  // namespace basin::infer
