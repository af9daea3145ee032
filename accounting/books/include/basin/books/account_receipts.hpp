// An account's own view of its receipts (`basin ledger open`): the ones its
// key opens, each checked against its commitments and against the signed
// record the ledger holds for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::books {

struct AccountReceipt {
  std::uint64_t leaf_index = 0;
  std::string identity;  // the ledger's name of the record
  std::string period;
  receipts::Opening opening;  // valid only when problem is empty
  // The credit in micro-credits, priced with the card the receipt names
  // (current or earlier), when a trust with that card is given.
  std::optional<unsigned __int128> credit;
  // Why the receipt, though sealed to this account, is wrong: its opening
  // does not open its commitments, or names another signed record than the
  // one the ledger holds (a swapped record). Empty: good.
  std::string problem;
};

// The receipts of the ledger that `key` opens, in log order. Receipts that do
// not decode or are sealed to another account are skipped (`verify` names
// malformed ones). `trust` may be null (no prices).
std::vector<AccountReceipt> account_receipts(const ledger::Ledger& ledger,
                                             const receipts::AccountKey& key,
                                             const receipts::Trust* trust);

}  // namespace basin::books
