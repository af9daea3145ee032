#include "basin/federation/netting.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace basin::federation {
namespace {

std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    throw std::invalid_argument("netting: balances overflow 64-bit micro-credits");
  }
  return r;
}

// A site with what it is owed (> 0) or owes (< 0) after all debts.
struct Balance {
  std::string site;
  std::int64_t amount;
};

}  // namespace

std::vector<Transfer> net_debts(const std::vector<Debt>& debts) {
  std::map<std::string, std::int64_t> balance;  // ordered: deterministic ties
  for (const Debt& d : debts) {
    if (d.amount < 0) {
      throw std::invalid_argument("netting: negative debt from " + d.consumer + " to " +
                                  d.provider + "; record the reverse direction instead");
    }
    if (d.provider.empty() || d.consumer.empty()) {
      throw std::invalid_argument("netting: a debt names no site");
    }
    if (d.provider == d.consumer || d.amount == 0) continue;
    balance[d.provider] = checked_add(balance[d.provider], d.amount);
    balance[d.consumer] = checked_add(balance[d.consumer], -d.amount);
  }

  std::vector<Balance> creditors;
  std::vector<Balance> debtors;
  for (const auto& [site, amount] : balance) {
    if (amount > 0) creditors.push_back({site, amount});
    if (amount < 0) debtors.push_back({site, -amount});
  }

  std::vector<Transfer> out;
  // Pairs that cancel exactly each cost one transfer and leave the rest
  // untouched; the greedy below could split them across two transfers.
  for (Balance& d : debtors) {
    for (Balance& c : creditors) {
      if (c.amount != 0 && c.amount == d.amount) {
        out.push_back({d.site, c.site, d.amount});
        c.amount = 0;
        d.amount = 0;
        break;
      }
    }
  }

  auto largest = [](std::vector<Balance>& v) {
    // Largest amount first; among equals the smallest name (v is name-sorted).
    auto it = std::max_element(
        v.begin(), v.end(), [](const Balance& a, const Balance& b) { return a.amount < b.amount; });
    return it;
  };
  for (;;) {
    auto c = largest(creditors);
    auto d = largest(debtors);
    if (c == creditors.end() || d == debtors.end() || c->amount == 0 || d->amount == 0) break;
    const std::int64_t pay = std::min(c->amount, d->amount);
    out.push_back({d->site, c->site, pay});
    c->amount -= pay;
    d->amount -= pay;
  }

  std::sort(out.begin(), out.end(), [](const Transfer& a, const Transfer& b) {
    return std::tie(a.from, a.to) < std::tie(b.from, b.to);
  });
  // One debtor can pay one creditor twice (exact pair plus greedy); merge.
  std::vector<Transfer> merged;
  for (const Transfer& t : out) {
    if (!merged.empty() && merged.back().from == t.from && merged.back().to == t.to) {
      merged.back().amount += t.amount;
    } else {
      merged.push_back(t);
    }
  }
  return merged;
}

}  // namespace basin::federation
