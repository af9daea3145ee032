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

}  // namespace basin::books
