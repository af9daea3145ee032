// settle(): verify, sum per site pair, open, check, net (see settlement.hpp).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "basin/crypto/pedersen.hpp"
#include "basin/settlement/settlement.hpp"

namespace basin::settlement {
namespace {

using Pair = std::pair<std::string, std::string>;  // provider, consumer
using U128 = unsigned __int128;

crypto::Scalar scalar_of(U128 v) {
  const auto two64 = crypto::Scalar::from_u64(std::uint64_t{1} << 32) *
                     crypto::Scalar::from_u64(std::uint64_t{1} << 32);
  return crypto::Scalar::from_u64(static_cast<std::uint64_t>(v >> 64)) * two64 +
         crypto::Scalar::from_u64(static_cast<std::uint64_t>(v));
}

// Per quantity, the sum of the charged receipts' commitments: the rates are
// applied once to the four sums rather than to every receipt, and point
// additions are cheap, so this is the fast way to sum_i rate_i * sum_r C_ri.
struct CommitmentSums {
  std::array<crypto::Point, receipts::kQuantities> c{};
  void add(const CommitmentSums& o) {
    for (std::size_t i = 0; i < c.size(); ++i) c[i] += o.c[i];
  }
};

CommitmentSums sum_commitments(std::span<const Item* const> items) {
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, items.size(), 256), CommitmentSums{},
      [&](const tbb::blocked_range<std::size_t>& r, CommitmentSums acc) {
        // The range's commitments decoded together (eight at a time where
        // the CPU can); verified receipts have valid, non-identity points.
        std::vector<crypto::Bytes32> enc;
        enc.reserve(r.size() * receipts::kQuantities);
        for (std::size_t k = r.begin(); k != r.end(); ++k)
          for (const auto& c : items[k]->receipt.commitments) enc.push_back(c);
        std::vector<std::optional<crypto::Point>> pts(enc.size());
        crypto::Point::decode_many(enc, false, pts);
        for (std::size_t j = 0; j < pts.size(); ++j) acc.c[j % receipts::kQuantities] += *pts[j];
        return acc;
      },
      [](CommitmentSums a, const CommitmentSums& b) {
        a.add(b);
        return a;
      });
}

// The provider's opening of a pair's total: the credits from its own
// quantities, the blinding re-derived from its key for every receipt.
// The card each receipt names (verified receipts name one of their site's
// cards: current or earlier), so a rate change never reprices old receipts.
const receipts::RateCard& card_of(const receipts::Trust& trust, const Item& it) {
  return *receipts::find_card(trust, it.receipt.provider_site, it.receipt.rate_card_id);
}

std::optional<std::string> open_pair(std::span<const Item* const> items,
                                     const receipts::Trust& trust, const receipts::BlindingKey& key,
                                     U128& value, crypto::Scalar& blinding) {
  value = 0;
  for (const Item* it : items) {
    if (!it->quantities) return "the provider has no record of " + it->record;
    const auto& card = card_of(trust, *it);
    for (std::size_t i = 0; i < receipts::kQuantities; ++i)
      value += static_cast<U128>((*it->quantities)[i]) * card.micro_credits[i];
  }
  blinding = tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, items.size(), 64), crypto::Scalar{},
      [&](const tbb::blocked_range<std::size_t>& r, crypto::Scalar acc) {
        for (std::size_t k = r.begin(); k != r.end(); ++k)
          acc += receipts::credit_blinding(items[k]->receipt, card_of(trust, *items[k]), key);
        return acc;
      },
      [](const crypto::Scalar& a, const crypto::Scalar& b) { return a + b; });
  return std::nullopt;
}

// How a pair's total is opened: fills value and blinding, or says why not.
using Opener = std::function<std::optional<std::string>(const PairTotal& pair,
                                                        std::span<const Item* const> members,
                                                        U128& value, crypto::Scalar& blinding)>;

Statement settle_core(std::span<const Item> items, const receipts::Trust& trust,
                      const Opener& opener, const std::string& period);

}  // namespace

namespace {

// A pair opened by the provider's signed opening: it must name exactly the
// pair's verified, charged receipts.
std::optional<std::string> use_opening(const PairTotal& t, const PairOpenings& openings,
                                       U128& value, crypto::Scalar& blinding) {
  const auto o = openings.find({t.provider, t.consumer});
  if (o == openings.end())
    return "not opened: site " + t.provider + " published no opening of this pair";
  if (o->second.leaves != t.leaves)
    return "the opening of site " + t.provider +
           " names other receipts than the pair's verified receipts of the period";
  const auto b = crypto::Scalar::from_canonical(o->second.blinding);
  if (!b) return "the opening of site " + t.provider + " has a non-canonical blinding";
  if (o->second.micro_credits < 0)
    return "the opening of site " + t.provider + " has a negative total";
  value = static_cast<U128>(o->second.micro_credits);
  blinding = *b;
  return std::nullopt;
}

}  // namespace

Statement settle(std::span<const Item> items, const receipts::Trust& trust,
                 const ProviderKeys& keys, const PairOpenings& openings,
                 const std::string& period) {
  return settle_core(
      items, trust,
      [&](const PairTotal& t, std::span<const Item* const> members, U128& value,
          crypto::Scalar& blinding) -> std::optional<std::string> {
        const auto key = keys.find(t.provider);
        if (key != keys.end() && key->second != nullptr) {
          if (auto why = open_pair(members, trust, *key->second, value, blinding))
            return "not opened: " + *why;
          return std::nullopt;
        }
        return use_opening(t, openings, value, blinding);
      },
      period);
}

namespace {

Statement settle_core(std::span<const Item> items, const receipts::Trust& trust,
                      const Opener& opener, const std::string& period) {
  Statement st;
  st.pool = trust.pool;
  st.period = period;
  st.receipts = items.size();
  auto list = [](const Item& it, std::string why) {
    return Listed{it.log, it.leaf, it.record, std::move(why)};
  };

  // 1. Checks that need no cryptography, then the batch verification.
  std::vector<const Item*> candidates;
  for (const Item& it : items) {
    std::string why = it.problem;
    if (why.empty() && it.receipt.period != period && !(it.carried && it.receipt.period < period))
      why = "its period is " + it.receipt.period + ", not " + period;
    if (why.empty() && it.consumer_site.empty())
      why = "account '" + it.receipt.account + "' has no home site in the pool";
    if (why.empty())
      candidates.push_back(&it);
    else
      st.failed.push_back(list(it, why));
  }
  std::vector<receipts::Receipt> batch;
  batch.reserve(candidates.size());
  for (const Item* it : candidates) batch.push_back(it->receipt);
  std::vector<bool> bad(candidates.size(), false);
  for (const auto& f : receipts::verify_batch(batch, trust)) {
    bad[f.index] = true;
    st.failed.push_back(list(*candidates[f.index], f.reason));
  }
  batch.clear();
  batch.shrink_to_fit();

  // 2. A job reference charged twice is a replayed receipt: keep the first
  // (lowest log position), exclude the rest by name.
  std::map<crypto::Bytes32, const Item*> seen;
  std::map<Pair, std::vector<const Item*>> charged;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    if (bad[k]) continue;
    const Item& it = *candidates[k];
    if (auto [at, fresh] = seen.emplace(it.receipt.job_ref, &it); !fresh) {
      st.failed.push_back(list(it, "same job reference as leaf " +
                                       std::to_string(at->second->leaf) + " of " + at->second->log +
                                       " (a replayed receipt)"));
      continue;
    }
    if (!it.not_charged.empty()) {
      st.not_charged.push_back(list(it, it.not_charged));
      continue;
    }
    if (!it.flag.empty()) st.flagged.push_back(list(it, it.flag));
    charged[{it.receipt.provider_site, it.consumer_site}].push_back(&it);
    ++st.charged;
  }

  // 3. Per pair: the sum of commitments, the provider's opening, the check.
  const auto& gens = crypto::pedersen_gens();
  std::vector<federation::Debt> debts;
  for (auto& [pair, members] : charged) {
    PairTotal t;
    t.provider = pair.first;
    t.consumer = pair.second;
    t.receipts = members.size();
    for (const Item* it : members) t.leaves[it->log].push_back(it->leaf);
    for (auto& [log, leaves] : t.leaves) std::sort(leaves.begin(), leaves.end());
    // Per card the receipts name: the sums of commitments, each priced once.
    std::map<std::string, std::vector<const Item*>> by_card;
    for (const Item* it : members) by_card[it->receipt.rate_card_id].push_back(it);
    crypto::Point total;
    for (const auto& [id, group] : by_card) {
      const auto& card = card_of(trust, *group.front());
      const auto sums = sum_commitments(group);
      for (std::size_t i = 0; i < receipts::kQuantities; ++i)
        total += sums.c[i] * crypto::Scalar::from_u64(card.micro_credits[i]);
    }
    t.credit_commitment = total.encode();

    U128 value = 0;
    crypto::Scalar blinding;
    if (auto why = opener(t, members, value, blinding)) {
      t.problem = *why;
    } else if (gens.commit(scalar_of(value), blinding) != total) {
      t.problem = "the opening of site " + t.provider +
                  " does not match the sum of its receipts' commitments";
    } else if (value > static_cast<U128>(std::numeric_limits<std::int64_t>::max())) {
      t.problem = "total beyond 2^63 micro-credits; settle a shorter period";
    } else {
      t.opened = true;
      t.micro_credits = static_cast<std::int64_t>(value);
      t.blinding = blinding.encode();
      if (t.provider != t.consumer) debts.push_back({t.provider, t.consumer, t.micro_credits});
    }
    st.pairs.push_back(std::move(t));
  }

  // 4. Balances and the netted transfers.
  for (const auto& d : debts) {
    st.balance[d.provider] += d.amount;
    st.balance[d.consumer] -= d.amount;
  }
  st.transfers = federation::net_debts(debts);
  auto by_place = [](const Listed& a, const Listed& b) {
    return std::tie(a.log, a.leaf, a.reason) < std::tie(b.log, b.leaf, b.reason);
  };
  std::sort(st.failed.begin(), st.failed.end(), by_place);
  std::sort(st.not_charged.begin(), st.not_charged.end(), by_place);
  std::sort(st.flagged.begin(), st.flagged.end(), by_place);
  return st;
}

}  // namespace

}  // namespace basin::settlement
