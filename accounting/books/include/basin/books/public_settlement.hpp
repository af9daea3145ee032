// Settlement from public data: what any site computes from the logs it
// mirrors (witnessed checkpoints) and the providers' signed openings, holding
// no other site's secret. Every site with the same bundles computes the same
// statement bytes.
#pragma once

#include <string>
#include <vector>

#include "basin/books/integrity.hpp"
#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"
#include "basin/settlement/settlement.hpp"

namespace basin::books {

// Other sites' cosignatures a checkpoint needs: [policy] witness_quorum, or
// a majority of the other sites (at least 1).
unsigned witness_quorum_of(const federation::Pool& pool);

struct PublicSettlement {
  settlement::Statement statement;
  // Why a provider's log or opening was not used (it is then not settled):
  // a refused opening, a checkpoint without a quorum of witnesses, a log this
  // site does not hold up to the opened checkpoint.
  std::vector<std::string> problems;
};

// For each provider with openings of `period` in the ledger: its log up to
// the checkpoint the openings name (all its openings must name one), if
// that checkpoint carries a quorum of valid cosignatures; the period's
// receipts there, verified; each pair opened by its provider's opening.
PublicSettlement settle_public(const ledger::Ledger& ledger, const federation::Pool& pool,
                               const receipts::Trust& trust, const std::string& period);

// Settlement of one ledger that holds several sites' logs (sites that share
// one ledger, as on the local pool): the period's receipts of its logs with
// the charging rule (period_items), verified once; the settling site's own
// pairs opened with its blinding secrets, every other pair by the signed
// opening its provider stored there (make_openings, `basin ledger
// open-pairs`). Needs no other site's secret: the pairs of a provider that
// has not opened are listed, not settled.
PublicSettlement settle_shared(const ledger::Ledger& ledger, const federation::Pool& pool,
                               const receipts::Trust& trust, const std::string& period,
                               const CheckedRecords& checked, const std::string& own_site,
                               const receipts::BlindingKey& own_blinding);

}  // namespace basin::books
