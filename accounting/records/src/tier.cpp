#include "basin/records/tier.hpp"

namespace basin::records {

std::string_view tier_name(Tier tier) {
  return tier == Tier::institutional ? "institutional" : "volunteer";
}

std::optional<Tier> parse_tier(std::string_view text) {
  if (text == "institutional") return Tier::institutional;
  if (text == "volunteer") return Tier::volunteer;
  return std::nullopt;
}

}  // namespace basin::records
