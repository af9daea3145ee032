// Transcendental functions over arrays, vectorised: the bits of the scalar
// functions in portable_math.hpp (pmath::expf, pmath::erff) from whichever
// clone the instruction set names, so a kernel may call this on any CPU in
// any arithmetic mode without changing a bit.
#pragma once

#include <cstdint>

#include "basin/infer/model.hpp"

namespace basin::infer {

enum class MathFn { exp, erf };

// y[i] = f(x[i]) for i < n (x and y may be the same array). isa as for
// portable_sgemm: available on this CPU; native means native_isa().
void portable_map(Isa isa, MathFn f, const float* x, float* y, int64_t n);

}  // namespace basin::infer
