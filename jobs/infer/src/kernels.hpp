// One function runs any supported node: it resolves the output shapes from
// the input shapes, sizes the outputs (a no-op when the plan already sized
// them) and computes. Bad shapes or attribute values throw ModelError.
#pragma once

#include <vector>

#include "graph.hpp"

namespace basin::infer {

void run_node(const Node& n, int64_t opset, const std::vector<const Tensor*>& in,
              const std::vector<Tensor*>& out);

}  // namespace basin::infer
