// Hostile and mismatched models are refused with a clear message; the
// determinism rule holds: a sample's output is bit-identical whatever the
// number of samples scored together or the number of threads.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <thread>
#include <tuple>

#include "basin/infer/batch.hpp"
#include "basin/infer/model.hpp"
#include "fast_math.hpp"
#include "portable_map.hpp"

using namespace basin::infer;

namespace {

void add_input(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> dims) {
  auto* v = g.add_input();
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}
void add_output(onnx::GraphProto& g, const std::string& name) {
  auto* v = g.add_output();
  v->set_name(name);
  v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
}
void add_init(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> dims,
              std::mt19937& rng) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (auto d : dims) t->add_dims(d), n *= d;
  std::normal_distribution<float> nd(0.0f, 0.3f);
  for (int64_t k = 0; k < n; ++k) t->add_float_data(nd(rng));
}
// An int64 initializer of rank 1 (a Slice's bounds, a Split's sizes).
void add_ints_init(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> v) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(int64_t(v.size()));
  for (auto x : v) t->add_int64_data(x);
}
onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, std::vector<std::string> in,
                          std::vector<std::string> out) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + std::to_string(g.node_size()));
  for (auto& s : in) n->add_input(s);
  for (auto& s : out) n->add_output(s);
  return n;
}
onnx::ModelProto base() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  m.mutable_graph()->set_name("test");
  return m;
}
// y = x W^T + b (a Gemm with transB), W [out][in] and b [out] drawn from rng.
void add_dense(onnx::GraphProto& g, const std::string& x, const std::string& layer, int64_t in,
               int64_t out, std::mt19937& rng, const std::string& y) {
  add_init(g, "w" + layer, {out, in}, rng);
  add_init(g, "b" + layer, {out}, rng);
  auto* a = add_node(g, "Gemm", {x, "w" + layer, "b" + layer}, {y})->add_attribute();
  a->set_name("transB"), a->set_type(onnx::AttributeProto::INT), a->set_i(1);
}
// A 20-160-10 MLP with Gemm + Relu + Softmax (160 columns: more than one
// panel of every clone's product, and a partial one).
onnx::ModelProto mlp() {
  std::mt19937 rng(7);
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 20});
  add_dense(g, "x", "1", 20, 160, rng, "h");
  add_node(g, "Relu", {"h"}, {"r"});
  add_dense(g, "r", "2", 160, 10, rng, "z");
  add_node(g, "Softmax", {"z"}, {"y"});
  add_output(g, "y");
  return m;
}
// An MLP layer wide enough (512 inputs, 384 outputs) that a product of a
// few dozen rows shares its columns with idle threads (ColumnParts in
// portable_steps.cpp), in parts of 128 columns.
onnx::ModelProto wide_mlp() {
  std::mt19937 rng(9);
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 512});
  add_dense(g, "x", "1", 512, 384, rng, "h");
  add_node(g, "Relu", {"h"}, {"y"});
  add_output(g, "y");
  return m;
}
// A token model as an encoder's pieces: 160 tokens of 16 features through
// MatMul (a packed product of 160 rows a sample), bias + Relu (an
// elementwise chain), Softmax over features and LayerNormalization (opset
// 17): every kind of step that shares a piece's rows with idle threads.
onnx::ModelProto tokens() {
  std::mt19937 rng(5);
  auto m = base();
  m.mutable_opset_import(0)->set_version(17);
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 160, 16});
  add_init(g, "w", {16, 32}, rng);
  add_init(g, "b", {32}, rng);
  add_init(g, "s", {32}, rng);
  add_init(g, "c", {32}, rng);
  add_node(g, "MatMul", {"x", "w"}, {"h"});
  add_node(g, "Add", {"h", "b"}, {"hb"});
  add_node(g, "Relu", {"hb"}, {"r"});
  add_node(g, "Softmax", {"r"}, {"p"});
  add_node(g, "LayerNormalization", {"p", "s", "c"}, {"y"});
  add_output(g, "y");
  return m;
}
void set_ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name), a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
// A Cast node's target element type (its `to` attribute).
void cast_to(onnx::NodeProto* n, int64_t type) {
  auto* a = n->add_attribute();
  a->set_name("to"), a->set_type(onnx::AttributeProto::INT), a->set_i(type);
}
void group(onnx::NodeProto* n, int64_t groups) {
  auto* a = n->add_attribute();
  a->set_name("group"), a->set_type(onnx::AttributeProto::INT), a->set_i(groups);
}
// A float scalar initializer (Clip's bounds).
void add_scalar(onnx::GraphProto& g, const std::string& name, float v) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(v);
}
// A small CNN as torch exports it: Conv(1->16, pad 1) Relu MaxPool
// Conv(16->32, pad 1, stride 2, 2 groups) Relu Flatten Gemm(->10).
onnx::ModelProto cnn() {
  std::mt19937 rng(11);
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 1, 12, 12});
  add_init(g, "k1", {16, 1, 3, 3}, rng);
  add_init(g, "c1", {16}, rng);
  add_init(g, "k2", {32, 8, 3, 3}, rng);
  add_init(g, "c2", {32}, rng);
  add_init(g, "w", {10, 32 * 3 * 3}, rng);
  add_init(g, "b", {10}, rng);
  auto* n = add_node(g, "Conv", {"x", "k1", "c1"}, {"h1"});
  set_ints(n, "pads", {1, 1, 1, 1});
  add_node(g, "Relu", {"h1"}, {"r1"});
  n = add_node(g, "MaxPool", {"r1"}, {"p1"});
  set_ints(n, "kernel_shape", {2, 2}), set_ints(n, "strides", {2, 2});
  n = add_node(g, "Conv", {"p1", "k2", "c2"}, {"h2"});
  set_ints(n, "pads", {1, 1, 1, 1}), set_ints(n, "strides", {2, 2}), group(n, 2);
  add_node(g, "Relu", {"h2"}, {"r2"});
  add_node(g, "Flatten", {"r2"}, {"f"});
  n = add_node(g, "Gemm", {"f", "w", "b"}, {"y"});
  auto* a = n->add_attribute();
  a->set_name("transB"), a->set_type(onnx::AttributeProto::INT), a->set_i(1);
  add_output(g, "y");
  return m;
}
// Depthwise convolutions (groups of one input channel, MobileNet's kind) on
// 20 channels (a 16-lane vector and a rest): stride 1 with rows wider than a
// 16-lane vector, a channel multiplier of 2 at stride 2, a dilated 3x3
// without bias and a 5x3 window (not portable arithmetic's 3x3 loop); a
// Relu and a Clip after two of them (portable arithmetic
// folds both into the convolution); then a pointwise 1x1
// convolution in 2 groups (MobileNet's projection; portable arithmetic reads
// its input without im2col).
onnx::ModelProto depthwise() {
  std::mt19937 rng(13);
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 20, 21, 19});
  add_init(g, "k1", {20, 1, 3, 3}, rng);
  add_init(g, "c1", {20}, rng);
  add_init(g, "k2", {40, 1, 3, 3}, rng);
  add_init(g, "c2", {40}, rng);
  add_init(g, "k3", {40, 1, 3, 3}, rng);
  add_init(g, "k5", {40, 1, 5, 3}, rng);
  add_init(g, "c5", {40}, rng);
  add_init(g, "k4", {16, 20, 1, 1}, rng);
  // Clip's bounds, scalars (ReLU6 scaled to these activations' size).
  add_scalar(g, "lo", -0.1f);
  add_scalar(g, "hi", 0.4f);
  add_init(g, "c4", {16}, rng);
  add_init(g, "w", {10, 16 * 11 * 10}, rng);
  add_init(g, "b", {10}, rng);
  auto* n = add_node(g, "Conv", {"x", "k1", "c1"}, {"h1"});
  set_ints(n, "pads", {1, 1, 1, 1}), group(n, 20);
  add_node(g, "Relu", {"h1"}, {"r1"});
  n = add_node(g, "Conv", {"r1", "k2", "c2"}, {"h2"});
  set_ints(n, "pads", {1, 1, 1, 1}), set_ints(n, "strides", {2, 2}), group(n, 20);
  add_node(g, "Clip", {"h2", "lo", "hi"}, {"q2"});
  n = add_node(g, "Conv", {"q2", "k3"}, {"h3"});
  set_ints(n, "pads", {2, 2, 2, 2}), set_ints(n, "dilations", {2, 2}), group(n, 40);
  n = add_node(g, "Conv", {"h3", "k5", "c5"}, {"h35"});
  set_ints(n, "pads", {2, 1, 2, 1}), group(n, 40);
  add_node(g, "Relu", {"h35"}, {"r35"});
  n = add_node(g, "Conv", {"r35", "k4", "c4"}, {"h4"});
  group(n, 2);
  add_node(g, "Flatten", {"h4"}, {"f"});
  n = add_node(g, "Gemm", {"f", "w", "b"}, {"y"});
  auto* a = n->add_attribute();
  a->set_name("transB"), a->set_type(onnx::AttributeProto::INT), a->set_i(1);
  add_output(g, "y");
  return m;
}
// MobileNetV2-style blocks: 1x1 expand (Clip), 3x3 depthwise (Relu), 1x1
// project, a residual Add; then 1x1, a stride-2 depthwise and 1x1 without
// biases. Portable steps hand the tensors between the 1x1 and depthwise
// layers over channels last.
onnx::ModelProto mobile_blocks() {
  std::mt19937 rng(17);
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 12, 9, 11});
  add_init(g, "ke", {24, 12, 1, 1}, rng);
  add_init(g, "ce", {24}, rng);
  add_init(g, "kd", {24, 1, 3, 3}, rng);
  add_init(g, "cd", {24}, rng);
  add_init(g, "kp", {12, 24, 1, 1}, rng);
  add_init(g, "cp", {12}, rng);
  add_init(g, "ke2", {16, 12, 1, 1}, rng);
  add_init(g, "kd2", {16, 1, 3, 3}, rng);
  add_init(g, "kp2", {8, 16, 1, 1}, rng);
  add_scalar(g, "lo", -0.2f);
  add_scalar(g, "hi", 0.5f);
  add_init(g, "w", {10, 8 * 5 * 6}, rng);
  add_init(g, "b", {10}, rng);
  add_node(g, "Conv", {"x", "ke", "ce"}, {"h1"});
  add_node(g, "Clip", {"h1", "lo", "hi"}, {"q1"});
  auto* n = add_node(g, "Conv", {"q1", "kd", "cd"}, {"h2"});
  set_ints(n, "pads", {1, 1, 1, 1}), group(n, 24);
  add_node(g, "Relu", {"h2"}, {"r2"});
  add_node(g, "Conv", {"r2", "kp", "cp"}, {"h3"});
  add_node(g, "Add", {"h3", "x"}, {"s3"});
  add_node(g, "Conv", {"s3", "ke2"}, {"h4"});
  n = add_node(g, "Conv", {"h4", "kd2"}, {"h5"});
  set_ints(n, "pads", {1, 1, 1, 1}), set_ints(n, "strides", {2, 2}), group(n, 16);
  add_node(g, "Conv", {"h5", "kp2"}, {"h6"});
  add_node(g, "Flatten", {"h6"}, {"f"});
  n = add_node(g, "Gemm", {"f", "w", "b"}, {"y"});
  auto* a = n->add_attribute();
  a->set_name("transB"), a->set_type(onnx::AttributeProto::INT), a->set_i(1);
  add_output(g, "y");
  return m;
}
// ResNet basic blocks on 16 and 32 channels (oneDNN's blocked layout on
// AVX-512 keeps them in 16-channel blocks): Conv Relu, an identity block
// (Conv Relu Conv Add Relu, the residual first in the Add) and a
// downsampling one whose 1x1 stride-2 shortcut comes last and sums the
// block's second convolution (the residual second). Fast arithmetic keeps
// these values in oneDNN's layout and sums residuals in place.
onnx::ModelProto residual_blocks() {
  std::mt19937 rng(19);
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 3, 10, 10});
  add_init(g, "k0", {16, 3, 3, 3}, rng);
  add_init(g, "k1", {16, 16, 3, 3}, rng);
  add_init(g, "c1", {16}, rng);
  add_init(g, "k2", {16, 16, 3, 3}, rng);
  add_init(g, "k3", {32, 16, 3, 3}, rng);
  add_init(g, "c3", {32}, rng);
  add_init(g, "k4", {32, 32, 3, 3}, rng);
  add_init(g, "ks", {32, 16, 1, 1}, rng);
  add_init(g, "cs", {32}, rng);
  add_init(g, "w", {10, 32 * 5 * 5}, rng);
  add_init(g, "b", {10}, rng);
  auto* n = add_node(g, "Conv", {"x", "k0"}, {"h0"});
  set_ints(n, "pads", {1, 1, 1, 1});
  add_node(g, "Relu", {"h0"}, {"r0"});
  n = add_node(g, "Conv", {"r0", "k1", "c1"}, {"h1"});
  set_ints(n, "pads", {1, 1, 1, 1});
  add_node(g, "Relu", {"h1"}, {"r1"});
  n = add_node(g, "Conv", {"r1", "k2"}, {"h2"});
  set_ints(n, "pads", {1, 1, 1, 1});
  add_node(g, "Add", {"r0", "h2"}, {"s2"});
  add_node(g, "Relu", {"s2"}, {"r2"});
  n = add_node(g, "Conv", {"r2", "k3", "c3"}, {"h3"});
  set_ints(n, "pads", {1, 1, 1, 1}), set_ints(n, "strides", {2, 2});
  add_node(g, "Relu", {"h3"}, {"r3"});
  n = add_node(g, "Conv", {"r3", "k4"}, {"h4"});
  set_ints(n, "pads", {1, 1, 1, 1});
  n = add_node(g, "Conv", {"r2", "ks", "cs"}, {"hs"});
  set_ints(n, "strides", {2, 2});
  add_node(g, "Add", {"hs", "h4"}, {"s4"});
  add_node(g, "Relu", {"s4"}, {"r4"});
  add_node(g, "Flatten", {"r4"}, {"f"});
  n = add_node(g, "Gemm", {"f", "w", "b"}, {"y"});
  auto* a = n->add_attribute();
  a->set_name("transB"), a->set_type(onnx::AttributeProto::INT), a->set_i(1);
  add_output(g, "y");
  return m;
}
std::string bytes(const onnx::ModelProto& m) {
  return m.SerializeAsString();
}
std::string refusal(const onnx::ModelProto& m) {
  try {
    Model::load_bytes(bytes(m), "test");
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

// The message a model gives when planned for `x` and run on it in portable
// arithmetic ("" when it runs).
std::string refusal_at_run(const Model& model, const Tensor& x) {
  try {
    Plan plan(model, {x.shape}, {Arithmetic::portable});
    plan.run({&x});
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelChecks, GarbageIsRefused) {
  EXPECT_THROW(Model::load_bytes("not a model at all", "junk"), ModelError);
}

TEST(ModelChecks, UnsupportedOperatorNamedWithNode) {
  auto m = mlp();
  m.mutable_graph()->mutable_node(1)->set_op_type("Unique");
  const auto msg = refusal(m);
  EXPECT_NE(msg.find("'Unique'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Relu_2"), std::string::npos) << msg;
}

TEST(ModelChecks, UnsupportedAttributeNamed) {
  auto m = mlp();
  auto* a = m.mutable_graph()->mutable_node(1)->add_attribute();
  a->set_name("frobnicate"), a->set_type(onnx::AttributeProto::INT), a->set_i(1);
  EXPECT_NE(refusal(m).find("attribute 'frobnicate'"), std::string::npos);
}

TEST(ModelChecks, UnsupportedOpsetRefused) {
  auto m = mlp();
  m.mutable_opset_import(0)->set_version(99);
  EXPECT_NE(refusal(m).find("opset 99"), std::string::npos);
}

TEST(ModelChecks, MissingInitializerRefused) {
  auto m = mlp();
  m.mutable_graph()->mutable_initializer()->RemoveLast();  // b2
  EXPECT_NE(refusal(m).find("'b2' is never defined"), std::string::npos) << refusal(m);
}

TEST(ModelChecks, CycleRefused) {
  auto m = mlp();
  m.mutable_graph()->mutable_node(0)->set_input(0, "y");  // Gemm reads the final output
  EXPECT_NE(refusal(m).find("cycle"), std::string::npos) << refusal(m);
}

TEST(ModelChecks, InitializerSizeMismatchRefused) {
  auto m = mlp();
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, 65);
  EXPECT_NE(refusal(m).find("holds"), std::string::npos);
}

TEST(ModelChecks, HugeDimsRefusedWithoutAllocating) {
  auto m = mlp();
  auto* t = m.mutable_graph()->mutable_initializer(0);
  t->set_dims(0, int64_t{1} << 40), t->set_dims(1, int64_t{1} << 40);
  EXPECT_NE(refusal(m).find("refusing to allocate"), std::string::npos);
  auto m2 = mlp();
  m2.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(1)
      ->set_dim_value(int64_t{1} << 50);
  EXPECT_NE(refusal(m2).find("out of range"), std::string::npos);
}

TEST(ModelChecks, HugeIntermediateRefusedAtPlan) {
  // A Reshape whose target has 2^40 elements never gets a buffer.
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 4});
  auto* c = add_node(g, "Constant", {}, {"s"});
  auto* a = c->add_attribute();
  a->set_name("value"), a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a->mutable_t()->add_dims(2);
  a->mutable_t()->add_int64_data(int64_t{1} << 20),
      a->mutable_t()->add_int64_data(int64_t{1} << 20);
  add_node(g, "Reshape", {"x", "s"}, {"y"});
  add_output(g, "y");
  Model model = Model::load_bytes(bytes(m), "t");
  EXPECT_THROW(Plan(model, {{2, 4}}), ModelError);
}

TEST(ModelChecks, InputShapeMismatchNamesExpectedAndFound) {
  Model model = Model::load_bytes(bytes(mlp()), "mlp");
  try {
    BatchRunner r(model, {21});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("expects [N,20], found [N,21]"), std::string::npos)
        << e.what();
  }
}

// Found by fuzz_onnx_model: the batch runner copied scores from the model's
// output without checking it held floats or followed the row count, so an
// int64 output read from a null pointer and an output that ignores the batch
// (a mean over the samples) was read past its end. Both are refused.
TEST(ModelChecks, BatchRunnerRefusesOutputsThatAreNotPerSampleScores) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 4});
  cast_to(add_node(g, "Cast", {"x"}, {"y"}), onnx::TensorProto::INT64);
  add_output(g, "y");
  std::string why;
  try {
    BatchRunner r(Model::load_bytes(bytes(m), "cast"), {4});
  } catch (const ModelError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("output is int64"), std::string::npos) << why;

  auto mean = base();
  auto& h = *mean.mutable_graph();
  add_input(h, "x", {-1, 4});
  set_ints(add_node(h, "ReduceMean", {"x"}, {"y"}), "axes", {0});
  add_output(h, "y");
  BatchRunner r(Model::load_bytes(bytes(mean), "mean"), {4}, kMicroBatch, {Arithmetic::portable});
  const std::vector<float> x(5 * 4, 1.0f);
  std::vector<float> y(5 * 4);
  why.clear();
  try {
    r.run(x.data(), 5, y.data(), 1);
  } catch (const ModelError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("for 5 samples is not 4 floats a sample"), std::string::npos) << why;
}

// Scores 300 random samples at once on one thread, then in uneven slices (as
// ranks would) with 1, 2 and 3 threads, then as two ranks through score():
// every way must give the same bits. Returns the outputs.
static std::vector<float> expect_same_bits_however_cut(const Model& model,
                                                       const std::vector<int64_t>& sample,
                                                       const PlanOptions& options = {}) {
  const int64_t n = 300;
  BatchRunner r(model, sample, kMicroBatch, options);
  const int64_t in = r.input_sample_size(), out = r.output_sample_size();
  std::vector<float> x(size_t(n * in));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-2, 2);
  for (auto& v : x) v = u(rng);
  std::vector<float> all(size_t(n * out));
  r.run(x.data(), n, all.data(), 1);
  for (int threads : {1, 2, 3}) {
    std::vector<float> parts(all.size());
    for (int64_t b = 0, len = 1; b < n; b += len, len = len * 3 + 7) {
      const int64_t m = std::min(len, n - b);
      r.run(x.data() + b * in, m, parts.data() + b * out, threads, b);
    }
    EXPECT_EQ(parts, all) << threads << " threads";
  }
  std::vector<float> ranks(all.size());
  score(model, x.data(), 100, ranks.data(), {2, 0, options});
  score(model, x.data() + 100 * in, size_t(n - 100), ranks.data() + 100 * out, {1, 100, options});
  EXPECT_EQ(ranks, all) << "score() over two ranges";
  return all;
}

TEST(Determinism, SampleOutputIndependentOfBatchAndThreads) {
  Model model = Model::load_bytes(bytes(mlp()), "mlp");
  const auto all = expect_same_bits_however_cut(model, {20});
  ASSERT_EQ(all.size(), 3000u);
  float s = 0;
  for (int k = 0; k < 10; ++k) s += all[size_t(k)];
  EXPECT_NEAR(s, 1.0f, 1e-5f);
}

TEST(Determinism, ProductsSharedByColumnsKeepTheirBits) {
  for (Arithmetic arith : {Arithmetic::portable, Arithmetic::fast}) {
    Model model = Model::load_bytes(bytes(wide_mlp()), "wide");
    const auto all = expect_same_bits_however_cut(model, {512}, {arith});
    ASSERT_EQ(all.size(), 300u * 384u);
  }
}

// A runner is safe to call from several threads at once, and its calls
// share one TBB arena per thread count (batch.cpp): three threads scoring
// their own samples through one runner, each call on two threads, while the
// runner is also called with one thread, give each sample the bits of a
// call made alone.
TEST(Determinism, RunnerCalledFromSeveralThreadsAtOnce) {
  Model model = Model::load_bytes(bytes(wide_mlp()), "wide");
  BatchRunner runner(model, {512});
  constexpr int kCallers = 3, kRows = 48, kOut = 384;
  std::vector<std::vector<float>> x(kCallers, std::vector<float>(kRows * 512));
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& xs : x)
    for (auto& v : xs) v = u(rng);
  std::vector<std::vector<float>> alone(kCallers, std::vector<float>(kRows * kOut));
  for (int c = 0; c < kCallers; ++c)
    runner.run(x[size_t(c)].data(), kRows, alone[size_t(c)].data(), 2);
  std::vector<std::vector<float>> together(kCallers, std::vector<float>(kRows * kOut));
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&, c] {
      for (int k = 0; k < 5; ++k)
        runner.run(x[size_t(c)].data(), kRows, together[size_t(c)].data(), c == 0 ? 1 : 2);
    });
  for (auto& t : callers) t.join();
  for (int c = 0; c < kCallers; ++c) EXPECT_EQ(alone[size_t(c)], together[size_t(c)]) << c;
}

// The steps chosen at plan time for constant weights agree with the plain
// kernels, which run when the same weights come in as graph inputs instead of
// initializers: oneDNN's (fused bias, residual Add, Relu, Clip and MaxPool,
// blocked layouts kept between steps) within
// rounding, portable arithmetic's (weights packed once, a convolution as
// im2row x W^T) bit for bit.
TEST(PlannedSteps, AgreeWithPlainKernels) {
  for (auto [name, proto, sample, arith] :
       {std::tuple{"mlp", mlp(), std::vector<int64_t>{20}, Arithmetic::fast},
        std::tuple{"cnn", cnn(), std::vector<int64_t>{1, 12, 12}, Arithmetic::fast},
        std::tuple{"mlp", mlp(), std::vector<int64_t>{20}, Arithmetic::portable},
        std::tuple{"cnn", cnn(), std::vector<int64_t>{1, 12, 12}, Arithmetic::portable},
        std::tuple{"depthwise", depthwise(), std::vector<int64_t>{20, 21, 19}, Arithmetic::fast},
        std::tuple{"depthwise", depthwise(), std::vector<int64_t>{20, 21, 19},
                   Arithmetic::portable},
        std::tuple{"mobile", mobile_blocks(), std::vector<int64_t>{12, 9, 11}, Arithmetic::fast},
        std::tuple{"mobile", mobile_blocks(), std::vector<int64_t>{12, 9, 11},
                   Arithmetic::portable},
        std::tuple{"residual", residual_blocks(), std::vector<int64_t>{3, 10, 10},
                   Arithmetic::fast},
        std::tuple{"residual", residual_blocks(), std::vector<int64_t>{3, 10, 10},
                   Arithmetic::portable}}) {
    const int64_t n = 70;
    std::vector<int64_t> shape = sample;
    shape.insert(shape.begin(), n);
    Tensor x;
    x.shape = shape;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    x.f.resize(size_t(x.numel()));
    for (auto& v : x.f) v = u(rng);
    // A NaN and an infinity in one sample: folded activations must treat
    // them as the plain Relu and Clip do (Relu(NaN) = 0, Clip keeps NaN).
    x.f[size_t(x.numel() / n * 3 + 5)] = std::numeric_limits<float>::quiet_NaN();
    x.f[size_t(x.numel() / n * 3 + 9)] = -std::numeric_limits<float>::infinity();
    Model fast = Model::load_bytes(bytes(proto), name);
    Plan fast_plan(fast, {shape}, {arith});
    const Tensor y_fast = *fast_plan.run({&x})[0];

    // The same model with every initializer turned into a graph input.
    auto plain_proto = proto;
    auto& g = *plain_proto.mutable_graph();
    std::vector<Tensor> weights;
    for (const auto& init : g.initializer()) {
      add_input(g, init.name(), {init.dims().begin(), init.dims().end()});
      Tensor t;
      t.shape.assign(init.dims().begin(), init.dims().end());
      t.f.assign(init.float_data().begin(), init.float_data().end());
      weights.push_back(std::move(t));
    }
    g.clear_initializer();
    Model plain = Model::load_bytes(bytes(plain_proto), name);
    std::vector<const Tensor*> inputs{&x};
    for (const auto& t : weights) inputs.push_back(&t);
    Plan plain_plan(plain, inputs, {arith});
    const Tensor y_plain = *plain_plan.run(inputs)[0];

    ASSERT_EQ(y_fast.shape, y_plain.shape) << name;
    float worst = 0, scale = 0;
    for (size_t k = 0; k < y_fast.f.size(); ++k) {
      if (!std::isfinite(y_fast.f[k]) || !std::isfinite(y_plain.f[k])) continue;
      worst = std::max(worst, std::abs(y_fast.f[k] - y_plain.f[k]));
      scale = std::max(scale, std::abs(y_plain.f[k]));
    }
    EXPECT_GT(scale, 0.1f) << name << ": outputs all near zero, the test would prove nothing";
    EXPECT_LE(worst, 1e-5f * std::max(scale, 1.0f)) << name;
    if (arith == Arithmetic::portable) {
      // Bit for bit, NaNs included.
      EXPECT_EQ(0, std::memcmp(y_fast.f.data(), y_plain.f.data(), y_plain.f.size() * 4))
          << name << " portable";
    }
  }
}

// Attention's products of computed tensors read their operands through the
// Transposes that make them (one the operand itself, one transposed) and
// write through the Transpose after them (transposed_matmul.hpp): the bits
// of the Transposes run as copies, which they are when each transposed
// value is also a graph output. Both arithmetics (the product is the
// portable one in each).
TEST(PlannedSteps, MatMulsThroughTransposesAreBitForBit) {
  auto model = [](bool transposes_run) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 5, 2, 4});  // [batch, sequence, heads, head size]
    set_ints(add_node(g, "Transpose", {"x"}, {"q"}), "perm", {0, 2, 1, 3});
    set_ints(add_node(g, "Transpose", {"x"}, {"kt"}), "perm", {0, 2, 3, 1});
    add_node(g, "MatMul", {"q", "kt"}, {"s"});  // [batch, heads, 5, 5]
    add_node(g, "Softmax", {"s"}, {"p"});
    set_ints(add_node(g, "Transpose", {"x"}, {"v"}), "perm", {0, 2, 1, 3});
    add_node(g, "MatMul", {"p", "v"}, {"o"});  // [batch, heads, 5, 4]
    set_ints(add_node(g, "Transpose", {"o"}, {"y"}), "perm", {0, 2, 1, 3});
    add_output(g, "y");
    if (transposes_run)
      for (const char* v : {"q", "kt", "v", "o"}) add_output(g, v);
    return Model::load_bytes(bytes(m), "attention");
  };
  const Model through = model(false), copies = model(true);
  const int64_t n = 7;
  Tensor x;
  x.shape = {n, 5, 2, 4};
  std::mt19937 rng(23);
  std::uniform_real_distribution<float> u(-2, 2);
  for (int64_t k = 0; k < x.numel(); ++k) x.f.push_back(u(rng));
  for (Arithmetic arith : {Arithmetic::portable, Arithmetic::fast}) {
    Plan a(through, {x.shape}, {arith}), b(copies, {x.shape}, {arith});
    const Tensor ya = *a.run({&x})[0], yb = *b.run({&x})[0];
    ASSERT_EQ(ya.shape, (std::vector<int64_t>{n, 5, 2, 4}));
    EXPECT_EQ(ya.f, yb.f) << arithmetic_name(arith);
    EXPECT_GT(*std::max_element(ya.f.begin(), ya.f.end()), 0.5f);
  }
}

// The determinism rule on the CNN path too (oneDNN convolutions with
// blocked layouts and reorders), and on residual blocks whose values stay in
// oneDNN's layout from step to step.
TEST(Determinism, CnnSampleOutputIndependentOfBatchAndThreads) {
  Model model = Model::load_bytes(bytes(cnn()), "cnn");
  EXPECT_EQ(expect_same_bits_however_cut(model, {1, 12, 12}).size(), 3000u);
  Model residual = Model::load_bytes(bytes(residual_blocks()), "residual");
  EXPECT_EQ(expect_same_bits_however_cut(residual, {3, 10, 10}).size(), 3000u);
}

// A call of one sample or a few is one piece, whose products, elementwise
// passes, Softmax and LayerNorm rows are shared with idle threads in chunks:
// the bits stay those of one thread, whatever the cut, in both arithmetics.
TEST(Determinism, RowsSharedWithIdleThreadsChangeNoBit) {
  Model model = Model::load_bytes(bytes(tokens()), "tokens");
  expect_same_bits_however_cut(model, {160, 16}, {Arithmetic::portable});
  expect_same_bits_however_cut(model, {160, 16});
  std::vector<float> x(160 * 16), y1(160 * 32), y2(160 * 32);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-2, 2);
  for (auto& v : x) v = u(rng);
  BatchRunner r(model, {160, 16});
  r.run(x.data(), 1, y1.data(), 1);
  r.run(x.data(), 1, y2.data(), 2);
  EXPECT_EQ(y1, y2);
  EXPECT_GT(*std::max_element(y1.begin(), y1.end()), 0.1f);
}

// Fast arithmetic gives oneDNN 2-D convolutions; only a plan with such a
// step computes a row's bits from others and needs padded micro-batches,
// which are then sized from the model: 65536 floats / the 16 x 12 x 12
// first activation = 28 rows. An MLP stays unpadded, computing a batch of
// one without 127 rows of zeros, and so does portable arithmetic.
TEST(Fast, PadsOnlyPlansWithOnednnConvolutions) {
  Model mlp_model = Model::load_bytes(bytes(mlp()), "mlp");
  Model cnn_model = Model::load_bytes(bytes(cnn()), "cnn");
  Model mobile = Model::load_bytes(bytes(mobile_blocks()), "mobile");
  EXPECT_TRUE(Plan(mlp_model, {{4, 20}}, {Arithmetic::fast}).rows_independent());
  EXPECT_FALSE(Plan(cnn_model, {{4, 1, 12, 12}}, {Arithmetic::fast}).rows_independent());
  EXPECT_TRUE(Plan(cnn_model, {{4, 1, 12, 12}}, {Arithmetic::portable}).rows_independent());
  EXPECT_FALSE(Plan(mobile, {{4, 12, 9, 11}}, {Arithmetic::fast}).rows_independent());
  EXPECT_TRUE(Plan(mobile, {{4, 12, 9, 11}}, {Arithmetic::portable}).rows_independent());
  EXPECT_EQ(BatchRunner(cnn_model, {1, 12, 12}, kMicroBatch, {Arithmetic::fast}).micro_batch(), 28);
  EXPECT_EQ(BatchRunner(cnn_model, {1, 12, 12}, 16, {Arithmetic::fast}).micro_batch(), 16);
  EXPECT_EQ(BatchRunner(mlp_model, {20}, kMicroBatch, {Arithmetic::fast}).micro_batch(),
            kMicroBatch);
}

// Portable arithmetic: the determinism rule without padding (every slice is
// planned for its own row count), and the same bits from every instruction
// set this CPU runs, forced in turn; close to the fast arithmetic's values.
TEST(Portable, SameBitsHoweverCutAndOnEveryInstructionSet) {
  for (auto [name, proto, sample] :
       {std::tuple{"mlp", mlp(), std::vector<int64_t>{20}},
        std::tuple{"cnn", cnn(), std::vector<int64_t>{1, 12, 12}},
        std::tuple{"depthwise", depthwise(), std::vector<int64_t>{20, 21, 19}},
        std::tuple{"mobile", mobile_blocks(), std::vector<int64_t>{12, 9, 11}}}) {
    Model model = Model::load_bytes(bytes(proto), name);
    const auto native = expect_same_bits_however_cut(model, sample, {Arithmetic::portable});
    const auto fast = expect_same_bits_however_cut(model, sample);
    ASSERT_EQ(native.size(), fast.size());
    float worst = 0;
    for (size_t k = 0; k < fast.size(); ++k) worst = std::max(worst, std::abs(native[k] - fast[k]));
    EXPECT_LE(worst, 1e-4f) << name;
    int forced = 0;
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
      if (!isa_available(isa)) continue;
      ++forced;
      BatchRunner r(model, sample, kMicroBatch, {Arithmetic::portable, isa});
      std::vector<float> x(size_t(300 * r.input_sample_size())), y(native.size());
      std::mt19937 rng(1);
      std::uniform_real_distribution<float> u(-2, 2);
      for (auto& v : x) v = u(rng);
      r.run(x.data(), 300, y.data(), 2);
      EXPECT_EQ(y, native) << name << " with the " << isa_name(isa) << " kernels";
    }
    EXPECT_GE(forced, 1);
  }
}

// Portable arithmetic plans a piece per row count: a caller scoring every
// size from 1 to 40 (a server's requests) keeps plans for only the most
// recent few row counts, and every answer keeps its bits.
TEST(Portable, KeptPlansBoundedWhateverTheCallSizes) {
  Model model = Model::load_bytes(bytes(mlp()), "mlp");
  BatchRunner r(model, {20}, kMicroBatch, {Arithmetic::portable});
  const int64_t in = r.input_sample_size(), out = r.output_sample_size(), n = 40;
  std::vector<float> x(size_t(n * in));
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-2, 2);
  for (auto& v : x) v = u(rng);
  std::vector<float> all(size_t(n * out));
  r.run(x.data(), n, all.data(), 1);
  for (int64_t m = 1; m <= n; ++m) {
    std::vector<float> y(size_t(m * out));
    r.run(x.data(), m, y.data(), 2);
    ASSERT_TRUE(std::equal(y.begin(), y.end(), all.begin())) << m << " samples";
    EXPECT_LE(r.kept_row_counts(), BatchRunner::kKeptRowCounts) << m << " samples";
  }
  EXPECT_GE(r.kept_row_counts(), 1u);
  EXPECT_LE(r.kept_plans(), 2 * BatchRunner::kKeptRowCounts);
}

// A Relu after a Reshape that only relabels its input still runs (the
// relabelling step must not absorb it as a oneDNN step absorbs one), in both
// arithmetics.
TEST(Plan, ReluAfterReshapeRuns) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 4});
  auto* shape = g.add_initializer();
  shape->set_name("s"), shape->set_data_type(onnx::TensorProto::INT64), shape->add_dims(3);
  for (int64_t d : {-1, 2, 2}) shape->add_int64_data(d);
  add_node(g, "Reshape", {"x", "s"}, {"r"});
  add_node(g, "Relu", {"r"}, {"y"});
  add_output(g, "y");
  Model model = Model::load_bytes(bytes(m), "reshape_relu");
  for (Arithmetic a : {Arithmetic::fast, Arithmetic::portable}) {
    Plan plan(model, {{1, 4}}, {a});
    Tensor x;
    x.shape = {1, 4};
    x.f = {-1, 2, -3, 4};
    const Tensor& y = *plan.run({&x})[0];
    EXPECT_EQ(y.f, (std::vector<float>{0, 2, 0, 4})) << arithmetic_name(a);
  }
}

// run_timed gives run_in_place's outputs bit for bit; step_times has one
// entry a step, named by the node the step starts at, before any timed run
// (at zero) and after (time added run after run).
TEST(Plan, RunTimedReportsEveryStepAndKeepsTheBits) {
  Model model = Model::load_bytes(bytes(mlp()), "mlp");
  for (Arithmetic a : {Arithmetic::fast, Arithmetic::portable}) {
    Plan plan(model, {{3, 20}}, {a});
    const std::vector<StepTime> before = plan.step_times();
    // Dense 1 (Gemm, Relu: absorbed or not), dense 2, Softmax.
    ASSERT_GE(before.size(), 3u) << arithmetic_name(a);
    ASSERT_LE(before.size(), 6u) << arithmetic_name(a);
    EXPECT_EQ(before.front().op, "Gemm") << arithmetic_name(a);
    EXPECT_EQ(before.back().op, "Softmax") << arithmetic_name(a);
    for (const StepTime& t : before) {
      EXPECT_FALSE(t.node.empty());
      EXPECT_EQ(t.seconds, 0.0);
    }
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    float* x = plan.input_data(0);
    for (int k = 0; k < 60; ++k) x[k] = u(rng);
    const FloatBuffer plain = plan.run_in_place()[0]->f;
    EXPECT_EQ(plan.step_times()[0].seconds, 0.0) << "an untimed run was timed";
    const FloatBuffer timed = plan.run_timed()[0]->f;
    ASSERT_EQ(plain.size(), timed.size());
    EXPECT_EQ(std::memcmp(plain.data(), timed.data(), plain.size() * sizeof(float)), 0)
        << arithmetic_name(a);
    const std::vector<StepTime> once = plan.step_times();
    double total = 0;
    for (const StepTime& t : once) total += t.seconds;
    EXPECT_GT(total, 0.0);
    for (int r = 0; r < 3; ++r) plan.run_timed();
    const std::vector<StepTime>& later = plan.step_times();
    ASSERT_EQ(later.size(), before.size());
    for (size_t k = 0; k < later.size(); ++k) {
      EXPECT_EQ(later[k].node, before[k].node);
      EXPECT_GE(later[k].seconds, once[k].seconds);
    }
  }
}

// A Transpose that moves only axes of size 1 keeps the elements in order and
// is handed over like a Reshape; one that moves longer axes still moves the
// data. y[n][w][0][c] = relu(x[n][c][0][w]) through both kinds, at batch 1
// (where [1, 4, 1, 6] -> [4, 1, 1, 6] moves only unit axes) and batch 3.
TEST(Plan, TransposeOfUnitAxesHandsOverAndOthersMove) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 4, 1, 6});
  set_ints(add_node(g, "Transpose", {"x"}, {"t"}), "perm", {2, 1, 0, 3});
  add_node(g, "Relu", {"t"}, {"r"});
  set_ints(add_node(g, "Transpose", {"r"}, {"y"}), "perm", {2, 3, 0, 1});
  add_output(g, "y");
  Model model = Model::load_bytes(bytes(m), "unit_transpose");
  for (int64_t n : {1, 3})
    for (Arithmetic a : {Arithmetic::fast, Arithmetic::portable}) {
      Plan plan(model, {{n, 4, 1, 6}}, {a});
      Tensor x;
      x.shape = {n, 4, 1, 6};
      for (int64_t k = 0; k < n * 24; ++k) x.f.push_back(float(k % 7) - 3.0f + 0.25f * float(k));
      const Tensor& y = *plan.run({&x})[0];
      ASSERT_EQ(y.shape, (std::vector<int64_t>{n, 6, 1, 4}));
      for (int64_t i = 0; i < n; ++i)
        for (int64_t w = 0; w < 6; ++w)
          for (int64_t c = 0; c < 4; ++c)
            EXPECT_EQ(y.f[size_t((i * 6 + w) * 4 + c)],
                      std::max(0.0f, x.f[size_t((i * 4 + c) * 6 + w)]))
                << "batch " << n << " at " << i << ", " << w << ", " << c;
    }
}

TEST(Portable, UnavailableInstructionSetRefusedByName) {
  Model model = Model::load_bytes(bytes(mlp()), "mlp");
  for (Isa isa : {Isa::avx2, Isa::avx512}) {
    if (isa_available(isa)) continue;
    try {
      Plan(model, {{2, 20}}, {Arithmetic::portable, isa});
      ADD_FAILURE() << isa_name(isa) << " accepted on a CPU without it";
    } catch (const ModelError& e) {
      EXPECT_NE(std::string(e.what()).find(isa_name(isa)), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_arithmetic("exact"), ModelError);
  EXPECT_EQ(parse_isa("avx2"), Isa::avx2);
  EXPECT_EQ(parse_isa("native"), Isa::native);
  EXPECT_THROW(parse_isa("sse4"), ModelError);
  EXPECT_EQ(parse_arithmetic("portable"), Arithmetic::portable);
}

// Cast between the engine's two element types: float to int64 truncates
// toward zero, back to float exactly; other target types and values beyond
// int64 are refused by name.
// ConvTranspose against the definition written out here (every output its
// bias, then y += x * w for each input channel in turn, each position and
// tap that reaches it), bit for bit in portable arithmetic (in fast
// arithmetic oneDNN's deconvolution, within rounding): windows that do not overlap (2 x 2
// stride 2; 3 x 3 stride 3 with pads; 1 x 1 stride 2, leaving outputs that
// only hold the bias; groups) take a per-tap path, overlapping ones (3 x 3
// stride 2) the general loop.
TEST(ModelChecks, ConvTransposeIsItsDefinition) {
  struct Case {
    int64_t C, M, groups, k, stride, pad;
  };
  for (const Case cs : {Case{6, 4, 1, 2, 2, 0}, Case{5, 3, 1, 3, 3, 1}, Case{4, 6, 2, 1, 2, 0},
                        Case{4, 4, 2, 2, 2, 0}, Case{3, 5, 1, 3, 2, 1}}) {
    const int64_t N = 2, H = 7, W = 9, Mg = cs.M / cs.groups;
    std::mt19937 rng(5);
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, cs.C, H, W});
    add_init(g, "w", {cs.C, Mg, cs.k, cs.k}, rng);
    add_init(g, "b", {cs.M}, rng);
    auto* n = add_node(g, "ConvTranspose", {"x", "w", "b"}, {"y"});
    set_ints(n, "strides", {cs.stride, cs.stride});
    set_ints(n, "pads", {cs.pad, cs.pad, cs.pad, cs.pad});
    auto* a = n->add_attribute();
    a->set_name("group"), a->set_type(onnx::AttributeProto::INT), a->set_i(cs.groups);
    add_output(g, "y");
    Tensor x;
    x.shape = {N, cs.C, H, W};
    std::uniform_real_distribution<float> u(-1, 1);
    for (int64_t k = 0; k < x.numel(); ++k) x.f.push_back(u(rng));
    for (const auto arith : {Arithmetic::fast, Arithmetic::portable}) {
      Model model = Model::load_bytes(bytes(m), "convt");
      Plan plan(model, {x.shape}, {arith});
      const Tensor y = *plan.run({&x})[0];
      const auto& wt = g.initializer(0).float_data();
      const auto& bt = g.initializer(1).float_data();
      const int64_t Ho = (H - 1) * cs.stride + cs.k - 2 * cs.pad;
      const int64_t Wo = (W - 1) * cs.stride + cs.k - 2 * cs.pad;
      ASSERT_EQ(y.shape, (std::vector<int64_t>{N, cs.M, Ho, Wo}));
      std::vector<float> want(size_t(N * cs.M * Ho * Wo));
      for (int64_t b = 0; b < N; ++b)
        for (int64_t o = 0; o < cs.M; ++o)
          for (int64_t p = 0; p < Ho * Wo; ++p)
            want[size_t((b * cs.M + o) * Ho * Wo + p)] = bt[int(o)];
      for (int64_t b = 0; b < N; ++b)
        for (int64_t c = 0; c < cs.C; ++c)
          for (int64_t h = 0; h < H; ++h)
            for (int64_t xw = 0; xw < W; ++xw)
              for (int64_t mo = 0; mo < Mg; ++mo)
                for (int64_t i = 0; i < cs.k; ++i)
                  for (int64_t j = 0; j < cs.k; ++j) {
                    const int64_t oh = h * cs.stride - cs.pad + i, ow = xw * cs.stride - cs.pad + j;
                    if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                    const int64_t o = c / (cs.C / cs.groups) * Mg + mo;
                    const float prod = x.f[size_t(((b * cs.C + c) * H + h) * W + xw)] *
                                       wt[int(((c * Mg + mo) * cs.k + i) * cs.k + j)];
                    float& dst = want[size_t(((b * cs.M + o) * Ho + oh) * Wo + ow)];
                    dst = dst + prod;
                  }
      std::ostringstream what;
      what << "C " << cs.C << " M " << cs.M << " groups " << cs.groups << " k " << cs.k
           << " stride " << cs.stride << " pad " << cs.pad << " " << arithmetic_name(arith);
      if (arith == Arithmetic::portable) {
        EXPECT_EQ(0, std::memcmp(y.f.data(), want.data(), want.size() * 4)) << what.str();
        continue;
      }
      // Fast arithmetic: oneDNN's deconvolution (one group), its own
      // order of sums, within rounding.
      float worst = 0;
      for (size_t k = 0; k < want.size(); ++k) worst = std::max(worst, std::abs(y.f[k] - want[k]));
      EXPECT_LE(worst, 1e-5f) << what.str();
    }
  }
}

// MaxPool 2 x 2 stride 2 (vectorised four outputs at a time) against its
// definition: acc = -inf, then acc = v > acc ? v : acc over the window in
// row-major order; NaNs, infinities and signed zeros included, bit for bit.
TEST(ModelChecks, MaxPoolIsItsDefinitionBitForBit) {
  const int64_t C = 3, H = 6, W = 18;  // 9 outputs a row: two vectors and one more
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, C, H, W});
  auto* n = add_node(g, "MaxPool", {"x"}, {"y"});
  set_ints(n, "kernel_shape", {2, 2}), set_ints(n, "strides", {2, 2});
  add_output(g, "y");
  Tensor x;
  x.shape = {2, C, H, W};
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-1, 1);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), INFINITY, -INFINITY, -0.0f,
                            0.0f};
  for (int64_t k = 0; k < x.numel(); ++k)
    x.f.push_back(rng() % 5 == 0 ? specials[rng() % 5] : u(rng));
  Model model = Model::load_bytes(bytes(m), "pool");
  Plan plan(model, {x.shape}, {Arithmetic::portable});
  const Tensor y = *plan.run({&x})[0];
  std::vector<float> want;
  for (int64_t bc = 0; bc < 2 * C; ++bc)
    for (int64_t oh = 0; oh < H / 2; ++oh)
      for (int64_t ow = 0; ow < W / 2; ++ow) {
        float acc = -INFINITY;
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t j = 0; j < 2; ++j) {
            const float v = x.f[size_t((bc * H + 2 * oh + i) * W + 2 * ow + j)];
            acc = v > acc ? v : acc;
          }
        want.push_back(acc);
      }
  ASSERT_EQ(y.f.size(), want.size());
  EXPECT_EQ(0, std::memcmp(y.f.data(), want.data(), want.size() * 4));
}

// Reduce* over trailing axes (a LayerNorm's mean over the last one) against
// the definition: a double accumulator per output taking the elements
// (max/min with std::max/std::min), then rounded to float; the mean divided
// by the count first. Bit for bit, NaN and infinities included. (These sums
// are exact in double, whatever their order; the order of sums that round is
// TrailingReductionsSumInEightLanes's.)
TEST(ModelChecks, TrailingReductionsAreTheirDefinitionBitForBit) {
  for (const std::string op : {"ReduceMean", "ReduceSumSquare", "ReduceMax", "ReduceMin"}) {
    for (const std::vector<int64_t>& axes : {std::vector<int64_t>{2}, std::vector<int64_t>{1, 2}}) {
      auto m = base();
      auto& g = *m.mutable_graph();
      add_input(g, "x", {-1, 5, 7});
      auto* n = add_node(g, op, {"x"}, {"y"});
      set_ints(n, "axes", axes);
      add_output(g, "y");
      Tensor x;
      x.shape = {3, 5, 7};
      std::mt19937 rng(4);
      std::uniform_real_distribution<float> u(-3, 3);
      for (int64_t k = 0; k < x.numel(); ++k) x.f.push_back(u(rng));
      // NaN in the middle, at the end and at the start of a row or block.
      for (size_t k : {11u, 34u, 35u}) x.f[k] = std::numeric_limits<float>::quiet_NaN();
      x.f[40] = INFINITY;
      Model model = Model::load_bytes(bytes(m), "reduce");
      Plan plan(model, {x.shape}, {Arithmetic::portable});
      const Tensor y = *plan.run({&x})[0];
      const int64_t inner = axes.size() == 1 ? 7 : 35, outs = x.numel() / inner;
      std::vector<float> want;
      for (int64_t o = 0; o < outs; ++o) {
        double s = op == "ReduceMax"   ? -std::numeric_limits<double>::infinity()
                   : op == "ReduceMin" ? std::numeric_limits<double>::infinity()
                                       : 0.0;
        for (int64_t k = 0; k < inner; ++k) {
          const double a = x.f[size_t(o * inner + k)];
          if (op == "ReduceMax")
            s = std::max(s, a);
          else if (op == "ReduceMin")
            s = std::min(s, a);
          else
            s += op == "ReduceSumSquare" ? a * a : a;
        }
        if (op == "ReduceMean") s /= double(inner);
        want.push_back(float(s));
      }
      ASSERT_EQ(y.f.size(), want.size()) << op;
      EXPECT_EQ(0, std::memcmp(y.f.data(), want.data(), want.size() * 4))
          << op << " over " << axes.size() << " trailing axes";
    }
  }
}

// A reduced axis of length 0 (found by fuzz_onnx_model: a mean over it was
// 0/0, converted to int64). The sum of nothing is 0; a mean, a maximum or a
// minimum of nothing is refused, naming the node.
TEST(ModelChecks, ReductionsOverAnEmptyAxis) {
  for (const std::string op : {"ReduceSumSquare", "ReduceMean", "ReduceMax", "ReduceMin"}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 0, 3});
    set_ints(add_node(g, op, {"x"}, {"y"}), "axes", {1});
    add_output(g, "y");
    Model model = Model::load_bytes(bytes(m), "reduce");
    Tensor x;
    x.shape = {2, 0, 3};
    if (op == "ReduceSumSquare") {
      Plan plan(model, {x.shape}, {Arithmetic::portable});
      const Tensor y = *plan.run({&x})[0];
      EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 1, 3}));
      EXPECT_EQ(y.f, std::vector<float>(6, 0.0f));
      continue;
    }
    const std::string why = refusal_at_run(model, x);
    EXPECT_NE(why.find("reduces an empty axis"), std::string::npos) << op << ": " << why;
    EXPECT_NE(why.find(op), std::string::npos) << why;
  }
}

// Softmax of an empty tensor (found by fuzz_onnx_model: row offsets taken
// from an empty tensor's null data pointer, undefined behaviour that the
// sanitizer build of this test reports): an empty result of the same shape,
// whichever axis is empty, in both arithmetics.
TEST(ModelChecks, SoftmaxOfAnEmptyTensor) {
  for (const std::string op : {"Softmax", "LogSoftmax"})
    for (int64_t axis : {1, 2})
      for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
        auto m = base();
        auto& g = *m.mutable_graph();
        add_input(g, "x", {-1, 0, 3});
        auto* at = add_node(g, op, {"x"}, {"y"})->add_attribute();
        at->set_name("axis"), at->set_type(onnx::AttributeProto::INT), at->set_i(axis);
        add_output(g, "y");
        Model model = Model::load_bytes(bytes(m), "softmax");
        Tensor x;
        x.shape = {2, 0, 3};
        Plan plan(model, {x.shape}, {a});
        const Tensor y = *plan.run({&x})[0];
        EXPECT_EQ(y.shape, x.shape) << op << " axis " << axis;
        EXPECT_TRUE(y.f.empty());
      }
}

// Pooling an input with a spatial dim of 0 (found by fuzz_onnx_model: row
// pointers offset from the empty tensor's null data): refused, whether
// padding gives windows over nothing or there is no window at all.
TEST(ModelChecks, PoolingOfAnEmptyInput) {
  for (const std::string op : {"MaxPool", "AveragePool"})
    for (int64_t pad : {0, 1}) {
      auto m = base();
      auto& g = *m.mutable_graph();
      add_input(g, "x", {-1, 2, 0, 4});
      auto* p = add_node(g, op, {"x"}, {"y"});
      set_ints(p, "kernel_shape", {2, 1});
      set_ints(p, "pads", {pad, 0, pad, 0});
      add_output(g, "y");
      Model model = Model::load_bytes(bytes(m), "pool");
      Tensor x;
      x.shape = {1, 2, 0, 4};
      const std::string why = refusal_at_run(model, x);
      EXPECT_NE(
          why.find(pad ? "pools an empty input [1,2,0,4]" : "kernel larger than padded input"),
          std::string::npos)
          << op << ": " << why;
    }
}

// Split and Slice of a tensor with an empty axis (found by fuzz_onnx_model:
// the box's first element offset from the empty tensor's null data): empty
// results of the right shapes, in both arithmetics.
TEST(ModelChecks, SplitAndSliceOfAnEmptyTensor) {
  for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 0, 6});
    add_ints_init(g, "parts", {2, 4});
    add_node(g, "Split", {"x", "parts"}, {"y1", "y2"})->add_attribute()->set_name("axis");
    auto* axis = g.mutable_node(0)->mutable_attribute(0);
    axis->set_type(onnx::AttributeProto::INT), axis->set_i(2);
    add_ints_init(g, "starts", {1}), add_ints_init(g, "ends", {4}), add_ints_init(g, "axes", {2});
    add_node(g, "Slice", {"x", "starts", "ends", "axes"}, {"y3"});
    for (const char* y : {"y1", "y2", "y3"}) add_output(g, y);
    Model model = Model::load_bytes(bytes(m), "split");
    Tensor x;
    x.shape = {2, 0, 6};
    Plan plan(model, {x.shape}, {a});
    const auto y = plan.run({&x});
    ASSERT_EQ(y.size(), 3u);
    EXPECT_EQ(y[0]->shape, (std::vector<int64_t>{2, 0, 2}));
    EXPECT_EQ(y[1]->shape, (std::vector<int64_t>{2, 0, 4}));
    EXPECT_EQ(y[2]->shape, (std::vector<int64_t>{2, 0, 3}));
    for (const Tensor* t : y) EXPECT_TRUE(t->f.empty());
  }
}

// Sizes and steps near int64's limits (each overflowed an addition or a
// product before): a Split whose sizes pass the axis is refused, a Slice
// with a step of +-2^63 takes the one element it reaches.
TEST(ModelChecks, SplitSizesAndSliceStepsAtInt64Limits) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 6});
    add_ints_init(g, "parts", {1, max});
    add_node(g, "Split", {"x", "parts"}, {"y1", "y2"})->add_attribute()->set_name("axis");
    auto* axis = g.mutable_node(0)->mutable_attribute(0);
    axis->set_type(onnx::AttributeProto::INT), axis->set_i(1);
    add_output(g, "y1"), add_output(g, "y2");
    Tensor x;
    x.shape = {1, 6}, x.f.assign(6, 1.0f);
    const std::string why = refusal_at_run(Model::load_bytes(bytes(m), "split"), x);
    EXPECT_NE(why.find("split sizes exceed the axis"), std::string::npos) << why;
  }
  for (const int64_t step : {max, max - 1, min, min + 1}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 3, 6});
    add_ints_init(g, "starts", {step > 0 ? 2 : 4}), add_ints_init(g, "ends", {step > 0 ? 6 : 0});
    add_ints_init(g, "axes", {2}), add_ints_init(g, "steps", {step});
    add_node(g, "Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
    add_output(g, "y");
    Tensor x;
    x.shape = {1, 3, 6};
    for (int k = 0; k < 18; ++k) x.f.push_back(float(k));
    Plan plan(Model::load_bytes(bytes(m), "slice"), {x.shape}, {Arithmetic::portable});
    const Tensor y = *plan.run({&x})[0];
    EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 3, 1})) << step;
    const float at = step > 0 ? 2.0f : 4.0f;
    EXPECT_EQ(y.f, (std::vector<float>{at, 6 + at, 12 + at})) << step;
  }
}

// A convolution of an input with a spatial dim of 0, padded so that there
// are windows (found by fuzz_onnx_model: im2col offset a row pointer from
// the empty tensor's null data): refused, as pooling one is, in both
// arithmetics.
TEST(ModelChecks, ConvolutionOfAnEmptyInput) {
  for (const bool rows : {true, false})
    for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
      auto m = base();
      auto& g = *m.mutable_graph();
      const std::vector<int64_t> shape =
          rows ? std::vector<int64_t>{1, 2, 0, 4} : std::vector<int64_t>{1, 2, 4, 0};
      add_input(g, "x", {-1, 2, shape[2], shape[3]});
      std::mt19937 rng(2);
      add_init(g, "w", {3, 2, 1, 1}, rng);
      set_ints(add_node(g, "Conv", {"x", "w"}, {"y"}), "pads", {1, 1, 1, 1});
      add_output(g, "y");
      Tensor x;
      x.shape = shape;
      std::string why;
      try {
        Plan plan(Model::load_bytes(bytes(m), "conv"), {x.shape}, {a});
        plan.run({&x});
      } catch (const ModelError& e) {
        why = e.what();
      }
      EXPECT_NE(
          why.find("convolves an empty input " + std::string(rows ? "[1,2,0,4]" : "[1,2,4,0]")),
          std::string::npos)
          << why;
    }
}

// A Conv whose output is empty computes nothing, even where windows would
// start inside the input: an input [1,1,5,0] with auto_pad SAME_LOWER and
// strides [64,1] gives [1,3,1,0], and im2col offset the empty input's
// null data pointer by the left pad (found by fuzz_onnx_model: UBSan).
TEST(ModelChecks, ConvolutionToAnEmptyOutputComputesNothing) {
  for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 1, 5, 0});
    std::mt19937 rng(2);
    add_init(g, "w", {3, 1, 3, 3}, rng);
    auto* conv = add_node(g, "Conv", {"x", "w"}, {"y"});
    set_ints(conv, "strides", {64, 1});
    auto* pad = conv->add_attribute();
    pad->set_name("auto_pad"), pad->set_type(onnx::AttributeProto::STRING);
    pad->set_s("SAME_LOWER");
    add_output(g, "y");
    Tensor x;
    x.shape = {1, 1, 5, 0};
    Plan plan(Model::load_bytes(bytes(m), "conv"), {x.shape}, {a});
    const Tensor& y = *plan.run({&x})[0];
    EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 3, 1, 0})) << arithmetic_name(a);
    EXPECT_TRUE(y.f.empty());
  }
}

// A BatchNormalization after a Conv with no output channels (weight
// [0, 2, 1, 1], every BN parameter empty) loads and runs, giving an empty
// result: folding the BN into the Conv divided the weight's size by its 0
// channels (SIGFPE at load, found reading the folding code).
TEST(ModelChecks, BatchNormAfterAConvWithNoOutputChannels) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 2, 3, 3});
  auto* w = g.add_initializer();
  w->set_name("w"), w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {0, 2, 1, 1}) w->add_dims(d);
  std::vector<std::string> bn_in = {"c"};
  for (const char* p : {"scale", "shift", "mean", "var"}) {
    auto* t = g.add_initializer();
    t->set_name(p), t->set_data_type(onnx::TensorProto::FLOAT), t->add_dims(0);
    bn_in.push_back(p);
  }
  add_node(g, "Conv", {"x", "w"}, {"c"});
  add_node(g, "BatchNormalization", bn_in, {"y"});
  add_output(g, "y");
  Tensor x;
  x.shape = {1, 2, 3, 3}, x.f.assign(18, 1.0f);
  for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
    Plan plan(Model::load_bytes(bytes(m), "bn"), {x.shape}, {a});
    const Tensor y = *plan.run({&x})[0];
    EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 0, 3, 3}));
    EXPECT_TRUE(y.f.empty());
  }
}

// Pooling pads as wide as the window are invalid ONNX (ONNX Runtime refuses
// them: "Pad should be smaller than kernel"); fuzz_onnx_model's pads of 2^20
// around a 28 x 28 input took minutes on an output of padding. Refused
// naming pads and kernel; pads one narrower run.
TEST(ModelChecks, PoolingPadsAsWideAsTheKernelRefused) {
  for (const std::string op : {"MaxPool", "AveragePool"})
    for (int64_t pad : {int64_t{2}, int64_t{3}, int64_t{1} << 20}) {
      auto m = base();
      auto& g = *m.mutable_graph();
      add_input(g, "x", {-1, 1, 5, 5});
      auto* p = add_node(g, op, {"x"}, {"y"});
      set_ints(p, "kernel_shape", {3, 3});
      set_ints(p, "pads", {0, pad, 0, 0});
      add_output(g, "y");
      Tensor x;
      x.shape = {1, 1, 5, 5}, x.f.assign(25, 1.0f);
      const std::string why = refusal_at_run(Model::load_bytes(bytes(m), "pool"), x);
      if (pad < 3)
        EXPECT_EQ(why, "") << op;
      else
        EXPECT_NE(
            why.find("pads (" + std::to_string(pad) + ", 0) must be smaller than the kernel (3)"),
            std::string::npos)
            << op << ": " << why;
    }
}

// An LSTM whose hidden_size is near int64's limit (found by
// fuzz_onnx_model: gates x hidden_size overflowed before W's shape was
// compared) is refused at load naming the attribute, as is any size
// attribute (kernel_shape, strides, pads, blocksize, ...) beyond 2^28; a
// negative hidden_size by the LSTM itself.
TEST(ModelChecks, LstmHiddenSizeOutOfRangeRefused) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {2, 1, 3});
  std::mt19937 rng(3);
  add_init(g, "w", {1, 8, 3}, rng);
  add_init(g, "r", {1, 8, 2}, rng);
  auto* a = add_node(g, "LSTM", {"x", "w", "r"}, {"y"})->add_attribute();
  a->set_name("hidden_size"), a->set_type(onnx::AttributeProto::INT);
  a->set_i(std::numeric_limits<int64_t>::max());
  add_output(g, "y");
  std::string why;
  try {
    Plan plan(Model::load_bytes(bytes(m), "lstm"), {{2, 1, 3}});
  } catch (const ModelError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("attribute 'hidden_size' holds a size beyond 268435456"), std::string::npos)
      << why;
  g.mutable_node(0)->mutable_attribute(0)->set_i(-4);
  why.clear();
  try {
    Plan plan(Model::load_bytes(bytes(m), "lstm"), {{2, 1, 3}});
  } catch (const ModelError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("hidden_size -4 out of range"), std::string::npos) << why;
}

// An int64 reduction whose double sum leaves int64's range is refused, not
// converted (undefined behaviour).
TEST(ModelChecks, Int64ReductionBeyondInt64Refused) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 4});
  cast_to(add_node(g, "Cast", {"x"}, {"i"}), onnx::TensorProto::INT64);
  add_node(g, "ReduceSumSquare", {"i"}, {"s"});
  cast_to(add_node(g, "Cast", {"s"}, {"y"}), onnx::TensorProto::FLOAT);
  add_output(g, "y");
  Model model = Model::load_bytes(bytes(m), "reduce");
  Tensor x;
  x.shape = {1, 4};
  x.f = {1e18f, 1.0f, 2.0f, 3.0f};
  Plan plan(model, {x.shape}, {Arithmetic::portable});
  std::string why;
  try {
    plan.run({&x});
  } catch (const ModelError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("beyond int64"), std::string::npos) << why;
  x.f = {1.0f, 2.0f, 3.0f, 4.0f};
  EXPECT_EQ(plan.run({&x})[0]->f, (std::vector<float>{30.0f}));
}

TEST(ModelChecks, CastTruncatesTowardZeroAndRefusesWhatItCannotHold) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 4});
  cast_to(add_node(g, "Cast", {"x"}, {"i"}), onnx::TensorProto::INT64);
  cast_to(add_node(g, "Cast", {"i"}, {"y"}), onnx::TensorProto::FLOAT);
  add_output(g, "y");
  auto model = Model::load_bytes(bytes(m), "cast");
  BatchRunner runner(model, {4});
  const std::vector<float> x = {-2.7f, -0.5f, 0.5f, 3.99f, 1e9f, -1e9f, 7.0f, -7.0f};
  std::vector<float> y(x.size());
  runner.run(x.data(), 2, y.data(), 1);
  EXPECT_EQ(y, (std::vector<float>{-2.0f, -0.0f, 0.0f, 3.0f, 1e9f, -1e9f, 7.0f, -7.0f}));
  const std::vector<float> huge = {1e19f, 0, 0, 0};
  std::vector<float> out(4);
  try {
    runner.run(huge.data(), 1, out.data(), 1);
    ADD_FAILURE() << "1e19 cast to int64";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("beyond int64"), std::string::npos) << e.what();
  }
  // The edges of int64 itself: -2^63 and the largest float below 2^63
  // convert exactly (they were refused under a bound of 9.2e18); 2^63 has
  // no int64.
  const std::vector<float> edges = {-0x1p63f, 0x1.fffffep62f, 0, 0};
  runner.run(edges.data(), 1, out.data(), 1);
  EXPECT_EQ(out, edges);
  const std::vector<float> beyond = {0x1p63f, 0, 0, 0};
  try {
    runner.run(beyond.data(), 1, out.data(), 1);
    ADD_FAILURE() << "2^63 cast to int64";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("beyond int64"), std::string::npos) << e.what();
  }
  // A cast to double is refused at load or plan, naming the type.
  g.mutable_node(1)->mutable_attribute(0)->set_i(onnx::TensorProto::DOUBLE);
  std::string why;
  try {
    auto bad = Model::load_bytes(bytes(m), "cast");
    BatchRunner r(bad, {4});
    r.run(x.data(), 1, y.data(), 1);
  } catch (const ModelError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("element type 11"), std::string::npos) << why;
}

// Einsum's implicit output (the labels seen once, alphabetically) and an
// ellipsis that broadcasts: "...j,jk" of x [N, 2] and w [2, 3] is x w.
// (The official node tests are float64, which the engine does not hold;
// tests/infer/families_vs_pytorch.py checks exported einsums.)
TEST(ModelChecks, EinsumImplicitOutputAndEllipsis) {
  std::mt19937 rng(3);
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 2});
  add_init(g, "w", {2, 3}, rng);
  auto* n = add_node(g, "Einsum", {"x", "w"}, {"y"});
  auto* a = n->add_attribute();
  a->set_name("equation"), a->set_type(onnx::AttributeProto::STRING), a->set_s("...j,jk");
  add_output(g, "y");
  auto model = Model::load_bytes(bytes(m), "einsum");
  BatchRunner runner(model, {2});
  const std::vector<float> x = {1, 2, -3, 0.5f};
  std::vector<float> y(6);
  runner.run(x.data(), 2, y.data(), 1);
  const auto& w = g.initializer(0).float_data();
  for (int r = 0; r < 2; ++r)
    for (int k = 0; k < 3; ++k)
      EXPECT_FLOAT_EQ(y[size_t(r * 3 + k)],
                      x[size_t(r * 2)] * w[k] + x[size_t(r * 2 + 1)] * w[3 + k]);
}

// A run of elementwise nodes is computed in one pass (elementwise_chain.hpp)
// with the bits of the nodes run one at a time: a bias minus the input (a
// chain's first node reads its input itself, here as the right operand) plus
// one, GELU as PyTorch
// exports it (Div, Erf, Add, Mul by the pre-GELU value, Mul), a residual Add
// with the chain on the right, then Sigmoid, Sub, Tanh, Relu, a bias Mul,
// Exp and Div with the chain as right operand; one intermediate is also a graph output
// (the chain must stop there). The reference runs every node as a model of
// its own. Special values included; every instruction set of portable
// arithmetic. Fast arithmetic's chain takes fast_erf instead (fast_math.hpp):
// the same special values and within 1e-6 of the nodes' values.
TEST(ModelChecks, ElementwiseChainsAreTheirNodesBitForBit) {
  struct Step {
    const char* op;
    std::vector<std::string> in;
    std::string out;
  };
  const std::vector<Step> steps = {
      {"Sub", {"b", "x"}, "hb"},   {"Add", {"hb", "one"}, "h"}, {"Div", {"h", "sqrt2"}, "d"},
      {"Erf", {"d"}, "e"},         {"Add", {"e", "one"}, "a"},  {"Mul", {"h", "a"}, "m"},
      {"Mul", {"m", "half"}, "g"}, {"Add", {"x", "g"}, "r"},    {"Sigmoid", {"r"}, "s"},
      {"Sub", {"one", "s"}, "u"},  {"Tanh", {"u"}, "v"},        {"Relu", {"v"}, "w"},
      {"Mul", {"w", "b"}, "wb"},   {"Exp", {"wb"}, "z"},        {"Div", {"two", "z"}, "y"}};
  std::mt19937 rng(8);
  std::map<std::string, Tensor> known;
  auto tensor = [](std::vector<int64_t> shape, std::vector<float> f) {
    Tensor t;
    t.shape = std::move(shape), t.f.assign(f.begin(), f.end());
    return t;
  };
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> bias(40), xs(12 * 6 * 40);  // more than one 2048-element block
  for (auto& v : bias) v = nd(rng);
  for (auto& v : xs) v = nd(rng);
  xs[7] = NAN, xs[100] = INFINITY, xs[101] = -INFINITY, xs[300] = -0.0f, xs[301] = 1e-40f;
  known["x"] = tensor({12, 6, 40}, xs);
  known["b"] = tensor({40}, bias);
  known["sqrt2"] = tensor({}, {1.41421354f});
  known["one"] = tensor({}, {1.0f});
  known["half"] = tensor({}, {0.5f});
  known["two"] = tensor({1}, {2.0f});

  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 6, 40});
  for (const char* c : {"b", "sqrt2", "one", "half", "two"}) {
    auto* t = g.add_initializer();
    t->set_name(c);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : known[c].shape) t->add_dims(d);
    for (float v : known[c].f) t->add_float_data(v);
  }
  for (const Step& s : steps) add_node(g, s.op, s.in, {s.out});
  add_output(g, "y");
  add_output(g, "e");  // an intermediate read outside the chain
  Model model = Model::load_bytes(bytes(m), "chains");

  // Node by node, each its own model.
  for (const Step& s : steps) {
    auto one = base();
    auto& og = *one.mutable_graph();
    std::vector<const Tensor*> in;
    for (const auto& name : s.in) {
      auto* v = og.add_input();
      v->set_name(name);
      auto* tt = v->mutable_type()->mutable_tensor_type();
      tt->set_elem_type(onnx::TensorProto::FLOAT);
      for (auto d : known[name].shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
      in.push_back(&known[name]);
    }
    add_node(og, s.op, s.in, {s.out});
    add_output(og, s.out);
    Model alone = Model::load_bytes(bytes(one), s.op);
    Plan plan(alone, in, {Arithmetic::portable});
    known[s.out] = *plan.run(in)[0];
  }
  for (auto [arith, isa] :
       {std::pair{Arithmetic::portable, Isa::scalar}, std::pair{Arithmetic::portable, Isa::avx2},
        std::pair{Arithmetic::portable, Isa::avx512}, std::pair{Arithmetic::fast, Isa::native}}) {
    if (!isa_available(isa)) continue;
    Plan plan(model, {known["x"].shape}, {arith, isa});
    const auto out = plan.run({&known["x"]});
    for (size_t k = 0; k < 2; ++k) {
      const Tensor& want = known[k == 0 ? "y" : "e"];
      ASSERT_EQ(out[k]->f.size(), want.f.size());
      if (arith == Arithmetic::portable) {
        EXPECT_EQ(0, std::memcmp(out[k]->f.data(), want.f.data(), want.f.size() * 4))
            << arithmetic_name(arith) << "/" << isa_name(isa) << " output " << k;
        continue;
      }
      for (size_t e = 0; e < want.f.size(); ++e) {
        const float got = out[k]->f[e], ref = want.f[e];
        if (!std::isfinite(ref)) {
          EXPECT_EQ(std::isnan(got), std::isnan(ref)) << "output " << k << " element " << e;
          if (!std::isnan(ref)) {
            EXPECT_EQ(got, ref) << "output " << k << " element " << e;
          }
          continue;
        }
        EXPECT_LE(std::abs(got - ref), 1e-6f * std::max(1.0f, std::abs(ref)))
            << "fast output " << k << " element " << e << ": " << got << " vs " << ref;
      }
    }
  }
}

// Fast arithmetic takes GELU as PyTorch exports it (Div, Erf, Add, Mul by
// the input, Mul; here after a bias and followed by a residual Add) in one
// pass (fast_math.hpp's fast_gelu). Its bits must be those of the same
// nodes computed apart: the reference model also outputs the Erf, which
// stops the fusion there and leaves the nodes to two chains of their own.
// Either form of the first node (Div by sqrt 2, Mul by its inverse),
// several batch sizes (blocks and tails), special values.
TEST(ModelChecks, FusedGeluIsItsNodesBitForBit) {
  for (const char* first : {"Div", "Mul"}) {
    auto model_of = [&](bool erf_out) {
      auto m = base();
      auto& g = *m.mutable_graph();
      add_input(g, "x", {-1, 3, 37});
      std::mt19937 rng(3);
      add_init(g, "bias", {37}, rng);
      auto scalar = [&](const char* name, float v) {
        auto* t = g.add_initializer();
        t->set_name(name), t->set_data_type(onnx::TensorProto::FLOAT), t->add_float_data(v);
      };
      scalar("c", first[0] == 'D' ? 1.41421354f : 0.707106769f);
      scalar("one", 1.0f);
      scalar("half", 0.5f);
      add_node(g, "Add", {"x", "bias"}, {"h"});
      add_node(g, first, {"h", "c"}, {"d"});
      add_node(g, "Erf", {"d"}, {"e"});
      add_node(g, "Add", {"e", "one"}, {"a"});
      add_node(g, "Mul", {"h", "a"}, {"m"});
      add_node(g, "Mul", {"m", "half"}, {"gelu"});
      add_node(g, "Add", {"x", "gelu"}, {"y"});
      add_output(g, "y");
      if (erf_out) add_output(g, "e");
      return Model::load_bytes(bytes(m), erf_out ? "gelu apart" : "gelu");
    };
    const Model fused = model_of(false), apart = model_of(true);
    for (int64_t batch : {1, 7, 40}) {
      std::mt19937 rng{unsigned(batch)};
      std::normal_distribution<float> nd(0.0f, 2.0f);
      Tensor x;
      x.shape = {batch, 3, 37};
      x.f.resize(size_t(batch * 3 * 37));
      for (auto& v : x.f) v = nd(rng);
      const float inf = std::numeric_limits<float>::infinity();
      x.f[1] = NAN, x.f[2] = inf, x.f[3] = -inf, x.f[4] = -0.0f, x.f[5] = 1e30f;
      Plan a(fused, {x.shape}, {Arithmetic::fast}), b(apart, {x.shape}, {Arithmetic::fast});
      const Tensor& ya = *a.run({&x})[0];
      const Tensor& yb = *b.run({&x})[0];
      ASSERT_EQ(ya.f.size(), yb.f.size());
      EXPECT_EQ(0, std::memcmp(ya.f.data(), yb.f.data(), ya.f.size() * 4))
          << first << ", batch " << batch;
    }
  }
}

// Erf and Exp nodes, alone and in an elementwise chain, take fast
// arithmetic's single-precision erf and exp (fast_math.hpp) in fast
// arithmetic and the portable ones otherwise, bit for bit; the two differ on
// some of these inputs, so each side is told apart.
TEST(ModelChecks, ErfAndExpNodesFollowTheArithmetic) {
  auto m = base();
  auto& g = *m.mutable_graph();
  add_input(g, "x", {-1, 300});
  auto* t = g.add_initializer();
  t->set_name("c"), t->set_data_type(onnx::TensorProto::FLOAT), t->add_float_data(0.75f);
  add_node(g, "Exp", {"x"}, {"e"});
  add_node(g, "Erf", {"x"}, {"f"});
  add_node(g, "Exp", {"x"}, {"u"});
  add_node(g, "Mul", {"u", "c"}, {"chained"});
  for (const char* out : {"e", "f", "chained"}) add_output(g, out);
  const Model model = Model::load_bytes(bytes(m), "erf and exp");
  Tensor x;
  x.shape = {3, 300};
  x.f.resize(900);
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 4.0f);
  for (auto& v : x.f) v = nd(rng);
  const int64_t n = int64_t(x.f.size());
  std::vector<float> fast_e(x.f.size()), fast_f(x.f.size()), port_e(x.f.size()), port_f(x.f.size());
  fast_exp(Isa::native, x.f.data(), fast_e.data(), n);
  fast_erf(Isa::native, x.f.data(), fast_f.data(), n);
  portable_map(Isa::native, MathFn::exp, x.f.data(), port_e.data(), n);
  portable_map(Isa::native, MathFn::erf, x.f.data(), port_f.data(), n);
  EXPECT_NE(0, std::memcmp(fast_e.data(), port_e.data(), size_t(n) * 4));
  EXPECT_NE(0, std::memcmp(fast_f.data(), port_f.data(), size_t(n) * 4));
  for (const Arithmetic arithmetic : {Arithmetic::fast, Arithmetic::portable}) {
    const bool fast = arithmetic == Arithmetic::fast;
    Plan plan(model, {x.shape}, {arithmetic});
    const auto y = plan.run({&x});
    const std::vector<float>& e = fast ? fast_e : port_e;
    std::vector<float> chained(e);
    for (auto& v : chained) v *= 0.75f;
    EXPECT_EQ(0, std::memcmp(y[0]->f.data(), e.data(), size_t(n) * 4)) << fast;
    EXPECT_EQ(0, std::memcmp(y[1]->f.data(), (fast ? fast_f : port_f).data(), size_t(n) * 4))
        << fast;
    EXPECT_EQ(0, std::memcmp(y[2]->f.data(), chained.data(), size_t(n) * 4)) << fast;
  }
}

namespace {
// A float initializer of `dims` filled with v (or the values of `vs`).
void add_filled(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> dims,
                std::vector<float> vs) {
  auto* t = g.add_initializer();
  t->set_name(name), t->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t->add_dims(d);
  for (float v : vs) t->add_float_data(v);
}
Tensor random_input(std::vector<int64_t> shape, unsigned seed) {
  Tensor x;
  x.shape = shape;
  int64_t n = 1;
  for (auto d : shape) n *= d;
  x.f.resize(size_t(n));
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (auto& v : x.f) v = nd(rng);
  return x;
}
bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape == b.shape && a.f.size() == b.f.size() &&
         std::memcmp(a.f.data(), b.f.data(), a.f.size() * 4) == 0;
}
}  // namespace

// A Plan made from a temporary Model (writing the Slice test above showed
// its steps pointed into the freed graph) keeps the graph: it runs, with
// the bits of a plan made from a Model that lives on.
TEST(Plan, OutlivesTheModelItWasMadeFrom) {
  const Tensor x = random_input({3, 20}, 5);
  for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
    Plan from_temporary(Model::load_bytes(bytes(mlp()), "mlp"), {x.shape}, {a});
    const Model model = Model::load_bytes(bytes(mlp()), "mlp");
    Plan from_named(model, {x.shape}, {a});
    EXPECT_TRUE(same_bits(*from_temporary.run({&x})[0], *from_named.run({&x})[0]));
  }
}

// Exports before opset 17 spell LayerNorm as ReduceMean, Sub, Pow(2),
// ReduceMean, Add, Sqrt, Div, whose kernels take shortcuts: Pow by one
// exponent element by element (x^2 as x * x), Sub and Div by one value a row
// as the vectorised loop. Each gives the bits of its general path, here
// reached by giving the same exponent or row values as a full tensor; special
// values included, each operand on either side.
TEST(ModelChecks, LayerNormPiecesGiveTheGeneralPathsBits) {
  const std::vector<int64_t> shape = {2, 3, 37};
  Tensor x = random_input(shape, 8), v = random_input({2, 3, 1}, 9);
  const float inf = std::numeric_limits<float>::infinity();
  x.f[0] = NAN, x.f[1] = inf, x.f[2] = -inf, x.f[3] = -0.0f, x.f[4] = 0.0f, x.f[5] = 1e-30f;
  x.f[6] = 3e19f, v.f[1] = 0.0f;
  auto run = [&](const onnx::ModelProto& m, std::vector<const Tensor*> in) {
    const Model model = Model::load_bytes(bytes(m), "pieces");
    std::vector<std::vector<int64_t>> shapes;
    for (auto* t : in) shapes.push_back(t->shape);
    Plan plan(model, shapes, {Arithmetic::portable});
    return *plan.run(in)[0];
  };
  for (const float q : {2.0f, 3.0f, 0.5f, -1.5f, 1.0f}) {
    auto one = base(), full = base();
    for (auto* m : {&one, &full}) {
      auto& g = *m->mutable_graph();
      add_input(g, "x", shape);
      if (m == &one)
        add_filled(g, "q", {}, {q});
      else
        add_filled(g, "q", shape, std::vector<float>(2 * 3 * 37, q));
      add_node(g, "Pow", {"x", "q"}, {"y"});
      add_output(g, "y");
    }
    EXPECT_TRUE(same_bits(run(one, {&x}), run(full, {&x}))) << "Pow " << q;
  }
  for (const char* op : {"Sub", "Div"})
    for (const bool row_first : {false, true}) {
      auto rows = base(), full = base();
      for (auto* m : {&rows, &full}) {
        auto& g = *m->mutable_graph();
        add_input(g, "x", shape);
        add_input(g, "v", {2, 3, 1});
        std::string other = "v";
        if (m == &full) {
          // v spread to x's shape first (v + zeros, exact), so the node
          // itself sees two operands of one shape.
          add_filled(g, "zeros", shape, std::vector<float>(2 * 3 * 37, 0.0f));
          add_node(g, "Add", {"v", "zeros"}, {"spread"});
          other = "spread";
        }
        add_node(
            g, op,
            row_first ? std::vector<std::string>{other, "x"} : std::vector<std::string>{"x", other},
            {"y"});
        add_output(g, "y");
      }
      EXPECT_TRUE(same_bits(run(rows, {&x, &v}), run(full, {&x, &v})))
          << op << (row_first ? " row first" : " row second");
    }
}

// ReduceMean and ReduceSumSquare over trailing axes sum in lane_sum's eight
// lanes in double (lane k % 8, the lanes then added in order), then divide
// and round once; whatever the rows around them.
TEST(ModelChecks, TrailingReductionsSumInEightLanes) {
  // Each row starts 2^60, six small values, ..., -2^60 (lane 0 both): taken
  // in order, the small values vanish into 2^60 before it cancels; in the
  // lanes they stay. (A double sum of floats otherwise rounds too little to
  // show its order in float.)
  Tensor x = random_input({5, 3, 101}, 10);
  for (size_t o = 0; o < 15; ++o) x.f[o * 101] = 0x1p60f, x.f[o * 101 + 8] = -0x1p60f;
  for (const char* op : {"ReduceMean", "ReduceSumSquare"}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {5, 3, 101});
    auto* a = add_node(g, op, {"x"}, {"y"})->add_attribute();
    a->set_name("axes"), a->set_type(onnx::AttributeProto::INTS), a->add_ints(-1);
    add_output(g, "y");
    const Model model = Model::load_bytes(bytes(m), op);
    Plan plan(model, {x.shape}, {Arithmetic::portable});
    const Tensor& y = *plan.run({&x})[0];
    ASSERT_EQ(y.f.size(), 15u);
    const bool mean = op[6] == 'M';
    for (int64_t o = 0; o < 15; ++o) {
      double lane[8] = {};
      for (int64_t k = 0; k < 101; ++k) {
        const double v = x.f[size_t(o * 101 + k)];
        lane[k % 8] += mean ? v : v * v;
      }
      double sum = 0;
      for (double l : lane) sum += l;
      EXPECT_EQ(y.f[size_t(o)], float(mean ? sum / 101 : sum)) << op << " " << o;
    }
  }
}

// Attention's heads cut from one projection (Slice on the last axis,
// Reshape to heads, Transpose) are read where the projection wrote them:
// K and V by their products, Q by its Transpose's copy before the Div
// (transposed_matmul.hpp: CutHeads). Bit for bit the plain kernels', which
// run when every slice is also a graph output; a Slice with a step of 2,
// which reads every other column, is read in place likewise.
TEST(PlannedSteps, AttentionHeadsReadWhereTheProjectionWroteThem) {
  for (const int64_t step : {1, 2}) {
    auto model = [&](bool slices_run) {
      auto m = base();
      auto& g = *m.mutable_graph();
      add_input(g, "x", {-1, 5, 24 * step});  // [batch, sequence, 3 x heads x head size]
      auto ints = [&](const char* name, std::vector<int64_t> v) {
        auto* t = g.add_initializer();
        t->set_name(name), t->set_data_type(onnx::TensorProto::INT64),
            t->add_dims(int64_t(v.size()));
        for (auto x : v) t->add_int64_data(x);
      };
      ints("axes", {2}), ints("steps", {step}), ints("heads", {0, 5, 2, 4});
      const char* names[] = {"q", "k", "v"};
      for (int64_t h = 0; h < 3; ++h) {
        const std::string s = names[h];
        ints(("from_" + s).c_str(), {h * 8 * step}),
            ints(("to_" + s).c_str(), {(h + 1) * 8 * step});
        add_node(g, "Slice", {"x", "from_" + s, "to_" + s, "axes", "steps"}, {s + "_cut"});
        add_node(g, "Reshape", {s + "_cut", "heads"}, {s + "_heads"});
      }
      set_ints(add_node(g, "Transpose", {"q_heads"}, {"qt"}), "perm", {0, 2, 1, 3});
      auto* two = g.add_initializer();
      two->set_name("two"), two->set_data_type(onnx::TensorProto::FLOAT), two->add_float_data(2.0f);
      add_node(g, "Div", {"qt", "two"}, {"q_scaled"});
      set_ints(add_node(g, "Transpose", {"k_heads"}, {"kt"}), "perm", {0, 2, 3, 1});
      add_node(g, "MatMul", {"q_scaled", "kt"}, {"s"});
      add_node(g, "Softmax", {"s"}, {"p"});
      set_ints(add_node(g, "Transpose", {"v_heads"}, {"vt"}), "perm", {0, 2, 1, 3});
      add_node(g, "MatMul", {"p", "vt"}, {"o"});
      set_ints(add_node(g, "Transpose", {"o"}, {"y"}), "perm", {0, 2, 1, 3});
      add_output(g, "y");
      if (slices_run)
        for (const char* v : {"q_cut", "k_cut", "v_cut"}) add_output(g, v);
      return Model::load_bytes(bytes(m), "attention heads");
    };
    const Model in_place = model(false), copies = model(true);
    for (const int64_t n : {1, 3}) {
      Tensor x = random_input({n, 5, 24 * step}, unsigned(7 + n));
      x.f[3] = NAN;
      for (Arithmetic arith : {Arithmetic::portable, Arithmetic::fast}) {
        Plan a(in_place, {x.shape}, {arith}), b(copies, {x.shape}, {arith});
        const Tensor ya = *a.run({&x})[0], yb = *b.run({&x})[0];
        ASSERT_EQ(ya.shape, (std::vector<int64_t>{n, 5, 2, 4}));
        EXPECT_TRUE(same_bits(ya, yb))
            << arithmetic_name(arith) << " batch " << n << " step " << step;
        float largest = 0;
        for (float v : ya.f)
          if (std::isfinite(v)) largest = std::max(largest, v);
        EXPECT_GT(largest, 0.5f);
      }
    }
  }
}

// LayerNorm as exported before opset 17 (ReduceMean, Sub, Pow 2,
// ReduceMean, Add eps, Sqrt, Div) runs as one pass a row
// (decomposed_layer_norm.hpp) with the bits of its nodes, which run one by
// one when the difference d is also a graph output. Rows of -0.0, of one
// value repeated (variance 0), with a NaN or an infinity; the exponent as a
// float or an int64; both arithmetics; several batches (rows shared with
// threads alike).
TEST(PlannedSteps, DecomposedLayerNormIsItsNodesBitForBit) {
  for (const bool int_exponent : {false, true}) {
    auto model = [&](bool apart) {
      auto m = base();
      auto& g = *m.mutable_graph();
      add_input(g, "x", {-1, 3, 37});
      if (int_exponent) {
        auto* t = g.add_initializer();
        t->set_name("two"), t->set_data_type(onnx::TensorProto::INT64), t->add_int64_data(2);
      } else {
        add_filled(g, "two", {}, {2.0f});
      }
      add_filled(g, "eps", {}, {1e-5f});
      std::mt19937 rng(12);
      add_init(g, "gamma", {37}, rng);
      add_init(g, "beta", {37}, rng);
      auto* mean = add_node(g, "ReduceMean", {"x"}, {"m"})->add_attribute();
      mean->set_name("axes"), mean->set_type(onnx::AttributeProto::INTS), mean->add_ints(-1);
      add_node(g, "Sub", {"x", "m"}, {"d"});
      add_node(g, "Pow", {"d", "two"}, {"p"});
      auto* mean_sq = add_node(g, "ReduceMean", {"p"}, {"v"})->add_attribute();
      mean_sq->set_name("axes"), mean_sq->set_type(onnx::AttributeProto::INTS),
          mean_sq->add_ints(2);
      add_node(g, "Add", {"v", "eps"}, {"e"});
      add_node(g, "Sqrt", {"e"}, {"s"});
      add_node(g, "Div", {"d", "s"}, {"n"});
      add_node(g, "Mul", {"n", "gamma"}, {"scaled"});
      add_node(g, "Add", {"scaled", "beta"}, {"y"});
      add_output(g, "y");
      if (apart) add_output(g, "d");
      return Model::load_bytes(bytes(m), apart ? "layer norm apart" : "layer norm");
    };
    const Model fused = model(false), apart = model(true);
    for (const int64_t n : {1, 4, 50}) {
      Tensor x = random_input({n, 3, 37}, unsigned(20 + n));
      for (int64_t k = 0; k < 37; ++k) x.f[size_t(k)] = -0.0f, x.f[size_t(37 + k)] = 1.5f;
      if (n > 1) x.f[size_t(3 * 37 + 5)] = NAN, x.f[size_t(4 * 37 + 6)] = INFINITY;
      for (Arithmetic arith : {Arithmetic::portable, Arithmetic::fast}) {
        Plan a(fused, {x.shape}, {arith}), b(apart, {x.shape}, {arith});
        const Tensor ya = *a.run({&x})[0], yb = *b.run({&x})[0];
        EXPECT_TRUE(same_bits(ya, yb))
            << arithmetic_name(arith) << " batch " << n << " int exponent " << int_exponent;
      }
    }
  }
}

// A MatMul or Gemm over an inner dimension of length 0 (x [4, 0] times a
// constant W [0, 3]) is a sum of nothing: zeros, in both arithmetics, run
// after run. The planned product step divided by that length (SIGFPE); a
// plan with an empty computed tensor now runs every node's plain kernel.
TEST(ModelChecks, ProductsOverAnEmptyInnerDimensionAreZero) {
  for (const std::string op : {"MatMul", "Gemm"})
    for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
      auto m = base();
      auto& g = *m.mutable_graph();
      add_input(g, "x", {-1, 0});
      auto* t = g.add_initializer();
      t->set_name("w"), t->set_data_type(onnx::TensorProto::FLOAT), t->add_dims(0), t->add_dims(3);
      add_node(g, op, {"x", "w"}, {"y"});
      add_output(g, "y");
      Tensor x;
      x.shape = {4, 0};
      Plan plan(Model::load_bytes(bytes(m), "k0"), {x.shape}, {a});
      for (int run = 0; run < 2; ++run) {
        const Tensor y = *plan.run({&x})[0];
        EXPECT_EQ(y.shape, (std::vector<int64_t>{4, 3})) << op;
        EXPECT_EQ(y.f, std::vector<float>(12, 0.0f)) << op;
      }
    }
}

// Resize scales that would make an axis longer than int64 holds (1e30) or
// are infinite are refused before the conversion to int64, which had no
// defined result. An empty axis scaled stays empty (nothing to read); sizes
// that ask values of an empty axis are refused (found by
// OnnxNodeTests.EmptyAxesRunOrAreRefused: it read past the input).
TEST(ModelChecks, ResizeScalesBeyondRangeAndEmptyAxes) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const bool by_sizes : {false, true})
    for (const std::vector<int64_t>& shape : {std::vector<int64_t>{1, 1, 4, 4}, {1, 1, 0, 4}})
      for (const float scale : {2.0f, 1e30f, inf}) {
        if (by_sizes && scale != 2.0f) continue;
        auto m = base();
        auto& g = *m.mutable_graph();
        add_input(g, "x", {-1, 1, shape[2], shape[3]});
        auto* roi = g.add_initializer();
        roi->set_name("roi"), roi->set_data_type(onnx::TensorProto::FLOAT), roi->add_dims(0);
        auto* sc = g.add_initializer();
        sc->set_name("scales"), sc->set_data_type(onnx::TensorProto::FLOAT);
        if (by_sizes) {
          sc->add_dims(0);
          add_ints_init(g, "sizes", {1, 1, 3, 8});
          add_node(g, "Resize", {"x", "roi", "scales", "sizes"}, {"y"});
        } else {
          sc->add_dims(4);
          for (float v : {1.0f, 1.0f, scale, scale}) sc->add_float_data(v);
          add_node(g, "Resize", {"x", "roi", "scales"}, {"y"});
        }
        add_output(g, "y");
        Tensor x;
        x.shape = shape, x.f.assign(size_t(shape[2] * shape[3]), 1.0f);
        const Model model = Model::load_bytes(bytes(m), "resize");
        const std::string why = refusal_at_run(model, x);
        const std::string what = (by_sizes ? "sizes " : "scale ") + std::to_string(scale) + " of " +
                                 std::to_string(shape[2]);
        if (scale == 1e30f)
          EXPECT_NE(why.find("scales make an axis longer than 268435456"), std::string::npos)
              << what << ": " << why;
        else if (scale == inf)
          EXPECT_NE(why.find("scales must be positive and finite"), std::string::npos)
              << what << ": " << why;
        else if (by_sizes && shape[2] == 0)
          EXPECT_NE(why.find("resizes an empty axis to 3 (input [1,1,0,4])"), std::string::npos)
              << what << ": " << why;
        else
          EXPECT_EQ(why, "") << what;
      }
}

// int64 arithmetic at int64's limits. A Pow of int64s whose power has no
// int64 (10^100, or 0 to a negative power: inf) is refused, as Cast refuses
// such a value (found by fuzz_onnx_model: UBSan, inf converted to int64).
// Range over int64 counts its elements exactly (doubles round bounds beyond
// 2^53: one element from 2^63 - 2 was none) and makes no intermediate that
// overflows (i * delta from -2^63 by 2^62).
TEST(ModelChecks, Int64PowAndRangeAtInt64Limits) {
  for (const int64_t exponent : {100, -1}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 2});
    cast_to(add_node(g, "Cast", {"x"}, {"i"}), onnx::TensorProto::INT64);
    add_ints_init(g, "e", {exponent});
    add_node(g, "Pow", {"i", "e"}, {"p"});
    cast_to(add_node(g, "Cast", {"p"}, {"y"}), onnx::TensorProto::FLOAT);
    add_output(g, "y");
    Tensor x;
    x.shape = {1, 2}, x.f = {exponent > 0 ? 10.0f : 0.0f, 2.0f};
    const std::string why = refusal_at_run(Model::load_bytes(bytes(m), "pow"), x);
    EXPECT_NE(why.find("an int64 power beyond int64"), std::string::npos)
        << exponent << ": " << why;
  }
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  struct Case {
    int64_t start, limit, delta;
    std::vector<int64_t> want;
  };
  for (const Case& c : {Case{max - 2, max, 1, {max - 2, max - 1}},
                        Case{min, max, int64_t{1} << 62, {min, min / 2, 0, max / 2 + 1}},
                        Case{max, min, min, {max, -1}}, Case{0, 5, 2, {0, 2, 4}},
                        Case{5, 0, -2, {5, 3, 1}}, Case{0, 5, -1, {}}}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 2});
    add_ints_init(g, "s", {c.start}), add_ints_init(g, "l", {c.limit});
    add_ints_init(g, "d", {c.delta});
    add_node(g, "Range", {"s", "l", "d"}, {"r"});
    add_node(g, "Identity", {"x"}, {"y"});
    add_output(g, "r"), add_output(g, "y");
    Tensor x;
    x.shape = {1, 2}, x.f = {1.0f, 2.0f};
    Plan plan(Model::load_bytes(bytes(m), "range"), {x.shape}, {Arithmetic::portable});
    const Tensor r = *plan.run({&x})[0];
    EXPECT_EQ(r.i, c.want) << c.start << " " << c.limit << " " << c.delta;
  }
}

// Sizes a model computes in tensors rather than attributes (bounded at
// load) are bounded by the kernel before any sum or product of them: a
// Reshape to [2^40, 2^40, -1], a Tile by 2^62, a Pad of 2^62 on both sides,
// an int64 Pad's constant_value of 1e30. Each is refused by name, where the
// sums and products overflowed before.
TEST(ModelChecks, SizesFromTensorsAtInt64Limits) {
  const int64_t big = int64_t{1} << 62;
  struct Case {
    std::string op;
    std::vector<int64_t> ints;
    std::string why;
  };
  for (const Case& c :
       {Case{"Reshape", {int64_t{1} << 40, int64_t{1} << 40, -1}, "holds more elements than int64"},
        Case{"Tile", {1, big}, "repeats make axis 1 longer than 268435456"},
        Case{"Pad", {0, big, 0, big}, "a pad of 4611686018427387904"},
        Case{"PadInt", {0, 1, 0, 1}, "constant_value beyond int64"}}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 4});
    add_ints_init(g, "s", c.ints);
    std::string x = "x";
    if (c.op == "PadInt") {
      cast_to(add_node(g, "Cast", {"x"}, {"xi"}), onnx::TensorProto::INT64);
      add_scalar(g, "v", 1e30f);
      add_node(g, "Pad", {"xi", "s", "v"}, {"y"});
    } else {
      add_node(g, c.op, {"x", "s"}, {"y"});
    }
    add_output(g, "y");
    Tensor in;
    in.shape = {1, 4}, in.f.assign(4, 1.0f);
    const std::string why = refusal_at_run(Model::load_bytes(bytes(m), c.op), in);
    EXPECT_NE(why.find(c.why), std::string::npos) << c.op << ": " << why;
  }
}

// A node naming more outputs than its operator has (found by
// fuzz_onnx_model: a Flatten with three outputs, the unwritten ones fed to a
// LayerNormalization as its scale, read from a null pointer) is refused at
// load; omitted optional outputs ("") do not count, and operators with
// several outputs keep them.
TEST(ModelChecks, OutputsBeyondTheOperatorsRefused) {
  auto flatten = base();
  {
    auto& g = *flatten.mutable_graph();
    add_input(g, "x", {-1, 4});
    add_node(g, "Flatten", {"x"}, {"y", "extra", "more"});
    add_output(g, "y");
  }
  EXPECT_NE(refusal(flatten).find("(Flatten): names 3 outputs; Flatten has 1"), std::string::npos)
      << refusal(flatten);
  auto omitted = base();
  {
    auto& g = *omitted.mutable_graph();
    add_input(g, "x", {-1, 4});
    add_node(g, "Dropout", {"x"}, {"y", ""});
    add_output(g, "y");
  }
  EXPECT_EQ(refusal(omitted), "");
  auto layer_norm = base();
  {
    auto& g = *layer_norm.mutable_graph();
    layer_norm.mutable_opset_import(0)->set_version(17);
    add_input(g, "x", {-1, 4});
    std::mt19937 rng(1);
    add_init(g, "s", {4}, rng);
    add_node(g, "LayerNormalization", {"x", "s"}, {"y", "mean", "inv"});
    add_output(g, "y"), add_output(g, "mean"), add_output(g, "inv");
  }
  EXPECT_EQ(refusal(layer_norm), "");
  add_node(*layer_norm.mutable_graph(), "LayerNormalization", {"x", "s"}, {"a", "b", "c", "d"});
  EXPECT_NE(refusal(layer_norm).find("names 4 outputs; LayerNormalization has 3"),
            std::string::npos)
      << refusal(layer_norm);
}

// int64 arithmetic at int64's limits wraps around in two's complement, as
// numpy and ONNX Runtime do, where it was a signed overflow (undefined):
// Add, Sub, Mul, Div (-2^63 / -1), Neg, Abs, Sum. An int64 Clip takes its
// bounds as int64 (int64's limits made 2^63 through double).
TEST(ModelChecks, Int64ArithmeticWrapsAtItsLimits) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  struct Case {
    std::string op;
    std::vector<int64_t> a, b, want;
  };
  for (const Case& c :
       {Case{"Add", {max, 1}, {1, 1}, {min, 2}}, Case{"Sub", {min, 5}, {1, 2}, {max, 3}},
        Case{"Mul", {int64_t{1} << 62, -3}, {4, 3}, {0, -9}},
        Case{"Div", {min, 7}, {-1, -2}, {min, -3}}, Case{"Neg", {min, 3}, {}, {min, -3}},
        Case{"Abs", {min, -3}, {}, {min, 3}}, Case{"Sum", {max, 2}, {1, 2}, {min, 4}},
        Case{"Clip", {min, max}, {min}, {min, max}}}) {
    auto m = base();
    auto& g = *m.mutable_graph();
    add_input(g, "x", {-1, 2});
    add_ints_init(g, "a", c.a);
    std::vector<std::string> ins = {"a"};
    if (!c.b.empty()) add_ints_init(g, "b", c.b), ins.push_back("b");
    add_node(g, c.op, ins, {"r"});
    add_node(g, "Identity", {"x"}, {"y"});
    add_output(g, "r"), add_output(g, "y");
    Tensor x;
    x.shape = {1, 2}, x.f = {1.0f, 2.0f};
    Plan plan(Model::load_bytes(bytes(m), c.op), {x.shape}, {Arithmetic::portable});
    EXPECT_EQ(plan.run({&x})[0]->i, c.want) << c.op;
  }
}
