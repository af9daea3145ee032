// What several `basin ledger` verbs share: the trust a verifier takes from
// pool.toml and the name of each site's receipt log.
#pragma once

#include <string>

#include "basin/federation/pool.hpp"
#include "basin/receipts/receipt.hpp"
#include "basin/records/signing.hpp"
#include "basin/settlement/settlement.hpp"

namespace basin::cli {

// Site keys and rate cards from pool.toml. Throws on a negative rate.
receipts::Trust trust_of(const federation::Pool& pool);

// The log's origin (and checkpoint key name) for one site of one pool.
std::string log_origin(const std::string& pool, const std::string& site);

// The site of `pool` whose signing key is `key`'s public half; throws naming
// `key_path` when there is none.
const federation::Site& site_of_key(const federation::Pool& pool, const records::NodeKey& key,
                                    const std::string& key_path);

// Throws with the expected form unless `period` is a month "YYYY-MM".
void check_period(const std::string& period);

// A record as a step span for settlement's charging rule.
settlement::StepSpan span_of(const records::UsageRecord& record);

}  // namespace basin::cli
