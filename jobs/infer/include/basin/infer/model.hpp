// Batched ONNX inference: load and check a model, plan it for fixed input
// shapes, run it, in fast or portable arithmetic. Operators outside the
// supported set are refused at load time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace basin::infer {

// A model or an input that cannot be run; the message names the node,
// operator or value and what was expected.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class DType { f32, i64 };

// Storage whose first element starts a 64-byte cache line (glibc's malloc
// gives 16 bytes): a product's rows of 16 output floats then fill whole
// lines instead of splitting every other store across two, which cost the
// encoder's first feed-forward product 6-12% (bench/infer/profile_steps.py,
// docs/performance.md), and a tensor's speed no longer depends on where
// the allocator happened to put it.
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::size_t kAlign = 64;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kAlign}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete (p, std::align_val_t{kAlign}); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const noexcept {
    return true;
  }
};
using FloatBuffer = std::vector<float, CacheLineAllocator<float>>;

// Element-wise equality with a plain vector (tests and callers compare
// tensors with literal lists).
inline bool operator==(const FloatBuffer& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A dense row-major tensor. Float data lives in `f`, int64 data in `i`.
struct Tensor {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  FloatBuffer f;
  std::vector<int64_t> i;
  int64_t numel() const;
};

// One graph input or output: name, element type, dims (-1 = symbolic).
struct ValueInfo {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> dims;
};

struct Graph;  // internal

// How a plan does its arithmetic.
enum class Arithmetic {
  // Dense convolutions through oneDNN primitives, which pick their kernels
  // by CPU (bit-identical only between CPUs with the same instruction sets,
  // and a row's bits may depend on the rows planned with it), erf and exp in
  // single precision (within 3 and 2 ulp), Softmax dividing by one
  // reciprocal; everything else as portable.
  fast,
  // Basin's own kernels, every sum in one canonical order and no library
  // chosen by CPU: the same bits on every x86-64 CPU (see portable_gemm.hpp).
  portable,
};
const char* arithmetic_name(Arithmetic a);  // "fast", "portable"
// "fast" or "portable"; anything else throws ModelError naming both.
Arithmetic parse_arithmetic(const std::string& text);

// The instruction set portable kernels use. native is the widest this CPU
// has; forcing another is for tests and benchmarks (results are the same).
enum class Isa { native, scalar, avx2, avx512 };
const char* isa_name(Isa isa);  // "native", "scalar", "avx2", "avx512"
bool isa_available(Isa isa);    // whether this CPU can run it
Isa native_isa();               // the widest this CPU runs (avx512, avx2 or scalar)
// "native", "scalar", "avx2" or "avx512"; anything else throws ModelError
// naming them. Whether this CPU runs it is isa_available's (and Plan's) check.
Isa parse_isa(const std::string& text);

struct PlanOptions {
  Arithmetic arithmetic = Arithmetic::fast;
  Isa isa = Isa::native;  // the portable kernels' instruction set
};

class Model {
 public:
  // Reads and checks a model: opset, operators and attributes, initializer
  // sizes, graph connectivity (no cycles, no missing values).
  static Model load_file(const std::string& path);
  static Model load_bytes(const std::string& bytes, const std::string& origin);
  // Reads a serialized TensorProto (the ONNX test-data .pb files).
  static Tensor load_tensor_file(const std::string& path);

  const std::string& name() const;
  int64_t opset() const;
  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  const Graph& graph() const { return *graph_; }

 private:
  std::shared_ptr<const Graph> graph_;
};

// One step of a plan as Plan::step_times reports it: the node it starts at
// (a fused step runs the nodes it absorbed as well) and the time it took,
// summed over the timed runs.
struct StepTime {
  std::string node, op;
  double seconds = 0;
};

// A model planned for fixed input shapes: shapes are resolved and constant
// subgraphs (Shape/Gather/Unsqueeze/...) folded once, every buffer is
// allocated once and reused by each run(). Not thread-safe: one per thread.
// A plan shares the model's graph, so it may outlive the Model it was made
// from.
class Plan {
 public:
  // Throws ModelError when options.isa is not available on this CPU.
  Plan(const Model& model, const std::vector<std::vector<int64_t>>& input_shapes,
       const PlanOptions& options = {});
  // Plans with example values: needed when an int64 graph input feeds a
  // shape (Reshape's shape, Unsqueeze's axes), as in the ONNX node tests.
  Plan(const Model& model, const std::vector<const Tensor*>& example_inputs,
       const PlanOptions& options = {});
  ~Plan();
  Plan(Plan&&) noexcept;
  Plan& operator=(Plan&&) noexcept;

  // Runs on inputs of exactly the planned shapes; the returned references
  // stay valid until the next run().
  std::vector<const Tensor*> run(const std::vector<const Tensor*>& inputs);
  // The same without the input copy: fill input_data(k) (a float input of
  // the planned shape, every element) and call run_in_place().
  float* input_data(size_t k);
  std::vector<const Tensor*> run_in_place();
  // run_in_place, adding each step's wall time to step_times(): where a
  // model's time goes, step by step (bench/infer/step_profile.cpp).
  std::vector<const Tensor*> run_timed();
  // One entry a step, in the order they run: the node the step starts at
  // and the time of the timed runs so far (zero before the first).
  const std::vector<StepTime>& step_times() const;
  const std::vector<int64_t>& output_shape(size_t k) const;
  DType output_dtype(size_t k) const;
  // The element count of the plan's largest value computed from the inputs
  // (BatchRunner sizes its pieces by it).
  int64_t largest_value() const;
  // Whether every row's outputs are computed from that row alone in one
  // fixed order, so its bits do not depend on the other rows or their
  // count: always in portable arithmetic; in fast arithmetic unless a
  // oneDNN step was chosen (BatchRunner then pads micro-batches).
  bool rows_independent() const;

 private:
  Plan(const Model& model, const std::vector<std::vector<int64_t>>& input_shapes,
       const std::vector<const Tensor*>* examples, const PlanOptions& options);
  std::vector<const Tensor*> run_steps(bool timed);
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace basin::infer
