#include "basin/plugin/options.hpp"

#include <algorithm>
#include <string>

namespace basin::plugin {

std::optional<TierRequest> parse_tier_request(std::string_view text) {
  if (text == "any") return TierRequest::any;
  const auto t = records::parse_tier(text);
  if (!t) return std::nullopt;
  return *t == Tier::institutional ? TierRequest::institutional : TierRequest::volunteer;
}

std::string_view request_name(TierRequest request) {
  switch (request) {
    case TierRequest::institutional:
      return records::tier_name(Tier::institutional);
    case TierRequest::volunteer:
      return records::tier_name(Tier::volunteer);
    case TierRequest::any:
      return "any";
  }
  return "any";
}

std::string bad_value_message(std::string_view option, std::string_view value,
                              std::string_view allowed) {
  std::string msg = "basin: invalid value '";
  // Never echo control characters back into a terminal or a log.
  for (char c : value) msg += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  msg += "' for --";
  msg += option;
  msg += ": allowed values are ";
  msg += allowed;
  return msg;
}

std::optional<std::string> apply_tier(std::string_view value, JobOptions& opts) {
  auto t = parse_tier_request(value);
  if (!t) return bad_value_message("basin-tier", value, "institutional, volunteer, any");
  opts.tier = t;
  return std::nullopt;
}

std::optional<std::string> refuse_account_option(std::string_view value, JobOptions&) {
  std::string shown;
  for (char c : value) shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return "basin: --basin-account=" + shown +
         " is no longer accepted: the account charged is the one Slurm holds for the job. "
         "Submit with -A " +
         shown +
         " (Slurm refuses an account you are not a member of; `sacctmgr show assoc user=$USER` "
         "lists yours).";
}

std::optional<std::string> apply_replicas(std::string_view value, JobOptions& opts) {
  if (value.size() != 1 || value[0] < '1' || value[0] > '5')
    return bad_value_message("basin-replicas", value, kReplicasAllowed);
  opts.replicas = value[0] - '0';
  return std::nullopt;
}

std::optional<std::string> apply_checkpoint(std::string_view value, JobOptions& opts) {
  // Slurm 22.05 forwards an optional-argument option given without a value to
  // job steps as the text "(null)" in SLURM_SPANK_OPTION_* variables.
  if (value.empty() || value == "(null)") {
    opts.checkpoint = true;
    opts.checkpoint_dir.reset();
    return std::nullopt;
  }
  const bool printable = std::none_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
  });
  const bool ok = value.size() < 1024 && value[0] == '/' && printable &&
                  value.find("/../") == std::string_view::npos && !value.ends_with("/..");
  if (!ok) return bad_value_message("basin-checkpoint", value, kCheckpointAllowed);
  opts.checkpoint = true;
  opts.checkpoint_dir = std::string(value);
  return std::nullopt;
}

}  // namespace basin::plugin
