#include "basin/books/slurm_accounts.hpp"

#include <set>

namespace basin::books {

SlurmAccounts::SlurmAccounts(const std::vector<federation::SacctRow>& rows,
                             const std::string& cluster) {
  for (const auto& r : rows) {
    if (r.is_step()) continue;
    const std::string c = (r.cluster.empty() || r.cluster == "unknown") ? cluster : r.cluster;
    runs_[{c, r.job}].push_back({r.start.value_or(0), r.end.value_or(0), r.account, r.line});
  }
}

AccountOf SlurmAccounts::account_for(const records::UsageRecord& rec, std::int64_t slack) const {
  AccountOf out;
  const auto job = "job " + std::to_string(rec.job_id) + " of cluster " + rec.cluster;
  const auto it = runs_.find({rec.cluster, rec.job_id});
  if (it == runs_.end()) {
    out.problem = job + " is not in Slurm's accounting (yet): ingest again once slurmdbd has it";
    return out;
  }
  std::set<std::string> within, all;
  for (const auto& run : it->second) {
    all.insert(run.account);
    const bool started = run.start != 0 && rec.start_time + slack >= run.start;
    const bool not_ended = run.end == 0 || rec.start_time <= run.end + slack;
    if (started && not_ended) within.insert(run.account);
  }
  const auto& candidates = within.empty() ? all : within;
  if (candidates.size() != 1) {
    out.problem = job + " has runs charged to different accounts in Slurm's accounting; " +
                  "settle it by hand";
    return out;
  }
  out.account = *candidates.begin();
  if (out.account.empty()) {
    out.problem = job + " has no account in Slurm's accounting";
    return out;
  }
  if (rec.account != out.account) {
    out.mismatch = true;
    out.detail = "the node recorded account '" + rec.account +
                 "' (from the job's environment); Slurm charged '" + out.account +
                 "', which is charged";
  }
  return out;
}

}  // namespace basin::books
