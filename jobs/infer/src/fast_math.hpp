// Fast arithmetic's erf and exp. erf: single precision throughout, within 3 ulp of the
// true erf (about 2e-7 absolute), as ONNX Runtime's own float erf is. The
// portable arithmetic keeps pmath::erff (double precision inside, the same
// bits on every CPU), about five times slower; a GELU spends most of its
// time there. Its clones (fast_math_kernel.inc) do the same float operations
// in the same order, so even these bits do not depend on the CPU, though
// fast arithmetic promises nothing of the kind.
#pragma once

#include <cstdint>

#include "basin/infer/model.hpp"

namespace basin::infer {

// y[i] = erf(x[i]) for i < n; y may be x. NaN stays NaN, erf(+-inf) = +-1.
// isa picks the clone (native: the widest this CPU has); one this CPU lacks
// throws ModelError.
void fast_erf(Isa isa, const float* x, float* y, int64_t n);
// y[i] = exp(x[i]), likewise single precision (within 2 ulp; 0 below -104,
// +inf above 88.75), for Softmax in fast arithmetic.
void fast_exp(Isa isa, const float* x, float* y, int64_t n);

// Softmax of `rows` contiguous rows of n floats, each r = exp(a - max(a)) / sum, in fast
// arithmetic: the exponentials with fast_exp's bits, the division one
// multiplication by the sum's reciprocal (within an ulp more of the quotient;
// ONNX Runtime divides so too), the maximum and sum in a fixed order, so the
// bits do not depend on the clone either. A NaN makes its row NaN; r may be a.
void fast_softmax(Isa isa, const float* a, float* r, int64_t rows, int64_t n);

// GELU as exporters spell it (Div or Mul by a scalar, Erf, Add a scalar, Mul
// by the GELU's input, Mul by a scalar) in one pass:
//   y[i] = ((fast_erf(x[i] / scale) + add) * x[i]) * half   (divide)
//   y[i] = ((fast_erf(x[i] * scale) + add) * x[i]) * half   (!divide)
// each element the nodes' operations in their order (so the bits of the
// nodes run one by one with fast_erf); y may be x.
struct GeluForm {
  bool divide = true;
  float scale = 1.41421354f, add = 1.0f, half = 0.5f;
};
void fast_gelu(Isa isa, const GeluForm& form, const float* x, float* y, int64_t n);

}  // namespace basin::infer
