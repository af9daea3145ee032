#include "basin/books/issuing.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "basin/records/record_checks.hpp"

namespace basin::books {

std::string IssueNote::line() const {
  // Identities and details carry strings from nodes and from Slurm's files.
  const auto rest = records::printable(identity) + ": " + records::printable(detail);
  switch (kind) {
    case Kind::not_issued:
      return "not issued " + rest;
    case Kind::held:
      return "held " + rest;
    case Kind::account_mismatch:
      return "finding account_mismatch " + rest;
    case Kind::restart_mismatch:
      return "finding restart_mismatch " + rest;
  }
  return rest;
}

std::size_t IssuePlan::count(IssueNote::Kind kind) const {
  return static_cast<std::size_t>(std::count_if(
      notes.begin(), notes.end(), [&](const IssueNote& n) { return n.kind == kind; }));
}

IssuePlan plan_issue(std::span<const ledger::StoredRecord* const> pending,
                     const federation::Pool& pool, const SlurmAccounts& slurm) {
  using Kind = IssueNote::Kind;
  std::map<std::string, std::string> node_site, account_key;
  for (const auto& n : pool.nodes) node_site[n.name] = n.site;
  for (const auto& a : pool.accounts) account_key[a.name] = a.public_key;
  IssuePlan plan;
  for (const auto* s : pending) {
    const auto& r = s->record;
    const auto ns = node_site.find(r.node);
    if (ns == node_site.end() || ns->second != r.site) {
      plan.notes.push_back(
          {Kind::not_issued, s->identity,
           "node '" + r.node + "' is not a node of site '" + r.site + "' in pool.toml"});
      continue;
    }
    const auto account = slurm.account_for(r);
    if (account.account.empty()) {
      plan.notes.push_back({Kind::held, s->identity, account.problem});
      continue;
    }
    if (account.mismatch)
      plan.notes.push_back({Kind::account_mismatch, s->identity, account.detail});
    if (!account.restart_problem.empty())
      plan.notes.push_back({Kind::restart_mismatch, s->identity, account.restart_problem});
    const auto ak = account_key.find(account.account);
    if (ak == account_key.end()) {
      plan.notes.push_back({Kind::not_issued, s->identity,
                            "account '" + account.account +
                                "' (Slurm's for this job) is not in pool.toml (add it with basin "
                                "pool add-account)"});
      continue;
    }
    plan.todo.push_back({s, account.account, receipts::parse_x25519_hex(ak->second)});
  }
  return plan;
}

Pending pending_of_site(const std::vector<ledger::StoredRecord>& records,
                        const std::vector<ledger::StoredReceipt>& receipts,
                        const std::string& site) {
  std::set<std::int64_t> receipted;
  for (const auto& r : receipts) receipted.insert(r.record_id);
  Pending out;
  for (const auto& s : records) {
    if (receipted.count(s.id)) continue;
    if (s.record.site != site)
      ++out.other_sites;
    else if (!s.conflict)
      out.mine.push_back(&s);
  }
  for (const auto& c : conflicts_with_receipts(records, receipts))
    if (c.record->record.site == site) out.conflicts.push_back(c);
  return out;
}

LoggedRecords drop_logged(ledger::Ledger& ledger, const std::string& origin,
                          std::vector<const ledger::StoredRecord*>& pending,
                          const receipts::BlindingKey& blinding, const receipts::Trust& trust) {
  LoggedRecords out;
  const auto leaves = ledger.log_leaves(origin);
  const auto match = match_log(leaves, pending, blinding, trust);
  out.problems = match.problems;
  out.orphans = match.orphans;
  if (!out.problems.empty() || !out.orphans.empty()) return out;
  std::vector<bool> drop(pending.size(), false);
  for (const auto& m : match.in_log) {
    const auto& s = *pending[m.pending];
    drop[m.pending] = true;
    if (m.indexed) {
      out.already_issued.emplace_back(s.identity, m.leaf);
      continue;
    }
    ledger.restore_receipt_row(
        {s.id, m.header.provider_site, m.header.account, m.header.period, {}}, origin, m.leaf);
    out.restored.emplace_back(s.identity, m.leaf);
  }
  std::vector<const ledger::StoredRecord*> rest;
  for (std::size_t i = 0; i < pending.size(); ++i)
    if (!drop[i]) rest.push_back(pending[i]);
  pending.swap(rest);
  return out;
}

}  // namespace basin::books
