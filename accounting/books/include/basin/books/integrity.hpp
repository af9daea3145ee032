// Books that defend themselves: what every command that reads the ledger
// checks before it uses a record or issues a receipt.
//
//   - A stored record is used only if its signed bytes still verify with its
//     node's key from pool.toml, hash to the key it was stored under, and
//     name the identity it is indexed by. An edited row (say, a result digest
//     changed in the database) is a finding, record_tampered, never an input
//     to validation, charging or settlement.
//   - A record is issued a receipt only if its site's log holds none for its
//     identity. Job references are derived from the site key
//     (receipts::expected_job_ref), so issue recognises a record's receipt in
//     the log leaves themselves, whatever the receipts index says.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::books {

// The node keys pool.toml lists ([[node]] public_key).
records::KeyRing node_keys_of(const federation::Pool& pool);

struct Tampered {
  std::int64_t record_id = 0;
  std::string identity;  // as indexed (what the ledger calls the record)
  std::string reason;
};

// The rows whose signed bytes fail: not the SHA-256 they are stored under,
// not signed by their node's key in `keys`, or for another identity.
std::vector<Tampered> recheck_records(std::span<const ledger::SignedRow> rows,
                                      const records::KeyRing& keys);

// The ledger's records minus the tampered ones, which are named.
struct CheckedRecords {
  std::vector<ledger::StoredRecord> records;  // verified, by identity then id
  std::vector<Tampered> tampered;             // not in `records`
};
CheckedRecords checked_records(const ledger::Ledger& ledger, const records::KeyRing& keys);

// A record in conflict (another signed record claims its identity) that has
// no receipt, while its step already has one: the step is charged once, by
// that receipt (decide_charges), and this record never.
struct ConflictFinding {
  const ledger::StoredRecord* record = nullptr;
  const ledger::StoredReceipt* receipt = nullptr;  // the step's receipt
};
std::vector<ConflictFinding> conflicts_with_receipts(
    std::span<const ledger::StoredRecord> records, std::span<const ledger::StoredReceipt> receipts);

// A pending record whose receipt is already a leaf of its site's log.
struct InLog {
  std::size_t pending = 0;  // index into the pending records given
  std::uint64_t leaf = 0;
  bool indexed = false;      // a receipt row points at the leaf (another record's)
  receipts::Receipt header;  // the leaf's public fields (no commitments/proof)
};

struct LogMatch {
  std::vector<InLog> in_log;
  // Leaves no receipt row indexes and no pending record's job_ref matches
  // (e.g. issued with a random salt before job references were derived):
  // one of them may be a pending record's receipt, so issue must not run.
  std::vector<std::uint64_t> orphans;
  std::vector<std::string> problems;  // leaves that are not the site's receipts
};

// Matches the pending records against the site's log leaves by recomputing
// each record's job_ref with the site's blinding secret.
LogMatch match_log(std::span<const ledger::LogLeaf> leaves,
                   std::span<const ledger::StoredRecord* const> pending,
                   const receipts::BlindingKey& blinding, const receipts::Trust& trust);

}  // namespace basin::books
