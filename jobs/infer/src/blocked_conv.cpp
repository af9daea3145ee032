#include "blocked_conv.hpp"

#include <algorithm>
#include <cstring>

#include "blocked_conv_clones.hpp"

namespace basin::infer {

bool BlockedConv::supports(const BlockedConvShape& s) {
  static const bool cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cpu && s.C > 0 && s.C % 8 == 0 && s.M > 0 && s.M % 16 == 0 && s.H > 0 && s.W > 0 &&
         s.OH > 0 && s.OW > 0 && s.KH > 0 && s.KW > 0 && s.SH > 0 && (s.SW == 1 || s.SW == 2) &&
         s.PT >= 0 && s.PL >= 0 && s.PT < s.KH && s.PL < s.KW;
}

BlockedConv::BlockedConv(const BlockedConvShape& s, const float* weights,
                         const std::vector<float>& bias, bool relu)
    : s_(s), relu_(relu) {
  // Every window the output needs lies inside the padded image.
  hp_ = std::max(s.H + s.PT, (s.OH - 1) * s.SH + s.KH);
  wp_ = std::max(s.W + s.PL, (s.OW - 1) * s.SW + s.KW);
  const int64_t CB = s.C / 8;
  for (int64_t cb = 0; cb < CB; ++cb)
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw) taps_.push_back(((cb * hp_ + kh) * wp_ + kw) * 8);
  const int64_t ntaps = int64_t(taps_.size());
  w_.assign(size_t(s.M / 16 * ntaps * 128), 0.0f);
  for (int64_t m = 0; m < s.M; ++m)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          const int64_t tap = ((c / 8) * s.KH + kh) * s.KW + kw;
          w_[size_t(((m / 16 * ntaps + tap) * 8 + c % 8) * 16 + m % 16)] =
              weights[((m * s.C + c) * s.KH + kh) * s.KW + kw];
        }
  bias_ = bias.empty() ? std::vector<float>(size_t(s.M), 0.0f) : bias;
  padded_.assign(size_t(CB * hp_ * wp_ * 8), 0.0f);
}

void BlockedConv::run(const float* x, float* y, int64_t N, bool sum) {
  const int64_t CB = s_.C / 8, in_image = CB * s_.H * s_.W * 8, out_image = s_.M * s_.OH * s_.OW;
  BlockedConvArgs a{padded_.data(), w_.data(), bias_.data(), taps_.data(), int64_t(taps_.size()),
                    nullptr,        s_.M,      s_.OH,        s_.OW,        wp_,
                    s_.SH,          s_.SW,     sum,          relu_};
  for (int64_t n = 0; n < N; ++n) {
    // The image inside its zero border (written once, never touched).
    const float* xi = x + n * in_image;
    for (int64_t cb = 0; cb < CB; ++cb)
      for (int64_t h = 0; h < s_.H; ++h)
        std::memcpy(padded_.data() + ((cb * hp_ + h + s_.PT) * wp_ + s_.PL) * 8,
                    xi + (cb * s_.H + h) * s_.W * 8, size_t(s_.W * 8) * sizeof(float));
    a.y = y + n * out_image;
    blocked_conv_avx2(a);
  }
}

}  // namespace basin::infer
