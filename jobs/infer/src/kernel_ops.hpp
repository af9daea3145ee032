// The operator kernels kept in their own files (elementwise functions,
// reductions and normalisation, slicing and element-type casts); run_node
// (kernels.cpp) dispatches to them.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.hpp"

namespace basin::infer::kernel {

using Inputs = std::vector<const Tensor*>;

// A 2-D convolution or pooling window over NCHW: kernel, strides,
// dilations, begin and end pads, output size, per spatial dim (kernels.cpp;
// from the node's attributes, auto_pad included).
struct Window {
  int64_t k[2], s[2], d[2], pb[2], pe[2], out[2];
};
Window window(const Node& n, const std::vector<int64_t>& x, std::vector<int64_t> kernel,
              bool ceil_mode);
// The columns of a convolution of one image's C channels (H x W) under `w`:
// col is [C * kh * kw, OH * OW], k in the order (c, ki, kj), zero where the
// window reads padding.
void im2col(const float* xs, int64_t C, int64_t H, int64_t W, const Window& w, float* col);
// Outputs [ow0, ow1) of one row of a 2x2 max pool with horizontal stride 2
// from input rows row0 and row1 (output ow reads columns 2 ow, 2 ow + 1):
// each the MaxPool kernel's comparisons, from -inf, v > acc ? v : acc over
// the window row by row. The plain kernel's loop, also run by a portable
// convolution step that absorbed the pool.
void max_pool_2x2_row(const float* row0, const float* row1, float* out, int64_t ow0, int64_t ow1);

// kernels_elementwise.cpp
// y sized like x; Exp and Erf through portable_map with `isa`, or in fast
// arithmetic through fast_exp and fast_erf (single precision, as Softmax's
// and GELU's).
void unary_math(const Node& n, const Tensor& x, Tensor& y, Isa isa, Arithmetic arithmetic);
void power(const Node& n, const Inputs& in, Tensor& y);
void variadic(const Node& n, const Inputs& in, Tensor& y);  // Max, Min, Sum
void prelu(const Node& n, const Inputs& in, Tensor& y);
void clip(const Node& n, int64_t opset, const Inputs& in, Tensor& y);

// kernels_reduce.cpp
void reduce(const Node& n, int64_t opset, const Inputs& in, Tensor& y);  // Reduce*
void layer_norm(const Node& n, const Inputs& in, const std::vector<Tensor*>& out, Isa isa);

// kernels_slice.cpp
// What a Slice takes of its input x: along each dimension `box` elements
// from `first`, `step` apart (ONNX's clamping applied). Throws ModelError
// for a bad Slice.
struct SliceBox {
  std::vector<int64_t> first, step, box;
};
SliceBox slice_box(const Node& n, int64_t opset, const Inputs& in);
void slice(const Node& n, int64_t opset, const Inputs& in, Tensor& y);
void squeeze(const Node& n, int64_t opset, const Inputs& in, Tensor& y);
void expand(const Node& n, const Inputs& in, Tensor& y);
void split(const Node& n, int64_t opset, const Inputs& in, const std::vector<Tensor*>& out);
void cast(const Node& n, const Inputs& in, Tensor& y);
void constant_of_shape(const Node& n, const Inputs& in, Tensor& y);
void range(const Node& n, const Inputs& in, Tensor& y);

// kernels_spatial.cpp
void global_max(const Node& n, const Inputs& in, Tensor& y);
void instance_norm(const Node& n, const Inputs& in, Tensor& y);
void tile(const Node& n, const Inputs& in, Tensor& y);
void depth_to_space(const Node& n, const Inputs& in, Tensor& y);
void pad(const Node& n, int64_t opset, const Inputs& in, Tensor& y);
void conv_transpose(const Node& n, const Inputs& in, Tensor& y);

// kernels_einsum.cpp
void einsum(const Node& n, const Inputs& in, Tensor& y);

// kernels_recurrent.cpp
void lstm(const Node& n, const Inputs& in, const std::vector<Tensor*>& out);
void gru(const Node& n, const Inputs& in, const std::vector<Tensor*>& out);

// kernels_resize.cpp
void resize(const Node& n, int64_t opset, const Inputs& in, Tensor& y);

// kernels_logic.cpp: booleans are int64 0/1 (bool tensors widen on load)
void compare(const Node& n, const Inputs& in, Tensor& y);  // Equal, Less, ...
void logic(const Node& n, const Inputs& in, Tensor& y);    // Not, And, Or, Xor
void where(const Node& n, const Inputs& in, Tensor& y);

}  // namespace basin::infer::kernel
