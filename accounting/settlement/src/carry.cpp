// Carrying small pairs into the next period (settlement::with_carry).
#include <map>
#include <set>

#include "basin/settlement/settlement.hpp"

namespace basin::settlement {
namespace {

bool chargeable(const Item& it) {
  return it.problem.empty() && it.not_charged.empty() && !it.consumer_site.empty();
}

}  // namespace

std::vector<Item> with_carry(std::vector<Item> items, const std::string& period, unsigned k) {
  std::vector<Item> out;
  if (k <= 1) {
    for (auto& it : items)
      if (it.receipt.period == period || it.receipt.period.empty()) out.push_back(std::move(it));
    return out;
  }
  using Pair = std::pair<std::string, std::string>;
  // Chargeable receipts per pair and period, up to `period`.
  std::map<Pair, std::map<std::string, std::size_t>> counts;
  for (const auto& it : items)
    if (chargeable(it) && it.receipt.period <= period)
      ++counts[{it.receipt.provider_site, it.consumer_site}][it.receipt.period];
  // Walk each pair's periods: a batch closes where it reaches k.
  struct Batch {
    std::string after;  // receipts of periods after this one form the open batch
    std::size_t count = 0;
  };
  std::map<Pair, Batch> open;
  for (const auto& [pair, by_period] : counts) {
    Batch b;
    for (const auto& [p, n] : by_period) {
      if (p >= period) break;
      b.count += n;
      if (b.count >= k) b = {p, 0};
    }
    if (const auto now = by_period.find(period); now != by_period.end()) b.count += now->second;
    open[pair] = b;
  }
  for (auto& it : items) {
    const bool earlier = !it.receipt.period.empty() && it.receipt.period < period;
    if (it.receipt.period > period) continue;
    if (!chargeable(it)) {
      if (!earlier) out.push_back(std::move(it));
      continue;
    }
    const Pair pair{it.receipt.provider_site, it.consumer_site};
    const auto& b = open.at(pair);
    if (earlier && it.receipt.period <= b.after) continue;  // opened in its own batch
    it.carried = earlier;
    if (b.count < k)
      it.not_charged = "carried into the next period: pair " + pair.first + " -> " + pair.second +
                       " has " + std::to_string(b.count) +
                       " receipts, the pool opens a pair from " + std::to_string(k) + " on";
    out.push_back(std::move(it));
  }
  return out;
}

}  // namespace basin::settlement
