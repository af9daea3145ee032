// The audit of every log a ledger holds (`basin ledger verify`): the site's
// own receipt log and the logs it mirrors from other sites.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"

namespace basin::books {

// The problems of each log, one sentence each (empty: all good): a stored
// leaf hash that is not the hash of its receipt's bytes, a receipt in another
// log than its site's, a leaf of the site's own log with no receipt row (its
// index was deleted), a log with leaves but no checkpoint or of no site of the
// pool, a newest checkpoint not signed by the log's site (current key, or a
// previous one not revoked), or one whose size or root is not the tree's.
// `stored` are the ledger's receipt rows (Ledger::receipts()).
std::vector<std::string> audit_logs(const ledger::Ledger& ledger,
                                    std::span<const ledger::StoredReceipt> stored,
                                    const federation::Pool& pool);

}  // namespace basin::books
