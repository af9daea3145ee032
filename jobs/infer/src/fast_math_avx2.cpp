// Fast arithmetic's erf and exp loops vectorised for AVX2 + FMA (compiled with it on;
// called only on CPUs that have it).
namespace basin::infer::fastmath {
#include "fast_math_kernel.inc"
void erf_avx2(const float* x, float* y, long n) {
  erf_loop(x, y, n);
}
void exp_avx2(const float* x, float* y, long n) {
  exp_loop(x, y, n);
}
void softmax_avx2(const float* a, float* r, long rows, long n) {
  softmax_loop(a, r, rows, n);
}
void gelu_avx2(const float* x, float* y, long n, bool divide, float scale, float add, float half) {
  gelu_loop(x, y, n, divide, scale, add, half);
}
}  // namespace basin::infer::fastmath
