#include "basin/runtime/params.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace basin::runtime {
namespace {

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

std::string known_names(const std::vector<ParamSpec>& specs) {
  std::string out;
  for (const auto& s : specs) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

const char* kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::integer:
      return "an integer";
    case ParamKind::real:
      return "a number";
    case ParamKind::text:
      return "text";
    case ParamKind::choice:
      return "one of the choices";
    case ParamKind::boolean:
      return "true or false";
  }
  return "?";
}

[[noreturn]] void bad_value(const ParamSpec& s, const std::string& value, const std::string& why) {
  std::string msg = "parameter " + s.name + "=" + value + ": " + why;
  if (s.kind == ParamKind::choice) msg += "; choose one of: " + join(s.choices);
  if (s.kind == ParamKind::integer || s.kind == ParamKind::real) {
    std::ostringstream range;
    range << "; valid range " << s.min << " .. " << s.max;
    if (s.min > -1e300 || s.max < 1e300) msg += range.str();
  }
  throw std::invalid_argument(msg + " (default " + s.default_value + ")");
}

double parse_number(const ParamSpec& s, const std::string& v) {
  std::size_t used = 0;
  double d = 0;
  try {
    d = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || !std::isfinite(d)) bad_value(s, v, "not a finite number");
  if (s.kind == ParamKind::integer && (d != std::floor(d) || std::fabs(d) > 9.0e15))
    bad_value(s, v, "not an integer");
  if (d < s.min || d > s.max) bad_value(s, v, "out of range");
  return d;
}

// Checks `value` against the spec and returns it in canonical text form.
std::string check_value(const ParamSpec& s, const std::string& v) {
  switch (s.kind) {
    case ParamKind::integer:
      return std::to_string(static_cast<std::int64_t>(parse_number(s, v)));
    case ParamKind::real: {
      parse_number(s, v);
      return v;
    }
    case ParamKind::text:
      return v;
    case ParamKind::choice:
      if (std::find(s.choices.begin(), s.choices.end(), v) == s.choices.end())
        bad_value(s, v, "unknown choice");
      return v;
    case ParamKind::boolean:
      if (v == "true" || v == "1" || v == "yes") return "true";
      if (v == "false" || v == "0" || v == "no") return "false";
      bad_value(s, v, "not true or false");
  }
  return v;
}

std::string toml_text(const toml::node& n, const ParamSpec& s, const std::string& where) {
  if (auto v = n.value_exact<std::string>()) return *v;
  if (auto v = n.value_exact<std::int64_t>()) return std::to_string(*v);
  if (auto v = n.value_exact<double>()) {
    std::ostringstream o;
    o.precision(17);
    o << *v;
    return o.str();
  }
  if (auto v = n.value_exact<bool>()) return *v ? "true" : "false";
  throw std::invalid_argument(where + ": " + s.name + " must be " + kind_name(s.kind) +
                              ", not a table or array");
}

}  // namespace

Params Params::resolve(const std::vector<ParamSpec>& specs, const std::string& toml_path,
                       const std::vector<std::string>& overrides) {
  Params p;
  p.specs_ = specs;
  for (const auto& s : specs) p.values_[s.name] = check_value(s, s.default_value);

  if (!toml_path.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(toml_path);
    } catch (const toml::parse_error& e) {
      std::ostringstream o;
      o << toml_path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description() << " (fix the TOML syntax)";
      throw std::invalid_argument(o.str());
    }
    for (const auto& [key, node] : table) {
      const std::string name(key.str());
      std::ostringstream where;
      where << toml_path << ":" << node.source().begin.line;
      const ParamSpec* s = find_spec(specs, name);
      if (!s)
        throw std::invalid_argument(where.str() + ": unknown parameter '" + name +
                                    "'; known: " + known_names(specs));
      try {
        p.values_[name] = check_value(*s, toml_text(node, *s, where.str()));
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(where.str() + ": " + e.what());
      }
    }
  }

  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("--set " + o + ": expected KEY=VALUE (e.g. --set nx=128)");
    const std::string name = o.substr(0, eq);
    const ParamSpec* s = find_spec(specs, name);
    if (!s)
      throw std::invalid_argument("--set " + name +
                                  ": unknown parameter; known: " + known_names(specs));
    p.values_[name] = check_value(*s, o.substr(eq + 1));
  }
  return p;
}

const std::string& Params::raw(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("undeclared parameter " + name);
  return it->second;
}

std::int64_t Params::integer(const std::string& name) const {
  return std::stoll(raw(name));
}
double Params::real(const std::string& name) const {
  return std::stod(raw(name));
}
const std::string& Params::text(const std::string& name) const {
  return raw(name);
}
bool Params::boolean(const std::string& name) const {
  return raw(name) == "true";
}

std::string Params::state_fingerprint() const {
  std::string out;
  for (const auto& [name, value] : values_) {
    const ParamSpec* s = find_spec(specs_, name);
    if (s && s->shapes_state) out += name + "=" + value + "\n";
  }
  return out;
}

std::string describe_params(const std::vector<ParamSpec>& specs) {
  std::size_t width = 0;
  for (const auto& s : specs) width = std::max(width, s.name.size());
  std::ostringstream o;
  for (const auto& s : specs) {
    o << "  " << s.name << std::string(width - s.name.size() + 2, ' ') << s.help;
    if (s.kind == ParamKind::choice) o << " {" << join(s.choices) << "}";
    o << " [" << s.default_value << (s.unit.empty() ? "" : " " + s.unit) << "]\n";
  }
  return o.str();
}

}  // namespace basin::runtime
