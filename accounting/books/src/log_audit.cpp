// The audit of the logs a ledger holds (books/log_audit.hpp).
#include "basin/books/log_audit.hpp"

#include <algorithm>

#include "basin/books/exchange.hpp"
#include "basin/tlog/merkle.hpp"
#include "basin/tlog/signed_note.hpp"

namespace basin::books {

std::vector<std::string> audit_logs(const ledger::Ledger& ledger,
                                    std::span<const ledger::StoredReceipt> stored,
                                    const federation::Pool& pool) {
  std::vector<std::string> bad;
  for (const auto& s : stored) {
    if (tlog::leaf_hash(s.bytes) != s.leaf_hash)
      bad.push_back("log leaf " + std::to_string(s.leaf_index) + " (" + s.identity +
                    "): its bytes do not hash to the stored leaf hash (altered after issue)");
    if (s.origin != log_origin(pool.name, s.provider_site))
      bad.push_back("receipt " + std::to_string(s.leaf_index) + " (" + s.identity + ") is in log " +
                    s.origin + ", not in its site's log");
  }
  for (const auto& origin : ledger.log_origins()) {
    // A leaf no receipt row indexes is a receipt settle and open cannot see.
    // Every leaf of a log this ledger issued into is indexed, no leaf of a
    // log it mirrors from another site is (their records are that site's):
    // a log with both lost rows. (`issue` also finds a site's own log with
    // every row lost.)
    const auto leaves = ledger.log_leaves(origin);
    const bool own = std::any_of(leaves.begin(), leaves.end(), [](auto& l) { return l.indexed; });
    for (const auto& leaf : leaves)
      if (own && !leaf.indexed)
        bad.push_back("log " + origin + " leaf " + std::to_string(leaf.index) +
                      " has no receipt row (the ledger's index of it was deleted); `basin ledger "
                      "issue` restores it");
    const auto hashes = ledger.log_leaf_hashes(origin);
    const auto cp = ledger.latest_checkpoint(origin);
    if (cp.note.empty()) {
      bad.push_back("log " + origin + " has " + std::to_string(hashes.size()) +
                    " leaves but no checkpoint");
      continue;
    }
    const federation::Site* site = site_of_origin(pool, origin);
    if (!site) {
      bad.push_back("log " + origin + " is not the receipt log of a site of pool " + pool.name);
      continue;
    }
    try {
      const auto text = tlog::open_note_any(cp.note, checkpoint_keys(pool, site->name));
      const auto parsed = tlog::parse_checkpoint(text);
      if (parsed.origin != origin || parsed.size != cp.size || parsed.root != cp.root)
        bad.push_back("log " + origin + ": checkpoint note does not match its stored size/root");
    } catch (const std::exception& e) {
      bad.push_back("log " + origin + ": checkpoint: " + e.what());
    }
    if (cp.size != hashes.size())
      bad.push_back("log " + origin + ": newest checkpoint covers " + std::to_string(cp.size) +
                    " leaves, the log has " + std::to_string(hashes.size()));
    else if (tlog::root(hashes) != cp.root)
      bad.push_back("log " + origin +
                    ": its root is not the signed checkpoint's root (leaves changed)");
  }
  return bad;
}

}  // namespace basin::books
