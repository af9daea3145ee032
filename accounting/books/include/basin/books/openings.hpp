// A provider's signed opening of one (provider, consumer) pair's total for a
// closed period: what lets any site settle from public data.
//
// The text (a C2SP signed note, key name "<pool>/<provider>/openings", signed
// with the provider's signing key):
//   basin-pair-opening/v1
//   pool <pool>
//   period <YYYY-MM>
//   provider <site>
//   consumer <site>
//   checkpoint <origin> <size> <root hex>   the log state the opening covers
//   leaves <ranges>                         e.g. "0-4,7,9-12": the receipts charged
//   micro_credits <decimal>
//   blinding <64 hex>                       sum of rate_i * r_i over those receipts
// Every line is required, in this order; nothing else is allowed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "basin/federation/pool.hpp"
#include "basin/settlement/settlement.hpp"
#include "basin/tlog/merkle.hpp"

namespace basin::books {

struct SignedOpening {
  std::string pool, period;
  std::string origin;  // the provider's log
  std::uint64_t size = 0;
  tlog::Hash root{};
  settlement::PairOpening opening;  // leaves keyed by `origin`
};

class OpeningError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string opening_text(const SignedOpening& o);
SignedOpening parse_opening_text(const std::string& text);  // strict; throws OpeningError
std::string opening_key_name(const std::string& pool, const std::string& site);

// Signs with the provider's Ed25519 seed.
std::string sign_opening(const SignedOpening& o, const std::array<std::uint8_t, 32>& seed);
// Parses and checks the provider's signature (key from pool.toml) and that
// the opening is of this pool and of the provider's own log; throws
// OpeningError naming what is wrong.
SignedOpening verify_opening(const std::string& note, const federation::Pool& pool);

}  // namespace basin::books
