// oneDNN fast paths. oneDNN (Debian's build uses the OpenMP runtime) is
// limited to the calling thread: the engine runs one micro-batch a thread,
// so a primitive's arithmetic for a row never depends on how many threads
// exist, and TBB and OpenMP threads never oversubscribe the cores.
#include "fast_steps.hpp"

#include "blocked_conv.hpp"
#include "elementwise_loops.hpp"
#include "one_omp_thread.hpp"
#include "tiling_conv_transpose.hpp"

#include <omp.h>

#include <limits>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <unordered_map>

namespace basin::infer {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

dnnl::engine& cpu() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// The step owns its scratchpad: oneDNN's default one is shared by every
// primitive of the library and would be overwritten by concurrent steps.
// `sum` adds what the output buffer holds (a residual) to the result before
// the activation `act`, if any.
struct Activation {
  dnnl::algorithm alg = dnnl::algorithm::undef;
  float alpha = 0, beta = 0;
};
dnnl::primitive_attr step_attr(const Activation& act = {}, bool sum = false) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops po;
  if (sum) po.append_sum(1.0f);
  if (act.alg != dnnl::algorithm::undef) po.append_eltwise(1.0f, act.alg, act.alpha, act.beta);
  attr.set_post_ops(po);
  return attr;
}

// oneDNN's post-op for a Relu, HardSwish or Clip node (whose bounds, when
// inputs, planning found constant).
Activation activation(const Node* n, const std::vector<Tensor>& v) {
  if (!n) return {};
  if (n->op == "Relu") return {dnnl::algorithm::eltwise_relu, 0, 0};
  if (n->op == "HardSwish") return {dnnl::algorithm::eltwise_hardswish, 0, 0};
  float lo = n->getf("min", -std::numeric_limits<float>::infinity()),
        hi = n->getf("max", std::numeric_limits<float>::infinity());
  if (n->in.size() > 1 && n->in[1] >= 0) lo = v[size_t(n->in[1])].f.at(0);
  if (n->in.size() > 2 && n->in[2] >= 0) hi = v[size_t(n->in[2])].f.at(0);
  return {dnnl::algorithm::eltwise_clip, lo, hi};
}

// A reorder between a plan value's plain layout and a primitive's blocked
// one, with its own scratchpad (see step_attr).
struct Reorder {
  dnnl::reorder prim;
  dnnl::memory scratch;
  Reorder(const dnnl::memory& from, const dnnl::memory& to) {
    auto pd = dnnl::reorder::primitive_desc(from, to, step_attr());
    prim = dnnl::reorder(pd);
    scratch = dnnl::memory(pd.scratchpad_desc(), cpu());
  }
  void run(dnnl::stream& s, dnnl::memory& from, dnnl::memory& to) {
    prim.execute(s, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, scratch}});
  }
};

// Reorders constant user weights into the layout the primitive chose; the
// step owns the copy, so the plan's values may move afterwards. Plans are
// built concurrently, hence a Reorder with its own scratchpad here too.
dnnl::memory packed_weights(const dnnl::memory::desc& user, const dnnl::memory::desc& want,
                            const float* data) {
  dnnl::memory u(user, cpu(), const_cast<float*>(data)), w(want, cpu());
  dnnl::stream s(cpu());
  Reorder(u, w).run(s, u, w);
  s.wait();
  return w;
}

// Channels per block of a tensor in nChw8c or nChw16c, else 0.
int64_t channel_block(const dnnl::memory::desc& d) {
  if (d.dims().size() != 4) return 0;
  if (d == dnnl::memory::desc(d.dims(), dt::f32, tag::nChw8c)) return 8;
  if (d == dnnl::memory::desc(d.dims(), dt::f32, tag::nChw16c)) return 16;
  return 0;
}

// One primitive reading and writing plan values (plain row-major), through
// its own buffers and reorders when it chose blocked layouts; optionally a
// max pooling on the primitive's output in its own layout before the reorder
// (the CNN's Conv, Relu, MaxPool: the pooled, four times smaller tensor is
// the one reordered, and oneDNN's pooling runs on blocked channels), or a
// residual value summed into the output (copied into the output buffer
// first, or summed in place when link_blocked_layouts finds it there).
class PrimitiveStep : public FastStep {
 public:
  template <class PrimitiveDesc>
  PrimitiveStep(const PrimitiveDesc& pd, const dnnl::memory::desc& plain_src,
                const dnnl::memory::desc& plain_dst, dnnl::memory weights, std::vector<float> bias,
                const dnnl::memory::desc& bias_md, int x, int y, int residual,
                const dnnl::pooling_forward::primitive_desc* pool = nullptr, bool pool_2x2 = false,
                std::unique_ptr<BlockedConv> own_conv = nullptr)
      : own_conv_(std::move(own_conv)),
        user_src_(plain_src, cpu(), DNNL_MEMORY_NONE),
        user_dst_(plain_dst, cpu(), DNNL_MEMORY_NONE),
        weights_(std::move(weights)),
        bias_data_(std::move(bias)),
        stream_(cpu()),
        x_(x),
        y_(y),
        r_(residual) {
    images_ = plain_src.dims().empty() ? 0 : plain_src.dims()[0];
    // Basin's own convolution, when given, runs instead of the primitive
    // (same layouts, bias, residual and activation): then the primitive
    // (JIT code) and its scratchpad are never made, and `weights` is empty.
    if (!own_conv_) {
      prim_ = dnnl::primitive(pd);
      scratch_ = dnnl::memory(pd.scratchpad_desc(), cpu());
    }
    src_ = user_src_, dst_ = user_dst_;
    if (pd.src_desc() != plain_src) {
      src_ = dnnl::memory(pd.src_desc(), cpu());
      to_src_ = std::make_unique<Reorder>(user_src_, src_);
    }
    if (pool) {
      dst_ = dnnl::memory(pd.dst_desc(), cpu());
      pool_ = dnnl::pooling_forward(*pool);
      pool_scratch_ = dnnl::memory(pool->scratchpad_desc(), cpu());
      out_ = user_dst_;
      if (pool->dst_desc() != plain_dst) out_ = dnnl::memory(pool->dst_desc(), cpu());
      // A 2x2 window, stride 2, between blocked layouts of one block size:
      // max_pool_2x2_blocked instead of the primitive (oneDNN's pooling,
      // a call per output row, cost a third of the small CNN on AVX2 at
      // five images a piece).
      const int64_t b = channel_block(pd.dst_desc());
      if (pool_2x2 && b > 0 && channel_block(pool->dst_desc()) == b) {
        const auto in = pd.dst_desc().dims(), out = pool->dst_desc().dims();
        if (out[2] == in[2] / 2 && out[3] == in[3] / 2)
          own_pool_ = OwnPool{in[0] * ((in[1] + b - 1) / b), in[2], in[3], out[2], out[3], b};
      }
    } else {
      if (pd.dst_desc() != plain_dst) dst_ = dnnl::memory(pd.dst_desc(), cpu());
      out_ = dst_;
    }
    if (out_ != user_dst_) from_dst_ = std::make_unique<Reorder>(out_, user_dst_);
    if (r_ >= 0) {
      // The residual has the output's shape, planned as a plain value.
      user_res_ = dnnl::memory(plain_dst, cpu(), DNNL_MEMORY_NONE);
      to_dst_ = std::make_unique<Reorder>(user_res_, dst_);
    }
    args_ = {{DNNL_ARG_SRC, src_},
             {DNNL_ARG_WEIGHTS, weights_},
             {DNNL_ARG_DST, dst_},
             {DNNL_ARG_SCRATCHPAD, scratch_}};
    if (!bias_data_.empty()) {
      bias_ = dnnl::memory(bias_md, cpu(), bias_data_.data());
      args_.insert({DNNL_ARG_BIAS, bias_});
    }
  }
  void run(std::vector<Tensor>& values) override {
    OneOmpThread one;
    user_src_.set_data_handle(values[size_t(x_)].f.data());
    user_dst_.set_data_handle(values[size_t(y_)].f.data());
    if (to_src_) to_src_->run(stream_, user_src_, src_);
    if (to_dst_) {
      user_res_.set_data_handle(values[size_t(r_)].f.data());
      to_dst_->run(stream_, user_res_, dst_);
    }
    if (own_conv_)
      own_conv_->run(static_cast<const float*>(src_.get_data_handle()),
                     static_cast<float*>(dst_.get_data_handle()), images_, r_ >= 0);
    else
      prim_.execute(stream_, args_);
    if (own_pool_) {
      const OwnPool& p = *own_pool_;
      max_pool_2x2_blocked(Isa::native, static_cast<const float*>(dst_.get_data_handle()),
                           static_cast<float*>(out_.get_data_handle()), p.planes, p.H, p.W, p.OH,
                           p.OW, p.block);
    } else if (pool_) {
      pool_->execute(
          stream_,
          {{DNNL_ARG_SRC, dst_}, {DNNL_ARG_DST, out_}, {DNNL_ARG_SCRATCHPAD, pool_scratch_}});
    }
    if (from_dst_) from_dst_->run(stream_, out_, user_dst_);
  }

  // What link_blocked_layouts needs to know and change.
  int input() const { return x_; }
  int output() const { return y_; }
  int residual() const { return r_; }
  bool writes_blocked() const { return from_dst_ != nullptr; }
  dnnl::memory::desc out_desc() const { return out_.get_desc(); }
  bool reads_blocked(const PrimitiveStep& p) const {
    return to_src_ && src_.get_desc() == p.out_.get_desc();
  }
  bool sums_blocked(const PrimitiveStep& p) const {
    return to_dst_ && !pool_ && dst_.get_desc() == p.out_.get_desc();
  }
  // The output stays in the primitive's layout; the plan's value is not written.
  void keep_output_blocked() { from_dst_.reset(); }
  // The input is `p`'s output buffer, as `p` wrote it.
  void read_from(const PrimitiveStep& p) {
    src_ = p.out_, to_src_.reset();
    args_[DNNL_ARG_SRC] = src_;
  }
  // The residual is `p`'s output buffer, which this step is the last to
  // read: the sum is written over it.
  void sum_into(const PrimitiveStep& p) {
    dst_ = out_ = p.out_, to_dst_.reset();
    args_[DNNL_ARG_DST] = dst_;
  }

 private:
  struct OwnPool {
    int64_t planes, H, W, OH, OW, block;  // planes: images x channel blocks
  };
  dnnl::primitive prim_;
  std::optional<dnnl::primitive> pool_;
  std::optional<OwnPool> own_pool_;
  std::unique_ptr<BlockedConv> own_conv_;
  int64_t images_ = 0;  // the images (micro-batch rows) a run computes
  // out_: what the last stage writes (dst_, or the pooling's output).
  dnnl::memory scratch_, user_src_, user_dst_, user_res_, src_, dst_, out_, pool_scratch_, weights_,
      bias_;
  std::unique_ptr<Reorder> to_src_, to_dst_, from_dst_;
  std::vector<float> bias_data_;
  dnnl::stream stream_;
  std::unordered_map<int, dnnl::memory> args_;
  int x_, y_, r_;
};

// The same tensor in whatever layout the primitive prefers.
dnnl::memory::desc any(const dnnl::memory::desc& d) {
  return dnnl::memory::desc(d.dims(), dt::f32, tag::any);
}

// Channels in blocks of a vector register's width (zero-padded to a whole
// block): the layout oneDNN's direct, 1x1 and depthwise convolutions read
// and write fastest, so a chain of them stays in it (link_blocked_layouts).
dnnl::memory::desc blocked(const dnnl::memory::desc& d) {
  const bool avx512 = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core;
  return dnnl::memory::desc(d.dims(), dt::f32, avx512 ? tag::nChw16c : tag::nChw8c);
}

// oneDNN's reference implementations are slower than the plain kernels.
bool reference(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

bool is_f32(const std::vector<Tensor>& v, int id) {
  return id >= 0 && v[size_t(id)].dtype == DType::f32;
}

// oneDNN's max pooling for a MaxPool node reading the convolution's output
// in the layout `src` the convolution writes, or nothing when the node has
// what it does not do the same (an Indices output, dilations, ceil_mode,
// auto_pad, a column-major storage order). The window is the node's; the
// output shape the one planning resolved.
std::optional<dnnl::pooling_forward::primitive_desc> max_pool(const Node& p,
                                                              const dnnl::memory::desc& src,
                                                              const std::vector<Tensor>& v) {
  if ((p.out.size() > 1 && p.out[1] >= 0) || p.gets("auto_pad", "NOTSET") != "NOTSET" ||
      p.geti("ceil_mode", 0) != 0 || p.geti("storage_order", 0) != 0)
    return std::nullopt;
  const auto kernel = p.getints("kernel_shape", {}), strides = p.getints("strides", {1, 1}),
             pads = p.getints("pads", {0, 0, 0, 0}), dil = p.getints("dilations", {1, 1});
  if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 ||
      dil != std::vector<int64_t>{1, 1})
    return std::nullopt;
  const Tensor& out = v[size_t(p.out[0])];
  if (out.shape.size() != 4) return std::nullopt;
  auto pd = dnnl::pooling_forward::primitive_desc(
      dnnl::pooling_forward::desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, src,
          any(dnnl::memory::desc(dims(out.shape.begin(), out.shape.end()), dt::f32, tag::nchw)),
          {strides[0], strides[1]}, {kernel[0], kernel[1]}, {pads[0], pads[1]}, {pads[2], pads[3]}),
      step_attr(), cpu());
  if (reference(pd)) return std::nullopt;
  return pd;
}

// A 2-D convolution's (or transposed convolution's) operands when they
// qualify for a oneDNN step: float input, constant float weights, 4-D
// input, weights and output, and a residual `r` (when not -1) of the
// output's shape. `c` is the bias input or -1.
struct ConvOperands {
  int x, c;
  const Tensor *X, *W, *Y;
};
std::optional<ConvOperands> conv_operands(const Node& n, int r, const std::vector<Tensor>& v,
                                          const std::vector<bool>& is_const) {
  if (n.in.size() < 2) return std::nullopt;
  const int x = n.in[0], w = n.in[1], c = n.in.size() > 2 ? n.in[2] : -1;
  if (!is_f32(v, x) || !is_f32(v, w) || !is_const[size_t(w)]) return std::nullopt;
  const Tensor &X = v[size_t(x)], &W = v[size_t(w)], &Y = v[size_t(n.out[0])];
  if (X.shape.size() != 4 || W.shape.size() != 4 || Y.shape.size() != 4) return std::nullopt;
  if (r >= 0 && (!is_f32(v, r) || v[size_t(r)].shape != Y.shape)) return std::nullopt;
  return ConvOperands{x, c, &X, &W, &Y};
}

// 2-D convolution on plain NCHW tensors; the window (pads, output size) is
// the one planning already resolved into the output's shape. `next.pool`,
// when given, is a MaxPool to absorb (max_pool); `pooled` says whether it
// was. `r`, when not -1, the residual value summed into the output.
std::unique_ptr<FastStep> conv_step(const Node& n, int y, int r, const Absorbed& next,
                                    const PrimitiveStep* producer, const std::vector<Tensor>& v,
                                    const std::vector<bool>& is_const, bool& pooled) {
  const auto ops = conv_operands(n, r, v, is_const);
  if (!ops) return nullptr;
  const int x = ops->x, c = ops->c;
  const Tensor &X = *ops->X, &W = *ops->W, &Y = *ops->Y;
  const int64_t g = n.geti("group", 1), M = W.shape[0];
  auto strides = n.getints("strides", {1, 1}), dil = n.getints("dilations", {1, 1});
  auto pads = n.getints("pads", {0, 0, 0, 0});
  if (n.gets("auto_pad", "NOTSET") != "NOTSET" || strides.size() != 2 || dil.size() != 2 ||
      pads.size() != 4 || g < 1)
    return nullptr;
  std::vector<float> bias;
  if (c >= 0) {
    if (!is_f32(v, c) || !is_const[size_t(c)] || v[size_t(c)].shape != std::vector<int64_t>{M})
      return nullptr;
    bias.assign(v[size_t(c)].f.begin(), v[size_t(c)].f.end());
  }
  dnnl::memory::desc src(dims(X.shape.begin(), X.shape.end()), dt::f32, tag::nchw),
      dst(dims(Y.shape.begin(), Y.shape.end()), dt::f32, tag::nchw), bias_md({M}, dt::f32, tag::a);
  dims wd = g == 1 ? dims{M, W.shape[1], W.shape[2], W.shape[3]}
                   : dims{g, M / g, W.shape[1], W.shape[2], W.shape[3]};
  dnnl::memory::desc w_any(wd, dt::f32, tag::any),
      w_user(wd, dt::f32, g == 1 ? tag::oihw : tag::goihw);
  // The input in the layout its producer writes, when a oneDNN step does
  // (else oneDNN's choice: plain for a first layer's few channels); the
  // output blocked.
  auto pd = dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
          producer ? producer->out_desc() : any(src), w_any,
          bias.empty() ? dnnl::memory::desc() : bias_md, blocked(dst), {strides[0], strides[1]},
          {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]}),
      step_attr(activation(next.act, v), r >= 0), cpu());
  if (reference(pd)) return nullptr;
  const Node* pool = r >= 0 ? nullptr : next.pool;
  std::optional<dnnl::pooling_forward::primitive_desc> pool_pd;
  if (pool) pool_pd = max_pool(*pool, pd.dst_desc(), v);
  pooled = pool_pd.has_value();
  if (pooled) {
    const Tensor& P = v[size_t(pool->out[0])];
    dst = dnnl::memory::desc(dims(P.shape.begin(), P.shape.end()), dt::f32, tag::nchw);
  }
  // Blocks of 8 channels in and out (AVX2): Basin's own loop instead of
  // the primitive (blocked_conv.hpp) when it covers the case; not for a
  // 1x1 window, whose oneDNN kernel (a product per row block, no window)
  // was as fast (MobileNet's pointwise layers 2-8% slower with Basin's).
  const BlockedConvShape shape{X.shape[1], X.shape[2], X.shape[3], Y.shape[1],
                               Y.shape[2], Y.shape[3], W.shape[2], W.shape[3],
                               strides[0], strides[1], pads[0],    pads[1]};
  std::unique_ptr<BlockedConv> own;
  if (g == 1 && dil == std::vector<int64_t>{1, 1} && (!next.act || next.act->op == "Relu") &&
      channel_block(pd.src_desc()) == 8 && channel_block(pd.dst_desc()) == 8 &&
      W.shape[1] == X.shape[1] && W.shape[2] * W.shape[3] > 1 && BlockedConv::supports(shape))
    own = std::make_unique<BlockedConv>(shape, W.f.data(), bias, next.act != nullptr);
  // oneDNN's packing of the weights only for its primitive (BlockedConv
  // packs its own copy).
  auto weights = own ? dnnl::memory() : packed_weights(w_user, pd.weights_desc(), W.f.data());
  return std::make_unique<PrimitiveStep>(
      pd, src, dst, std::move(weights), std::move(bias), bias_md, x, pooled ? pool->out[0] : y, r,
      pooled ? &*pool_pd : nullptr,
      pooled && pool->getints("kernel_shape", {}) == std::vector<int64_t>{2, 2} &&
          pool->getints("strides", {1, 1}) == std::vector<int64_t>{2, 2} &&
          pool->getints("pads", {0, 0, 0, 0}) == std::vector<int64_t>{0, 0, 0, 0},
      std::move(own));
}

// ConvTranspose (2-D, one group) as oneDNN's deconvolution: the ONNX
// weights [C, M, kH, kW] are oneDNN's iohw. Explicit pads only (no
// output_padding, output_shape or auto_pad: the output shape is then the
// one planning resolved); the absorbed Add and activation as for a
// convolution. The plain kernel (the definition, mul then add per input
// channel) ran a U-Net's upsampling at a sixth of its convolutions' rate.
std::unique_ptr<FastStep> deconv_step(const Node& n, int y, int r, const Absorbed& next,
                                      const PrimitiveStep* producer, const std::vector<Tensor>& v,
                                      const std::vector<bool>& is_const) {
  const auto ops = conv_operands(n, r, v, is_const);
  if (!ops) return nullptr;
  const int x = ops->x, c = ops->c;
  const Tensor &X = *ops->X, &W = *ops->W, &Y = *ops->Y;
  if (n.geti("group", 1) != 1 || n.gets("auto_pad", "NOTSET") != "NOTSET" ||
      n.has("output_shape") || n.getints("output_padding", {0, 0}) != std::vector<int64_t>{0, 0})
    return nullptr;
  const int64_t C = X.shape[1], M = W.shape[1];
  if (W.shape[0] != C || Y.shape[1] != M) return nullptr;
  auto strides = n.getints("strides", {1, 1}), dil = n.getints("dilations", {1, 1});
  auto pads = n.getints("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) return nullptr;
  std::vector<float> bias;
  dnnl::memory::desc bias_md({M}, dt::f32, tag::a);
  if (c >= 0) {
    if (!is_f32(v, c) || !is_const[size_t(c)] || v[size_t(c)].shape != std::vector<int64_t>{M})
      return nullptr;
    bias.assign(v[size_t(c)].f.begin(), v[size_t(c)].f.end());
  }
  dnnl::memory::desc src(dims(X.shape.begin(), X.shape.end()), dt::f32, tag::nchw),
      dst(dims(Y.shape.begin(), Y.shape.end()), dt::f32, tag::nchw);
  const dims wd{M, C, W.shape[2], W.shape[3]};
  auto pd = dnnl::deconvolution_forward::primitive_desc(
      dnnl::deconvolution_forward::desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
          producer ? producer->out_desc() : any(src), dnnl::memory::desc(wd, dt::f32, tag::any),
          bias.empty() ? dnnl::memory::desc() : bias_md, any(dst), {strides[0], strides[1]},
          {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]}),
      step_attr(activation(next.act, v), r >= 0), cpu());
  if (reference(pd)) return nullptr;
  return std::make_unique<PrimitiveStep>(
      pd, src, dst,
      packed_weights(dnnl::memory::desc(wd, dt::f32, tag::iohw), pd.weights_desc(), W.f.data()),
      std::move(bias), bias_md, x, y, r);
}

}  // namespace

std::unique_ptr<FastStep> make_fast_step(const Node& node, const Absorbed& next,
                                         const std::vector<Tensor>& values,
                                         const std::vector<bool>& is_const,
                                         const std::vector<FastStep*>& earlier, bool& pooled) {
  pooled = false;
  if (node.out.empty() || node.out[0] < 0) return nullptr;
  const Node* last = next.act ? next.act : next.add ? next.add : &node;
  const int y = last->out.empty() ? -1 : last->out[0];
  if (y < 0 || (next.pool && (next.pool->out.empty() || next.pool->out[0] < 0))) return nullptr;
  int r = -1;  // the Add's other operand
  if (next.add) {
    if (next.add->in.size() != 2) return nullptr;
    r = next.add->in[0] == node.out[0] ? next.add->in[1] : next.add->in[0];
    if (r < 0 || r == node.out[0]) return nullptr;
  }
  // Primitives are built for the one thread they will run on.
  OneOmpThread one;
  try {
    // The oneDNN step that writes the input, if one does.
    const PrimitiveStep* producer = nullptr;
    for (FastStep* s : earlier)
      if (auto* p = dynamic_cast<const PrimitiveStep*>(s); p && p->output() == node.in[0])
        producer = p;
    if (node.op == "Conv") {
      if (producer) try {
          if (auto step = conv_step(node, y, r, next, producer, values, is_const, pooled))
            return step;
        } catch (const dnnl::error&) {
          // Not in that layout: in the one oneDNN prefers, reordered.
        }
      return conv_step(node, y, r, next, nullptr, values, is_const, pooled);
    }
    if (node.op == "ConvTranspose") {
      // Windows tiling the output: one product (the step writes the node's
      // own output, so nothing after it may have been absorbed).
      if (!next.add && !next.act)
        if (auto step = make_tiling_conv_transpose(node, values, is_const)) return step;
      if (producer) try {
          if (auto step = deconv_step(node, y, r, next, producer, values, is_const)) return step;
        } catch (const dnnl::error&) {
          // Not in that layout: in the one oneDNN prefers, reordered.
        }
      return deconv_step(node, y, r, next, nullptr, values, is_const);
    }
  } catch (const dnnl::error&) {
    // oneDNN has no implementation for this case: the plain kernel runs it.
  }
  return nullptr;
}

void link_blocked_layouts(const std::vector<FastStep*>& steps, const std::vector<int>& readers) {
  for (size_t i = 0; i < steps.size(); ++i) {
    auto* p = dynamic_cast<PrimitiveStep*>(steps[i]);
    if (!p || !p->writes_blocked()) continue;
    const int v = p->output();
    // Every reader of v must be a later oneDNN step taking it in p's
    // layout; one that sums it as its residual must be the last.
    std::vector<PrimitiveStep*> inputs;
    PrimitiveStep* summer = nullptr;
    int uses = 0;
    bool ok = true;
    for (size_t j = i + 1; j < steps.size() && ok; ++j) {
      auto* s = dynamic_cast<PrimitiveStep*>(steps[j]);
      if (!s) continue;
      const bool in = s->input() == v, res = s->residual() == v;
      if (!in && !res) continue;
      if (summer || (in && res))
        ok = false;  // read after the sum, or twice
      else if (in && s->reads_blocked(*p))
        inputs.push_back(s), ++uses;
      else if (res && s->sums_blocked(*p))
        summer = s, ++uses;
      else
        ok = false;
    }
    if (!ok || uses != readers[size_t(v)]) continue;
    p->keep_output_blocked();
    for (auto* s : inputs) s->read_from(*p);
    if (summer) summer->sum_into(*p);
  }
}

}  // namespace basin::infer
