// The recurrent operators LSTM and GRU (opset 7-14 semantics, ONNX gate
// orders: LSTM i, o, f, c; GRU z, r, h), forward, reverse or
// bidirectional, with per-sample sequence lengths. The default activations
// only (sigmoid, tanh, tanh); `clip` bounds the gates' inputs. Plain loops in
// one fixed order: the same bits for any batch size or threads.
#include "kernel_ops.hpp"
#include "kernel_support.hpp"
#include "portable_math.hpp"

namespace basin::infer::kernel {
namespace {

float sigmoid(float v) {
  return pmath::sigmoidf(v);
}

struct Recurrence {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  bool batch_first = false;  // layout = 1
  float clip = 0;            // 0: none
  std::vector<int64_t> lengths;
};

Recurrence setup(const Node& n, const Inputs& in, int64_t gates) {
  const Tensor &x = need(n, in, 0), &w = need(n, in, 1), &r = need(n, in, 2);
  need_f(n, x), need_f(n, w), need_f(n, r);
  Recurrence s;
  s.batch_first = n.geti("layout", 0) != 0;
  if (x.shape.size() != 3) fail(n, "X must be 3-D");
  s.seq = x.shape[s.batch_first ? 1 : 0];
  s.batch = x.shape[s.batch_first ? 0 : 1];
  s.input = x.shape[2];
  const std::string dir = n.gets("direction", "forward");
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional")
    fail(n, "direction '" + dir + "'");
  s.dirs = dir == "bidirectional" ? 2 : 1;
  s.hidden = n.geti("hidden_size", w.shape.size() == 3 ? w.shape[1] / gates : 0);
  // The loader bounds size attributes to 2^28 (so gates x hidden cannot
  // overflow); a negative one is this operator's to refuse.
  if (s.hidden < 0) fail(n, "hidden_size " + std::to_string(s.hidden) + " out of range");
  if (w.shape != Shape{s.dirs, gates * s.hidden, s.input} ||
      r.shape != Shape{s.dirs, gates * s.hidden, s.hidden})
    fail(n, "W " + str(w.shape) + " and R " + str(r.shape) + " do not fit hidden_size " +
                std::to_string(s.hidden));
  if (n.has("activations")) fail(n, "activations other than the defaults are not supported");
  s.clip = n.getf("clip", 0.0f);
  s.lengths.assign(size_t(s.batch), s.seq);
  if (in.size() > 4 && in[4]) {
    const auto& l = ints_input(n, *in[4]);
    if (int64_t(l.size()) != s.batch) fail(n, "sequence_lens must hold one length per sample");
    for (size_t b = 0; b < l.size(); ++b) {
      if (l[b] < 0 || l[b] > s.seq) fail(n, "a sequence length beyond the sequence");
      s.lengths[b] = l[b];
    }
  }
  return s;
}

// x[t][b][:] whatever the layout.
const float* x_at(const Tensor& x, const Recurrence& s, int64_t t, int64_t b) {
  return x.f.data() + (s.batch_first ? (b * s.seq + t) : (t * s.batch + b)) * s.input;
}

// Optional [dirs, batch, hidden] initial state (zeros when absent).
std::vector<float> initial(const Node& n, const Inputs& in, size_t k, const Recurrence& s) {
  std::vector<float> v(size_t(s.dirs * s.batch * s.hidden), 0.0f);
  if (in.size() > k && in[k]) {
    need_f(n, *in[k]);
    const Shape want =
        s.batch_first ? Shape{s.batch, s.dirs, s.hidden} : Shape{s.dirs, s.batch, s.hidden};
    if (in[k]->shape != want) fail(n, "an initial state of shape " + str(in[k]->shape));
    for (int64_t d = 0; d < s.dirs; ++d)
      for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t h = 0; h < s.hidden; ++h)
          v[size_t((d * s.batch + b) * s.hidden + h)] = in[k]->f[size_t(
              s.batch_first ? (b * s.dirs + d) * s.hidden + h : (d * s.batch + b) * s.hidden + h)];
  }
  return v;
}

// Sizes the outputs: Y [seq, dirs, batch, hidden] (batch-first: [batch,
// seq, dirs, hidden]), the last states [dirs, batch, hidden] (batch-first:
// [batch, dirs, hidden]); Y is zero where a sample's sequence has ended.
void size_outputs(const Node& n, const Recurrence& s, const std::vector<Tensor*>& out) {
  if (!out.empty() && out[0]) {
    size_f(*out[0],
           s.batch_first ? Shape{s.batch, s.seq, s.dirs, s.hidden}
                         : Shape{s.seq, s.dirs, s.batch, s.hidden},
           n);
    std::fill(out[0]->f.begin(), out[0]->f.end(), 0.0f);
  }
  for (size_t k = 1; k < out.size(); ++k)
    if (out[k])
      size_f(*out[k],
             s.batch_first ? Shape{s.batch, s.dirs, s.hidden} : Shape{s.dirs, s.batch, s.hidden},
             n);
}
void put(const Recurrence& s, Tensor* y, int64_t t, int64_t d, int64_t b, const float* h) {
  if (!y) return;
  float* o = y->f.data() + (s.batch_first ? ((b * s.seq + t) * s.dirs + d) * s.hidden
                                          : ((t * s.dirs + d) * s.batch + b) * s.hidden);
  std::copy(h, h + s.hidden, o);
}
void put_state(const Recurrence& s, Tensor* y, int64_t d, int64_t b, const float* h) {
  if (!y) return;
  float* o =
      y->f.data() + (s.batch_first ? (b * s.dirs + d) * s.hidden : (d * s.batch + b) * s.hidden);
  std::copy(h, h + s.hidden, o);
}

// acc[g] = sum_k a[k] * m[g][k] for g < rows (m row-major, rows x cols).
void matvec(const float* m, const float* a, int64_t rows, int64_t cols, float* acc) {
  for (int64_t g = 0; g < rows; ++g) {
    float v = 0;
    for (int64_t k = 0; k < cols; ++k) v += m[g * cols + k] * a[k];
    acc[g] += v;
  }
}

}  // namespace

void lstm(const Node& n, const Inputs& in, const std::vector<Tensor*>& out) {
  const auto s = setup(n, in, 4);
  if (n.geti("input_forget", 0) != 0) fail(n, "input_forget=1 is not supported");
  const Tensor &x = *in[0], &w = *in[1], &r = *in[2];
  const Tensor* bias = in.size() > 3 ? in[3] : nullptr;
  const Tensor* peep = in.size() > 7 ? in[7] : nullptr;
  const int64_t H = s.hidden;
  if (bias && bias->shape != Shape{s.dirs, 8 * H}) fail(n, "B must be [dirs, 8 * hidden]");
  if (peep && peep->shape != Shape{s.dirs, 3 * H}) fail(n, "P must be [dirs, 3 * hidden]");
  auto h0 = initial(n, in, 5, s), c0 = initial(n, in, 6, s);
  size_outputs(n, s, out);
  Tensor* y = out.empty() ? nullptr : out[0];
  Tensor* yh = out.size() > 1 ? out[1] : nullptr;
  Tensor* yc = out.size() > 2 ? out[2] : nullptr;
  std::vector<float> g(static_cast<size_t>(4 * H));
  for (int64_t d = 0; d < s.dirs; ++d) {
    const bool reverse = n.gets("direction", "forward") == "reverse" || d == 1;
    const float* W = w.f.data() + d * 4 * H * s.input;
    const float* R = r.f.data() + d * 4 * H * H;
    for (int64_t b = 0; b < s.batch; ++b) {
      float* h = h0.data() + (d * s.batch + b) * H;
      float* c = c0.data() + (d * s.batch + b) * H;
      const int64_t len = s.lengths[size_t(b)];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = reverse ? len - 1 - step : step;
        for (int64_t k = 0; k < 4 * H; ++k)
          g[size_t(k)] =
              bias ? bias->f[size_t(d * 8 * H + k)] + bias->f[size_t(d * 8 * H + 4 * H + k)] : 0.0f;
        matvec(W, x_at(x, s, t, b), 4 * H, s.input, g.data());
        matvec(R, h, 4 * H, H, g.data());
        if (s.clip > 0)
          for (auto& v : g) v = std::min(std::max(v, -s.clip), s.clip);
        const float* P = peep ? peep->f.data() + d * 3 * H : nullptr;
        for (int64_t j = 0; j < H; ++j) {
          const float i = sigmoid(g[size_t(j)] + (P ? P[j] * c[j] : 0.0f));
          const float f = sigmoid(g[size_t(2 * H + j)] + (P ? P[2 * H + j] * c[j] : 0.0f));
          const float cc = pmath::tanhf(g[size_t(3 * H + j)]);
          c[j] = f * c[j] + i * cc;
          const float o = sigmoid(g[size_t(H + j)] + (P ? P[H + j] * c[j] : 0.0f));
          h[j] = o * pmath::tanhf(c[j]);
        }
        put(s, y, t, d, b, h);
      }
      put_state(s, yh, d, b, h);
      put_state(s, yc, d, b, c);
    }
  }
}

void gru(const Node& n, const Inputs& in, const std::vector<Tensor*>& out) {
  const auto s = setup(n, in, 3);
  const Tensor &x = *in[0], &w = *in[1], &r = *in[2];
  const Tensor* bias = in.size() > 3 ? in[3] : nullptr;
  const int64_t H = s.hidden;
  if (bias && bias->shape != Shape{s.dirs, 6 * H}) fail(n, "B must be [dirs, 6 * hidden]");
  const bool before_reset = n.geti("linear_before_reset", 0) != 0;
  auto h0 = initial(n, in, 5, s);
  size_outputs(n, s, out);
  Tensor* y = out.empty() ? nullptr : out[0];
  Tensor* yh = out.size() > 1 ? out[1] : nullptr;
  const auto h3 = static_cast<size_t>(3 * H), h1 = static_cast<size_t>(H);
  std::vector<float> gx(h3), gh(h3), rh(h1), z(h1), rr(h1), cand(h1);
  for (int64_t d = 0; d < s.dirs; ++d) {
    const bool reverse = n.gets("direction", "forward") == "reverse" || d == 1;
    const float* W = w.f.data() + d * 3 * H * s.input;
    const float* R = r.f.data() + d * 3 * H * H;
    const float* Wb = bias ? bias->f.data() + d * 6 * H : nullptr;
    const float* Rb = bias ? bias->f.data() + d * 6 * H + 3 * H : nullptr;
    for (int64_t b = 0; b < s.batch; ++b) {
      float* h = h0.data() + (d * s.batch + b) * H;
      const int64_t len = s.lengths[size_t(b)];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = reverse ? len - 1 - step : step;
        for (int64_t k = 0; k < 3 * H; ++k) gx[size_t(k)] = Wb ? Wb[k] : 0.0f;
        matvec(W, x_at(x, s, t, b), 3 * H, s.input, gx.data());
        // z and r see H_{t-1} R; the candidate sees (r . H_{t-1}) R_h, or
        // r . (H_{t-1} R_h + Rb_h) with linear_before_reset.
        for (int64_t k = 0; k < 3 * H; ++k) gh[size_t(k)] = Rb ? Rb[k] : 0.0f;
        matvec(R, h, 2 * H, H, gh.data());
        if (before_reset) matvec(R + 2 * H * H, h, H, H, gh.data() + 2 * H);
        auto clip = [&](float v) {
          return s.clip > 0 ? std::min(std::max(v, -s.clip), s.clip) : v;
        };
        for (int64_t j = 0; j < H; ++j) {
          z[size_t(j)] = sigmoid(clip(gx[size_t(j)] + gh[size_t(j)]));
          rr[size_t(j)] = sigmoid(clip(gx[size_t(H + j)] + gh[size_t(H + j)]));
        }
        if (before_reset) {
          for (int64_t j = 0; j < H; ++j)
            cand[size_t(j)] = gx[size_t(2 * H + j)] + rr[size_t(j)] * gh[size_t(2 * H + j)];
        } else {
          for (int64_t j = 0; j < H; ++j) rh[size_t(j)] = rr[size_t(j)] * h[j];
          for (int64_t j = 0; j < H; ++j)
            cand[size_t(j)] = gx[size_t(2 * H + j)] + gh[size_t(2 * H + j)];
          matvec(R + 2 * H * H, rh.data(), H, H, cand.data());
        }
        for (int64_t j = 0; j < H; ++j) {
          const float hh = pmath::tanhf(clip(cand[size_t(j)]));
          h[j] = (1.0f - z[size_t(j)]) * hh + z[size_t(j)] * h[j];
        }
        put(s, y, t, d, b, h);
      }
      put_state(s, yh, d, b, h);
    }
  }
}

}  // namespace basin::infer::kernel
