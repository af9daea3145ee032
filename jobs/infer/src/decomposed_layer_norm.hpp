// LayerNormalization over the last axis as exporters spell it before opset
// 17 (PyTorch 1.13's default opset 14 among them), seven nodes:
//   m = ReduceMean(x)      d = Sub(x, m)      p = Pow(d, 2)
//   v = ReduceMean(p)      e = Add(v, eps)    s = Sqrt(e)      y = Div(d, s)
// run as one pass a row instead of seven passes over the activations. Each
// element gets its nodes' operations in their order: the two means from
// kernel_support.hpp's row_mean, which the ReduceMean kernel's trailing path
// also calls (lane_sum in double, / count, rounded to float), d, d * d (Pow's 2: the
// same bits), v + eps, the square root and the division in float; so the
// bits of the nodes run one by one. The scale and bias after it (Mul, Add)
// stay an elementwise chain.
#pragma once

#include <memory>
#include <vector>

#include "fast_steps.hpp"
#include "graph.hpp"

namespace basin::infer {

// The step for live[first, first + 7) when those nodes are the pattern
// above over the last axis of a float x (ReduceMean with axes [-1] and
// keepdims, Pow by a constant 2, Add of a constant scalar), each
// intermediate read only inside the pattern (d by the Pow and the Div), and
// `length` = 7; otherwise nullptr and length 0. isa picks the clones of the
// elementwise loops (elementwise_loops.hpp).
std::unique_ptr<FastStep> make_decomposed_layer_norm(
    const std::vector<const Node*>& live, size_t first, const std::vector<Tensor>& values,
    const std::vector<int>& readers, const std::vector<bool>& is_const, Isa isa, size_t& length);

}  // namespace basin::infer
