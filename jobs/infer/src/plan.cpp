// Planning: input shapes are fixed, every node runs once on zeros to resolve
// shapes and size every buffer; nodes whose inputs are all constants
// (initializers, Constant, Shape of a planned input, ...) are folded then and
// never run again. run() re-executes only the remaining nodes in place: a
// run of elementwise nodes as one pass (elementwise_chain.hpp), a Gemm,
// MatMul or Conv with constant weights through weights packed once
// (portable_steps.hpp), the rest through the plain kernels, which multiply
// through portable_sgemm. Fast arithmetic differs in two things: a 2-D
// convolution with constant weights (and the residual Add, activation or
// MaxPool after it) runs as a oneDNN primitive when one qualifies, its
// output kept in oneDNN's layout when only such steps read it
// (fast_steps.hpp), and erf and exp (Erf, Exp, GELU's, Softmax's) are single
// precision (fast_math.hpp).
#include "decomposed_layer_norm.hpp"
#include "elementwise_chain.hpp"
#include "fast_steps.hpp"
#include "graph.hpp"
#include "kernel_ops.hpp"
#include "kernels.hpp"
#include "portable_steps.hpp"
#include "transposed_matmul.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace basin::infer {

struct Plan::State {
  // The plan's own copy of the model (a Model shares its graph): a Plan made
  // from a temporary Model keeps the graph its steps point into.
  Model model;
  const Graph* g = nullptr;
  int64_t opset = 0;
  KernelChoice kernels;  // the options' instruction set and arithmetic
  std::vector<Tensor> values;
  // The nodes that depend on the inputs, in order; `fast` replaces the
  // node's kernel (and that of the Relu it absorbed) when set.
  struct Step {
    const Node* node = nullptr;
    std::unique_ptr<FastStep> fast;
  };
  std::vector<Step> steps;
  std::vector<StepTime> times;  // run_timed's, one a step once named
  std::vector<std::vector<int64_t>> in_shapes;
  int64_t largest_value = 0;     // elements of the largest value that is not a constant
  bool rows_independent = true;  // no oneDNN step chosen

  void choose_fast_steps(const std::vector<const Node*>& live, const std::vector<bool>& is_const);
  bool relabel(const Node& n, const std::vector<int>& readers) const;
};

namespace {
std::vector<std::vector<int64_t>> shapes_of(const std::vector<const Tensor*>& xs) {
  std::vector<std::vector<int64_t>> r;
  for (const Tensor* x : xs) r.push_back(x->shape);
  return r;
}
}  // namespace

const char* arithmetic_name(Arithmetic a) {
  return a == Arithmetic::portable ? "portable" : "fast";
}

Arithmetic parse_arithmetic(const std::string& text) {
  if (text == "fast") return Arithmetic::fast;
  if (text == "portable") return Arithmetic::portable;
  throw ModelError("arithmetic '" + text +
                   "' is not known: use 'portable' (the same bits on every x86-64 CPU) or "
                   "'fast' (oneDNN convolutions, bits may differ between CPUs)");
}

Isa parse_isa(const std::string& text) {
  for (Isa i : {Isa::native, Isa::scalar, Isa::avx2, Isa::avx512})
    if (text == isa_name(i)) return i;
  throw ModelError("instruction set '" + text +
                   "' is not known: use native, avx512, avx2 or scalar");
}

Plan::Plan(const Model& model, const std::vector<std::vector<int64_t>>& input_shapes,
           const PlanOptions& options)
    : Plan(model, input_shapes, nullptr, options) {}
Plan::Plan(const Model& model, const std::vector<const Tensor*>& example_inputs,
           const PlanOptions& options)
    : Plan(model, shapes_of(example_inputs), &example_inputs, options) {}

Plan::Plan(const Model& model, const std::vector<std::vector<int64_t>>& input_shapes,
           const std::vector<const Tensor*>* examples, const PlanOptions& options)
    : s_(std::make_unique<State>()) {
  if (!isa_available(options.isa))
    throw ModelError(std::string("the ") + isa_name(options.isa) +
                     " kernels cannot run on this CPU: choose native, or an instruction set it "
                     "has");
  s_->model = model;
  const Graph& g = s_->model.graph();
  s_->g = &g;
  s_->opset = g.opset;
  s_->kernels = {options.isa, options.arithmetic};
  s_->values.resize(g.values.size());
  if (input_shapes.size() != g.inputs.size())
    throw ModelError("the model has " + std::to_string(g.inputs.size()) + " inputs, " +
                     std::to_string(input_shapes.size()) + " given");
  std::vector<bool> is_const(g.values.size(), false);
  for (const auto& [id, t] : g.constants) s_->values[size_t(id)] = t, is_const[size_t(id)] = true;
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    const auto& want = g.inputs[k].dims;
    const auto& got = input_shapes[k];
    if (!dims_fit(want, got))
      throw ModelError("input '" + g.inputs[k].name + "': the model expects shape " +
                       shape_text(want) + ", found " + shape_text(got));
    Tensor& t = s_->values[size_t(g.input_ids[k])];
    t.dtype = g.inputs[k].dtype;
    t.shape = got;
    const auto n = size_t(checked_numel(got, "input '" + g.inputs[k].name + "'"));
    if (examples && (*examples)[k]->dtype != t.dtype)
      throw ModelError("input '" + g.inputs[k].name + "': element type differs from the model's");
    if (examples)
      t = *(*examples)[k];
    else if (t.dtype == DType::f32)
      t.f.assign(n, 0.0f);
    else
      t.i.assign(n, 0);
  }
  s_->in_shapes = input_shapes;
  std::vector<const Node*> live;
  for (const Node& n : g.nodes) {
    std::vector<const Tensor*> in;
    bool all_const = true;
    for (int v : n.in) {
      in.push_back(v < 0 ? nullptr : &s_->values[size_t(v)]);
      all_const = all_const && (v < 0 || is_const[size_t(v)]);
    }
    // Shape only needs its input's shape, which the plan has fixed.
    if (n.op == "Shape") all_const = true;
    std::vector<Tensor*> out;
    for (int v : n.out) out.push_back(v < 0 ? nullptr : &s_->values[size_t(v)]);
    run_node(n, g.opset, in, out, s_->kernels);
    // Every output a node names holds its shape's data: a kernel that left
    // one unwritten would hand its readers a tensor without data.
    for (const Tensor* t : out)
      if (t && (t->dtype == DType::f32 ? t->f.size() : t->i.size()) != size_t(t->numel()))
        throw ModelError(n.where() + ": an output was not computed (" + std::to_string(out.size()) +
                         " outputs named)");
    if (all_const) {
      for (int v : n.out)
        if (v >= 0) is_const[size_t(v)] = true;
    } else {
      live.push_back(&n);
    }
  }
  s_->choose_fast_steps(live, is_const);
  for (size_t v = 0; v < s_->values.size(); ++v)
    if (!is_const[v]) {
      const Tensor& t = s_->values[v];
      s_->largest_value = std::max(s_->largest_value, int64_t(std::max(t.f.size(), t.i.size())));
    }
}

namespace {
// The convolutions fast arithmetic gives to oneDNN: every 2-D one. With
// the values between them kept in oneDNN's blocked layout
// (link_blocked_layouts), oneDNN's direct, 1x1 and depthwise kernels beat
// the portable ones on every benchmark model (docs/performance.md); when
// each was reordered to NCHW and back, depthwise and 1x1 layers did not.
// And every 2-D ConvTranspose oneDNN's deconvolution takes (deconv_step).
bool onednn_convolution(const Node& n, const std::vector<Tensor>& values) {
  if ((n.op != "Conv" && n.op != "ConvTranspose") || n.in.size() < 2 || n.in[1] < 0) return false;
  return values[size_t(n.in[1])].shape.size() == 4;
}

// The node that comes right after live[k] and alone reads its output, or
// nullptr.
const Node* sole_reader_next(const std::vector<const Node*>& live, size_t k,
                             const std::vector<int>& readers) {
  if (k + 1 >= live.size()) return nullptr;
  const Node *n = live[k], *p = live[k + 1];
  if (p->in.empty() || n->out.empty() || n->out[0] < 0 || readers[size_t(n->out[0])] != 1)
    return nullptr;
  for (int v : p->in)
    if (v == n->out[0]) return p;
  return nullptr;
}

// An activation a oneDNN step applies as it writes: Relu, HardSwish, or
// Clip whose bounds are constant scalars (or attributes, before opset 11).
bool onednn_activation(const Node* n, const std::vector<Tensor>& values,
                       const std::vector<bool>& is_const) {
  if (!n || n->in.empty()) return false;
  if (n->op == "Relu" || n->op == "HardSwish") return n->in.size() == 1;
  if (n->op != "Clip") return false;
  for (size_t k = 1; k < n->in.size(); ++k) {
    const int b = n->in[k];
    if (b >= 0 && (!is_const[size_t(b)] || values[size_t(b)].dtype != DType::f32 ||
                   values[size_t(b)].f.size() != 1))
      return false;
  }
  return true;
}

// What a oneDNN convolution at live[k] absorbs (fast_steps.hpp: Absorbed):
// an Add right after it of its output and another value of its shape, an
// activation after that or after the convolution, and otherwise a MaxPool
// after those; `count` is how many nodes that is without the MaxPool.
Absorbed absorbed_after(const std::vector<const Node*>& live, size_t k,
                        const std::vector<int>& readers, const std::vector<Tensor>& values,
                        const std::vector<bool>& is_const, size_t& count) {
  Absorbed a;
  count = 0;
  const Node* next = sole_reader_next(live, k, readers);
  if (next && next->op == "Add" && next->in.size() == 2 && next->in[0] != next->in[1] &&
      !next->out.empty() && next->out[0] >= 0 &&
      values[size_t(next->in[0])].shape == values[size_t(next->in[1])].shape)
    a.add = next, next = sole_reader_next(live, k + ++count, readers);
  if (next && next->in[0] == live[k + count]->out[0] && onednn_activation(next, values, is_const))
    a.act = next, next = sole_reader_next(live, k + ++count, readers);
  if (!a.add && next && next->op == "MaxPool") a.pool = next;
  return a;
}

// Flatten, Reshape, Identity and Dropout only relabel their input, and so
// does a Transpose that moves only axes of size 1 (a sequence's [S, 1, D]
// to [1, S, D] at batch 1: the elements keep their order). When nothing
// else reads that input, its data is handed over (the buffers are swapped;
// both have the planned size) instead of copied.
class HandOver : public FastStep {
 public:
  HandOver(int x, int y) : x_(x), y_(y) {}
  void run(std::vector<Tensor>& values) override {
    values[size_t(y_)].f.swap(values[size_t(x_)].f);
  }

 private:
  int x_, y_;
};

// Whether Transpose node n (its input planned) keeps its elements in order:
// the axes longer than 1 come out in the order they went in.
bool keeps_order(const Node& n, const std::vector<Tensor>& values) {
  const std::vector<int64_t>& shape = values[size_t(n.in[0])].shape;
  std::vector<int64_t> def(shape.size());
  for (size_t k = 0; k < shape.size(); ++k) def[k] = int64_t(shape.size() - 1 - k);
  const std::vector<int64_t> perm = n.getints("perm", def);
  if (perm.size() != shape.size()) return false;
  int64_t last = -1;
  for (int64_t p : perm) {
    if (p < 0 || size_t(p) >= shape.size()) return false;
    if (shape[size_t(p)] == 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}
}  // namespace

bool Plan::State::relabel(const Node& n, const std::vector<int>& readers) const {
  if (n.in.empty() || n.in[0] < 0 || n.out.empty() || n.out[0] < 0) return false;
  if (n.op != "Flatten" && n.op != "Reshape" && n.op != "Identity" && n.op != "Dropout" &&
      !(n.op == "Transpose" && keeps_order(n, values)))
    return false;
  if (n.out.size() > 1 && n.out[1] >= 0) return false;  // Dropout's mask
  const Tensor &x = values[size_t(n.in[0])], &y = values[size_t(n.out[0])];
  return readers[size_t(n.in[0])] == 1 && x.dtype == DType::f32 && y.dtype == DType::f32 &&
         x.f.size() == y.f.size();
}

void Plan::State::choose_fast_steps(const std::vector<const Node*>& live,
                                    const std::vector<bool>& is_const) {
  // Planned steps are for tensors that hold data: they divide by row
  // lengths and offset into rows (a MatMul with K = 0 divided by zero, found
  // reading the code after fuzz_onnx_model's empty-tensor findings). When a
  // computed tensor is empty every node runs its plain kernel, which says
  // what an empty tensor gives; the steps give the plain kernels' bits, so
  // only speed is lost, on a model that computes nothing.
  const auto empty = [&](int v) {
    return v >= 0 && !is_const[size_t(v)] && values[size_t(v)].numel() == 0;
  };
  for (const Node* n : live)
    if (std::any_of(n->in.begin(), n->in.end(), empty) ||
        std::any_of(n->out.begin(), n->out.end(), empty)) {
      for (const Node* m : live) steps.push_back({m, nullptr});
      return;
    }
  // A step absorbs the nodes after it only when each alone reads the
  // output before it (which is then never written).
  // Readers at run time: a folded node (a Shape of an attention's slice)
  // never reads its input again, and counting it would keep the Reshape
  // after that slice from handing the slice's buffer over.
  std::vector<int> readers(values.size(), 0);
  for (const Node* n : live)
    for (int v : n->in)
      if (v >= 0) ++readers[size_t(v)];
  for (int v : g->output_ids) ++readers[size_t(v)];
  std::vector<FastStep*> onednn_steps;
  // MatMuls of computed tensors that read or write through the Transposes
  // next to them (transposed_matmul.hpp); those Transposes get no step.
  std::map<const Node*, ThroughTransposes> through;
  std::set<const Node*> elided;
  std::vector<const Node*> producer(values.size(), nullptr);
  for (const Node* n : live)
    for (int v : n->out)
      if (v >= 0) producer[size_t(v)] = n;
  auto sole_transpose = [&](int v) -> const Node* {
    const Node* p = v >= 0 ? producer[size_t(v)] : nullptr;
    return p && p->op == "Transpose" && readers[size_t(v)] == 1 ? p : nullptr;
  };
  // The Slice and Reshape before Transpose t, each alone reading the one
  // before (attention's heads cut from the input projection), the Slice's
  // bounds constants: what t may read in the Slice's input in place.
  auto sole_producer = [&](int v, const char* op) -> const Node* {
    const Node* p = v >= 0 ? producer[size_t(v)] : nullptr;
    return p && p->op == op && readers[size_t(v)] == 1 && !p->in.empty() && p->in[0] >= 0 &&
                   !p->out.empty() && p->out[0] >= 0 && values[size_t(p->in[0])].dtype == DType::f32
               ? p
               : nullptr;
  };
  auto cut_before = [&](const Node* t) -> CutHeads {
    const Node* r = t && !t->in.empty() ? sole_producer(t->in[0], "Reshape") : nullptr;
    const Node* s = r ? sole_producer(r->in[0], "Slice") : nullptr;
    if (!s) return {};
    kernel::Inputs in;
    for (size_t k = 0; k < s->in.size(); ++k) {
      const int v = s->in[k];
      if (k > 0 && v >= 0 && !is_const[size_t(v)]) return {};
      in.push_back(v >= 0 ? &values[size_t(v)] : nullptr);
    }
    try {
      const kernel::SliceBox box = kernel::slice_box(*s, opset, in);
      return {s, r, box.first, box.step};
    } catch (const ModelError&) {
      return {};
    }
  };
  for (size_t k = 0; k < live.size(); ++k) {
    const Node* n = live[k];
    if (n->op != "MatMul" || n->in.size() != 2 || n->in[1] < 0 || is_const[size_t(n->in[1])])
      continue;
    const Node* next = sole_reader_next(live, k, readers);
    const Node *ta = sole_transpose(n->in[0]), *tb = sole_transpose(n->in[1]);
    const ThroughTransposes t = usable_transposes(
        *n,
        {ta, tb, next && next->op == "Transpose" ? next : nullptr, cut_before(ta), cut_before(tb)},
        values);
    if (!t.a && !t.b && !t.out) continue;
    through[n] = t;
    for (const Node* e : {t.a, t.b, t.a_cut.slice, t.a_cut.reshape, t.b_cut.slice, t.b_cut.reshape})
      if (e) elided.insert(e);
  }
  // Other Transposes of cut heads (Q, which a Div reads before its MatMul)
  // copy out of the Slice's input; the Slice and Reshape get no step.
  std::map<const Node*, std::unique_ptr<FastStep>> cut_copies;
  for (const Node* n : live) {
    if (n->op != "Transpose" || elided.count(n)) continue;
    const CutHeads cut = cut_before(n);
    if (auto step = cut.slice ? make_transpose_of_cut(*n, cut, values) : nullptr) {
      cut_copies[n] = std::move(step);
      elided.insert(cut.slice), elided.insert(cut.reshape);
    }
  }
  for (size_t k = 0; k < live.size(); ++k) {
    const Node* n = live[k];
    if (elided.count(n)) continue;  // read through by its MatMul or a cut's Transpose
    if (auto it = cut_copies.find(n); it != cut_copies.end()) {
      steps.push_back({n, std::move(it->second)});
      continue;
    }
    if (auto it = through.find(n); it != through.end()) {
      steps.push_back({n, make_transposed_matmul(*n, it->second, values, kernels.isa)});
      if (it->second.out) ++k;
      continue;
    }
    size_t chained = 0;
    if (auto norm =
            make_decomposed_layer_norm(live, k, values, readers, is_const, kernels.isa, chained)) {
      steps.push_back({n, std::move(norm)});
      k += chained - 1;
      continue;
    }
    if (auto chain = make_elementwise_chain(live, k, values, readers, kernels.isa,
                                            kernels.arithmetic, chained)) {
      steps.push_back({n, std::move(chain)});
      k += chained - 1;
      continue;
    }
    if (relabel(*n, readers)) {
      steps.push_back({n, std::make_unique<HandOver>(n->in[0], n->out[0])});
      continue;
    }
    if (kernels.arithmetic == Arithmetic::fast && onednn_convolution(*n, values)) {
      size_t count = 0;
      bool pooled = false;
      const Absorbed next = absorbed_after(live, k, readers, values, is_const, count);
      if (auto step = make_fast_step(*n, next, values, is_const, onednn_steps, pooled)) {
        rows_independent = false;
        onednn_steps.push_back(step.get());
        steps.push_back({n, std::move(step)});
        k += count + (pooled ? 1 : 0);
        continue;
      }
    }
    // A portable convolution or Gemm absorbs the Relu or Clip (ReLU6; before
    // opset 11 Clip's bounds are attributes, left to the kernel) that alone
    // reads its output, if it comes next; a MatMul the Add of a bias.
    const Node* next = sole_reader_next(live, k, readers);
    const bool activation = next && next->in[0] == n->out[0] &&
                            (next->op == "Relu" || (next->op == "Clip" && g->opset >= 11));
    const bool bias = next && next->op == "Add" && n->op == "MatMul";
    bool absorbed = false;
    auto step = make_portable_step(*n, kernels.isa, values, is_const,
                                   activation || bias ? next : nullptr, absorbed);
    if (absorbed) ++k;
    // ... and a 2x2 MaxPool after that (absorb_max_pool).
    if (const Node* pool = step ? sole_reader_next(live, k, readers) : nullptr;
        pool && absorb_max_pool(*step, *pool, values))
      ++k;
    steps.push_back({n, std::move(step)});
  }
  std::vector<FastStep*> chosen;
  for (const auto& st : steps) chosen.push_back(st.fast.get());
  link_channels_last(chosen, readers);
  link_blocked_layouts(chosen, readers);
}

Plan::~Plan() = default;
Plan::Plan(Plan&&) noexcept = default;
Plan& Plan::operator=(Plan&&) noexcept = default;

std::vector<const Tensor*> Plan::run(const std::vector<const Tensor*>& inputs) {
  const Graph& g = *s_->g;
  if (inputs.size() != g.input_ids.size()) throw ModelError("wrong number of inputs");
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k]->shape != s_->in_shapes[k] || inputs[k]->dtype != g.inputs[k].dtype)
      throw ModelError("input '" + g.inputs[k].name + "': planned for shape " +
                       shape_text(s_->in_shapes[k]) + ", found " + shape_text(inputs[k]->shape));
    s_->values[size_t(g.input_ids[k])] = *inputs[k];  // same size: no reallocation
  }
  return run_in_place();
}

float* Plan::input_data(size_t k) {
  const Graph& g = *s_->g;
  if (k >= g.input_ids.size() || g.inputs[k].dtype != DType::f32)
    throw ModelError("input " + std::to_string(k) + " is not a float input of the model");
  return s_->values[size_t(g.input_ids[k])].f.data();
}

std::vector<const Tensor*> Plan::run_in_place() {
  return run_steps(false);
}

std::vector<const Tensor*> Plan::run_timed() {
  step_times();  // named before the first timed run
  return run_steps(true);
}

const std::vector<StepTime>& Plan::step_times() const {
  if (s_->times.empty())
    for (const auto& step : s_->steps) s_->times.push_back({step.node->name, step.node->op, 0.0});
  return s_->times;
}

std::vector<const Tensor*> Plan::run_steps(bool timed) {
  using clock = std::chrono::steady_clock;
  const Graph& g = *s_->g;
  std::vector<const Tensor*> in;
  std::vector<Tensor*> out;
  for (size_t k = 0; k < s_->steps.size(); ++k) {
    const auto& step = s_->steps[k];
    const clock::time_point start = timed ? clock::now() : clock::time_point{};
    if (step.fast) {
      step.fast->run(s_->values);
    } else {
      const Node* n = step.node;
      in.clear(), out.clear();
      for (int v : n->in) in.push_back(v < 0 ? nullptr : &s_->values[size_t(v)]);
      for (int v : n->out) out.push_back(v < 0 ? nullptr : &s_->values[size_t(v)]);
      run_node(*n, s_->opset, in, out, s_->kernels);
    }
    if (timed) s_->times[k].seconds += std::chrono::duration<double>(clock::now() - start).count();
  }
  std::vector<const Tensor*> r;
  for (int v : g.output_ids) r.push_back(&s_->values[size_t(v)]);
  return r;
}

bool Plan::rows_independent() const {
  return s_->rows_independent;
}

int64_t Plan::largest_value() const {
  return s_->largest_value;
}

const std::vector<int64_t>& Plan::output_shape(size_t k) const {
  return s_->values[size_t(s_->g->output_ids.at(k))].shape;
}

DType Plan::output_dtype(size_t k) const {
  return s_->values[size_t(s_->g->output_ids.at(k))].dtype;
}

}  // namespace basin::infer
