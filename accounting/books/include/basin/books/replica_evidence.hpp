// Replica evidence: how a replica group that spans sites is judged alike at
// every site.
//
// Each site keeps its own books, so the replicas of one job group that ran on
// nodes of different sites never meet in one ledger, and no site alone can
// tell which result is canonical. For every receipt of a replicated job a
// provider therefore publishes, in its bundle, the node-signed record and the
// receipt's job salt (ledger::ReplicaEvidence). Anyone checks that the record
// verifies under its node's key in pool.toml, that the node is the
// provider's, and that the record's identity salted with that salt is the
// receipt's job_ref: the evidence is bound to that leaf. Every site then runs
// the one charging rule (basin/books/charging.hpp) over all evidence it holds
// and reaches the same decision for each evidenced receipt: a replica that a
// quorum shows wrong is not charged, and a provider whose signed opening
// charges it anyway is named and its pair is not settled.
//
// What it costs in privacy: the evidence shows every site the records of
// replicated jobs (their identities, accounts and usage), which a job's
// replicas need anyway to be compared; unreplicated jobs publish nothing.
// What it cannot stop: a provider may withhold its own replica's evidence;
// its receipt then looks unreplicated to the others (docs/accounting-guide.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "basin/books/charging.hpp"
#include "basin/books/integrity.hpp"
#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"
#include "basin/settlement/settlement.hpp"

namespace basin::books {

// The evidence of this site's receipts at leaves [from, to) of its log `origin`
// whose records are replicated, by leaf: each record's signed bytes as
// ingested and the receipt's salt, derived from the site's blinding secret.
// Records that fail their signature check give none.
std::vector<ledger::ReplicaEvidence> own_evidence(const ledger::Ledger& ledger,
                                                  const federation::Pool& pool,
                                                  const std::string& origin,
                                                  const receipts::BlindingKey& blinding,
                                                  std::uint64_t from, std::uint64_t to);

// Why `evidence` does not stand for the receipt `receipt_bytes` (its leaf in
// the log of `site`), or nullopt when it does: the record verifies under its
// node's key, the node is one of `site` in pool.toml, the record names a
// replica group, and its identity salted with the evidence's salt is the
// receipt's job_ref. On success `record` and `receipt` hold both, decoded.
std::optional<std::string> check_evidence(const ledger::ReplicaEvidence& evidence,
                                          std::span<const std::uint8_t> receipt_bytes,
                                          const federation::Pool& pool, const std::string& site,
                                          const records::KeyRing& node_keys,
                                          records::UsageRecord& record, receipts::Receipt& receipt);

using LeafKey = std::pair<std::string, std::uint64_t>;  // (log origin, leaf)

// Evidence that passed check_evidence, as the charging rule sees it.
struct CheckedEvidence {
  std::vector<ledger::StoredRecord> records;  // decoded, verified (id = index)
  std::vector<std::string> accounts;          // each receipt's account (Slurm's)
  std::vector<LeafKey> places;                // each receipt's leaf
  std::vector<std::string> refused;           // "log L leaf N: why"
  // SHA-256 over the used items in (origin, leaf) order (origin, '\n',
  // u64le leaf, SHA-256 of the signed record): two sites that judged from
  // different evidence see it in their statements.
  std::array<std::uint8_t, 32> digest{};
};

// Checks every item of `evidence` (origin, item) against the receipt at its
// leaf in the ledger (a leaf's first item stands).
CheckedEvidence check_all_evidence(
    const ledger::Ledger& ledger, const federation::Pool& pool,
    std::span<const std::pair<std::string, ledger::ReplicaEvidence>> evidence);

// The charging rule's decision for each evidenced receipt, judged from the
// evidence alone with the pool's policy (decide_charges, each record charged
// to its receipt's account): what every settling site computes from public
// data. Deterministic: the same evidence gives the same decisions.
std::map<LeafKey, Decision> judge_evidence(const CheckedEvidence& evidence,
                                           const federation::Pool& pool);

// The other sites' evidence this ledger holds (checked), for a provider
// opening its own pairs: its own records are in the ledger.
CheckedEvidence foreign_evidence(const ledger::Ledger& ledger, const federation::Pool& pool,
                                 const std::string& own_origin);

}  // namespace basin::books
