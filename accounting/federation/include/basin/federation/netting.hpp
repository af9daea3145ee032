// Netting of debts between federated sites.
//
// Each site that ran another site's jobs is owed credits by that site. Over a
// period these debts cross in both directions; settling them one by one would
// move far more than needed. net_debts() collapses them into few transfers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace basin::federation {

// `consumer` owes `provider` `amount` micro-credits (amount >= 0).
struct Debt {
  std::string provider;
  std::string consumer;
  std::int64_t amount = 0;
};

// One settlement payment: `from` pays `to` `amount` micro-credits (> 0).
struct Transfer {
  std::string from;
  std::string to;
  std::int64_t amount = 0;
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// Nets the debts into transfers that leave every site with the same balance.
//
// Finding the fewest transfers is NP-hard in general (it contains subset-sum:
// a transfer can be saved for every group of sites whose balances sum to 0).
// This greedy first settles pairs of sites whose balances cancel exactly, then
// repeatedly pays the largest creditor from the largest debtor. It never needs
// more than (sites with non-zero balance - 1) transfers, and it is exact when
// no group of three or more sites cancels out on its own, which is the usual
// shape of a federation's period (a few providers, many consumers).
//
// Output is deterministic: sorted by (from, to); ties in the greedy are broken
// by site name. Throws std::invalid_argument on a negative amount, an empty
// site name, or a sum that would overflow int64.
std::vector<Transfer> net_debts(const std::vector<Debt>& debts);

}  // namespace basin::federation
