// What a verifier takes from pool.toml: each site's signing key and rate
// cards (current and earlier). One conversion from the pool's cards to the
// receipts' cards, used by every command that verifies or settles.
#pragma once

#include "basin/federation/pool.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::books {

// Throws std::runtime_error on a negative rate.
receipts::Trust trust_of(const federation::Pool& pool);

}  // namespace basin::books
