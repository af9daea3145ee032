// Steps of portable arithmetic chosen once at plan time: a Gemm, MatMul or
// Conv whose weights are constant multiplies through a PackedMatrix packed
// at plan time, so small batches do not pay for packing the weights on every
// run (and a convolution multiplies one row per output pixel, which suits
// the vector width: the output channels are the columns). The bits are those of the plain kernel
// in portable arithmetic (the same definition, portable_gemm.hpp).
#pragma once

#include <memory>
#include <vector>

#include "fast_steps.hpp"
#include "graph.hpp"

namespace basin::infer {

// A step for `node`, or nullptr when it does not qualify (the plain kernel
// then runs it). `values` are sized by planning; `is_const` marks the values
// fixed at plan time. `next`, when given, is the node right after that alone
// reads the node's output: a convolution or Gemm step applies a Relu or Clip
// there as it writes its output (the plain kernel's own comparison, so the
// same bits, and one pass over the activations fewer), a MatMul step an Add
// of a constant row (a bias), and sets `absorbed_next`; the node's own
// output is then never written.
std::unique_ptr<FastStep> make_portable_step(const Node& node, Isa isa,
                                             const std::vector<Tensor>& values,
                                             const std::vector<bool>& is_const, const Node* next,
                                             bool& absorbed_next);

// A MaxPool with 2x2 windows, stride 2 and no pads that alone reads the
// output of `step`, a convolution step from make_portable_step: the step
// then pools each image as soon as it has computed it, while the image is in
// cache, and writes the pool's output instead of its own (never written).
// The pool's comparisons are the MaxPool kernel's (max_pool_2x2_row in
// kernel_ops.hpp), so the bits are those of the two steps. False, and the
// step unchanged, when the step or the pool does not qualify.
bool absorb_max_pool(FastStep& step, const Node& pool, const std::vector<Tensor>& values);

// Once the steps are chosen (in order; nullptr for plain kernels): a
// pointwise convolution whose output only the next step, a depthwise
// convolution, reads hands it over channels last, and a depthwise one to a
// pointwise one likewise (MobileNet's blocks), sparing the transposes
// around the depthwise layer; the same bits. `readers` counts each value's
// readers (graph outputs included).
void link_channels_last(const std::vector<FastStep*>& steps, const std::vector<int>& readers);

}  // namespace basin::infer
