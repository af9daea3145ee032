// Resize (opsets 11-17): nearest, linear and cubic interpolation over any
// dimensions, with ONNX's coordinate transformations. Each output value is
// the tensor product of per-dimension taps (input index, weight), summed in
// one fixed order, exactly as onnx's reference implementation defines them:
// the n neighbours of the original coordinate (edge-clamped), weighted by
// the mode's coefficients of its fractional part.
#include "kernel_ops.hpp"
#include "kernel_support.hpp"

namespace basin::infer::kernel {
namespace {

struct Tap {
  int64_t index;
  double weight;
};

// The original coordinate of output position x along one dimension.
double original(const Node& n, const std::string& mode, double x, double scale, int64_t in_len,
                int64_t out_len) {
  const double out_w = scale * double(in_len);
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") return out_w == 1 ? 0.0 : x * double(in_len - 1) / (out_w - 1);
  if (mode == "asymmetric") return x / scale;
  if (mode == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  fail(n, "coordinate_transformation_mode '" + mode + "' is not supported");
}

std::vector<double> coefficients(const Node& n, const std::string& mode, double ratio) {
  if (mode == "nearest") {
    if (ratio == 1.0) return {0, 1};
    const std::string nm = n.gets("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") return {double(ratio <= 0.5), double(ratio > 0.5)};
    if (nm == "round_prefer_ceil") return {double(ratio < 0.5), double(ratio >= 0.5)};
    if (nm == "floor") return {1, 0};
    if (nm == "ceil") return {0, 1};
    fail(n, "nearest_mode '" + nm + "' is not supported");
  }
  if (mode == "linear") return {1 - ratio, ratio};
  if (mode == "cubic") {
    const double A = n.getf("cubic_coeff_a", -0.75f), r = ratio, s = 1 - ratio;
    return {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
            ((A + 2) * r - (A + 3)) * r * r + 1, ((A + 2) * s - (A + 3)) * s * s + 1,
            ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A};
  }
  fail(n, "mode '" + mode + "' is not supported (nearest, linear, cubic)");
}

// The taps of every output position along one dimension.
std::vector<std::vector<Tap>> taps_of(const Node& n, int64_t in_len, int64_t out_len,
                                      double scale) {
  const std::string mode = n.gets("mode", "nearest");
  const std::string ctm = n.gets("coordinate_transformation_mode", "half_pixel");
  const bool exclude = n.geti("exclude_outside", 0) != 0;
  std::vector<std::vector<Tap>> out(static_cast<size_t>(out_len));
  for (int64_t x = 0; x < out_len; ++x) {
    const double xo = original(n, ctm, double(x), scale, in_len, out_len);
    const double fl = std::floor(xo);
    const double ratio = xo == fl ? 1.0 : xo - fl;
    auto c = coefficients(n, mode, ratio);
    const auto k = int64_t(c.size());
    // The k nearest positions, ties to the smaller: ceil(xo) - k/2 on.
    const int64_t first = int64_t(std::ceil(xo)) - k / 2;
    if (exclude) {
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) {
        const int64_t i = first + j;
        if (i < 0 || i >= in_len) c[size_t(j)] = 0;
        sum += c[size_t(j)];
      }
      if (sum != 0)
        for (auto& v : c) v /= sum;
    }
    for (int64_t j = 0; j < k; ++j) {
      if (c[size_t(j)] == 0) continue;
      const int64_t i = std::min(std::max<int64_t>(first + j, 0), in_len - 1);
      out[size_t(x)].push_back({i, c[size_t(j)]});
    }
  }
  return out;
}

}  // namespace

void resize(const Node& n, int64_t opset, const Inputs& in, Tensor& y) {
  const Tensor& x = need(n, in, 0);
  need_f(n, x);
  if (opset < 11) fail(n, "Resize of opset 10 (export with opset 11 or later)");
  if (n.gets("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize")
    fail(n, "coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  const auto rank = x.shape.size();
  std::vector<double> scales;
  Shape out(rank);
  const Tensor* sizes = in.size() > 3 ? in[3] : nullptr;
  const Tensor* sc = in.size() > 2 ? in[2] : nullptr;
  if (sizes && !(sizes->dtype == DType::i64 ? sizes->i.empty() : sizes->f.empty())) {
    const auto& s = ints_input(n, *sizes);
    if (s.size() != rank) fail(n, "sizes has the wrong length");
    for (size_t d = 0; d < rank; ++d) {
      if (s[d] < 0) fail(n, "a negative size");
      out[d] = s[d];
      scales.push_back(x.shape[d] ? double(s[d]) / double(x.shape[d]) : 1.0);
    }
  } else if (sc && !sc->f.empty()) {
    need_f(n, *sc);
    if (sc->f.size() != rank) fail(n, "scales has the wrong length");
    for (size_t d = 0; d < rank; ++d) {
      if (!(sc->f[d] > 0) || !std::isfinite(sc->f[d]))
        fail(n, "scales must be positive and finite");
      scales.push_back(sc->f[d]);
      // Bounded before the conversion: a double beyond int64 has no int64.
      const double len = std::floor(double(x.shape[d]) * double(sc->f[d]));
      if (len > double(kMaxElements))
        fail(n, "scales make an axis longer than " + std::to_string(kMaxElements));
      out[d] = int64_t(len);
    }
  } else {
    fail(n, "needs scales or sizes");
  }
  // Output values interpolate input ones: an empty axis has none to give
  // (found by OnnxNodeTests.EmptyAxesRunOrAreRefused: read past the input).
  for (size_t d = 0; d < rank; ++d)
    if (x.shape[d] == 0 && out[d] > 0)
      fail(n,
           "resizes an empty axis to " + std::to_string(out[d]) + " (input " + str(x.shape) + ")");
  size_f(y, out, n);
  std::vector<std::vector<std::vector<Tap>>> taps;
  for (size_t d = 0; d < rank; ++d) taps.push_back(taps_of(n, x.shape[d], out[d], scales[d]));
  Shape stride(rank, 1);
  for (size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * x.shape[d];
  const int64_t total = checked_numel(out, n.where() + " output");
  std::vector<int64_t> idx(rank, 0);
  std::vector<std::pair<int64_t, double>> terms, next;
  for (int64_t k = 0; k < total; ++k) {
    // Tensor product of the taps, dimension by dimension.
    terms.assign(1, {0, 1.0});
    for (size_t d = 0; d < rank; ++d) {
      next.clear();
      for (const auto& [off, w] : terms)
        for (const auto& t : taps[d][size_t(idx[d])])
          next.emplace_back(off + t.index * stride[d], w * t.weight);
      terms.swap(next);
    }
    double v = 0;
    for (const auto& [off, w] : terms) v += w * double(x.f[size_t(off)]);
    y.f[size_t(k)] = float(v);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace basin::infer::kernel
