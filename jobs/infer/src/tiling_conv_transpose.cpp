#include "tiling_conv_transpose.hpp"

#include "portable_gemm.hpp"

namespace basin::infer {
namespace {

class TilingConvTranspose : public FastStep {
 public:
  // x [N][C][H][W], weights [C][M][kh][kw], y [N][M][H kh][W kw].
  TilingConvTranspose(int x, int y, const std::vector<int64_t>& xs, const Tensor& w,
                      std::vector<float> bias)
      : x_(x),
        y_(y),
        N_(xs[0]),
        C_(xs[1]),
        H_(xs[2]),
        W_(xs[3]),
        M_(w.shape[1]),
        kh_(w.shape[2]),
        kw_(w.shape[3]),
        bias_(std::move(bias)),
        zt_(static_cast<size_t>(H_ * W_ * M_ * kh_ * kw_)) {
    // W^T [M kh kw][C] from the weights [C][M kh kw].
    const int64_t cols = M_ * kh_ * kw_;
    wt_.resize(static_cast<size_t>(cols * C_));
    for (int64_t c = 0; c < C_; ++c)
      for (int64_t r = 0; r < cols; ++r) wt_[size_t(r * C_ + c)] = w.f[size_t(c * cols + r)];
  }

  void run(std::vector<Tensor>& values) override {
    const float* x = values[size_t(x_)].f.data();
    float* y = values[size_t(y_)].f.data();
    const int64_t P = H_ * W_, cols = M_ * kh_ * kw_, Ho = H_ * kh_, Wo = W_ * kw_;
    for (int64_t b = 0; b < N_; ++b) {
      // Z^T [cols][P] = W^T x: row (m, i, j) holds tap (i, j) of output
      // channel m at every input position, so the scatter below reads rows
      // in order and writes output rows kw apart (the [P][cols] product it
      // replaced was read a column at a time: 11% of the U-Net).
      portable_sgemm(native_isa(), false, false, cols, P, C_, 1.0f, wt_.data(), C_, x + b * C_ * P,
                     P, 0.0f, zt_.data(), P);
      float* yb = y + b * M_ * Ho * Wo;
      for (int64_t m = 0; m < M_; ++m) {
        const float add = bias_.empty() ? 0.0f : bias_[size_t(m)];
        for (int64_t i = 0; i < kh_; ++i)
          for (int64_t j = 0; j < kw_; ++j) {
            const float* z = zt_.data() + ((m * kh_ + i) * kw_ + j) * P;
            for (int64_t h = 0; h < H_; ++h) {
              float* out = yb + (m * Ho + h * kh_ + i) * Wo + j;
              const float* zh = z + h * W_;
              for (int64_t w = 0; w < W_; ++w) out[w * kw_] = zh[w] + add;
            }
          }
      }
    }
  }

 private:
  int x_, y_;
  int64_t N_, C_, H_, W_, M_, kh_, kw_;
  std::vector<float> wt_;  // W^T, [M kh kw][C]
  std::vector<float> bias_;
  std::vector<float> zt_;  // one image's product, [M kh kw][P]
};

}  // namespace

std::unique_ptr<FastStep> make_tiling_conv_transpose(const Node& n, const std::vector<Tensor>& v,
                                                     const std::vector<bool>& is_const) {
  if (n.in.size() < 2 || n.in[0] < 0 || n.in[1] < 0 || n.out.empty() || n.out[0] < 0)
    return nullptr;
  const Tensor &x = v[size_t(n.in[0])], &w = v[size_t(n.in[1])], &y = v[size_t(n.out[0])];
  if (x.dtype != DType::f32 || w.dtype != DType::f32 || !is_const[size_t(n.in[1])] ||
      x.shape.size() != 4 || w.shape.size() != 4 || w.shape[0] != x.shape[1])
    return nullptr;
  const std::vector<int64_t> kernel{w.shape[2], w.shape[3]};
  if (n.geti("group", 1) != 1 || n.gets("auto_pad", "NOTSET") != "NOTSET" ||
      n.has("output_shape") || n.getints("strides", {1, 1}) != kernel ||
      n.getints("kernel_shape", kernel) != kernel ||
      n.getints("dilations", {1, 1}) != std::vector<int64_t>{1, 1} ||
      n.getints("pads", {0, 0, 0, 0}) != std::vector<int64_t>{0, 0, 0, 0} ||
      n.getints("output_padding", {0, 0}) != std::vector<int64_t>{0, 0})
    return nullptr;
  if (y.shape !=
      std::vector<int64_t>{x.shape[0], w.shape[1], x.shape[2] * kernel[0], x.shape[3] * kernel[1]})
    return nullptr;
  std::vector<float> bias;
  if (n.in.size() > 2 && n.in[2] >= 0) {
    const Tensor& b = v[size_t(n.in[2])];
    if (b.dtype != DType::f32 || !is_const[size_t(n.in[2])] ||
        b.shape != std::vector<int64_t>{w.shape[1]})
      return nullptr;
    bias.assign(b.f.begin(), b.f.end());
  }
  return std::make_unique<TilingConvTranspose>(n.in[0], n.out[0], x.shape, w, std::move(bias));
}

}  // namespace basin::infer
