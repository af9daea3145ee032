// The per-instruction-set clones of the portable math functions, for
// portable_map.cpp to choose from. Each is compiled in its own unit with its
// instruction set enabled and must only be called on a CPU that has it.
// No standard-library header: see portable_math_kernel.inc.
#pragma once

#include <cstdint>

namespace basin::infer::portable {

// y[i] = pmath::expf(x[i]) for the whole vectors of n elements; returns how
// many it wrote (a multiple of the lane count), the rest is the caller's.
int64_t exp_avx2(const float* x, float* y, int64_t n);
int64_t exp_avx512(const float* x, float* y, int64_t n);
// y[i] = pmath::erff(x[i]) likewise; coef[c * 32 + piece] is coefficient c
// of pmath's erf table for that piece.
int64_t erf_avx2(const double* coef, const float* x, float* y, int64_t n);
int64_t erf_avx512(const double* coef, const float* x, float* y, int64_t n);

}  // namespace basin::infer::portable
