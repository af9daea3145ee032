#include "elementwise_loops.hpp"

#include <string>

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
}  // namespace loops

namespace {
Isa clone(Isa isa) {
  if (isa == Isa::native) isa = native_isa();
  if (!isa_available(isa))
    throw ModelError(std::string("the ") + isa_name(isa) + " kernels cannot run on this CPU");
  return isa;
}
}  // namespace

void binary_loop(Isa isa, BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                 float* y, int64_t n) {
  switch (clone(isa)) {
    case Isa::avx512:
      return loops::binary_avx512(int(op), a, sa, b, sb, y, n);
    case Isa::avx2:
      return loops::binary_avx2(int(op), a, sa, b, sb, y, n);
    default:
      return loops::binary_any(int(op), a, sa, b, sb, y, n);
  }
}

void binary_in_place(Isa isa, BinaryOp op, bool left, float* t, const float* o, int64_t so,
                     int64_t n) {
  switch (clone(isa)) {
    case Isa::avx512:
      return loops::in_place_avx512(int(op), left, t, o, so, n);
    case Isa::avx2:
      return loops::in_place_avx2(int(op), left, t, o, so, n);
    default:
      return loops::in_place_any(int(op), left, t, o, so, n);
  }
}

void relu_in_place(Isa isa, float* t, int64_t n) {
  switch (clone(isa)) {
    case Isa::avx512:
      return loops::relu_avx512(t, n);
    case Isa::avx2:
      return loops::relu_avx2(t, n);
    default:
      return loops::relu_loop(t, n);
  }
}

void layer_norm_rows(Isa isa, const float* x, int64_t rows, int64_t inner, const float* sc,
                     const float* bi, double eps, float* y, float* mean_out, float* inv_out) {
  switch (clone(isa)) {
    case Isa::avx512:
      return loops::layer_norm_avx512(x, rows, inner, sc, bi, eps, y, mean_out, inv_out);
    case Isa::avx2:
      return loops::layer_norm_avx2(x, rows, inner, sc, bi, eps, y, mean_out, inv_out);
    default:
      return loops::layer_norm_loop(x, rows, inner, sc, bi, eps, y, mean_out, inv_out);
  }
}

void softmax_shift(Isa isa, const float* a, int64_t n, float* e) {
  switch (clone(isa)) {
    case Isa::avx512:
      return loops::softmax_shift_avx512(a, n, e);
    case Isa::avx2:
      return loops::softmax_shift_avx2(a, n, e);
    default:
      return loops::softmax_shift_loop(a, n, e);
  }
}

void softmax_scale(Isa isa, const float* e, int64_t n, float* r) {
  switch (clone(isa)) {
    case Isa::avx512:
      return loops::softmax_scale_avx512(e, n, r);
    case Isa::avx2:
      return loops::softmax_scale_avx2(e, n, r);
    default:
      return loops::softmax_scale_loop(e, n, r);
  }
}

}  // namespace basin::infer
