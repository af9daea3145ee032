// Reading a model with libonnx's protobuf classes and checking it before any
// work: opset, operators and their attributes, initializer sizes, and graph
// connectivity (Kahn's algorithm refuses cycles and undefined values).
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "fold.hpp"
#include "graph.hpp"

namespace basin::infer {
namespace {

constexpr int64_t kMinOpset = 1, kMaxOpset = 17;
constexpr size_t kMaxModelBytes = size_t{1} << 31;

// Supported operators and the attributes each may carry.
const std::map<std::string, std::set<std::string>>& supported() {
  static const std::map<std::string, std::set<std::string>> ops = {
      {"Gemm", {"alpha", "beta", "transA", "transB"}},
      {"MatMul", {}},
      {"Add", {}},
      {"Sub", {}},
      {"Mul", {}},
      {"Div", {}},
      {"Relu", {}},
      {"LeakyRelu", {"alpha"}},
      {"Sigmoid", {}},
      {"Tanh", {}},
      {"Abs", {}},
      {"Neg", {}},
      {"Exp", {}},
      {"Log", {}},
      {"Sqrt", {}},
      {"Reciprocal", {}},
      {"Erf", {}},
      {"Ceil", {}},
      {"Floor", {}},
      {"Round", {}},
      {"Sign", {}},
      {"Softsign", {}},
      {"Softplus", {}},
      {"Elu", {"alpha"}},
      {"Celu", {"alpha"}},
      {"Selu", {"alpha", "gamma"}},
      {"ThresholdedRelu", {"alpha"}},
      {"HardSigmoid", {"alpha", "beta"}},
      {"HardSwish", {}},
      {"Pow", {}},
      {"Max", {}},
      {"Min", {}},
      {"Sum", {}},
      {"PRelu", {}},
      {"Clip", {"min", "max"}},
      {"ReduceMean", {"axes", "keepdims"}},
      {"ReduceSum", {"axes", "keepdims", "noop_with_empty_axes"}},
      {"ReduceSumSquare", {"axes", "keepdims"}},
      {"ReduceMax", {"axes", "keepdims"}},
      {"ReduceMin", {"axes", "keepdims"}},
      {"LayerNormalization", {"axis", "epsilon", "stash_type"}},
      {"Slice", {"starts", "ends", "axes"}},
      {"Squeeze", {"axes"}},
      {"Expand", {}},
      {"Split", {"axis", "split"}},
      {"Cast", {"to"}},
      {"GlobalMaxPool", {}},
      {"InstanceNormalization", {"epsilon"}},
      {"Tile", {}},
      {"DepthToSpace", {"blocksize", "mode"}},
      {"Pad", {"mode", "pads", "value"}},
      {"ConvTranspose",
       {"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads",
        "strides"}},
      {"Where", {}},
      {"Equal", {}},
      {"Less", {}},
      {"LessOrEqual", {}},
      {"Greater", {}},
      {"GreaterOrEqual", {}},
      {"Not", {}},
      {"And", {}},
      {"Or", {}},
      {"Xor", {}},
      {"ConstantOfShape", {"value"}},
      {"Range", {}},
      {"Einsum", {"equation"}},
      {"LSTM",
       {"activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size",
        "input_forget", "layout"}},
      {"GRU",
       {"activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size",
        "layout", "linear_before_reset"}},
      {"Resize",
       {"coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value",
        "mode", "nearest_mode"}},
      {"Softmax", {"axis"}},
      {"LogSoftmax", {"axis"}},
      {"Conv", {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}},
      {"MaxPool",
       {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"}},
      {"AveragePool",
       {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"}},
      {"GlobalAveragePool", {}},
      {"BatchNormalization", {"epsilon", "momentum", "spatial", "training_mode"}},
      {"Flatten", {"axis"}},
      {"Reshape", {"allowzero"}},
      {"Transpose", {"perm"}},
      {"Concat", {"axis"}},
      {"Identity", {}},
      {"Dropout", {"ratio", "seed"}},
      {"Constant", {"value", "value_float", "value_floats", "value_int", "value_ints"}},
      {"Shape", {"start", "end"}},
      {"Gather", {"axis"}},
      {"Unsqueeze", {"axes"}},
  };
  return ops;
}

DType dtype_of(int onnx_type, const std::string& what) {
  if (onnx_type == onnx::TensorProto::FLOAT) return DType::f32;
  if (onnx_type == onnx::TensorProto::INT64) return DType::i64;
  if (onnx_type == onnx::TensorProto::INT32) return DType::i64;  // widened on load
  if (onnx_type == onnx::TensorProto::BOOL) return DType::i64;   // 0 or 1, widened on load
  throw ModelError(what + ": element type " + onnx::TensorProto::DataType_Name(onnx_type) +
                   " is not supported (float32, int64, int32 and bool only)");
}

Tensor to_tensor(const onnx::TensorProto& p, const std::string& what) {
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    throw ModelError(what + ": external tensor data is not supported; save the model as one file");
  Tensor t;
  t.dtype = dtype_of(p.data_type(), what);
  for (auto d : p.dims()) t.shape.push_back(d);
  const int64_t n = checked_numel(t.shape, what);
  const std::string& raw = p.raw_data();
  auto bad_size = [&](int64_t found) {
    return ModelError(what + ": holds " + std::to_string(found) + " values but its dims need " +
                      std::to_string(n));
  };
  if (p.data_type() == onnx::TensorProto::FLOAT) {
    if (!raw.empty()) {
      if (raw.size() != size_t(n) * 4) throw bad_size(int64_t(raw.size() / 4));
      t.f.resize(size_t(n));
      std::memcpy(t.f.data(), raw.data(), raw.size());
    } else {
      if (p.float_data_size() != n) throw bad_size(p.float_data_size());
      t.f.assign(p.float_data().begin(), p.float_data().end());
    }
  } else if (p.data_type() == onnx::TensorProto::INT64) {
    if (!raw.empty()) {
      if (raw.size() != size_t(n) * 8) throw bad_size(int64_t(raw.size() / 8));
      t.i.resize(size_t(n));
      std::memcpy(t.i.data(), raw.data(), raw.size());
    } else {
      if (p.int64_data_size() != n) throw bad_size(p.int64_data_size());
      t.i.assign(p.int64_data().begin(), p.int64_data().end());
    }
  } else if (p.data_type() == onnx::TensorProto::BOOL) {  // one byte each, or int32_data
    if (!raw.empty()) {
      if (raw.size() != size_t(n)) throw bad_size(int64_t(raw.size()));
      t.i.resize(size_t(n));
      for (size_t k = 0; k < raw.size(); ++k) t.i[k] = raw[k] != 0;
    } else {
      if (p.int32_data_size() != n) throw bad_size(p.int32_data_size());
      for (auto v : p.int32_data()) t.i.push_back(v != 0);
    }
  } else {  // INT32
    if (!raw.empty()) {
      if (raw.size() != size_t(n) * 4) throw bad_size(int64_t(raw.size() / 4));
      std::vector<int32_t> v(static_cast<size_t>(n));
      std::memcpy(v.data(), raw.data(), raw.size());
      t.i.assign(v.begin(), v.end());
    } else {
      if (p.int32_data_size() != n) throw bad_size(p.int32_data_size());
      t.i.assign(p.int32_data().begin(), p.int32_data().end());
    }
  }
  return t;
}

ValueInfo to_info(const onnx::ValueInfoProto& v) {
  ValueInfo info;
  info.name = v.name();
  const std::string what = "graph value '" + v.name() + "'";
  if (!v.type().has_tensor_type())
    throw ModelError(what + ": only tensor inputs/outputs are supported");
  info.dtype = dtype_of(v.type().tensor_type().elem_type(), what);
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0 || d.dim_value() > kMaxElements)
        throw ModelError(what + ": dimension " + std::to_string(d.dim_value()) +
                         " is out of range");
      info.dims.push_back(d.dim_value());
    } else {
      info.dims.push_back(-1);
    }
  }
  return info;
}

Attr to_attr(const onnx::AttributeProto& a, const std::string& what) {
  Attr r;
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      r.kind = Attr::i;
      r.iv = a.i();
      break;
    case onnx::AttributeProto::FLOAT:
      r.kind = Attr::f;
      r.fv = a.f();
      break;
    case onnx::AttributeProto::INTS:
      r.kind = Attr::ints;
      r.ints_v.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      r.kind = Attr::floats;
      r.floats_v.assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::STRING:
      r.kind = Attr::s;
      r.sv = a.s();
      break;
    case onnx::AttributeProto::TENSOR:
      r.kind = Attr::t;
      r.tv = to_tensor(a.t(), what + " attribute '" + a.name() + "'");
      break;
    default:
      throw ModelError(what + ": attribute '" + a.name() + "' has an unsupported type");
  }
  // Sizes the kernels multiply and add (a window's (k - 1) x d + 1, a
  // block's b x b, gates x hidden_size): bounded here, once, so that no
  // product of two of them can overflow. (Slice's starts and ends, whose
  // INT64_MAX means "to the end", are not among them.)
  static const std::set<std::string> kSizes = {"kernel_shape", "strides",        "dilations",
                                               "pads",         "group",          "blocksize",
                                               "hidden_size",  "output_padding", "output_shape"};
  if (kSizes.count(a.name())) {
    if ((r.kind == Attr::i && !size_in_range(r.iv)) ||
        !std::all_of(r.ints_v.begin(), r.ints_v.end(), size_in_range))
      throw ModelError(what + ": attribute '" + a.name() + "' holds a size beyond " +
                       std::to_string(kMaxElements));
  }
  return r;
}

// Attribute values and optional outputs the kernels do not implement are
// refused here, before any work, rather than run wrongly.
void check_values(const Node& n, int outputs) {
  auto refuse = [&](const std::string& what) {
    throw ModelError(n.where() + ": " + what + " is not supported");
  };
  if ((n.op == "Conv" || n.op == "MaxPool" || n.op == "AveragePool") && n.has("kernel_shape") &&
      n.attrs.at("kernel_shape").ints_v.size() != 2 &&
      n.attrs.at("kernel_shape").ints_v.size() != 1)
    refuse(std::to_string(n.attrs.at("kernel_shape").ints_v.size()) +
           "-D kernel_shape (1-D and 2-D only)");
  if (n.has("auto_pad")) {
    const auto& ap = n.attrs.at("auto_pad").sv;
    if (ap != "NOTSET" && ap != "VALID" && ap != "SAME_UPPER" && ap != "SAME_LOWER")
      refuse("auto_pad '" + ap + "'");
  }
  if (n.op == "MaxPool" && outputs > 1) refuse("the Indices output");
  if (n.op == "MaxPool" && n.geti("storage_order", 0) != 0) refuse("storage_order=1");
  if (n.op == "BatchNormalization" && (n.geti("training_mode", 0) != 0 || outputs > 1))
    refuse("training mode");
  if (n.op == "Dropout" && outputs > 1) refuse("the mask output");
  if (n.op == "LayerNormalization" && n.geti("stash_type", 1) != 1)
    refuse("stash_type other than float32");
  // Outputs beyond those the operator has are never written: a node reading
  // one would read a tensor without data (found by fuzz_onnx_model: a
  // Flatten with three outputs gave a LayerNormalization its scale).
  const int most = n.op == "Split"                                  ? outputs
                   : n.op == "LayerNormalization" || n.op == "LSTM" ? 3
                   : n.op == "GRU"                                  ? 2
                                                                    : 1;
  if (outputs > most)
    throw ModelError(n.where() + ": names " + std::to_string(outputs) + " outputs; " + n.op +
                     " has " + std::to_string(most));
}

}  // namespace

int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) throw ModelError(what + ": negative dimension " + std::to_string(d));
    if (d != 0 && n > kMaxElements / d)
      throw ModelError(what + ": more than " + std::to_string(kMaxElements) +
                       " elements; refusing to allocate it");
    n *= d;
  }
  return n;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string r = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    r += (k ? "," : "") + (shape[k] < 0 ? std::string("N") : std::to_string(shape[k]));
  return r + "]";
}

bool dims_fit(const std::vector<int64_t>& dims, const std::vector<int64_t>& found) {
  if (dims.size() != found.size()) return false;
  for (size_t d = 0; d < dims.size(); ++d)
    if (dims[d] >= 0 && dims[d] != found[d]) return false;
  return true;
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

int64_t Node::geti(const std::string& a, int64_t def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.iv;
}
float Node::getf(const std::string& a, float def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.fv;
}
std::vector<int64_t> Node::getints(const std::string& a, std::vector<int64_t> def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.ints_v;
}
std::string Node::gets(const std::string& a, std::string def) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? def : it->second.sv;
}
std::string Node::where() const {
  return "node '" + name + "' (" + op + ")";
}

Model Model::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ModelError("cannot open model file '" + path + "'");
  const auto size = size_t(in.tellg());
  if (size > kMaxModelBytes) throw ModelError("model file '" + path + "' is larger than 2 GiB");
  std::string bytes(size, '\0');
  in.seekg(0);
  in.read(bytes.data(), std::streamsize(size));
  if (!in) throw ModelError("cannot read model file '" + path + "'");
  return load_bytes(bytes, path);
}

Tensor Model::load_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::TensorProto p;
  if (!in || !p.ParseFromString(ss.str()))
    throw ModelError("cannot parse tensor file '" + path + "'");
  return to_tensor(p, "tensor file '" + path + "'");
}

Model Model::load_bytes(const std::string& bytes, const std::string& origin) {
  onnx::ModelProto m;
  if (bytes.size() > kMaxModelBytes || !m.ParseFromString(bytes))
    throw ModelError("'" + origin + "' is not a valid ONNX model (protobuf parse failed)");
  auto g = std::make_shared<Graph>();
  for (const auto& op : m.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") g->opset = op.version();
  if (g->opset == 0 && m.opset_import_size() == 0) g->opset = 1;
  if (g->opset < kMinOpset || g->opset > kMaxOpset)
    throw ModelError("'" + origin + "': opset " + std::to_string(g->opset) + " is not supported (" +
                     std::to_string(kMinOpset) + ".." + std::to_string(kMaxOpset) +
                     "); re-export with torch.onnx.export(..., opset_version=13)");
  const auto& gp = m.graph();
  g->name = gp.name().empty() ? origin : gp.name();

  std::map<std::string, int> id;
  auto value = [&](const std::string& n) {
    auto [it, fresh] = id.emplace(n, int(g->values.size()));
    if (fresh) g->values.push_back(n);
    return it->second;
  };
  std::set<int> defined;
  for (const auto& init : gp.initializer()) {
    int v = value(init.name());
    g->constants[v] = to_tensor(init, "initializer '" + init.name() + "'");
    defined.insert(v);
  }
  for (const auto& in : gp.input()) {
    int v = value(in.name());
    if (g->constants.count(v)) continue;  // an initializer listed as input
    g->input_ids.push_back(v);
    g->inputs.push_back(to_info(in));
    defined.insert(v);
  }

  // Convert nodes, then order them (Kahn): a node whose inputs are never
  // produced means a missing initializer or a cycle; both are refused.
  std::vector<Node> raw;
  for (int k = 0; k < gp.node_size(); ++k) {
    const auto& np = gp.node(k);
    Node n;
    n.name = np.name().empty() ? "#" + std::to_string(k) : np.name();
    n.op = np.op_type();
    if (!np.domain().empty() && np.domain() != "ai.onnx")
      throw ModelError(n.where() + ": operator domain '" + np.domain() + "' is not supported");
    auto sup = supported().find(n.op);
    if (sup == supported().end())
      throw ModelError(n.where() + ": operator '" + n.op + "' is not supported");
    for (const auto& a : np.attribute()) {
      if (!sup->second.count(a.name()))
        throw ModelError(n.where() + ": attribute '" + a.name() + "' is not supported");
      n.attrs[a.name()] = to_attr(a, n.where());
    }
    // Outputs counted to the last one named ("" is an omitted optional one).
    int outputs = 0;
    for (int k = 0; k < np.output_size(); ++k)
      if (!np.output(k).empty()) outputs = k + 1;
    check_values(n, outputs);
    for (const auto& s : np.input()) n.in.push_back(s.empty() ? -1 : value(s));
    for (const auto& s : np.output()) n.out.push_back(s.empty() ? -1 : value(s));
    raw.push_back(std::move(n));
  }
  std::set<int> produced;
  for (const auto& n : raw)
    for (int o : n.out)
      if (o >= 0 && (defined.count(o) || !produced.insert(o).second))
        throw ModelError(n.where() + ": value '" + g->values[size_t(o)] + "' is defined twice");
  std::vector<bool> done(raw.size(), false);
  for (size_t left = raw.size(); left > 0;) {
    size_t progressed = 0;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (done[k]) continue;
      bool ready = true;
      for (int v : raw[k].in) ready = ready && (v < 0 || defined.count(v));
      if (!ready) continue;
      for (int o : raw[k].out)
        if (o >= 0) defined.insert(o);
      g->nodes.push_back(raw[k]);
      done[k] = true;
      ++progressed;
    }
    if (progressed == 0) {
      for (size_t k = 0; k < raw.size(); ++k) {
        if (done[k]) continue;
        for (int v : raw[k].in)
          if (v >= 0 && !defined.count(v))
            throw ModelError(
                raw[k].where() + ": input '" + g->values[size_t(v)] + "' is " +
                (produced.count(v) ? "part of a cycle" : "never defined (missing initializer?)"));
      }
    }
    left -= progressed;
  }
  for (const auto& out : gp.output()) {
    int v = value(out.name());
    if (!defined.count(v)) throw ModelError("graph output '" + out.name() + "' is never computed");
    g->output_ids.push_back(v);
    g->outputs.push_back(to_info(out));
  }
  fold_batchnorm_into_conv(*g);
  Model model;
  model.graph_ = std::move(g);
  return model;
}

const std::string& Model::name() const {
  return graph_->name;
}
int64_t Model::opset() const {
  return graph_->opset;
}
const std::vector<ValueInfo>& Model::inputs() const {
  return graph_->inputs;
}
const std::vector<ValueInfo>& Model::outputs() const {
  return graph_->outputs;
}

}  // namespace basin::infer
