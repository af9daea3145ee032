#include "basin/federation/netting.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

using basin::federation::Debt;
using basin::federation::net_debts;
using basin::federation::Transfer;

namespace {

// Balance each site ends with when debts are settled directly.
std::map<std::string, std::int64_t> balances(const std::vector<Debt>& debts) {
  std::map<std::string, std::int64_t> b;
  for (const Debt& d : debts) {
    b[d.provider] += d.amount;
    b[d.consumer] -= d.amount;
  }
  std::erase_if(b, [](const auto& kv) { return kv.second == 0; });
  return b;
}

std::map<std::string, std::int64_t> balances(const std::vector<Transfer>& ts) {
  std::map<std::string, std::int64_t> b;
  for (const Transfer& t : ts) {
    b[t.to] += t.amount;
    b[t.from] -= t.amount;
  }
  std::erase_if(b, [](const auto& kv) { return kv.second == 0; });
  return b;
}

}  // namespace

TEST(Netting, CrossingDebtsCollapseToOneTransfer) {
  const std::vector<Debt> debts{{"campus", "home", 700}, {"home", "campus", 200}};
  EXPECT_EQ(net_debts(debts), (std::vector<Transfer>{{"home", "campus", 500}}));
}

TEST(Netting, SettledSitesPayNothing) {
  const std::vector<Debt> debts{{"a", "b", 10}, {"b", "c", 10}, {"c", "a", 10}};
  EXPECT_TRUE(net_debts(debts).empty());
}

TEST(Netting, ChainBecomesDirectPayment) {
  // b owes a 5, c owes b 5: b is only a relay.
  const std::vector<Debt> debts{{"a", "b", 5}, {"b", "c", 5}};
  EXPECT_EQ(net_debts(debts), (std::vector<Transfer>{{"c", "a", 5}}));
}

TEST(Netting, ExactPairsAreSettledFirst) {
  // Balances a +6, b +4, c -4, d -3, e -3. Largest-first alone pays a from c,
  // splits b and a across d and e and needs 4 transfers; pairing b with c
  // first needs 3.
  const std::vector<Debt> debts{{"a", "d", 3}, {"a", "e", 3}, {"b", "c", 4}};
  EXPECT_EQ(net_debts(debts), (std::vector<Transfer>{{"c", "b", 4}, {"d", "a", 3}, {"e", "a", 3}}));
  // The same balances with the debts spread across all pairs.
  const std::vector<Debt> spread{
      {"a", "c", 2}, {"a", "d", 1}, {"a", "e", 3}, {"b", "c", 2}, {"b", "d", 2}};
  EXPECT_EQ(net_debts(spread),
            (std::vector<Transfer>{{"c", "b", 4}, {"d", "a", 3}, {"e", "a", 3}}));
}

TEST(Netting, OutputIsSortedAndIndependentOfInputOrder) {
  std::vector<Debt> debts{{"s1", "s4", 30}, {"s2", "s4", 20}, {"s3", "s5", 7}, {"s1", "s5", 1}};
  const auto first = net_debts(debts);
  std::reverse(debts.begin(), debts.end());
  EXPECT_EQ(net_debts(debts), first);
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end(), [](const auto& a, const auto& b) {
    return std::tie(a.from, a.to) < std::tie(b.from, b.to);
  }));
}

TEST(Netting, RandomLedgersKeepBalancesWithFewTransfers) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    const int sites = 2 + static_cast<int>(rng() % 9);
    std::vector<Debt> debts;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const auto p = "site" + std::to_string(rng() % sites);
      const auto c = "site" + std::to_string(rng() % sites);
      debts.push_back({p, c, static_cast<std::int64_t>(rng() % 1'000'000)});
    }
    const auto ts = net_debts(debts);
    const auto want = balances(debts);
    EXPECT_EQ(balances(ts), want);
    for (const auto& t : ts) EXPECT_GT(t.amount, 0);
    if (!want.empty()) {
      EXPECT_LE(ts.size(), want.size() - 1);
    }
  }
}

TEST(Netting, RejectsNegativeAndOverflow) {
  EXPECT_THROW(net_debts({{"a", "b", -1}}), std::invalid_argument);
  EXPECT_THROW(net_debts({{"a", "", 1}}), std::invalid_argument);
  EXPECT_THROW(net_debts({{"a", "b", INT64_MAX}, {"a", "c", INT64_MAX}}), std::invalid_argument);
}
