// Operators over the spatial layout [N, C, spatial...]: GlobalMaxPool,
// InstanceNormalization, DepthToSpace, Pad and ConvTranspose; and Tile.
// Plain loops in one fixed order (the same bits for any batch or threads).
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_ops.hpp"
#include "kernel_support.hpp"

namespace basin::infer::kernel {
namespace {

// [N, C, rest]: the number of samples, channels and spatial cells.
struct Layout {
  int64_t n = 0, c = 0, cells = 1;
};
Layout layout_of(const Node& n, const Tensor& x) {
  if (x.shape.size() < 3) fail(n, "expects [N, C, spatial...], found " + str(x.shape));
  Layout l{x.shape[0], x.shape[1], 1};
  for (size_t d = 2; d < x.shape.size(); ++d) l.cells *= x.shape[d];
  return l;
}

}  // namespace

void global_max(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  need_f(n, x);
  const auto l = layout_of(n, x);
  if (l.cells == 0) fail(n, "has no spatial cells to take the maximum of");
  Shape out = {l.n, l.c};
  out.resize(x.shape.size(), 1);
  size_f(y, out, n);
  for (int64_t k = 0; k < l.n * l.c; ++k) {
    const float* a = x.f.data() + k * l.cells;
    y.f[size_t(k)] = *std::max_element(a, a + l.cells);
  }
}

void instance_norm(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor &x = need(n, in, 0), &scale = need(n, in, 1), &bias = need(n, in, 2);
  need_f(n, x), need_f(n, scale), need_f(n, bias);
  const auto l = layout_of(n, x);
  if (int64_t(scale.f.size()) != l.c || int64_t(bias.f.size()) != l.c)
    fail(n, "scale and B must hold one value per channel (" + std::to_string(l.c) + ")");
  const double eps = n.getf("epsilon", 1e-5f);
  size_f(y, x.shape, n);
  for (int64_t k = 0; k < l.n * l.c; ++k) {
    const float* a = x.f.data() + k * l.cells;
    float* r = y.f.data() + k * l.cells;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < l.cells; ++j) mean += a[j];
    mean /= double(std::max<int64_t>(l.cells, 1));
    for (int64_t j = 0; j < l.cells; ++j) var += (a[j] - mean) * (a[j] - mean);
    var /= double(std::max<int64_t>(l.cells, 1));
    const double inv = 1.0 / std::sqrt(var + eps);
    const float s = scale.f[size_t(k % l.c)], b = bias.f[size_t(k % l.c)];
    for (int64_t j = 0; j < l.cells; ++j) r[j] = float((a[j] - mean) * inv) * s + b;
  }
}

void tile(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  const auto& reps = ints_input(n, need(n, in, 1));
  if (reps.size() != x.shape.size())
    fail(n, "repeats has " + std::to_string(reps.size()) + " values for rank " +
                std::to_string(x.shape.size()));
  Shape out;
  for (size_t d = 0; d < reps.size(); ++d) {
    if (reps[d] < 0) fail(n, "a negative repeat");
    // Bounded before the product, which could leave int64.
    if (x.shape[d] > 0 && reps[d] > kMaxElements / x.shape[d])
      fail(n, "repeats make axis " + std::to_string(d) + " longer than " +
                  std::to_string(kMaxElements));
    out.push_back(x.shape[d] * reps[d]);
  }
  const int64_t total = checked_numel(out, n.where() + " output");
  Shape stride(x.shape.size(), 1);
  for (size_t d = x.shape.size(); d-- > 1;) stride[d - 1] = stride[d] * x.shape[d];
  if (x.dtype == DType::f32)
    size_f(y, out, n);
  else
    size_i(y, out, n);
  std::vector<int64_t> idx(out.size(), 0);
  for (int64_t k = 0; k < total; ++k) {
    int64_t o = 0;
    for (size_t d = 0; d < out.size(); ++d) o += (idx[d] % x.shape[d]) * stride[d];
    if (x.dtype == DType::f32)
      y.f[size_t(k)] = x.f[size_t(o)];
    else
      y.i[size_t(k)] = x.i[size_t(o)];
    for (size_t d = out.size(); d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
}

void depth_to_space(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  need_f(n, x);
  if (x.shape.size() != 4) fail(n, "expects [N, C, H, W]");
  const int64_t b = n.geti("blocksize", 0);
  const bool crd = n.gets("mode", "DCR") == "CRD";
  if (n.gets("mode", "DCR") != "DCR" && !crd) fail(n, "mode must be DCR or CRD");
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  if (b <= 0 || C % (b * b) != 0)
    fail(n, "blocksize " + std::to_string(b) + " does not divide " + std::to_string(C) +
                " channels into blocks");
  const int64_t Co = C / (b * b);
  size_f(y, {N, Co, H * b, W * b}, n);
  for (int64_t s = 0; s < N; ++s)
    for (int64_t c = 0; c < Co; ++c)
      for (int64_t h = 0; h < H * b; ++h)
        for (int64_t w = 0; w < W * b; ++w) {
          const int64_t i = h % b, j = w % b;
          const int64_t ci = crd ? c * b * b + i * b + j : (i * b + j) * Co + c;
          y.f[size_t(((s * Co + c) * H * b + h) * W * b + w)] =
              x.f[size_t(((s * C + ci) * H + h / b) * W + w / b)];
        }
}

void pad(const Node& n, int64_t opset, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  const auto rank = x.shape.size();
  std::vector<int64_t> pads;
  double value = 0;
  if (opset >= 11) {
    pads = ints_input(n, need(n, in, 1));
    if (in.size() > 2 && in[2]) {
      const auto v = as_double(*in[2]);
      if (v.size() > 1) fail(n, "constant_value must be a scalar");
      if (!v.empty()) value = v[0];
    }
  } else {
    pads = n.getints("pads", {});
    value = n.getf("value", 0.0f);
  }
  if (pads.size() != 2 * rank)
    fail(n, "pads has " + std::to_string(pads.size()) + " values for rank " + std::to_string(rank));
  const std::string mode = n.gets("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    fail(n, "mode '" + mode + "' (constant, reflect or edge)");
  // Pads come from a tensor, not an attribute bounded at load: bounded
  // here before they are added.
  for (int64_t p : pads)
    if (!size_in_range(p))
      fail(n, "a pad of " + std::to_string(p) + " (at most " + std::to_string(kMaxElements) +
                  " either way)");
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    out[d] = x.shape[d] + pads[d] + pads[d + rank];
    if (out[d] < 0) fail(n, "pads remove more than axis " + std::to_string(d) + " holds");
    if (mode == "reflect" && (pads[d] >= x.shape[d] || pads[d + rank] >= x.shape[d]))
      fail(n, "reflect pads must be smaller than the axis they pad");
    if (mode != "constant" && x.shape[d] == 0 && out[d] > 0) fail(n, "pads an empty axis");
  }
  const int64_t total = checked_numel(out, n.where() + " output");
  if (x.dtype == DType::i64 && !fits_int64(value))
    fail(n, "constant_value beyond int64 for an int64 tensor");
  const auto int_value = x.dtype == DType::i64 ? int64_t(value) : 0;
  Shape stride(rank, 1);
  for (size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * x.shape[d];
  if (x.dtype == DType::f32)
    size_f(y, out, n);
  else
    size_i(y, out, n);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t k = 0; k < total; ++k) {
    int64_t o = 0;
    bool inside = true;
    for (size_t d = 0; d < rank; ++d) {
      int64_t src = idx[d] - pads[d];
      const int64_t dim = x.shape[d];
      if (src < 0 || src >= dim) {
        if (mode == "constant")
          inside = false;
        else if (mode == "edge")
          src = src < 0 ? 0 : dim - 1;
        else  // reflect, without repeating the edge
          src = src < 0 ? -src : 2 * (dim - 1) - src;
      }
      o += src * stride[d];
    }
    if (x.dtype == DType::f32)
      y.f[size_t(k)] = inside ? x.f[size_t(o)] : float(value);
    else
      y.i[size_t(k)] = inside ? x.i[size_t(o)] : int_value;
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
}

void conv_transpose(const Node& n, const Inputs& in, Tensor& y) {
  const Tensor &x = need(n, in, 0), &w = need(n, in, 1);
  need_f(n, x), need_f(n, w);
  const Tensor* bias = in.size() > 2 ? in[2] : nullptr;
  if (x.shape.size() != 3 && x.shape.size() != 4)
    fail(n, "expects 1-D or 2-D input ([N, C, L] or [N, C, H, W]), found " + str(x.shape));
  if (w.shape.size() != x.shape.size()) fail(n, "weight rank differs from the input's");
  // 1-D as 2-D with one row.
  const bool one_d = x.shape.size() == 3;
  const int64_t N = x.shape[0], C = x.shape[1];
  const int64_t H = one_d ? 1 : x.shape[2], W = x.shape.back();
  const int64_t g = n.geti("group", 1);
  if (g <= 0 || C % g != 0 || w.shape[0] != C)
    fail(n, "weight " + str(w.shape) + " does not fit " + std::to_string(C) + " channels in " +
                std::to_string(g) + " groups");
  const int64_t Mg = w.shape[1], M = Mg * g;
  const int64_t kH = one_d ? 1 : w.shape[2], kW = w.shape.back();
  const auto spatial = [&](const char* attr, int64_t def) {
    auto v = n.getints(attr, {});
    if (v.empty()) v.assign(one_d ? 1 : 2, def);
    if (v.size() != (one_d ? 1u : 2u)) fail(n, std::string(attr) + " has the wrong length");
    if (one_d) v.insert(v.begin(), def);
    return v;
  };
  const auto s = spatial("strides", 1), d = spatial("dilations", 1);
  const auto op = spatial("output_padding", 0);
  const auto ks = n.getints("kernel_shape", {});
  if (!ks.empty() && ks != Shape(w.shape.begin() + 2, w.shape.end()))
    fail(n, "kernel_shape differs from the weight's");
  std::vector<int64_t> pads = n.getints("pads", {});
  if (pads.empty()) pads.assign(one_d ? 2 : 4, 0);
  if (pads.size() != (one_d ? 2u : 4u)) fail(n, "pads has the wrong length");
  int64_t pb[2] = {0, one_d ? pads[0] : pads[1]}, pe[2] = {0, one_d ? pads[1] : pads[3]};
  if (!one_d) pb[0] = pads[0], pe[0] = pads[2];
  const int64_t in_sz[2] = {H, W}, k_sz[2] = {kH, kW};
  int64_t out_sz[2];
  const auto os = n.getints("output_shape", {});
  const std::string auto_pad = n.gets("auto_pad", "NOTSET");
  for (int i = 0; i < 2; ++i) {
    const int64_t full =
        s[size_t(i)] * (in_sz[i] - 1) + op[size_t(i)] + (k_sz[i] - 1) * d[size_t(i)] + 1;
    int64_t target = -1;
    if (!os.empty()) {
      if (one_d && i == 0)
        target = 1;
      else
        target = os[os.size() - size_t(one_d ? 1 : 2 - i)];
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      target = in_sz[i] * s[size_t(i)];
    }
    if (target >= 0) {
      const int64_t total = full - target;
      // As ONNX defines it: SAME_UPPER puts the odd cell at the end.
      const bool lower = auto_pad == "SAME_LOWER";
      pb[i] = lower ? total - total / 2 : total / 2;
      pe[i] = total - pb[i];
      if (one_d && i == 0) pb[0] = pe[0] = 0;
    }
    out_sz[i] = full - pb[i] - pe[i];
    if (out_sz[i] <= 0) fail(n, "the output would be empty");
  }
  if (one_d) out_sz[0] = 1;
  Shape out = one_d ? Shape{N, M, out_sz[1]} : Shape{N, M, out_sz[0], out_sz[1]};
  size_f(y, out, n);
  if (bias) {
    need_f(n, *bias);
    if (int64_t(bias->f.size()) != M) fail(n, "B must hold one value per output channel");
  }
  const int64_t Ho = out_sz[0], Wo = out_sz[1], Cg = C / g;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t m = 0; m < M; ++m)
      std::fill_n(y.f.data() + (b * M + m) * Ho * Wo, Ho * Wo, bias ? bias->f[size_t(m)] : 0.0f);
  // The definition below: every output starts at its bias and takes
  // y += x * w (a product, then a sum) for each input channel c in turn, and
  // within one channel for each input position and tap that reaches it.
  // When the windows do not overlap (stride at least the dilated kernel:
  // a U-Net's 2 x 2 stride 2) an output takes at most one product per
  // channel, so each tap can be run on its own as contiguous rows (the
  // sums vectorise) and scattered: the same operations in the same order.
  if (s[0] >= (kH - 1) * d[0] + 1 && s[1] >= (kW - 1) * d[1] + 1) {
    // Rows r = (m, i, j) of a group (output channel, tap), kRows at a time
    // over kCols input positions: the accumulators stay in registers while
    // the input channels stream past, each input vector serving kRows rows.
    constexpr int64_t kRows = 4, kCols = 8;
    using V4 = float __attribute__((vector_size(16)));
    const int64_t P = H * W, taps = kH * kW, rows = Mg * taps;
    // Row r's value t at input position p goes to its output position
    // (input row and column of p: the window's corner at oh0[p], ow0[p]).
    std::vector<int64_t> oh0(static_cast<size_t>(P)), ow0(static_cast<size_t>(P));
    for (int64_t p = 0; p < P; ++p)
      oh0[size_t(p)] = p / W * s[0] - pb[0], ow0[size_t(p)] = p % W * s[1] - pb[1];
    // Row r's output plane and tap offset, worked out once a row.
    struct RowAt {
      int64_t plane, di, dj;
    };
    std::vector<RowAt> row_at(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
      row_at[size_t(r)] = {r / taps * Ho * Wo, r % taps / kW * d[0], r % kW * d[1]};
    auto scatter = [&](float* yg, const RowAt& at, int64_t p, float t) {
      const int64_t oh = oh0[size_t(p)] + at.di, ow = ow0[size_t(p)] + at.dj;
      if (oh >= 0 && oh < Ho && ow >= 0 && ow < Wo) yg[at.plane + oh * Wo + ow] = t;
    };
    std::vector<float> wrow(static_cast<size_t>(Cg * kRows));  // [c][k]: a block's weights
    for (int64_t b = 0; b < N; ++b)
      for (int64_t gi = 0; gi < g; ++gi) {
        const float* xg = x.f.data() + (b * C + gi * Cg) * P;
        float* yg = y.f.data() + (b * M + gi * Mg) * Ho * Wo;
        // Weight of row r for the group's input channel c.
        auto wt = [&](int64_t c, int64_t r) {
          return w.f[size_t(((gi * Cg + c) * Mg + r / taps) * taps + r % taps)];
        };
        auto start = [&](int64_t r) { return bias ? bias->f[size_t(gi * Mg + r / taps)] : 0.0f; };
        for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
          const int64_t nr = std::min(kRows, rows - r0);
          int64_t p0 = 0;
          if (nr == kRows)
            for (int64_t c = 0; c < Cg; ++c)
              for (int64_t k = 0; k < kRows; ++k) wrow[size_t(c * kRows + k)] = wt(c, r0 + k);
          for (; nr == kRows && p0 + kCols <= P; p0 += kCols) {
            V4 acc[kRows][2];
            for (int64_t k = 0; k < kRows; ++k) acc[k][0] = acc[k][1] = V4{} + start(r0 + k);
            const float* wc = wrow.data();
            for (int64_t c = 0; c < Cg; ++c, wc += kRows) {
              V4 x0, x1;
              std::memcpy(&x0, xg + c * P + p0, sizeof x0);
              std::memcpy(&x1, xg + c * P + p0 + 4, sizeof x1);
              for (int64_t k = 0; k < kRows; ++k) {
                acc[k][0] = acc[k][0] + x0 * wc[k];  // a product, then a sum
                acc[k][1] = acc[k][1] + x1 * wc[k];
              }
            }
            for (int64_t k = 0; k < kRows; ++k) {
              const RowAt& at = row_at[size_t(r0 + k)];
              for (int64_t q = 0; q < kCols; ++q) scatter(yg, at, p0 + q, acc[k][q / 4][q % 4]);
            }
          }
          // The last positions (and rows), one at a time: the same operations.
          for (int64_t k = 0; k < nr; ++k)
            for (int64_t p = nr == kRows ? p0 : 0; p < P; ++p) {
              float t = start(r0 + k);
              for (int64_t c = 0; c < Cg; ++c) t = t + xg[c * P + p] * wt(c, r0 + k);
              scatter(yg, row_at[size_t(r0 + k)], p, t);
            }
        }
      }
    return;
  }
  for (int64_t b = 0; b < N; ++b)
    for (int64_t gi = 0; gi < g; ++gi)
      for (int64_t c = gi * Cg; c < (gi + 1) * Cg; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t xw = 0; xw < W; ++xw) {
            const float v = x.f[size_t(((b * C + c) * H + h) * W + xw)];
            for (int64_t m = 0; m < Mg; ++m) {
              float* yo = y.f.data() + (b * M + gi * Mg + m) * Ho * Wo;
              const float* wk = w.f.data() + (c * Mg + m) * kH * kW;
              for (int64_t i = 0; i < kH; ++i) {
                const int64_t oh = h * s[0] - pb[0] + i * d[0];
                if (oh < 0 || oh >= Ho) continue;
                for (int64_t j = 0; j < kW; ++j) {
                  const int64_t ow = xw * s[1] - pb[1] + j * d[1];
                  if (ow >= 0 && ow < Wo) yo[oh * Wo + ow] += v * wk[i * kW + j];
                }
              }
            }
          }
}

}  // namespace basin::infer::kernel
