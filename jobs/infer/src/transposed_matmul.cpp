#include "transposed_matmul.hpp"

#include "kernel_support.hpp"
#include "parallel_chunks.hpp"
#include "portable_gemm.hpp"

namespace basin::infer {
namespace {

using Dims = std::vector<int64_t>;

Dims row_major_strides(const Dims& shape) {
  Dims st(shape.size(), 1);
  for (size_t k = shape.size(); k-- > 1;) st[k - 1] = st[k] * shape[k];
  return st;
}

// Transpose's permutation (default: reversed), or empty when invalid.
Dims permutation(const Node& t, size_t rank) {
  Dims def(rank);
  for (size_t k = 0; k < rank; ++k) def[k] = int64_t(rank - 1 - k);
  Dims perm = t.getints("perm", def);
  std::vector<bool> seen(rank, false);
  if (perm.size() != rank) return {};
  for (int64_t p : perm) {
    if (p < 0 || size_t(p) >= rank || seen[size_t(p)]) return {};
    seen[size_t(p)] = true;
  }
  return perm;
}

// A tensor of `shape` as a strided view of a buffer: element i at
// offset + sum(i[d] * stride[d]).
struct View {
  Dims shape, stride;
  int64_t offset = 0;
};

View plain(const Dims& shape) {
  return {shape, row_major_strides(shape)};
}

// A Slice's output as a view of its input.
View cut_view(const CutHeads& c, const std::vector<Tensor>& v) {
  const Dims& in = v[size_t(c.slice->in[0])].shape;
  const Dims st = row_major_strides(in);
  View r{v[size_t(c.slice->out[0])].shape, Dims(in.size(), 0)};
  for (size_t d = 0; d < in.size(); ++d)
    r.stride[d] = st[d] * c.step[d], r.offset += c.first[d] * st[d];
  return r;
}

// x reshaped to `shape` as a view of the same buffer, when its strides
// allow: dimensions of size 1 aside, the dimensions are cut into groups
// whose sizes multiply to the same count on both sides, and each group of
// x must be contiguous within itself (as numpy reshapes without a copy).
bool reshaped(const View& x, const Dims& shape, View& out) {
  Dims os, ost;  // x without its dimensions of size 1
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (x.shape[d] == 0) return false;
    if (x.shape[d] != 1) os.push_back(x.shape[d]), ost.push_back(x.stride[d]);
  }
  out = {shape, Dims(shape.size(), 0), x.offset};
  size_t o = 0, n = 0;
  for (;;) {
    while (n < shape.size() && shape[n] == 1) ++n;
    if (n == shape.size() || o == os.size()) break;
    size_t oe = o + 1, ne = n + 1;
    int64_t po = os[o], pn = shape[n];
    while (po != pn) {
      if (po < pn) {
        if (oe == os.size()) return false;
        po *= os[oe++];
      } else {
        if (ne == shape.size() || shape[ne] == 0) return false;
        pn *= shape[ne++];
      }
    }
    for (size_t k = o; k + 1 < oe; ++k)
      if (ost[k] != ost[k + 1] * os[k + 1]) return false;
    int64_t s = ost[oe - 1];
    for (size_t k = ne; k-- > n;) out.stride[k] = s, s *= shape[k];
    o = oe, n = ne;
  }
  while (n < shape.size() && shape[n] == 1) ++n;
  return o == os.size() && n == shape.size();
}

// What a Transpose's output is in its input's buffer (read through it), or
// through `cut` in the buffer of the Slice's input; false when the cut is
// not a view.
bool read_through(const Node& t, const CutHeads& cut, const std::vector<Tensor>& v, View& r) {
  const Dims& in = v[size_t(t.in[0])].shape;
  View base = plain(in);
  if (cut.slice && !reshaped(cut_view(cut, v), in, base)) return false;
  const Dims perm = permutation(t, in.size());
  r = {{}, {}, base.offset};
  for (int64_t p : perm)
    r.shape.push_back(base.shape[size_t(p)]), r.stride.push_back(base.stride[size_t(p)]);
  return true;
}

// Where a Transpose's input lands in its output's buffer (written through
// it): input dimension perm[q] is output dimension q.
View write_through(const Node& t, const std::vector<Tensor>& v) {
  const Dims& in = v[size_t(t.in[0])].shape;
  const Dims perm = permutation(t, in.size());
  View r{in, Dims(in.size(), 0)};
  if (perm.empty()) return {};
  Dims out(in.size());
  for (size_t q = 0; q < perm.size(); ++q) out[q] = in[size_t(perm[q])];
  const Dims st = row_major_strides(out);
  for (size_t q = 0; q < perm.size(); ++q) r.stride[size_t(perm[q])] = st[q];
  return r;
}

bool f32(const std::vector<Tensor>& v, int id) {
  return id >= 0 && v[size_t(id)].dtype == DType::f32;
}

// An operand (or the output) as the product wants it: contiguous along
// columns (trans false, ld the row stride) or along rows (trans true, ld
// the column stride, op(X) = X^T of a row-major buffer).
struct Operand {
  bool ok = false, trans = false;
  int64_t ld = 0;
};
Operand as_operand(const View& x, bool may_transpose) {
  const size_t r = x.shape.size();
  if (r < 2) return {};
  if (x.stride[r - 1] == 1) return {true, false, x.stride[r - 2]};
  if (may_transpose && x.stride[r - 2] == 1) return {true, true, x.stride[r - 1]};
  return {};
}

struct Layout {
  View a, b, c;
  Operand oa, ob, oc;
};

// The three views of a MatMul with the given transposes, if the product
// can run on them: equal ranks of at least 2, equal batch dimensions.
bool layout(const Node& m, const ThroughTransposes& t, const std::vector<Tensor>& v, Layout& l) {
  if (m.in.size() != 2 || m.out.empty() || !f32(v, m.in[0]) || !f32(v, m.in[1]) ||
      !f32(v, m.out[0]))
    return false;
  l.a = plain(v[size_t(m.in[0])].shape);
  l.b = plain(v[size_t(m.in[1])].shape);
  if ((t.a && !read_through(*t.a, t.a_cut, v, l.a)) ||
      (t.b && !read_through(*t.b, t.b_cut, v, l.b)))
    return false;
  l.c = t.out ? write_through(*t.out, v) : plain(v[size_t(m.out[0])].shape);
  const size_t r = l.a.shape.size();
  if (r < 2 || l.b.shape.size() != r || l.c.shape.size() != r) return false;
  if (l.a.shape != v[size_t(m.in[0])].shape || l.b.shape != v[size_t(m.in[1])].shape ||
      l.c.shape != v[size_t(m.out[0])].shape)
    return false;
  for (size_t d = 0; d + 2 < r; ++d)
    if (l.a.shape[d] != l.c.shape[d] || l.b.shape[d] != l.c.shape[d]) return false;
  l.oa = as_operand(l.a, true), l.ob = as_operand(l.b, true), l.oc = as_operand(l.c, false);
  return l.oa.ok && l.ob.ok && l.oc.ok;
}

class TransposedMatMul : public FastStep {
 public:
  TransposedMatMul(const Layout& l, int a, int b, int y, Isa isa)
      : l_(l), a_(a), b_(b), y_(y), isa_(isa) {}
  void run(std::vector<Tensor>& values) override {
    const float* A = values[size_t(a_)].f.data();
    const float* B = values[size_t(b_)].f.data();
    float* C = values[size_t(y_)].f.data();
    const size_t r = l_.c.shape.size();
    if (r < 2) return;  // layout() made sure it is not
    const int64_t M = l_.c.shape[r - 2], N = l_.c.shape[r - 1], K = l_.a.shape[r - 1];
    if (M == 0 || N == 0) return;
    int64_t nbatch = 1;
    for (size_t d = 0; d + 2 < r; ++d) nbatch *= l_.c.shape[d];
    // The batch's products are computed alone, so sharing them with idle
    // threads (one attention's heads, batch 1) changes no bit.
    in_chunks(nbatch, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t k = lo; k < hi; ++k) {
        int64_t oa = l_.a.offset, ob = l_.b.offset, oc = 0, rest = k;
        for (size_t d = r - 2; d-- > 0;) {
          const int64_t i = rest % l_.c.shape[d];
          rest /= l_.c.shape[d];
          oa += i * l_.a.stride[d], ob += i * l_.b.stride[d], oc += i * l_.c.stride[d];
        }
        portable_sgemm(isa_, l_.oa.trans, l_.ob.trans, M, N, K, 1.0f, A + oa, l_.oa.ld, B + ob,
                       l_.ob.ld, 0.0f, C + oc, l_.oc.ld);
      }
    });
  }

 private:
  Layout l_;
  int a_, b_, y_;
  Isa isa_;
};

}  // namespace

ThroughTransposes usable_transposes(const Node& node, ThroughTransposes c,
                                    const std::vector<Tensor>& values) {
  for (const Node* t : {c.a, c.b, c.out})
    if (t && (t->in.size() != 1 || t->out.size() != 1 || t->in[0] < 0 || t->out[0] < 0 ||
              permutation(*t, values[size_t(t->in[0])].shape.size()).empty()))
      return {};
  // A cut that is not a view is dropped (its Transpose may still be read
  // through, from the Slice's own output).
  for (auto [t, cut] : {std::pair{c.a, &c.a_cut}, std::pair{c.b, &c.b_cut}}) {
    View unused;
    if (cut->slice && (!t || !read_through(*t, *cut, values, unused))) *cut = {};
  }
  // The largest subset of the candidates that fits: all three, then pairs,
  // then one alone (reading through first: two of attention's four).
  Layout l;
  for (int mask : {7, 3, 5, 6, 1, 2, 4}) {
    if (((mask & 1) && !c.a) || ((mask & 2) && !c.b) || ((mask & 4) && !c.out)) continue;
    const ThroughTransposes s{mask & 1 ? c.a : nullptr, mask & 2 ? c.b : nullptr,
                              mask & 4 ? c.out : nullptr, mask & 1 ? c.a_cut : CutHeads{},
                              mask & 2 ? c.b_cut : CutHeads{}};
    if (layout(node, s, values, l)) return s;
  }
  return {};
}

std::unique_ptr<FastStep> make_transposed_matmul(const Node& node, const ThroughTransposes& t,
                                                 const std::vector<Tensor>& values, Isa isa) {
  Layout l;
  if (!layout(node, t, values, l)) return nullptr;
  auto source = [](const Node* t, const CutHeads& cut, int plain) {
    return cut.slice ? cut.slice->in[0] : t ? t->in[0] : plain;
  };
  const int a = source(t.a, t.a_cut, node.in[0]), b = source(t.b, t.b_cut, node.in[1]);
  const int y = t.out ? t.out->out[0] : node.out[0];
  return std::make_unique<TransposedMatMul>(l, a, b, y, isa);
}

namespace {
// A Transpose's output copied out of the buffer it is a view of.
class ViewCopy : public FastStep {
 public:
  ViewCopy(const View& from, int x, int y) : from_(from), x_(x), y_(y) {}
  void run(std::vector<Tensor>& values) override {
    kernel::strided_copy(values[size_t(x_)].f.data() + from_.offset, from_.shape, from_.stride,
                         values[size_t(y_)].f.data());
  }

 private:
  View from_;
  int x_, y_;
};
}  // namespace

std::unique_ptr<FastStep> make_transpose_of_cut(const Node& t, const CutHeads& cut,
                                                const std::vector<Tensor>& values) {
  View from;
  if (!cut.slice || t.in.size() != 1 || t.out.size() != 1 || t.in[0] < 0 || t.out[0] < 0 ||
      !f32(values, t.out[0]) || permutation(t, values[size_t(t.in[0])].shape.size()).empty() ||
      !read_through(t, cut, values, from) || from.shape != values[size_t(t.out[0])].shape)
    return nullptr;
  return std::make_unique<ViewCopy>(from, cut.slice->in[0], t.out[0]);
}

}  // namespace basin::infer
