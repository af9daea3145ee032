// Fast arithmetic's own direct convolution on channels in blocks of eight
// (oneDNN's nChw8c, the layout its AVX2 steps keep between convolutions):
// oneDNN's AVX2 kernel for it runs at about 60 GFLOP/s on a CIFAR ResNet's
// 3x3 layers, a call per output row and its argument block cleared each
// time, where a register tile of 6 output positions x 16 output channels
// (the matrix product's micro-tile: 12 accumulators, 2 weight vectors and
// a broadcast input) runs near the fma peak. Used by the oneDNN step that
// would have run the primitive (fast_steps.cpp), for the cases below; the
// step's reorders, residual and layouts stay as they were.
#pragma once

#include <cstdint>
#include <vector>

namespace basin::infer {

struct BlockedConvShape {
  int64_t C, H, W;    // input channels and size
  int64_t M, OH, OW;  // output channels and size
  int64_t KH, KW;     // window
  int64_t SH, SW;     // strides
  int64_t PT, PL;     // top and left pads (bottom and right follow from the output size)
};

class BlockedConv {
 public:
  // Whether this CPU and shape can run here: AVX2 and FMA, C and M whole
  // blocks (C a multiple of 8, M of 16), horizontal stride 1 or 2.
  static bool supports(const BlockedConvShape& s);
  // weights [M][C][KH][KW] (ONNX's layout), bias [M] or empty; relu: the
  // output is max(v, 0) (a NaN becomes 0, as the plain Relu makes it).
  BlockedConv(const BlockedConvShape& s, const float* weights, const std::vector<float>& bias,
              bool relu);
  // x: [N][C/8][H][W][8]; y: [N][M/8][OH][OW][8], each element
  // (acc + bias) + y when `sum` (a residual already there), then the Relu.
  void run(const float* x, float* y, int64_t N, bool sum);

 private:
  BlockedConvShape s_;
  int64_t hp_, wp_;            // the padded input's size
  std::vector<float> w_;       // [M/16][C/8][KH][KW][8][16]
  std::vector<float> bias_;    // [M], zeros when the node has none
  std::vector<int64_t> taps_;  // offset of tap (c/8, kh, kw) in the padded image
  std::vector<float> padded_;  // one image, [C/8][HP][WP][8], its border zero
  bool relu_;
};

}  // namespace basin::infer
