// The elementwise loops vectorised for AVX2 (compiled with it on; called
// only on CPUs that have it).
namespace basin::infer::loops {
#include "elementwise_loops_kernel.inc"
void binary_avx2(int op, const float* a, long sa, const float* b, long sb, float* y, long n) {
  binary_any(op, a, sa, b, sb, y, n);
}
void in_place_avx2(int op, bool left, float* t, const float* o, long so, long n) {
  in_place_any(op, left, t, o, so, n);
}
void relu_avx2(float* t, long n) {
  relu_loop(t, n);
}
void layer_norm_avx2(const float* x, long rows, long inner, const float* sc, const float* bi,
                     double eps, float* y, float* mean_out, float* inv_out) {
  layer_norm_loop(x, rows, inner, sc, bi, eps, y, mean_out, inv_out);
}
}  // namespace basin::infer::loops
