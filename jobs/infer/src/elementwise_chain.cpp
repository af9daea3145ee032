#include "elementwise_chain.hpp"

#include <algorithm>
#include <string>

#include "elementwise_loops.hpp"
#include "fast_math.hpp"
#include "parallel_chunks.hpp"
#include "portable_map.hpp"
#include "portable_math.hpp"

namespace basin::infer {
namespace {

// gelu: five nodes taken as one (fast arithmetic; see fused_gelu).
enum class Op { add, sub, mul, div, relu, erf, exp, sigmoid, tanh, gelu };

bool op_of(const std::string& name, Op& op) {
  static const std::pair<const char*, Op> known[] = {
      {"Add", Op::add}, {"Sub", Op::sub},         {"Mul", Op::mul},
      {"Div", Op::div}, {"Relu", Op::relu},       {"Erf", Op::erf},
      {"Exp", Op::exp}, {"Sigmoid", Op::sigmoid}, {"Tanh", Op::tanh}};
  for (const auto& [n, o] : known)
    if (name == n) return op = o, true;
  return false;
}

bool binary(Op op) {
  return op == Op::add || op == Op::sub || op == Op::mul || op == Op::div;
}

// How a binary node's second operand lines up with the chain's elements.
enum class Other { full, scalar, trailing };

struct Link {
  Op op;
  int other = -1;  // value id of the second operand (binary ops)
  Other form = Other::full;
  bool carried_left = true;  // the chain's value is the left operand
  int64_t period = 1;        // trailing: the operand's element count
  // gelu: the scalars' value ids (GeluForm's scale, add, half) and whether
  // the first node divides by its scalar.
  int gelu_scalars[3] = {-1, -1, -1};
  bool gelu_divides = true;
};

class ElementwiseChain : public FastStep {
 public:
  ElementwiseChain(int input, int output, int64_t size, std::vector<Link> links, Isa isa,
                   Arithmetic arithmetic)
      : input_(input),
        output_(output),
        size_(size),
        links_(std::move(links)),
        isa_(isa),
        arithmetic_(arithmetic) {}

  void run(std::vector<Tensor>& values) override {
    const float* x = values[size_t(input_)].f.data();
    float* y = values[size_t(output_)].f.data();
    const int64_t blocks = (size_ + kBlock - 1) / kBlock;
    in_chunks(blocks, kChunkBlocks, [&](int64_t b0, int64_t b1) {
      for (int64_t j = b0 * kBlock; j < std::min(b1 * kBlock, size_); j += kBlock) {
        const int64_t n = std::min(kBlock, size_ - j);
        float* t = y + j;  // the block is worked on where it ends, in cache
        // A binary or GELU first link reads the input block itself,
        // sparing a copy.
        const bool read = binary(links_[0].op) || links_[0].op == Op::gelu;
        if (links_[0].op == Op::gelu)
          fast_gelu(isa_, gelu_form(links_[0], values), x + j, t, n);
        else if (read)
          with(links_[0], binary_op(links_[0].op), values, x + j, t, j, n);
        else
          std::copy_n(x + j, n, t);
        for (size_t k = read ? 1 : 0; k < links_.size(); ++k) apply(links_[k], values, t, j, n);
      }
    });
  }

 private:
  static constexpr int64_t kBlock = 2048;
  static constexpr int64_t kChunkBlocks = 8;  // per chunk shared with idle threads

  void apply(const Link& l, const std::vector<Tensor>& values, float* t, int64_t j,
             int64_t n) const {
    switch (l.op) {
      case Op::add:
      case Op::sub:
      case Op::mul:
      case Op::div:
        return with(l, binary_op(l.op), values, t, t, j, n);
      case Op::relu:
        return relu_in_place(isa_, t, n);
      case Op::erf:
        if (arithmetic_ == Arithmetic::fast) return fast_erf(isa_, t, t, n);
        return portable_map(isa_, MathFn::erf, t, t, n);
      case Op::exp:
        if (arithmetic_ == Arithmetic::fast) return fast_exp(isa_, t, t, n);
        return portable_map(isa_, MathFn::exp, t, t, n);
      case Op::sigmoid:
        for (int64_t e = 0; e < n; ++e) t[e] = pmath::sigmoidf(t[e]);
        return;
      case Op::tanh:
        for (int64_t e = 0; e < n; ++e) t[e] = pmath::tanhf(t[e]);
        return;
      case Op::gelu:
        return;  // only ever a chain's first link, which run() applies
    }
  }

  static GeluForm gelu_form(const Link& l, const std::vector<Tensor>& values) {
    GeluForm f;
    f.divide = l.gelu_divides;
    f.scale = values[size_t(l.gelu_scalars[0])].f[0];
    f.add = values[size_t(l.gelu_scalars[1])].f[0];
    f.half = values[size_t(l.gelu_scalars[2])].f[0];
    return f;
  }

  static BinaryOp binary_op(Op op) {
    return op == Op::add   ? BinaryOp::add
           : op == Op::sub ? BinaryOp::sub
           : op == Op::mul ? BinaryOp::mul
                           : BinaryOp::div;
  }

  // t[e] = s[e] op (other at element j + e) (or the other way round); s is
  // t (in place) or the chain's input block.
  void with(const Link& l, BinaryOp op, const std::vector<Tensor>& values, const float* s, float* t,
            int64_t j, int64_t n) const {
    const float* o = values[size_t(l.other)].f.data();
    // One run of the other operand from element r of it (stride 0: a scalar).
    auto run = [&](int64_t e, const float* p, int64_t so, int64_t len) {
      if (s == t)
        binary_in_place(isa_, op, l.carried_left, t + e, p, so, len);
      else if (l.carried_left)
        binary_loop(isa_, op, s + e, 1, p, so, t + e, len);
      else
        binary_loop(isa_, op, p, so, s + e, 1, t + e, len);
    };
    switch (l.form) {
      case Other::full:
        return run(0, o + j, 1, n);
      case Other::scalar:
        return run(0, o, 0, n);
      case Other::trailing: {
        // The operand repeats every `period` elements: in runs up to its end.
        int64_t e = 0, r = j % l.period;
        while (e < n) {
          const int64_t len = std::min(n - e, l.period - r);
          run(e, o + r, 1, len);
          e += len, r = 0;
        }
        return;
      }
    }
  }

  int input_, output_;
  int64_t size_;
  std::vector<Link> links_;
  Isa isa_;
  Arithmetic arithmetic_;
};

// Whether `s` is the trailing dimensions of `shape` (numpy broadcasting then
// repeats it along the leading ones).
bool trails(const std::vector<int64_t>& s, const std::vector<int64_t>& shape) {
  return s.size() <= shape.size() && std::equal(s.rbegin(), s.rend(), shape.rbegin());
}

// Whether links [0, 5) are GELU as PyTorch exports it from the chain's
// input x: x / c (or x * c), Erf, + a, times x, times h (c, a, h single
// values); if so they become one gelu link (fast_math.hpp's fast_gelu, the
// same operations in one pass instead of five). Multiplication and
// addition commute bit for bit, so either operand order qualifies.
bool fused_gelu(std::vector<Link>& links, int x) {
  auto scalar = [](const Link& l, Op op) { return l.op == op && l.form == Other::scalar; };
  if (links.size() < 5 || !(scalar(links[0], Op::div) || scalar(links[0], Op::mul)) ||
      (links[0].op == Op::div && !links[0].carried_left) || links[1].op != Op::erf ||
      !scalar(links[2], Op::add) || links[3].op != Op::mul || links[3].form != Other::full ||
      links[3].other != x || !scalar(links[4], Op::mul))
    return false;
  Link g{};
  g.op = Op::gelu;
  g.gelu_divides = links[0].op == Op::div;
  g.gelu_scalars[0] = links[0].other;
  g.gelu_scalars[1] = links[2].other;
  g.gelu_scalars[2] = links[4].other;
  links.erase(links.begin(), links.begin() + 5);
  links.insert(links.begin(), g);
  return true;
}

}  // namespace

std::unique_ptr<FastStep> make_elementwise_chain(const std::vector<const Node*>& live, size_t first,
                                                 const std::vector<Tensor>& values,
                                                 const std::vector<int>& readers, Isa isa,
                                                 Arithmetic arithmetic, size_t& length) {
  length = 0;
  std::vector<Link> links;
  int input = -1, carried = -1;
  std::vector<int64_t> shape;
  for (size_t k = first; k < live.size(); ++k) {
    const Node& n = *live[k];
    Link l{};
    if (!op_of(n.op, l.op) || n.out.size() != 1 || n.out[0] < 0) break;
    const size_t arity = binary(l.op) ? 2 : 1;
    if (n.in.size() != arity || std::any_of(n.in.begin(), n.in.end(), [&](int v) {
          return v < 0 || values[size_t(v)].dtype != DType::f32;
        }))
      break;
    const Tensor& y = values[size_t(n.out[0])];
    if (y.dtype != DType::f32) break;
    if (k == first) {
      shape = y.shape;
      // The chain's value enters as the first input of that shape.
      const auto at = std::find_if(n.in.begin(), n.in.end(),
                                   [&](int v) { return values[size_t(v)].shape == shape; });
      if (at == n.in.end()) break;
      input = carried = *at;
    } else {
      // The previous node's output, read by this node alone, once.
      if (y.shape != shape || readers[size_t(carried)] != 1 ||
          std::count(n.in.begin(), n.in.end(), carried) != 1)
        break;
    }
    if (arity == 2) {
      l.carried_left = n.in[0] == carried;
      l.other = l.carried_left ? n.in[1] : n.in[0];
      const Tensor& o = values[size_t(l.other)];
      const auto m = int64_t(o.f.size());
      if (o.shape == shape)
        l.form = Other::full;
      else if (m == 1)
        l.form = Other::scalar;
      else if (m > 0 && trails(o.shape, shape))
        l.form = Other::trailing, l.period = m;
      else
        break;
    }
    links.push_back(l);
    carried = n.out[0];
  }
  if (links.size() < 2) return nullptr;
  length = links.size();
  if (arithmetic == Arithmetic::fast) fused_gelu(links, input);
  const auto size = int64_t(values[size_t(carried)].f.size());
  return std::make_unique<ElementwiseChain>(input, carried, size, std::move(links), isa,
                                            arithmetic);
}

}  // namespace basin::infer
