// Fast arithmetic's ConvTranspose whose windows tile the output exactly
// (stride equal to the kernel, no pads, dilations or output padding, one
// group: a U-Net's 2x2 stride-2 upsampling). Every output pixel then takes
// one product per input channel, so per image the layer is one matrix
// product, Z^T [M kH kW][P] = W^T [M kH kW][C] times x [C][P] (W^T made at
// plan time), whose rows are scattered to the output pixels with the bias
// added. oneDNN's AVX2 deconvolution ran these at 8 GFLOP/s, a third of a
// U-Net's time.
#pragma once

#include <memory>
#include <vector>

#include "fast_steps.hpp"
#include "graph.hpp"

namespace basin::infer {

// The step for `node`, or nullptr when it does not qualify (constant
// float weights and bias, 4-D, the tiling above).
std::unique_ptr<FastStep> make_tiling_conv_transpose(const Node& node,
                                                     const std::vector<Tensor>& values,
                                                     const std::vector<bool>& is_const);

}  // namespace basin::infer
