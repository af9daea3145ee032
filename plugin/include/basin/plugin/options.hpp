// The --basin-* options: their names, allowed values and parsing.
//
// This is the plugin's logic with no SPANK in it, so it is unit-tested
// directly; spank_entry.cpp only forwards Slurm's callbacks here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace basin::plugin {

enum class Tier { institutional, volunteer, any };

// "institutional" | "volunteer" | "any" (exact, lower case).
std::optional<Tier> parse_tier(std::string_view text);
std::string_view tier_name(Tier tier);

// The message shown to a user who gave a bad value: names the option, the
// value and what is allowed.
std::string bad_value_message(std::string_view option, std::string_view value,
                              std::string_view allowed);

}  // namespace basin::plugin
