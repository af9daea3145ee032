// A MatMul of two computed tensors (attention's Q K^T and P V) that reads
// its operands through the Transposes that make them and writes its output
// through the Transpose that reads it, instead of each Transpose copying
// the tensor: PyTorch's multi-head attention exports four such Transposes
// a layer. A Transpose's output seen from its input is a strided view; the
// portable product takes row-major or transposed operands with any leading
// dimension, and its bits do not depend on either (portable_gemm.hpp), so
// the result is the plain kernels' bit for bit.
#pragma once

#include <memory>
#include <vector>

#include "fast_steps.hpp"
#include "graph.hpp"

namespace basin::infer {

// The Transposes a MatMul step can read or write through: `a` and `b` the
// operands' producers (or nullptr), `out` the Transpose that alone reads
// the MatMul's output (or nullptr). Each, when set, must alone read the
// value between it and the MatMul.
struct ThroughTransposes {
  const Node* a = nullptr;
  const Node* b = nullptr;
  const Node* out = nullptr;
};

// Which of `candidates` the MatMul `node` can take (the others set to
// nullptr): a view whose rows or columns are contiguous, batch dimensions
// equal in A, B and the output (no broadcasting), float operands. The
// result has at least one set, or none.
ThroughTransposes usable_transposes(const Node& node, ThroughTransposes candidates,
                                    const std::vector<Tensor>& values);

// The step for `node` reading and writing through `t` (usable_transposes'
// result); it writes t.out's output when t.out is set.
std::unique_ptr<FastStep> make_transposed_matmul(const Node& node, const ThroughTransposes& t,
                                                 const std::vector<Tensor>& values, Isa isa);

}  // namespace basin::infer
