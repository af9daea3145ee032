// Graph rewrites at load that change no result beyond rounding: what ONNX
// Runtime's graph optimiser does first, so the planned steps are fewer.
#pragma once

#include "graph.hpp"

namespace basin::infer {

// A BatchNormalization (inference) whose input is a Conv's output read by
// nothing else, with the convolution's weights and bias and the
// normalisation's scale, bias, mean and variance all constant, becomes part
// of the Conv: W' = W * a, b' = (b - mean) * a + B with a = scale /
// sqrt(var + epsilon) per output channel (computed in double, rounded once).
// The Conv then writes the BatchNormalization's output, and a Relu after it
// fuses into the same step.
void fold_batchnorm_into_conv(Graph& g);

}  // namespace basin::infer
