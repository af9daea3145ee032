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

enum class Op { add, sub, mul, div, relu, erf, exp, sigmoid, tanh };

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
        // A binary first link reads the input block itself, sparing a copy.
        const bool read = binary(links_[0].op);
        if (read)
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
        return portable_map(isa_, MathFn::exp, t, t, n);
      case Op::sigmoid:
        for (int64_t e = 0; e < n; ++e) t[e] = pmath::sigmoidf(t[e]);
        return;
      case Op::tanh:
        for (int64_t e = 0; e < n; ++e) t[e] = pmath::tanhf(t[e]);
        return;
    }
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
  const auto size = int64_t(values[size_t(carried)].f.size());
  return std::make_unique<ElementwiseChain>(input, carried, size, std::move(links), isa,
                                            arithmetic);
}

}  // namespace basin::infer
