// Fast arithmetic's oneDNN steps, chosen once at plan time: a Conv whose
// weights are constants runs as a oneDNN primitive with its weights
// reordered once into the layout the primitive wants, the bias added and a
// following Relu fused into the same pass. Anything that does not fit keeps
// the portable step or plain kernel. (The FastStep interface is every
// plan-time step's, portable ones included.)
#pragma once

#include <memory>
#include <vector>

#include "graph.hpp"

namespace basin::infer {

class FastStep {
 public:
  virtual ~FastStep() = default;
  // Computes the node (and the fused Relu) from and into the plan's values,
  // on the calling thread only: parallelism comes from micro-batches.
  virtual void run(std::vector<Tensor>& values) = 0;
};

// A fast step for `node` reading and writing `values` (already sized by
// planning), or nullptr when the node does not qualify. `is_const` marks the
// values fixed at plan time; `relu`, when given, is the Relu that alone
// consumes the node's output and is folded into the step; `pool`, when
// given, the MaxPool that alone reads the output after that, pooled in
// oneDNN's layout when it can be (`pooled` then set; the step writes the
// pool's output).
std::unique_ptr<FastStep> make_fast_step(const Node& node, const Node* relu, const Node* pool,
                                         const std::vector<Tensor>& values,
                                         const std::vector<bool>& is_const, bool& pooled);

}  // namespace basin::infer
