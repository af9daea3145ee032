#include "basin/plugin/options.hpp"

namespace basin::plugin {

std::optional<Tier> parse_tier(std::string_view text) {
  if (text == "institutional") return Tier::institutional;
  if (text == "volunteer") return Tier::volunteer;
  if (text == "any") return Tier::any;
  return std::nullopt;
}

std::string_view tier_name(Tier tier) {
  switch (tier) {
    case Tier::institutional:
      return "institutional";
    case Tier::volunteer:
      return "volunteer";
    case Tier::any:
      return "any";
  }
  return "any";
}

std::string bad_value_message(std::string_view option, std::string_view value,
                              std::string_view allowed) {
  std::string msg = "basin: invalid value '";
  msg += value;
  msg += "' for --";
  msg += option;
  msg += ": allowed values are ";
  msg += allowed;
  return msg;
}

}  // namespace basin::plugin
