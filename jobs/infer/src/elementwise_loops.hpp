// The four arithmetic operations and Relu over arrays, LayerNorm's and
// Softmax's rows and a blocked 2x2 max pooling, vectorised for the CPU: each
// element is one IEEE 754 operation (a row's sums in eight lanes, each
// lane's order fixed), so every clone (baseline, AVX2, AVX-512;
// elementwise_loops_kernel.inc) gives the same bits as the plain scalar
// loop, in either arithmetic. Elementwise chains and the plain
// Add/Sub/Mul/Div, LayerNormalization and Softmax kernels run through these
// instead of the baseline's four-float vectors.
#pragma once

#include <cstdint>

#include "basin/infer/model.hpp"

namespace basin::infer {

enum class BinaryOp { add, sub, mul, div };

// y[e] = a[e * sa] op b[e * sb] for e < n, where a stride of 0 repeats a
// scalar and 1 walks an array; y does not overlap a or b. isa as for
// portable_sgemm (native: the widest this CPU has).
void binary_loop(Isa isa, BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                 float* y, int64_t n);
// t[e] = t[e] op o[e * so] (`left`) or o[e * so] op t[e], o not overlapping t.
void binary_in_place(Isa isa, BinaryOp op, bool left, float* t, const float* o, int64_t so,
                     int64_t n);
// t[e] = t[e] > 0 ? t[e] : 0 (Relu as the plain kernel computes it: NaN gives 0).
void relu_in_place(Isa isa, float* t, int64_t n);
// LayerNormalization of `rows` rows of `inner` floats from x into y: mean
// and variance in double (lane_sum<double>'s order), y = float((x - mean) *
// inv) * sc + bi with inv = 1 / sqrt(var + eps); each row's mean and inv
// into mean_out and inv_out when given.
void layer_norm_rows(Isa isa, const float* x, int64_t rows, int64_t inner, const float* sc,
                     const float* bi, double eps, float* y, float* mean_out, float* inv_out);

// Softmax of one contiguous row around its exponentials: e = a - max(a)
// (softmax_shift), then r = e / sum(e) (softmax_scale), as the plain kernel
// computes them (kernels.cpp: row_max, lane_sum<float>).
void softmax_shift(Isa isa, const float* a, int64_t n, float* e);
void softmax_scale(Isa isa, const float* e, int64_t n, float* r);

// MaxPool with 2x2 windows, stride 2 and no pads, on channels in blocks of
// B (x: planes [H][W][B] of an image's channel block, y: [OH][OW][B]), each
// output from -inf by v > acc ? v : acc over the window row by row, as the
// plain kernel compares (exact: the same values in every clone). The fast
// Conv, Relu, MaxPool step's pooling in oneDNN's blocked layout.
void max_pool_2x2_blocked(Isa isa, const float* x, float* y, int64_t planes, int64_t H, int64_t W,
                          int64_t OH, int64_t OW, int64_t B);

}  // namespace basin::infer
