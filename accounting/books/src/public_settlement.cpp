#include "basin/books/public_settlement.hpp"

#include <tbb/parallel_for.h>

#include <map>
#include <set>

#include "basin/books/exchange.hpp"
#include "basin/books/openings.hpp"
#include "basin/books/period_items.hpp"
#include "basin/books/replica_evidence.hpp"
#include "basin/tlog/cosignature.hpp"

namespace basin::books {
namespace {

struct UsedLog {
  settlement::LogUsed log;
  std::set<std::uint64_t> charged;  // leaves in the provider's openings
};

// The other sites whose valid cosignature on `origin`'s checkpoint at `size`
// this ledger holds.
std::set<std::string> witnesses_of_checkpoint(const ledger::Ledger& ledger,
                                              const federation::Pool& pool,
                                              const std::string& provider,
                                              const std::string& origin, std::uint64_t size) {
  std::set<std::string> out;
  const auto cp = ledger.checkpoint_at(origin, size);
  if (!cp) return out;
  std::string note = cp->note;
  for (const auto& line : ledger.cosignatures(origin, size)) {
    try {
      note = tlog::add_cosignature(note, line);
    } catch (const tlog::NoteError&) {
    }
  }
  for (const auto& [site, key] : witnesses_of(pool)) {
    if (site == provider) continue;
    try {
      tlog::verify_cosignature(note, key);
      out.insert(site);
    } catch (const tlog::NoteError&) {
    }
  }
  return out;
}

// Checks a provider's log as its openings name it; "" when usable.
std::string check_log(const ledger::Ledger& ledger, const federation::Pool& pool,
                      const std::string& provider, const settlement::LogUsed& log) {
  const auto hashes = ledger.log_leaf_hashes(log.origin);
  if (hashes.size() < log.size)
    return "this site holds " + std::to_string(hashes.size()) + " leaves of log " + log.origin +
           ", the openings name its checkpoint of size " + std::to_string(log.size) +
           ": import the site's bundles first";
  if (tlog::root(std::span(hashes).first(log.size)) != log.root)
    return "log " + log.origin + " as this site holds it does not have the root the openings of " +
           provider + " name (see basin ledger forks)";
  const auto witnesses = witnesses_of_checkpoint(ledger, pool, provider, log.origin, log.size);
  const auto quorum = witness_quorum_of(pool);
  if (witnesses.size() < quorum) {
    std::string names;
    for (const auto& w : witnesses) names += (names.empty() ? "" : ",") + w;
    return "the checkpoint of log " + log.origin + " at size " + std::to_string(log.size) +
           " is witnessed by " + (names.empty() ? "no site" : names) + "; the pool needs " +
           std::to_string(quorum) + " (exchange bundles and cosignatures first)";
  }
  return "";
}

}  // namespace

unsigned witness_quorum_of(const federation::Pool& pool) {
  if (pool.witness_quorum != 0) return pool.witness_quorum;
  const auto others = pool.sites.empty() ? 0u : static_cast<unsigned>(pool.sites.size() - 1);
  return others / 2 + 1;
}

namespace {

// The period's signed openings the ledger holds, verified with their
// providers' keys, by provider; the refused ones go to `problems`.
std::map<std::string, std::vector<SignedOpening>> openings_by_provider(
    const ledger::Ledger& ledger, const federation::Pool& pool, const std::string& period,
    std::vector<std::string>& problems) {
  std::map<std::string, std::vector<SignedOpening>> by_provider;
  for (const auto& note : ledger.openings(period)) {
    try {
      auto o = verify_opening(note, pool);
      if (o.period != period) throw OpeningError("an opening of period " + o.period);
      by_provider[o.opening.provider].push_back(std::move(o));
    } catch (const std::exception& e) {
      problems.push_back(std::string("opening refused: ") + e.what());
    }
  }
  return by_provider;
}

}  // namespace

PublicSettlement settle_shared(const ledger::Ledger& ledger, const federation::Pool& pool,
                               const receipts::Trust& trust, const std::string& period,
                               const CheckedRecords& checked, const std::string& own_site,
                               const receipts::BlindingKey& own_blinding) {
  PublicSettlement out;
  settlement::PairOpenings openings;
  for (const auto& [provider, list] : openings_by_provider(ledger, pool, period, out.problems))
    if (provider != own_site)
      for (const auto& o : list) openings[{provider, o.opening.consumer}] = o.opening;
  const auto items = period_items(ledger, pool, period, {own_site}, checked);
  out.statement = settlement::settle(items, trust, {{own_site, &own_blinding}}, openings, period);
  return out;
}

PublicSettlement settle_public(const ledger::Ledger& ledger, const federation::Pool& pool,
                               const receipts::Trust& trust, const std::string& period) {
  PublicSettlement out;
  // 1. The openings, by provider; one checkpoint per provider.
  const auto by_provider = openings_by_provider(ledger, pool, period, out.problems);
  std::map<std::string, UsedLog> logs;  // by origin
  settlement::PairOpenings openings;
  for (const auto& [provider, list] : by_provider) {
    const auto& first = list.front();
    settlement::LogUsed log{first.origin, first.size, first.root};
    bool same = true;
    for (const auto& o : list) same = same && o.size == log.size && o.root == log.root;
    std::string why = same ? check_log(ledger, pool, provider, log)
                           : "the openings of " + provider + " name different checkpoints";
    if (!why.empty()) {
      out.problems.push_back("site " + provider + " not settled: " + why);
      continue;
    }
    auto& used = logs[log.origin];
    used.log = log;
    for (const auto& o : list) {
      openings[{provider, o.opening.consumer}] = o.opening;
      for (const auto& [origin, leaves] : o.opening.leaves)
        used.charged.insert(leaves.begin(), leaves.end());
    }
  }

  // Leaves opened in an earlier period, by (log, leaf): a provider may carry
  // a small pair's receipts into a later period, never charge them twice.
  std::map<std::pair<std::string, std::uint64_t>, std::string> opened_before;
  for (const auto& q : ledger.opened_periods()) {
    if (q >= period) break;
    std::vector<std::string> ignored;
    for (const auto& [provider, list] : openings_by_provider(ledger, pool, q, ignored))
      for (const auto& o : list)
        for (const auto& [origin, leaves] : o.opening.leaves)
          for (auto leaf : leaves) opened_before.emplace(std::pair{origin, leaf}, q);
  }

  // 2. The period's receipts in each used log, up to the opened checkpoint,
  // and the earlier ones the providers' openings carry in.
  std::map<std::string, std::string> home;
  for (const auto& a : pool.accounts) home[a.name] = a.home_site;
  std::vector<settlement::Item> items;
  for (const auto& entry : logs) {
    // Plain references: lambdas may not capture structured bindings (clang 14).
    const std::string& origin = entry.first;
    const UsedLog& used = entry.second;
    const auto leaves = ledger.log_leaves(origin, 0, used.log.size);
    std::vector<settlement::Item> part(leaves.size());
    std::vector<char> keep(leaves.size(), 0);
    tbb::parallel_for(std::size_t{0}, leaves.size(), [&](std::size_t i) {
      auto& it = part[i];
      it.log = origin;
      it.leaf = i;
      try {
        it.receipt = receipts::decode(leaves[i]);
      } catch (const std::exception& e) {
        it.problem = std::string("not a receipt: ") + e.what();
        keep[i] = used.charged.count(i) ? 1 : 0;  // a charged leaf that is no receipt is named
        return;
      }
      if (it.receipt.period > period) return;
      if (it.receipt.period < period) {
        // Carried in from an earlier period (a pair below [policy]
        // min_pair_receipts then): only when the provider's opening says so.
        if (!used.charged.count(i)) return;
        it.carried = true;
        if (const auto at = opened_before.find({origin, i}); at != opened_before.end())
          it.problem = "already opened in period " + at->second + " (charged twice)";
      }
      keep[i] = 1;
      if (auto h = home.find(it.receipt.account); h != home.end()) it.consumer_site = h->second;
      if (!used.charged.count(i)) it.not_charged = "not charged by its provider (in no opening)";
    });
    for (std::size_t i = 0; i < part.size(); ++i)
      if (keep[i]) items.push_back(std::move(part[i]));
    out.statement.logs.push_back(used.log);
  }

  // Replica groups that span sites, judged from every provider's evidence:
  // a provider that charges what the charging rule does not is named (its
  // opening then names other receipts than the pair's charged ones).
  const auto evidence = check_all_evidence(ledger, pool, ledger.replica_evidence());
  for (const auto& why : evidence.refused) out.problems.push_back("evidence refused: " + why);
  const auto decisions = judge_evidence(evidence, pool);
  std::map<LeafKey, const std::string*> identity;
  for (std::size_t i = 0; i < evidence.places.size(); ++i)
    identity[evidence.places[i]] = &evidence.records[i].identity;
  for (auto& it : items) {
    const auto d = decisions.find({it.log, it.leaf});
    if (d == decisions.end() || !it.problem.empty()) continue;
    it.record = *identity.at(d->first);
    const bool provider_charges = logs.at(it.log).charged.count(it.leaf) > 0;
    if (!d->second.charged) {
      if (provider_charges)
        out.problems.push_back("site " + it.receipt.provider_site + " charges leaf " +
                               std::to_string(it.leaf) + " of log " + it.log + " (" + it.record +
                               "), which is not charged: " + d->second.note);
      it.not_charged = d->second.note;
    } else if (provider_charges) {
      it.flag = d->second.note;
    }
  }

  // 3. Verify, sum per pair, check each opening, net.
  auto logs_used = std::move(out.statement.logs);
  out.statement = settlement::settle(items, trust, {}, openings, period);
  out.statement.logs = std::move(logs_used);
  out.statement.evidence_records = evidence.records.size();
  if (!evidence.records.empty()) out.statement.evidence_digest = evidence.digest;
  return out;
}

}  // namespace basin::books
