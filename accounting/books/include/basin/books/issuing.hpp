// Which of a site's pending records get a receipt, charged to which account:
// the decision `basin ledger issue` makes before it proves anything.
//
//   - the record's node must be a node of the record's site in pool.toml
//     (the node signed the record; pool.toml says where the node is);
//   - the account charged is Slurm's for the job (SlurmAccounts), never the
//     record's claim: a record whose job Slurm does not show yet is held for
//     a later run; one that claims another account, or a later run than
//     Slurm shows, is a finding and still charged to Slurm's account;
//   - Slurm's account must be in pool.toml (its key seals the opening).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "basin/books/integrity.hpp"
#include "basin/books/slurm_accounts.hpp"
#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::books {

struct ToIssue {
  const ledger::StoredRecord* record = nullptr;
  std::string account;                // Slurm's
  receipts::X25519Key account_key{};  // from pool.toml
};

struct IssueNote {
  enum class Kind { not_issued, held, account_mismatch, restart_mismatch } kind;
  std::string identity, detail;
  // "not issued <identity>: ...", "held ...", "finding account_mismatch ..."
  std::string line() const;
};

struct IssuePlan {
  std::vector<ToIssue> todo;     // in the order given
  std::vector<IssueNote> notes;  // in the order found
  std::size_t count(IssueNote::Kind kind) const;
};

IssuePlan plan_issue(std::span<const ledger::StoredRecord* const> pending,
                     const federation::Pool& pool, const SlurmAccounts& slurm);

struct Pending {
  std::vector<const ledger::StoredRecord*> mine;  // of this site, without receipt
  std::size_t other_sites = 0;                    // without receipt, left for their sites
  // Records of this site claiming a step that already has a receipt: never
  // issued (their step is charged once, by that receipt).
  std::vector<ConflictFinding> conflicts;
};

// The records of `site` that have no receipt row yet. Records in conflict
// are left for people to settle. The result points into `records` and
// `receipts`: keep them alive while it is used.
Pending pending_of_site(const std::vector<ledger::StoredRecord>& records,
                        const std::vector<ledger::StoredReceipt>& receipts,
                        const std::string& site);
// Temporaries would leave the result dangling: refused at compile time.
Pending pending_of_site(const std::vector<ledger::StoredRecord>&& records,
                        const std::vector<ledger::StoredReceipt>& receipts,
                        const std::string& site) = delete;
Pending pending_of_site(const std::vector<ledger::StoredRecord>& records,
                        const std::vector<ledger::StoredReceipt>&& receipts,
                        const std::string& site) = delete;

struct LoggedRecords {
  std::vector<std::string> problems;   // leaves that are not the site's receipts
  std::vector<std::uint64_t> orphans;  // leaves without a row that no pending record explains
  std::vector<std::pair<std::string, std::uint64_t>> already_issued;  // identity, leaf
  std::vector<std::pair<std::string, std::uint64_t>> restored;        // row re-created
};

// Takes out of `pending` every record whose receipt is already a leaf of
// `origin` (recognised by its job_ref, which only the site's blinding secret
// derives), whatever the receipts index says: a lost index row is restored,
// a record already issued is a finding; neither is issued again. When the
// result has problems or orphans, issue must not run (nothing is changed).
LoggedRecords drop_logged(ledger::Ledger& ledger, const std::string& origin,
                          std::vector<const ledger::StoredRecord*>& pending,
                          const receipts::BlindingKey& blinding, const receipts::Trust& trust);

}  // namespace basin::books
