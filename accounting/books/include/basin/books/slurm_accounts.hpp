// The account Slurm charged for each job.
//
// A usage record is signed by the node, but what it says about the account
// comes from the job's environment, which the user controls. The account
// charged is the one Slurm's controller (and its database) holds for the
// job: the Account column of `sacct -P --duplicates` or the Account= field of
// the jobcomp log. A record's own account is only a claim; when it differs,
// that is a finding, and Slurm's account is charged.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "basin/federation/sacct.hpp"
#include "basin/records/usage_record.hpp"

namespace basin::books {

struct AccountOf {
  std::string account;    // Slurm's; empty when unresolved
  std::string problem;    // why unresolved: unknown job, ambiguous rows
  bool mismatch = false;  // resolved, but the record claimed another account
  std::string detail;     // the mismatch, for a person
};

class SlurmAccounts {
 public:
  // Allocation rows of sacct or jobcomp (step rows are ignored). Rows with
  // no cluster or "unknown" (jobcomp without slurmdbd) are `cluster`'s.
  SlurmAccounts(const std::vector<federation::SacctRow>& rows, const std::string& cluster);

  // The account of the record's job: among Slurm's runs of (cluster, job id),
  // those whose [start, end] contains the record's start (with `slack`
  // seconds either side; a run still going has no end); all of them when none
  // does. They must agree on one account.
  AccountOf account_for(const records::UsageRecord& record, std::int64_t slack = 120) const;

  std::size_t jobs() const { return runs_.size(); }

 private:
  struct Run {
    std::int64_t start = 0, end = 0;  // end 0: still running
    std::string account;
    std::size_t line = 0;
  };
  std::map<std::pair<std::string, std::uint64_t>, std::vector<Run>> runs_;
};

}  // namespace basin::books
