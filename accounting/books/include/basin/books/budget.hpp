// Credit budgets, and how Basin's credits relate to Slurm's billing TRES.
//
// Basin prices one step on one node as
//     credits = sum_i rate_i * q_i   micro-credits,
// q = (core-seconds, MB-seconds, GPU-seconds, wall seconds) and rate_i from
// the provider site's rate card (micro-credits per unit). Slurm's billing
// TRES of a job is sum_t weight_t * alloc_t, and the controller adds
// billing x minutes to the association's usage as the job runs. With
//     TRESBillingWeights=CPU=core_second,Mem=mem_mb_second,GRES/gpu=gpu_second,
//                        Node=wall_second
// (Mem per MB) a job's billing is its Basin price per second, so one
// billing-minute is 60 micro-credits. A partition whose nodes belong to
// sites with different rate cards takes the highest rate of each kind: the
// controller's guard then never lets an account spend more than Basin would
// charge. Basin's settled statement, not Slurm's usage, is what is owed.
//
// An account's budget: granted (ledger grants) - charged (receipts of settled
// periods) - unsettled (receipts of open periods) - in flight (running and
// pending jobs at their time limit) = remaining. `budget sync` hands Slurm
// the limit GrpTRESMins=billing = used + max(floor(left / 60), running) where
// left = granted - charged - unsettled, used is the association's billing
// minutes so far and running what its running jobs may still use: Slurm keeps
// counting from where it is, a budget of zero stops new jobs (with
// AccountingStorageEnforce=safe none starts that could overrun) and never
// kills a running one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "basin/books/integrity.hpp"
#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"

namespace basin::books {

inline constexpr std::int64_t kMicroCreditsPerBillingMinute = 60;

using federation::BillingWeights;

// A job in Slurm's queue (squeue -h -t PD,R -o '%i|%a|%P|%T|%l|%M|%C|%m|%b|%D').
struct QueuedJob {
  std::string job_id, account, partition, state;
  std::optional<std::int64_t> time_limit_s;  // nullopt: UNLIMITED
  std::int64_t elapsed_s = 0;
  std::uint32_t cpus = 0, gpus = 0, nodes = 1;
  std::uint64_t mem_mb = 0;  // per node
};
inline constexpr const char* kSqueueFormat = "%i|%a|%P|%T|%l|%M|%C|%m|%b|%D";
// Throws std::invalid_argument naming the line for anything malformed.
std::vector<QueuedJob> parse_squeue(std::string_view text);
// "[D-]HH:MM:SS", "MM:SS", "M"; nullopt for UNLIMITED; throws otherwise.
std::optional<std::int64_t> parse_squeue_time(std::string_view text);

// Micro-credits the job may still use at its time limit: billing per second
// x (time limit - elapsed); nullopt when it has no time limit.
std::optional<std::int64_t> worst_case_micro_credits(const QueuedJob& job,
                                                     const BillingWeights& weights);

// What the ledger's receipts charge each account, by the charging rule
// (charging.hpp): receipts of settled periods, and of open ones.
struct AccountCharges {
  std::map<std::string, std::int64_t> settled, unsettled;
  // Records whose signed bytes no longer verify with pool.toml's node keys:
  // not counted (see integrity.hpp); the caller names them.
  std::vector<Tampered> tampered;
};
AccountCharges account_charges(const ledger::Ledger& ledger, const federation::Pool& pool);

struct AccountBudget {
  std::string account;
  std::int64_t granted = 0, charged = 0, unsettled = 0, in_flight = 0;
  std::size_t unbounded_jobs = 0;  // queued jobs without a time limit
  std::int64_t left() const { return granted - charged - unsettled; }  // for Slurm
  std::int64_t remaining() const { return left() - in_flight; }        // for a person
};
// One line per account that has a grant, in account order.
std::vector<AccountBudget> budgets(const std::vector<ledger::BudgetGrant>& grants,
                                   const AccountCharges& charges,
                                   const std::map<std::string, std::int64_t>& in_flight,
                                   const std::map<std::string, std::size_t>& unbounded);

// The account association's billing minutes as `scontrol show assoc_mgr
// flags=assoc accounts=A` prints them: GrpTRESMins=...billing=LIMIT(USED)
// and GrpTRESRunMins=...billing=LIMIT(RUNNING). nullopt when the output has
// no account-level association for `account`.
struct AssocBilling {
  std::int64_t used_minutes = 0, running_minutes = 0;
};
std::optional<AssocBilling> parse_assoc_billing(std::string_view scontrol_output,
                                                const std::string& account);

// The GrpTRESMins billing limit that leaves `left` micro-credits to new work.
std::int64_t billing_minutes_limit(std::int64_t left_micro_credits, const AssocBilling& now);

}  // namespace basin::books
