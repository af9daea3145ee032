#include "fast_math.hpp"

#include <string>

namespace basin::infer {
namespace fastmath {
#include "fast_math_kernel.inc"
// The clones compiled with their instruction sets on.
void erf_avx2(const float* x, float* y, long n);
void erf_avx512(const float* x, float* y, long n);
}  // namespace fastmath

void fast_erf(Isa isa, const float* x, float* y, int64_t n) {
  if (isa == Isa::native) isa = native_isa();
  if (!isa_available(isa))
    throw ModelError(std::string("the ") + isa_name(isa) + " kernels cannot run on this CPU");
  switch (isa) {
    case Isa::avx512:
      return fastmath::erf_avx512(x, y, n);
    case Isa::avx2:
      return fastmath::erf_avx2(x, y, n);
    default:
      return fastmath::erf_loop(x, y, n);
  }
}

}  // namespace basin::infer
