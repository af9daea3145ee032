// The --basin-* options: their names, allowed values and parsing.
//
// This is the plugin's logic with no SPANK in it, so it is unit-tested
// directly; the spank_*.cpp files only forward Slurm's callbacks here.
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

// What a job asked for with --basin-* options (unset ones stay empty).
struct JobOptions {
  std::optional<Tier> tier;
  std::optional<std::string> account;
  int replicas = 1;
  bool checkpoint = false;                    // --basin-checkpoint given
  std::optional<std::string> checkpoint_dir;  // its =DIR, if any
};

inline constexpr std::string_view kAccountAllowed =
    "1 to 64 characters from a-z A-Z 0-9 . _ - (starting with a letter or digit)";
inline constexpr std::string_view kReplicasAllowed = "a whole number from 1 to 5";
inline constexpr std::string_view kCheckpointAllowed =
    "an absolute directory path without '..', spaces or control characters, or no value";

// Each returns an error message (bad_value_message) or nullopt on success,
// storing the parsed value into `opts`.
std::optional<std::string> apply_tier(std::string_view value, JobOptions& opts);
std::optional<std::string> apply_account(std::string_view value, JobOptions& opts);
std::optional<std::string> apply_replicas(std::string_view value, JobOptions& opts);
std::optional<std::string> apply_checkpoint(std::string_view value, JobOptions& opts);

}  // namespace basin::plugin
