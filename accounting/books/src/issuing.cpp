#include "basin/books/issuing.hpp"

#include <algorithm>
#include <map>

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

}  // namespace basin::books
