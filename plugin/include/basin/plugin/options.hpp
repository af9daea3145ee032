// The --basin-* options: their names, allowed values and parsing.
//
// This is the plugin's logic with no SPANK in it, so it is unit-tested
// directly; the spank_*.cpp files only forward Slurm's callbacks here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "basin/records/tier.hpp"

namespace basin::plugin {

// A node's tier is the records' Tier (one definition, shared with pool.toml).
using records::Tier;

// What a job asks for with --basin-tier (or a node's default_tier): a tier,
// or any.
enum class TierRequest { institutional, volunteer, any };

// "institutional" | "volunteer" | "any" (exact, lower case).
std::optional<TierRequest> parse_tier_request(std::string_view text);
std::string_view request_name(TierRequest request);

// The message shown to a user who gave a bad value: names the option, the
// value and what is allowed.
std::string bad_value_message(std::string_view option, std::string_view value,
                              std::string_view allowed);

// What a job asked for with --basin-* options (unset ones stay empty).
struct JobOptions {
  std::optional<TierRequest> tier;
  int replicas = 1;
  bool checkpoint = false;                    // --basin-checkpoint given
  std::optional<std::string> checkpoint_dir;  // its =DIR, if any
};

inline constexpr std::string_view kReplicasAllowed = "a whole number from 1 to 5";
inline constexpr std::string_view kCheckpointAllowed =
    "an absolute directory path without '..', spaces or control characters, or no value";

// Each returns an error message (bad_value_message) or nullopt on success,
// storing the parsed value into `opts`.
std::optional<std::string> apply_tier(std::string_view value, JobOptions& opts);
// --basin-account is gone: the account charged is the one Slurm holds for
// the job (-A/--account, checked by Slurm against its associations). The
// option stays registered only so that old scripts are refused with this
// message rather than charged to an account the user merely named.
std::optional<std::string> refuse_account_option(std::string_view value, JobOptions& opts);
std::optional<std::string> apply_replicas(std::string_view value, JobOptions& opts);
std::optional<std::string> apply_checkpoint(std::string_view value, JobOptions& opts);

}  // namespace basin::plugin
