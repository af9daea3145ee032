// The receipts a settlement of one period works on, gathered from a ledger.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "basin/books/integrity.hpp"
#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/settlement/settlement.hpp"

namespace basin::books {

// The period's receipts of this ledger's own logs, with what the books know
// of each: the account's home site, the charging rule's decision (INVALID
// replicas and nested steps not charged; unvalidated replicas flagged), and,
// for records of `sites_with_records`, the quantities a provider needs to
// open its pairs. A receipt whose bytes are not its log leaf, whose fields
// differ from the ledger's index, or whose record failed its signature
// check (`checked.tampered`) carries the problem and is never counted.
// With [policy] min_pair_receipts above 1, receipts of earlier periods whose
// pair had too few to be opened are carried in (settlement::with_carry).
// `foreign`: other sites' replica evidence (basin/books/replica_evidence.hpp):
// their records of replicated jobs join this ledger's in the charging rule,
// so a replica group that spans sites is judged whole; they are never
// charged here.
struct CheckedEvidence;
std::vector<settlement::Item> period_items(const ledger::Ledger& ledger,
                                           const federation::Pool& pool, const std::string& period,
                                           const std::set<std::string>& sites_with_records,
                                           const CheckedRecords& checked,
                                           const CheckedEvidence* foreign = nullptr);

}  // namespace basin::books
