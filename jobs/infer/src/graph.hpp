// The checked, topologically sorted graph a Model holds.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "basin/infer/model.hpp"

namespace basin::infer {

// Limits that keep a hostile model from exhausting memory: no tensor may
// exceed this many elements (1 GiB of floats), checked before allocation.
inline constexpr int64_t kMaxElements = int64_t{1} << 28;
// Whether a size, pad or repeat read from a model (which may be negative:
// pads) lies within kMaxElements either way, so sums and products of a few
// of them cannot overflow int64 before the element count is checked.
inline constexpr bool size_in_range(int64_t v) {
  return v >= -kMaxElements && v <= kMaxElements;
}

struct Attr {
  enum Kind { none, i, f, ints, floats, s, t } kind = none;
  int64_t iv = 0;
  float fv = 0;
  std::vector<int64_t> ints_v;
  std::vector<float> floats_v;
  std::string sv;
  Tensor tv;
};

struct Node {
  std::string name;
  std::string op;
  std::vector<int> in;   // value ids, -1 = omitted optional input
  std::vector<int> out;  // value ids, -1 = omitted optional output
  std::map<std::string, Attr> attrs;

  bool has(const std::string& a) const { return attrs.count(a) != 0; }
  int64_t geti(const std::string& a, int64_t def) const;
  float getf(const std::string& a, float def) const;
  std::vector<int64_t> getints(const std::string& a, std::vector<int64_t> def) const;
  std::string gets(const std::string& a, std::string def) const;
  std::string where() const;  // "node 'name' (Op)" for messages
};

struct Graph {
  std::string name;
  int64_t opset = 0;
  std::vector<std::string> values;  // value id -> name
  std::map<int, Tensor> constants;  // initializers
  std::vector<int> input_ids, output_ids;
  std::vector<ValueInfo> inputs, outputs;
  std::vector<Node> nodes;  // topological order
};

// Checked element count of a shape; throws ModelError when negative or over
// kMaxElements.
int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& what);

// "[N,784]" for messages; negative (symbolic) dims print as N.
std::string shape_text(const std::vector<int64_t>& shape);
// Whether `found` fits the declared `dims` (same rank; -1 matches anything).
bool dims_fit(const std::vector<int64_t>& dims, const std::vector<int64_t>& found);

}  // namespace basin::infer
