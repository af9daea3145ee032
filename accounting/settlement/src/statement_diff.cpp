// Comparing two statements field by field, to say where a recomputation
// disagrees with a statement someone signed.
#include <nlohmann/json.hpp>

#include "basin/settlement/settlement.hpp"

namespace basin::settlement {
namespace {

using Json = nlohmann::json;

Json parse(const std::string& text, const char* which) {
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(which) + " statement is not JSON: " + e.what());
  }
}

std::string pair_key(const Json& p) {
  return p.value("provider", std::string("?")) + " -> " + p.value("consumer", std::string("?"));
}

void diff_pairs(const Json& a, const Json& b, std::vector<std::string>& out) {
  std::map<std::string, Json> left, right;
  if (a.is_array())
    for (const auto& p : a) left[pair_key(p)] = p;
  if (b.is_array())
    for (const auto& p : b) right[pair_key(p)] = p;
  for (const auto& [k, p] : left) {
    const auto r = right.find(k);
    if (r == right.end()) {
      out.push_back("pair " + k + ": only in the statement");
      continue;
    }
    for (const auto& [field, v] : p.items()) {
      const auto w = r->second.find(field);
      if (w == r->second.end())
        out.push_back("pair " + k + ": " + field + " only in the statement");
      else if (*w != v)
        out.push_back("pair " + k + ": " + field + ": " + v.dump() + " vs recomputed " + w->dump());
    }
    for (const auto& [field, v] : r->second.items())
      if (!p.contains(field))
        out.push_back("pair " + k + ": " + field + " only recomputed: " + v.dump());
  }
  for (const auto& [k, p] : right)
    if (!left.count(k)) out.push_back("pair " + k + ": only recomputed");
}

}  // namespace

std::string statement_period(const std::string& json) {
  const auto j = parse(json, "the");
  if (!j.is_object() || !j.contains("period") || !j["period"].is_string())
    throw std::runtime_error("the statement names no period");
  return j["period"].get<std::string>();
}

std::vector<std::string> compare_statements(const std::string& a_text, const std::string& b_text) {
  const auto a = parse(a_text, "the");
  const auto b = parse(b_text, "the recomputed");
  std::vector<std::string> out;
  if (!a.is_object() || !b.is_object()) return {"not statements"};
  for (const auto& [key, v] : a.items()) {
    if (key == "pairs") {
      diff_pairs(v, b.value("pairs", Json::array()), out);
    } else if (!b.contains(key)) {
      out.push_back(key + ": only in the statement");
    } else if (b[key] != v) {
      out.push_back(key + ": " + v.dump() + " vs recomputed " + b[key].dump());
    }
  }
  for (const auto& [key, v] : b.items())
    if (!a.contains(key)) out.push_back(key + ": only recomputed: " + v.dump());
  return out;
}

}  // namespace basin::settlement
