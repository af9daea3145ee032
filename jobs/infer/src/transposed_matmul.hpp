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

// A Reshape of a Slice that a read-through Transpose reads (attention's
// heads cut from the input projection's output: Slice on the last axis,
// Reshape to [sequence, heads, head size]), read in the Slice's input in
// place when the Reshape of the slice is itself a strided view. `first` and
// `step` are the Slice's (kernel_ops.hpp: slice_box).
struct CutHeads {
  const Node* slice = nullptr;
  const Node* reshape = nullptr;
  std::vector<int64_t> first, step;
};

// The Transposes a MatMul step can read or write through: `a` and `b` the
// operands' producers (or nullptr), `out` the Transpose that alone reads
// the MatMul's output (or nullptr). Each, when set, must alone read the
// value between it and the MatMul; a_cut and b_cut, when their slice is set,
// what a and b read.
struct ThroughTransposes {
  const Node* a = nullptr;
  const Node* b = nullptr;
  const Node* out = nullptr;
  CutHeads a_cut, b_cut;
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

// A Transpose `t` that copies straight out of the Slice's input through
// `cut` (attention's Q, which a Div reads before its MatMul), or nullptr
// when the cut is not a strided view. The copy's bits are the copies'.
std::unique_ptr<FastStep> make_transpose_of_cut(const Node& t, const CutHeads& cut,
                                                const std::vector<Tensor>& values);

}  // namespace basin::infer
