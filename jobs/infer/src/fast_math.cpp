#include "fast_math.hpp"

#include <string>

namespace basin::infer {
namespace fastmath {
#include "fast_math_kernel.inc"
// The clones compiled with their instruction sets on.
void erf_avx2(const float* x, float* y, long n);
void erf_avx512(const float* x, float* y, long n);
void exp_avx2(const float* x, float* y, long n);
void exp_avx512(const float* x, float* y, long n);
}  // namespace fastmath

namespace {
using Loop = void (*)(const float*, float*, long);
void on_clone(Isa isa, Loop scalar, Loop avx2, Loop avx512, const float* x, float* y, int64_t n) {
  if (isa == Isa::native) isa = native_isa();
  if (!isa_available(isa))
    throw ModelError(std::string("the ") + isa_name(isa) + " kernels cannot run on this CPU");
  switch (isa) {
    case Isa::avx512:
      return avx512(x, y, n);
    case Isa::avx2:
      return avx2(x, y, n);
    default:
      return scalar(x, y, n);
  }
}
}  // namespace

void fast_erf(Isa isa, const float* x, float* y, int64_t n) {
  on_clone(isa, fastmath::erf_loop, fastmath::erf_avx2, fastmath::erf_avx512, x, y, n);
}

void fast_exp(Isa isa, const float* x, float* y, int64_t n) {
  on_clone(isa, fastmath::exp_loop, fastmath::exp_avx2, fastmath::exp_avx512, x, y, n);
}

}  // namespace basin::infer
