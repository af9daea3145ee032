// Runs the official ONNX backend node tests (Debian's libonnx-testdata) for
// every supported operator, within the backend's default tolerances
// (rtol 1e-3, atol 1e-7). Prints per operator how many cases ran and passed;
// each skipped case is listed with the engine's reason.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "basin/infer/model.hpp"

namespace fs = std::filesystem;
using namespace basin::infer;

namespace {

// Test-name prefix (after "test_") -> operator.
const std::vector<std::pair<std::string, std::string>> kOps = {
    {"gemm", "Gemm"},
    {"matmul", "MatMul"},
    {"add", "Add"},
    {"sub", "Sub"},
    {"mul", "Mul"},
    {"div", "Div"},
    {"relu", "Relu"},
    {"leakyrelu", "LeakyRelu"},
    {"sigmoid", "Sigmoid"},
    {"tanh", "Tanh"},
    {"softmax", "Softmax"},
    {"logsoftmax", "LogSoftmax"},
    {"conv", "Conv"},
    {"maxpool", "MaxPool"},
    {"averagepool", "AveragePool"},
    {"globalaveragepool", "GlobalAveragePool"},
    {"batchnorm", "BatchNormalization"},
    {"flatten", "Flatten"},
    {"reshape", "Reshape"},
    {"transpose", "Transpose"},
    {"concat", "Concat"},
    {"identity", "Identity"},
    {"dropout", "Dropout"},
    {"constant", "Constant"},
    {"shape", "Shape"},
    {"gather", "Gather"},
    {"unsqueeze", "Unsqueeze"},
    {"abs", "Abs"},
    {"neg", "Neg"},
    {"exp", "Exp"},
    {"log", "Log"},
    {"sqrt", "Sqrt"},
    {"reciprocal", "Reciprocal"},
    {"erf", "Erf"},
    {"ceil", "Ceil"},
    {"floor", "Floor"},
    {"round", "Round"},
    {"sign", "Sign"},
    {"softsign", "Softsign"},
    {"softplus", "Softplus"},
    {"elu", "Elu"},
    {"celu", "Celu"},
    {"selu", "Selu"},
    {"thresholdedrelu", "ThresholdedRelu"},
    {"hardsigmoid", "HardSigmoid"},
    {"hardswish", "HardSwish"},
    {"pow", "Pow"},
    {"max", "Max"},
    {"min", "Min"},
    {"sum", "Sum"},
    {"prelu", "PRelu"},
    {"clip", "Clip"},
    {"reduce_mean", "ReduceMean"},
    {"reduce_sum", "ReduceSum"},
    {"reduce_sum_square", "ReduceSumSquare"},
    {"reduce_max", "ReduceMax"},
    {"reduce_min", "ReduceMin"},
    {"layer_normalization", "LayerNormalization"},
    {"slice", "Slice"},
    {"squeeze", "Squeeze"},
    {"expand", "Expand"},
    {"split", "Split"},
    {"globalmaxpool", "GlobalMaxPool"},
    {"instancenorm", "InstanceNormalization"},
    {"tile", "Tile"},
    {"depthtospace", "DepthToSpace"},
    {"constant_pad", "Pad"},
    {"edge_pad", "Pad"},
    {"reflect_pad", "Pad"},
    {"convtranspose", "ConvTranspose"},
    {"where", "Where"},
    {"equal", "Equal"},
    {"less", "Less"},
    {"less_equal", "LessOrEqual"},
    {"greater", "Greater"},
    {"greater_equal", "GreaterOrEqual"},
    {"not", "Not"},
    {"and", "And"},
    {"and2d", "And"},
    {"and3d", "And"},
    {"and4d", "And"},
    {"or", "Or"},
    {"or2d", "Or"},
    {"or3d", "Or"},
    {"or4d", "Or"},
    {"xor", "Xor"},
    {"xor2d", "Xor"},
    {"xor3d", "Xor"},
    {"xor4d", "Xor"},
    {"constantofshape", "ConstantOfShape"},
    {"range", "Range"},
    {"resize", "Resize"},
    {"lstm", "LSTM"},
    {"gru", "GRU"}};

std::string op_of(const std::string& test) {
  std::string best;
  size_t len = 0;
  for (const auto& [pre, op] : kOps) {
    const std::string p = "test_" + pre;
    if (test.rfind(p, 0) == 0 && (test.size() == p.size() || test[p.size()] == '_') &&
        p.size() > len)
      best = op, len = p.size();
  }
  return best;
}

struct Tally {
  int ran = 0, passed = 0;
  std::vector<std::string> skipped, failed;
};

// Returns "" on pass, else the reason it failed.
std::string compare(const Tensor& got, const Tensor& want) {
  if (got.shape != want.shape) return "shape differs";
  if (got.dtype != want.dtype) return "dtype differs";
  if (got.dtype == DType::i64) return got.i == want.i ? "" : "int values differ";
  for (size_t k = 0; k < got.f.size(); ++k) {
    const double a = got.f[k], b = want.f[k];
    if (std::isnan(b) ? !std::isnan(a) : !(std::fabs(a - b) <= 1e-7 + 1e-3 * std::fabs(b)))
      return "value " + std::to_string(k) + ": " + std::to_string(a) + " vs " + std::to_string(b);
  }
  return "";
}

}  // namespace

TEST(OnnxNodeTests, EverySupportedOperatorPasses) {
  std::map<std::string, Tally> tally;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(BASIN_ONNX_NODE_DIR)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    const std::string name = dir.filename().string();
    const std::string op = op_of(name);
    if (op.empty()) continue;
    Tally& t = tally[op];
    std::optional<Model> model;
    try {
      model = Model::load_file((dir / "model.onnx").string());
    } catch (const ModelError& e) {
      t.skipped.push_back(name + ": " + e.what());
      continue;
    }
    for (const auto& set : fs::directory_iterator(dir)) {
      if (set.path().filename().string().rfind("test_data_set_", 0) != 0) continue;
      std::vector<Tensor> ins, outs;
      std::string why;
      try {
        for (size_t k = 0; k < model->inputs().size(); ++k)
          ins.push_back(Model::load_tensor_file(
              (set.path() / ("input_" + std::to_string(k) + ".pb")).string()));
        for (size_t k = 0; k < model->outputs().size(); ++k)
          outs.push_back(Model::load_tensor_file(
              (set.path() / ("output_" + std::to_string(k) + ".pb")).string()));
      } catch (const ModelError& e) {
        t.skipped.push_back(name + ": " + e.what());
        continue;
      }
      std::vector<const Tensor*> ptrs;
      for (const auto& x : ins) ptrs.push_back(&x);
      std::optional<Plan> plan;
      try {
        plan.emplace(*model, ptrs);
      } catch (const ModelError& e) {
        t.skipped.push_back(name + " (refused at plan): " + e.what());
        continue;
      }
      ++t.ran;
      try {
        auto got = plan->run(ptrs);
        for (size_t k = 0; k < outs.size() && why.empty(); ++k) why = compare(*got[k], outs[k]);
      } catch (const ModelError& e) {
        why = e.what();
      }
      if (why.empty())
        ++t.passed;
      else
        t.failed.push_back(name + ": " + why);
    }
  }
  std::cout << "ONNX backend node tests (rtol 1e-3, atol 1e-7):\n";
  for (const auto& [op, t] : tally) {
    std::cout << "  " << op << ": " << t.passed << "/" << t.ran << " passed, " << t.skipped.size()
              << " skipped\n";
    for (const auto& s : t.skipped) std::cout << "    skipped " << s << "\n";
    for (const auto& f : t.failed) std::cout << "    FAILED " << f << "\n";
    EXPECT_TRUE(t.failed.empty()) << op;
  }
  for (const auto& [pre, op] : kOps) EXPECT_GT(tally[op].passed, 0) << op << " has no passing case";
}

namespace {

// The model of `bytes` with dim `axis` of its graph input `input` declared 0.
std::string with_empty_axis(const std::string& bytes, const std::string& input, size_t axis) {
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes)) return bytes;
  for (auto& v : *m.mutable_graph()->mutable_input())
    if (v.name() == input) {
      auto* shape = v.mutable_type()->mutable_tensor_type()->mutable_shape();
      if (int(axis) < shape->dim_size()) shape->mutable_dim(int(axis))->set_dim_value(0);
    }
  return m.SerializeAsString();
}

}  // namespace

// Every node test's model again, each input in turn given an axis of length
// 0 (every axis, one at a time; declared so in the model too), planned and
// run in both arithmetics: it runs or is refused with a ModelError; anything
// else (another exception, a crash, and in the sanitizer build any undefined
// behaviour) fails. Empty tensors reaching a kernel's pointer arithmetic were
// the fuzzer's commonest finding (docs/accounting-guide.md); this visits the
// attribute combinations of every operator's node tests, systematically.
TEST(OnnxNodeTests, EmptyAxesRunOrAreRefused) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(BASIN_ONNX_NODE_DIR)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  int ran = 0, refused = 0;
  for (const auto& dir : dirs) {
    const std::string name = dir.filename().string();
    if (op_of(name).empty()) continue;
    std::optional<Model> model;
    std::vector<Tensor> ins;
    try {
      model = Model::load_file((dir / "model.onnx").string());
      for (size_t k = 0; k < model->inputs().size(); ++k)
        ins.push_back(Model::load_tensor_file(
            (dir / "test_data_set_0" / ("input_" + std::to_string(k) + ".pb")).string()));
    } catch (const ModelError&) {
      continue;  // not supported: the test above lists why
    }
    std::ifstream file(dir / "model.onnx", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)), {});
    // Input k alone, then with every input of the same shape (so that
    // elementwise operators get operands that broadcast).
    for (size_t k = 0; k < ins.size(); ++k)
      for (size_t axis = 0; axis < ins[k].shape.size(); ++axis)
        for (bool alike : {false, true}) {
          std::vector<Tensor> empty = ins;
          std::string declared = bytes;
          int emptied = 0;
          for (size_t j = 0; j < ins.size(); ++j)
            if (j == k || (alike && ins[j].shape == ins[k].shape && ins[j].dtype == ins[k].dtype)) {
              empty[j].shape[axis] = 0;
              empty[j].f.clear(), empty[j].i.clear();
              declared = with_empty_axis(declared, model->inputs()[j].name, axis);
              ++emptied;
            }
          if (alike && emptied == 1) continue;
          std::vector<const Tensor*> ptrs;
          for (const auto& x : empty) ptrs.push_back(&x);
          for (Arithmetic a : {Arithmetic::portable, Arithmetic::fast}) {
            const std::string what = name + " input " + std::to_string(k) + " axis " +
                                     std::to_string(axis) + (alike ? " with its like " : " ") +
                                     arithmetic_name(a);
            try {
              Plan plan(Model::load_bytes(declared, name), ptrs, {a});
              for (int rep = 0; rep < 2; ++rep) plan.run(ptrs);
              ++ran;
            } catch (const ModelError& e) {
              ++refused;
              if (getenv("SHOW")) std::cout << what << ": " << e.what() << "\n";
            } catch (const std::exception& e) {
              ADD_FAILURE() << what << ": " << e.what();
            }
          }
        }
  }
  std::cout << "empty axes: " << ran << " ran, " << refused << " refused\n";
  EXPECT_GT(ran, 1000);
  EXPECT_GT(refused, 0);
}
