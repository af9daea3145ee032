// Workload parameters: each workload declares its parameters (name, kind,
// default, unit, help); values come from a TOML file and `--set key=value`
// overrides, and are checked against the declarations before any work starts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace basin::runtime {

enum class ParamKind { integer, real, text, choice, boolean };

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::real;
  std::string default_value;  // as the user would write it
  std::string unit;           // "" when dimensionless
  std::string help;
  std::vector<std::string> choices;  // for ParamKind::choice
  double min = -1e308;               // bounds for integer and real, inclusive
  double max = 1e308;
  // True when the value shapes the simulated state: a checkpoint written with
  // another value cannot be continued (grid sizes, physics). False for run
  // control (step count, output interval), which a restart may change.
  bool shapes_state = true;
};

// Validated parameter values of one run. Getters throw std::logic_error for a
// name the workload did not declare: a programming error, not a user one.
class Params {
 public:
  Params() = default;
  // Defaults, then the TOML file (if any), then the overrides, in order.
  // Throws std::invalid_argument naming the key, the value and what is valid.
  static Params resolve(const std::vector<ParamSpec>& specs, const std::string& toml_path,
                        const std::vector<std::string>& overrides);

  std::int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  const std::string& text(const std::string& name) const;  // text and choice
  bool boolean(const std::string& name) const;

  // "name=value" lines of the parameters that shape the state, sorted: what a
  // checkpoint must agree with.
  std::string state_fingerprint() const;
  // Every parameter as name -> value text (for output attributes).
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  const std::string& raw(const std::string& name) const;
  std::vector<ParamSpec> specs_;
  std::map<std::string, std::string> values_;
};

// The parameter table for `basin run WORKLOAD --help`.
std::string describe_params(const std::vector<ParamSpec>& specs);

}  // namespace basin::runtime
