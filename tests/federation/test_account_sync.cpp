#include <gtest/gtest.h>

#include "basin/federation/account_sync.hpp"

using namespace basin::federation;

namespace {

Pool pool_with(std::vector<Account> accounts) {
  Pool p;
  p.name = "p";
  p.cluster = "c";
  p.sites.push_back({"s", Tier::volunteer, std::string(64, 'a'), {}, "", {}, {}});
  p.accounts = std::move(accounts);
  return p;
}

Account account(const std::string& name, std::vector<std::string> members) {
  return {name, "s", std::string(64, 'b'), 0, std::move(members)};
}

std::vector<std::string> messages(const std::vector<SacctmgrChange>& plan) {
  std::vector<std::string> out;
  for (const auto& c : plan) out.push_back(c.message);
  return out;
}

bool anyone(const std::string&) {
  return true;
}

}  // namespace

TEST(AccountSync, ParsesSacctmgrParsableOutput) {
  const auto s = parse_slurm_accounts("c\nother\n", "root\nphysics\n",
                                      "root|\nroot|root\nphysics|\nphysics|alice\n",
                                      "root|root\nalice|physics\n");
  EXPECT_EQ(s.clusters, (std::set<std::string>{"c", "other"}));
  EXPECT_EQ(s.accounts.count("physics"), 1u);
  EXPECT_EQ(s.associations.count({"physics", ""}), 1u);
  EXPECT_EQ(s.associations.count({"physics", "alice"}), 1u);
  EXPECT_EQ(s.default_account.at("alice"), "physics");
}

TEST(AccountSync, EmptySlurmGetsClusterAccountsAndMembers) {
  const Pool p = pool_with({account("physics", {"alice", "bob"}), account("bio", {})});
  const auto plan = plan_account_sync(p, {}, anyone);
  EXPECT_EQ(messages(plan),
            (std::vector<std::string>{"added cluster c", "added account physics",
                                      "added user alice to account physics",
                                      "added user bob to account physics", "added account bio"}));
  EXPECT_EQ(plan[0].args, (std::vector<std::string>{"add", "cluster", "c"}));
  EXPECT_EQ(plan[2].args,
            (std::vector<std::string>{"add", "user", "alice", "account=physics", "cluster=c"}));
}

TEST(AccountSync, MatchingSlurmNeedsNothingAndOthersAreLeftAlone) {
  const Pool p = pool_with({account("physics", {"alice"})});
  const auto now = parse_slurm_accounts("c\n", "root\nphysics\nadmins\n",
                                        "root|\nroot|root\nphysics|\nphysics|alice\n"
                                        "admins|\nadmins|carol\n",
                                        "");
  EXPECT_TRUE(plan_account_sync(p, now, anyone).empty());
}

TEST(AccountSync, RemovedMemberLosesItsAssociationDefaultMovedFirst) {
  const Pool p = pool_with({account("physics", {"alice"}), account("bio", {"bob"})});
  const auto now =
      parse_slurm_accounts("c\n", "physics\nbio\n", "physics|\nphysics|alice\nphysics|bob\nbio|\n",
                           "alice|physics\nbob|physics\n");
  const auto plan = plan_account_sync(p, now, anyone);
  EXPECT_EQ(messages(plan), (std::vector<std::string>{"added user bob to account bio",
                                                      "set default account of user bob to bio",
                                                      "removed user bob from account physics"}));
  EXPECT_EQ(plan.back().args, (std::vector<std::string>{"delete", "user", "where", "name=bob",
                                                        "account=physics", "cluster=c"}));
}

TEST(AccountSync, AccountKnownElsewhereIsAddedToThisCluster) {
  const Pool p = pool_with({account("physics", {})});
  const auto now = parse_slurm_accounts("c\n", "physics\n", "", "");
  EXPECT_EQ(messages(plan_account_sync(p, now, anyone)),
            (std::vector<std::string>{"added account physics"}));
}

TEST(AccountSync, MembersMustBeUsersOfThisMachine) {
  const Pool p = pool_with({account("physics", {"alice", "ghost"})});
  try {
    plan_account_sync(p, {}, [](const std::string& u) { return u != "ghost"; });
    FAIL() << "a member who is not a Unix user was accepted";
  } catch (const PoolError& e) {
    EXPECT_NE(std::string(e.what()).find("member 'ghost' of account 'physics' is not a Unix user"),
              std::string::npos)
        << e.what();
  }
}
