// Fast arithmetic's oneDNN steps, chosen once at plan time: a Conv whose
// weights are constants runs as a oneDNN primitive with its weights
// reordered once into the layout the primitive wants, the bias added and a
// following residual Add, activation and MaxPool fused (Absorbed); a value
// that only such steps read stays in their blocked layout
// (link_blocked_layouts); on AVX2, where those blocks are 8 channels wide,
// Basin's own loop replaces the convolution primitive when it covers the
// case (blocked_conv.hpp). Anything that does not fit keeps
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

// The nodes after a convolution that its oneDNN step absorbs, each the only
// reader of the output before it: `add`, an Add of the convolution's output
// and another value of the same shape (a residual connection), summed into
// the primitive's output; `act`, a Relu, HardSwish or a Clip with constant
// bounds after the convolution or the Add;
// `pool`, a MaxPool after that (not with `add`), pooled in oneDNN's layout
// when it can be.
struct Absorbed {
  const Node* add = nullptr;
  const Node* act = nullptr;
  const Node* pool = nullptr;
};

// A fast step for `node` reading and writing `values` (already sized by
// planning), or nullptr when the node does not qualify. `is_const` marks the
// values fixed at plan time; `next` the nodes the step absorbs, of which
// `pooled` says whether the pool was (the step then writes the pool's
// output; otherwise that of the activation, the Add or the node);
// `earlier` the steps chosen before (a oneDNN one that writes the input
// sets the layout it is read in).
std::unique_ptr<FastStep> make_fast_step(const Node& node, const Absorbed& next,
                                         const std::vector<Tensor>& values,
                                         const std::vector<bool>& is_const,
                                         const std::vector<FastStep*>& earlier, bool& pooled);

// Once the steps are chosen (in order; nullptr for plain kernels): a value
// that a oneDNN step writes in a blocked layout and that only oneDNN steps
// read, in that same layout, stays in it: no reorder to the plan's NCHW value
// and back (ResNet's blocks). A residual summed by the value's last reader is
// summed in place. `readers` counts each value's readers (graph outputs
// included). The reorders are exact copies: the bits do not change.
void link_blocked_layouts(const std::vector<FastStep*>& steps, const std::vector<int>& readers);

}  // namespace basin::infer
