// A node's trust tier: the one definition, shared by the SPANK plugin (the
// node's own tier, written into every usage record) and the federation
// (pool.toml's sites). What a job may *ask* for also includes "any": that is
// the plugin's TierRequest, not a tier.
#pragma once

#include <optional>
#include <string_view>

namespace basin::records {

enum class Tier { institutional, volunteer };

// "institutional" | "volunteer": the spelling in records, pool.toml,
// plugstack.conf and Slurm features.
std::string_view tier_name(Tier tier);
// Exact, lower case; anything else is nullopt.
std::optional<Tier> parse_tier(std::string_view text);

}  // namespace basin::records
