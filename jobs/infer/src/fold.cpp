#include "fold.hpp"

#include <cmath>
#include <set>

namespace basin::infer {
namespace {

// The float constant behind value `id`: an initializer, or one passed on by
// Identity nodes (PyTorch's exports with BatchNorm kept route every
// parameter through one).
const Tensor* constant_f32(const Graph& g, int id, const std::vector<int>& producer) {
  for (int hops = 0; id >= 0 && hops < 16; ++hops) {
    const auto it = g.constants.find(id);
    if (it != g.constants.end()) return it->second.dtype == DType::f32 ? &it->second : nullptr;
    const int p = producer[size_t(id)];
    if (p < 0 || g.nodes[size_t(p)].op != "Identity" || g.nodes[size_t(p)].in.empty()) break;
    id = g.nodes[size_t(p)].in[0];
  }
  return nullptr;
}

int add_constant(Graph& g, const std::string& name, Tensor t) {
  const int id = int(g.values.size());
  g.values.push_back(name);
  g.constants[id] = std::move(t);
  return id;
}

}  // namespace

void fold_batchnorm_into_conv(Graph& g) {
  std::vector<int> readers(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (int v : n.in)
      if (v >= 0) ++readers[size_t(v)];
  for (int v : g.output_ids) ++readers[size_t(v)];
  std::vector<int> producer(g.values.size(), -1);
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (int v : g.nodes[k].out)
      if (v >= 0) producer[size_t(v)] = int(k);
  std::set<size_t> removed;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& bn = g.nodes[k];
    if (bn.op != "BatchNormalization" || bn.in.size() != 5 || bn.out.empty() || bn.out[0] < 0)
      continue;
    if (bn.geti("training_mode", 0) != 0) continue;
    bool extra_outputs = false;
    for (size_t j = 1; j < bn.out.size(); ++j) extra_outputs = extra_outputs || bn.out[j] >= 0;
    const int x = bn.in[0];
    if (extra_outputs || x < 0 || readers[size_t(x)] != 1 || producer[size_t(x)] < 0) continue;
    Node& conv = g.nodes[size_t(producer[size_t(x)])];
    if (conv.op != "Conv" || conv.out.size() != 1 || conv.in.size() < 2) continue;
    const Tensor* w = constant_f32(g, conv.in[1], producer);
    const Tensor* b = conv.in.size() > 2 ? constant_f32(g, conv.in[2], producer) : nullptr;
    if (!w || w->shape.size() < 3 || (conv.in.size() > 2 && conv.in[2] >= 0 && !b)) continue;
    const int64_t M = w->shape[0];
    if (M <= 0) continue;  // no channels to fold into (and none to divide by)
    const Tensor *scale = constant_f32(g, bn.in[1], producer),
                 *shift = constant_f32(g, bn.in[2], producer),
                 *mean = constant_f32(g, bn.in[3], producer),
                 *var = constant_f32(g, bn.in[4], producer);
    auto per_channel = [&](const Tensor* t) { return t && int64_t(t->f.size()) == M; };
    if (!per_channel(scale) || !per_channel(shift) || !per_channel(mean) || !per_channel(var) ||
        (b && !per_channel(b)))
      continue;
    const double eps = bn.getf("epsilon", 1e-5f);
    Tensor w2 = *w, b2;
    b2.dtype = DType::f32;
    b2.shape = {M};
    b2.f.resize(size_t(M));
    const int64_t per = int64_t(w->f.size()) / M;
    for (int64_t m = 0; m < M; ++m) {
      const double a = double(scale->f[size_t(m)]) / std::sqrt(double(var->f[size_t(m)]) + eps);
      for (int64_t j = 0; j < per; ++j)
        w2.f[size_t(m * per + j)] = float(double(w->f[size_t(m * per + j)]) * a);
      const double bias = b ? double(b->f[size_t(m)]) : 0.0;
      b2.f[size_t(m)] =
          float((bias - double(mean->f[size_t(m)])) * a + double(shift->f[size_t(m)]));
    }
    const std::string base = g.values[size_t(bn.out[0])];
    const int wid = add_constant(g, base + "/folded_weight", std::move(w2));
    const int bid = add_constant(g, base + "/folded_bias", std::move(b2));
    conv.in.resize(3);
    conv.in[1] = wid;
    conv.in[2] = bid;
    conv.out[0] = bn.out[0];
    removed.insert(k);
  }
  if (removed.empty()) return;
  std::vector<Node> kept;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    if (!removed.count(k)) kept.push_back(std::move(g.nodes[k]));
  g.nodes = std::move(kept);
}

}  // namespace basin::infer
