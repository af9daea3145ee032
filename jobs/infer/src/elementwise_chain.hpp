// A run of elementwise nodes computed in one pass. Exporters spell one
// activation as several nodes (GELU: Div, Erf, Add, Mul, Mul; a bias and a
// residual: Add, Add), and run one by one each node reads and writes the
// whole activation: six passes over memory for one GELU. A chain instead
// takes a block of elements that stays in cache through every node. Each
// element sees the same IEEE operations in the same order as the plain
// kernels give it (the same comparisons, pmath's functions through
// portable_map), so the bits are those of the nodes run one by one (in
// portable arithmetic; fast arithmetic takes a faster erf).
#pragma once

#include <memory>
#include <vector>

#include "fast_steps.hpp"
#include "graph.hpp"

namespace basin::infer {

// The chain starting at live[first], or nullptr when fewer than two nodes
// qualify. A chain's nodes are Add, Sub, Mul, Div, Relu, Erf, Exp, Sigmoid
// or Tanh on float32, each with the first node's output shape; each after
// the first reads the previous one's output, which nothing else reads
// (`readers` counts readers, graph outputs included); a second operand is a
// value of that shape computed before the chain, a single value, or a value
// that repeats along the trailing dimensions (a bias). `length` is set to
// the number of nodes taken. isa: for Erf and Exp (portable_map). In fast
// arithmetic Erf is fast_erf (fast_math.hpp) instead of pmath's: its bits
// are then not the plain kernel's; and a chain that starts with GELU as
// PyTorch exports it (Div, Erf, Add, Mul by the chain's input, Mul) runs
// those five as fast_gelu, one pass with the same operations.
std::unique_ptr<FastStep> make_elementwise_chain(const std::vector<const Node*>& live, size_t first,
                                                 const std::vector<Tensor>& values,
                                                 const std::vector<int>& readers, Isa isa,
                                                 Arithmetic arithmetic, size_t& length);

}  // namespace basin::infer
