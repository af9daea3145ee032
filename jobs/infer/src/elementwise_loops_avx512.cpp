// The elementwise loops vectorised for AVX-512 (compiled with it on; called
// only on CPUs that have it).
namespace basin::infer::loops {
#include "elementwise_loops_kernel.inc"
void binary_avx512(int op, const float* a, long sa, const float* b, long sb, float* y, long n) {
  binary_any(op, a, sa, b, sb, y, n);
}
void in_place_avx512(int op, bool left, float* t, const float* o, long so, long n) {
  in_place_any(op, left, t, o, so, n);
}
void relu_avx512(float* t, long n) {
  relu_loop(t, n);
}
void layer_norm_avx512(const float* x, long rows, long inner, const float* sc, const float* bi,
                       double eps, float* y, float* mean_out, float* inv_out) {
  layer_norm_loop(x, rows, inner, sc, bi, eps, y, mean_out, inv_out);
}
void softmax_shift_avx512(const float* a, long n, float* e) {
  softmax_shift_loop(a, n, e);
}
void softmax_scale_avx512(const float* e, long n, float* r) {
  softmax_scale_loop(e, n, r);
}
void max_pool_2x2_avx512(const float* x, float* y, long planes, long H, long W, long OH, long OW,
                         long B) {
  max_pool_2x2_loop(x, y, planes, H, W, OH, OW, B);
}
}  // namespace basin::infer::loops
