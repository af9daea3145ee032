#include "transposed_matmul.hpp"

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
// sum(i[d] * stride[d]).
struct View {
  Dims shape, stride;
};

// What a Transpose's output is in its input's buffer (read through it).
View read_through(const Node& t, const std::vector<Tensor>& v) {
  const Dims& in = v[size_t(t.in[0])].shape;
  const Dims perm = permutation(t, in.size()), st = row_major_strides(in);
  View r;
  for (int64_t p : perm) r.shape.push_back(in[size_t(p)]), r.stride.push_back(st[size_t(p)]);
  return r;
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

View plain(const Dims& shape) {
  return {shape, row_major_strides(shape)};
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
  l.a = t.a ? read_through(*t.a, v) : plain(v[size_t(m.in[0])].shape);
  l.b = t.b ? read_through(*t.b, v) : plain(v[size_t(m.in[1])].shape);
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
        int64_t oa = 0, ob = 0, oc = 0, rest = k;
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
  // The largest subset of the candidates that fits: all three, then pairs,
  // then one alone (reading through first: two of attention's four).
  Layout l;
  for (int mask : {7, 3, 5, 6, 1, 2, 4}) {
    if (((mask & 1) && !c.a) || ((mask & 2) && !c.b) || ((mask & 4) && !c.out)) continue;
    const ThroughTransposes s{mask & 1 ? c.a : nullptr, mask & 2 ? c.b : nullptr,
                              mask & 4 ? c.out : nullptr};
    if (layout(node, s, values, l)) return s;
  }
  return {};
}

std::unique_ptr<FastStep> make_transposed_matmul(const Node& node, const ThroughTransposes& t,
                                                 const std::vector<Tensor>& values, Isa isa) {
  Layout l;
  if (!layout(node, t, values, l)) return nullptr;
  const int a = t.a ? t.a->in[0] : node.in[0], b = t.b ? t.b->in[0] : node.in[1];
  const int y = t.out ? t.out->out[0] : node.out[0];
  return std::make_unique<TransposedMatMul>(l, a, b, y, isa);
}

}  // namespace basin::infer
