// libFuzzer's custom mutator for fuzz_onnx_model (only in the libFuzzer
// binary): half the time a change that keeps the bytes a valid ModelProto —
// another operator, attribute value, dimension, initializer value, input
// wiring or opset — so mutations reach the planner and the kernels instead
// of stopping in the protobuf parser; the other half libFuzzer's own byte
// mutations. Operator and attribute names come from the target's dictionary
// (onnx_model.dict), the one list of them.
#include <onnx/onnx_pb.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

struct Names {
  std::vector<std::string> ops, attributes;
};

// "Name" lines of the dictionary: capitalised ones are operators, the rest
// attribute names and values.
const Names& names() {
  static const Names n = [] {
    Names r;
    std::ifstream in(BASIN_ONNX_MODEL_DICT);
    for (std::string line; std::getline(in, line);) {
      if (line.size() < 3 || line.front() != '"' || line.back() != '"') continue;
      const std::string w = line.substr(1, line.size() - 2);
      (std::isupper(static_cast<unsigned char>(w[0])) ? r.ops : r.attributes).push_back(w);
    }
    if (r.ops.empty()) r.ops = {"Relu"};
    if (r.attributes.empty()) r.attributes = {"axis"};
    return r;
  }();
  return n;
}

template <class T>
const T& pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[rng() % v.size()];
}

std::int64_t some_int(std::int64_t old, std::mt19937_64& rng) {
  static const std::int64_t kEdges[] = {0,
                                        1,
                                        -1,
                                        2,
                                        3,
                                        -2,
                                        4,
                                        7,
                                        64,
                                        1 << 20,
                                        std::numeric_limits<std::int64_t>::max(),
                                        std::numeric_limits<std::int64_t>::min()};
  switch (rng() % 3) {
    case 0:  // wrapping (old may be an edge value already)
      return std::int64_t(std::uint64_t(old) + 1);
    case 1:
      return std::int64_t(std::uint64_t(old) - 1);
    default:
      return kEdges[rng() % std::size(kEdges)];
  }
}

float some_float(std::mt19937_64& rng) {
  static const float kEdges[] = {0.0f,
                                 -0.0f,
                                 1.0f,
                                 -1.0f,
                                 0.5f,
                                 1e-30f,
                                 1e30f,
                                 3.0f,
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 std::numeric_limits<float>::quiet_NaN()};
  return kEdges[rng() % std::size(kEdges)];
}

// Every value name a node could read: graph inputs, initializers, outputs
// of nodes.
std::vector<std::string> value_names(const onnx::GraphProto& g) {
  std::vector<std::string> v{""};  // "" = an optional input left out
  for (const auto& i : g.input()) v.push_back(i.name());
  for (const auto& t : g.initializer()) v.push_back(t.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output()) v.push_back(o);
  return v;
}

void mutate_attribute(onnx::AttributeProto& a, std::mt19937_64& rng) {
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      a.set_i(some_int(a.i(), rng));
      break;
    case onnx::AttributeProto::FLOAT:
      a.set_f(some_float(rng));
      break;
    case onnx::AttributeProto::INTS:
      if (a.ints_size() > 0 && rng() % 3 != 0) {
        const int k = int(rng() % unsigned(a.ints_size()));
        a.set_ints(k, some_int(a.ints(k), rng));
      } else if (a.ints_size() > 0 && rng() % 2 == 0) {
        a.mutable_ints()->RemoveLast();
      } else {
        a.add_ints(some_int(0, rng));
      }
      break;
    case onnx::AttributeProto::STRING:
      a.set_s(pick(names().attributes, rng));
      break;
    default:
      break;
  }
}

void mutate_tensor(onnx::TensorProto& t, std::mt19937_64& rng) {
  if (t.dims_size() > 0 && rng() % 4 == 0) {
    const int k = int(rng() % unsigned(t.dims_size()));
    t.set_dims(k, some_int(t.dims(k), rng) & 0xff);  // small: stays a plausible size
  } else if (t.int64_data_size() > 0) {
    const int k = int(rng() % unsigned(t.int64_data_size()));
    t.set_int64_data(k, some_int(t.int64_data(k), rng));
  } else if (t.float_data_size() > 0) {
    t.set_float_data(int(rng() % unsigned(t.float_data_size())), some_float(rng));
  } else if (t.raw_data().size() >= 8) {
    std::string raw = t.raw_data();
    const std::size_t at = (rng() % (raw.size() / 8)) * 8;
    const std::int64_t v = some_int(0, rng);
    std::memcpy(raw.data() + at, &v, 8);
    t.set_raw_data(raw);
  }
}

// One change to a parsed model; false when there was nothing to change.
bool mutate_model(onnx::ModelProto& m, std::mt19937_64& rng) {
  auto& g = *m.mutable_graph();
  switch (rng() % 9) {
    case 0:  // another operator
      if (g.node_size() == 0) return false;
      g.mutable_node(int(rng() % unsigned(g.node_size())))->set_op_type(pick(names().ops, rng));
      return true;
    case 1: {  // another attribute value
      if (g.node_size() == 0) return false;
      auto& n = *g.mutable_node(int(rng() % unsigned(g.node_size())));
      if (n.attribute_size() == 0) return false;
      mutate_attribute(*n.mutable_attribute(int(rng() % unsigned(n.attribute_size()))), rng);
      return true;
    }
    case 2: {  // a new attribute
      if (g.node_size() == 0) return false;
      auto* a = g.mutable_node(int(rng() % unsigned(g.node_size())))->add_attribute();
      a->set_name(pick(names().attributes, rng));
      if (rng() % 2) {
        a->set_type(onnx::AttributeProto::INT), a->set_i(some_int(0, rng));
      } else {
        a->set_type(onnx::AttributeProto::INTS);
        for (unsigned k = 0, n = 1 + rng() % 4; k < n; ++k) a->add_ints(some_int(0, rng));
      }
      return true;
    }
    case 3: {  // another dimension of a graph input
      if (g.input_size() == 0) return false;
      auto* shape = g.mutable_input(int(rng() % unsigned(g.input_size())))
                        ->mutable_type()
                        ->mutable_tensor_type()
                        ->mutable_shape();
      if (shape->dim_size() > 0 && rng() % 4 != 0) {
        auto* d = shape->mutable_dim(int(rng() % unsigned(shape->dim_size())));
        if (rng() % 5 == 0)
          d->set_dim_param("N");
        else
          d->set_dim_value(std::int64_t(rng() % 6));
      } else if (shape->dim_size() > 0 && rng() % 2 == 0) {
        shape->mutable_dim()->RemoveLast();
      } else {
        shape->add_dim()->set_dim_value(std::int64_t(1 + rng() % 4));
      }
      return true;
    }
    case 4:  // another initializer value or dimension
      if (g.initializer_size() == 0) return false;
      mutate_tensor(*g.mutable_initializer(int(rng() % unsigned(g.initializer_size()))), rng);
      return true;
    case 5: {  // a node reads another value
      if (g.node_size() == 0) return false;
      auto& n = *g.mutable_node(int(rng() % unsigned(g.node_size())));
      const auto values = value_names(g);
      if (n.input_size() > 0 && rng() % 3 != 0)
        n.set_input(int(rng() % unsigned(n.input_size())), pick(values, rng));
      else
        n.add_input(pick(values, rng));
      return true;
    }
    case 6:  // a node removed (its readers then read an undefined value)
      if (g.node_size() == 0) return false;
      g.mutable_node()->DeleteSubrange(int(rng() % unsigned(g.node_size())), 1);
      return true;
    case 7: {  // a node repeated, reading the first one's output
      if (g.node_size() == 0) return false;
      const auto& src = g.node(int(rng() % unsigned(g.node_size())));
      if (src.output_size() == 0 || src.input_size() == 0) return false;
      onnx::NodeProto copy = src;
      copy.set_name(src.name() + "_again");
      copy.set_input(0, src.output(0));
      for (int k = 0; k < copy.output_size(); ++k) copy.set_output(k, src.output(k) + "_again");
      *g.add_node() = copy;
      if (g.output_size() > 0) g.mutable_output(0)->set_name(copy.output(0));
      return true;
    }
    default:  // another opset
      if (m.opset_import_size() == 0) return false;
      m.mutable_opset_import(0)->set_version(std::int64_t(1 + rng() % 18));
      return true;
  }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  onnx::ModelProto m;
  if (rng() % 2 == 0 || !m.ParseFromArray(data, int(size)) || !mutate_model(m, rng))
    return LLVMFuzzerMutate(data, size, max_size);
  const std::string out = m.SerializeAsString();
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
