// One function runs any supported node: it resolves the output shapes from
// the input shapes, sizes the outputs (a no-op when the plan already sized
// them) and computes. Bad shapes or attribute values throw ModelError.
#pragma once

#include <string>
#include <vector>

#include "graph.hpp"
#include "sgemm.hpp"

namespace basin::infer {

// Operators of one input applied value by value (Relu, Exp, HardSwish, ...).
bool is_unary_elementwise(const std::string& op);

// Matrix products (Gemm, MatMul, Conv) go through `sgemm`.
void run_node(const Node& n, int64_t opset, const std::vector<const Tensor*>& in,
              const std::vector<Tensor*>& out, const KernelChoice& sgemm);

}  // namespace basin::infer
