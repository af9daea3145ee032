#include "basin/federation/account_sync.hpp"

#include <algorithm>
#include <sstream>

namespace basin::federation {
namespace {

std::vector<std::vector<std::string>> records(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::size_t from = 0;
    for (;;) {
      const auto bar = line.find('|', from);
      fields.push_back(line.substr(from, bar - from));
      if (bar == std::string::npos) break;
      from = bar + 1;
    }
    out.push_back(std::move(fields));
  }
  return out;
}

}  // namespace

SlurmAccounts parse_slurm_accounts(const std::string& clusters, const std::string& accounts,
                                   const std::string& associations, const std::string& users) {
  SlurmAccounts s;
  for (const auto& r : records(clusters)) s.clusters.insert(r.at(0));
  for (const auto& r : records(accounts)) s.accounts.insert(r.at(0));
  for (const auto& r : records(associations)) {
    s.associations.emplace(r.at(0), r.size() > 1 ? r[1] : std::string());
  }
  for (const auto& r : records(users)) {
    if (r.size() > 1) s.default_account[r[0]] = r[1];
  }
  return s;
}

std::vector<SacctmgrChange> plan_account_sync(
    const Pool& pool, const SlurmAccounts& now,
    const std::function<bool(const std::string&)>& is_user) {
  for (const Account& a : pool.accounts) {
    for (const auto& u : a.members) {
      if (!is_user(u)) {
        throw PoolError("member '" + u + "' of account '" + a.name +
                        "' is not a Unix user on this machine (getpwnam finds no such user): "
                        "create the user first (useradd " +
                        u + ") or remove it (basin pool remove-member --account " + a.name +
                        " --user " + u + "); Slurm would accept the name but no job could run");
      }
    }
  }
  const std::string& c = pool.cluster;
  std::vector<SacctmgrChange> plan;
  if (now.clusters.count(c) == 0) plan.push_back({{"add", "cluster", c}, "added cluster " + c});
  // Associations on this cluster after the plan, per user.
  std::map<std::string, std::set<std::string>> user_accounts;
  for (const auto& [acct, user] : now.associations) {
    if (!user.empty()) user_accounts[user].insert(acct);
  }
  std::vector<SacctmgrChange> removals;
  std::vector<std::pair<std::string, std::string>> removed;
  for (const Account& a : pool.accounts) {
    if (now.associations.count({a.name, ""}) == 0) {
      plan.push_back({{"add", "account", a.name, "cluster=" + c,
                       "description=basin account " + a.name, "organization=basin"},
                      "added account " + a.name});
    }
    for (const auto& u : a.members) {
      if (now.associations.count({a.name, u}) == 0) {
        plan.push_back({{"add", "user", u, "account=" + a.name, "cluster=" + c},
                        "added user " + u + " to account " + a.name});
        user_accounts[u].insert(a.name);
      }
    }
    for (const auto& [acct, user] : now.associations) {
      if (acct != a.name || user.empty()) continue;
      if (std::find(a.members.begin(), a.members.end(), user) != a.members.end()) continue;
      removals.push_back(
          {{"delete", "user", "where", "name=" + user, "account=" + acct, "cluster=" + c},
           "removed user " + user + " from account " + acct});
      removed.emplace_back(acct, user);
      user_accounts[user].erase(acct);
    }
  }
  // Slurm refuses to delete a user's default account while the user has
  // other associations: move the default first.
  for (const auto& [acct, user] : removed) {
    const auto d = now.default_account.find(user);
    const auto& left = user_accounts[user];
    if (d != now.default_account.end() && d->second == acct && !left.empty()) {
      const std::string next = *left.begin();
      plan.push_back({{"modify", "user", "where", "name=" + user, "set", "defaultaccount=" + next},
                      "set default account of user " + user + " to " + next});
    }
  }
  plan.insert(plan.end(), removals.begin(), removals.end());
  return plan;
}

}  // namespace basin::federation
