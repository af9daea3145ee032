#include "elementwise_loops.hpp"

#include "clone_choice.hpp"

namespace basin::infer {
namespace loops {
#include "elementwise_loops_kernel.inc"
// The clones compiled with their instruction sets on.
void binary_avx2(int op, const float* a, long sa, const float* b, long sb, float* y, long n);
void binary_avx512(int op, const float* a, long sa, const float* b, long sb, float* y, long n);
void in_place_avx2(int op, bool left, float* t, const float* o, long so, long n);
void in_place_avx512(int op, bool left, float* t, const float* o, long so, long n);
void relu_avx2(float* t, long n);
void relu_avx512(float* t, long n);
void layer_norm_avx2(const float* x, long rows, long inner, const float* sc, const float* bi,
                     double eps, float* y, float* mean_out, float* inv_out);
void layer_norm_avx512(const float* x, long rows, long inner, const float* sc, const float* bi,
                       double eps, float* y, float* mean_out, float* inv_out);
void softmax_shift_avx2(const float* a, long n, float* e);
void softmax_shift_avx512(const float* a, long n, float* e);
void softmax_scale_avx2(const float* e, long n, float* r);
void softmax_scale_avx512(const float* e, long n, float* r);
void max_pool_2x2_avx2(const float* x, float* y, long planes, long H, long W, long OH, long OW,
                       long B);
void max_pool_2x2_avx512(const float* x, float* y, long planes, long H, long W, long OH, long OW,
                         long B);
}  // namespace loops

void binary_loop(Isa isa, BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                 float* y, int64_t n) {
  pick_clone(isa, loops::binary_any, loops::binary_avx2, loops::binary_avx512)(
      int(op), a, long(sa), b, long(sb), y, long(n));
}

void binary_in_place(Isa isa, BinaryOp op, bool left, float* t, const float* o, int64_t so,
                     int64_t n) {
  pick_clone(isa, loops::in_place_any, loops::in_place_avx2, loops::in_place_avx512)(
      int(op), left, t, o, long(so), long(n));
}

void relu_in_place(Isa isa, float* t, int64_t n) {
  pick_clone(isa, loops::relu_loop, loops::relu_avx2, loops::relu_avx512)(t, long(n));
}

void layer_norm_rows(Isa isa, const float* x, int64_t rows, int64_t inner, const float* sc,
                     const float* bi, double eps, float* y, float* mean_out, float* inv_out) {
  pick_clone(isa, loops::layer_norm_loop, loops::layer_norm_avx2, loops::layer_norm_avx512)(
      x, long(rows), long(inner), sc, bi, eps, y, mean_out, inv_out);
}

void softmax_shift(Isa isa, const float* a, int64_t n, float* e) {
  pick_clone(isa, loops::softmax_shift_loop, loops::softmax_shift_avx2,
             loops::softmax_shift_avx512)(a, long(n), e);
}

void softmax_scale(Isa isa, const float* e, int64_t n, float* r) {
  pick_clone(isa, loops::softmax_scale_loop, loops::softmax_scale_avx2,
             loops::softmax_scale_avx512)(e, long(n), r);
}

void max_pool_2x2_blocked(Isa isa, const float* x, float* y, int64_t planes, int64_t H, int64_t W,
                          int64_t OH, int64_t OW, int64_t B) {
  pick_clone(isa, loops::max_pool_2x2_loop, loops::max_pool_2x2_avx2, loops::max_pool_2x2_avx512)(
      x, y, long(planes), long(H), long(W), long(OH), long(OW), long(B));
}

}  // namespace basin::infer
