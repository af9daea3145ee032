// Slurm's accounts and user associations made to match pool.toml
// (`basin pool sync-accounts`): what Slurm has is read from sacctmgr's
// parsable output, and the plan is the list of sacctmgr commands that bring
// it to pool.toml. Pure functions: the CLI runs the commands.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "basin/federation/pool.hpp"

namespace basin::federation {

// What slurmdbd holds now.
struct SlurmAccounts {
  std::set<std::string> clusters;  // sacctmgr -n -P show cluster format=Cluster
  std::set<std::string> accounts;  // sacctmgr -n -P show account format=Account
  // sacctmgr -n -P show assoc cluster=C format=Account,User: (account, user);
  // user "" is the account's own association on the cluster.
  std::set<std::pair<std::string, std::string>> associations;
  // sacctmgr -n -P show user format=User,DefaultAccount
  std::map<std::string, std::string> default_account;
};

// Parses the four outputs above (one record per line, fields split by '|').
SlurmAccounts parse_slurm_accounts(const std::string& clusters, const std::string& accounts,
                                   const std::string& associations, const std::string& users);

struct SacctmgrChange {
  std::vector<std::string> args;  // after `sacctmgr -i`
  std::string message;            // e.g. "added user alice to account physics"
};

// The changes that make Slurm's cluster `pool.cluster`, the accounts of
// pool.toml and their members' associations on that cluster match pool.toml.
// Accounts that pool.toml does not name (root, an admin's own) are left
// alone. Empty when Slurm already matches. Throws PoolError naming the user
// and account if a member is not a user on this machine (`is_user`), since
// sacctmgr would accept any name.
std::vector<SacctmgrChange> plan_account_sync(
    const Pool& pool, const SlurmAccounts& now,
    const std::function<bool(const std::string&)>& is_user);

}  // namespace basin::federation
