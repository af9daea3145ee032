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

}  // namespace basin::infer
