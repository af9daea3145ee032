#include "fast_math.hpp"

#include "clone_choice.hpp"

namespace basin::infer {
namespace fastmath {
#include "fast_math_kernel.inc"
// The clones compiled with their instruction sets on.
void erf_avx2(const float* x, float* y, long n);
void erf_avx512(const float* x, float* y, long n);
void exp_avx2(const float* x, float* y, long n);
void exp_avx512(const float* x, float* y, long n);
void softmax_avx2(const float* a, float* r, long rows, long n);
void softmax_avx512(const float* a, float* r, long rows, long n);
void gelu_avx2(const float* x, float* y, long n, bool divide, float scale, float add, float half);
void gelu_avx512(const float* x, float* y, long n, bool divide, float scale, float add, float half);
}  // namespace fastmath

void fast_erf(Isa isa, const float* x, float* y, int64_t n) {
  pick_clone(isa, fastmath::erf_loop, fastmath::erf_avx2, fastmath::erf_avx512)(x, y, n);
}

void fast_exp(Isa isa, const float* x, float* y, int64_t n) {
  pick_clone(isa, fastmath::exp_loop, fastmath::exp_avx2, fastmath::exp_avx512)(x, y, n);
}

void fast_softmax(Isa isa, const float* a, float* r, int64_t rows, int64_t n) {
  pick_clone(isa, fastmath::softmax_loop, fastmath::softmax_avx2, fastmath::softmax_avx512)(
      a, r, rows, n);
}

void fast_gelu(Isa isa, const GeluForm& form, const float* x, float* y, int64_t n) {
  pick_clone(isa, fastmath::gelu_loop, fastmath::gelu_avx2, fastmath::gelu_avx512)(
      x, y, n, form.divide, form.scale, form.add, form.half);
}

}  // namespace basin::infer
