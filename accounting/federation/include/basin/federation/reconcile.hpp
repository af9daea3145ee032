// Reconciliation of receipts against Slurm's own accounting.
//
// A site's receipts say what its nodes charged; Slurm's accounting says what
// ran. reconcile() lists every place the two disagree so an auditor can look
// at exactly those jobs. It is a pure function: the ledger supplies expected
// jobs, parse_sacct() supplies the rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "basin/federation/sacct.hpp"

namespace basin::federation {

// What a receipt says about one job. Job ids recur (a reset slurmctld starts
// again from 1), so a job is (cluster, job id, submit time).
struct ExpectedJob {
  std::string cluster;
  std::uint64_t job = 0;
  std::int64_t submit = 0;  // epoch seconds
  std::uint64_t core_seconds = 0;
  std::uint32_t restarts = 0;  // times the job was requeued
  std::uint64_t gpu_seconds = 0;
  std::string account;  // the account its receipts charge (empty: not compared)
};

enum class FindingKind {
  no_receipt,    // Slurm ran a job no receipt covers (unbilled work)
  no_slurm_job,  // a receipt for a job Slurm has no record of (suspect charge)
  duplicate_receipt,
  duplicate_row,  // the same allocation row twice (overlapping exports)
  requeued_run,   // an earlier run of a requeued job; not charged again
  orphan_step,    // step rows whose allocation row is missing
  core_seconds_mismatch,
  account_mismatch,      // receipts charge another account than Slurm's row names
  gpu_seconds_mismatch,  // GPU-seconds disagree (only when the rows carry gres/gpu)
  bad_receipt,           // a receipt that fails verification (added by the caller; never counted)
};

const char* to_string(FindingKind kind);

struct Finding {
  FindingKind kind{};
  std::string cluster;
  std::uint64_t job = 0;
  std::int64_t submit = 0;
  std::size_t line = 0;  // line in the export, 0 if none
  std::uint64_t expected_core_seconds = 0;
  std::uint64_t slurm_core_seconds = 0;
  std::string detail;
  // Listed for the record but in order: an earlier run of a requeued job
  // whose receipt records the requeue. Everything else is a discrepancy.
  bool accounted = false;
  std::uint64_t expected_gpu_seconds = 0;  // gpu_seconds_mismatch only
  std::uint64_t slurm_gpu_seconds = 0;
};

struct ReconcileOptions {
  // Receipts and Slurm measure elapsed time separately; allow this much
  // relative difference (0.02 = 2 %) or `absolute_core_seconds`, whichever is
  // larger, before calling it a mismatch. GPU-seconds use the same tolerance.
  double relative_tolerance = 0.02;
  std::uint64_t absolute_core_seconds = 2;
  // Submit times in receipts and sacct may differ by clock rounding.
  std::int64_t submit_slack_seconds = 1;
};

struct ReconcileReport {
  std::size_t matched = 0;    // receipts with a Slurm job (mismatching or not)
  std::size_t step_rows = 0;  // step rows seen and deliberately not summed
  // GPU-seconds are compared only when some row names gres/gpu (Slurm tracks
  // GPUs: AccountingStorageTRES=gres/gpu); then a row without it has 0 GPUs.
  bool gpus_compared = false;
  std::vector<Finding> findings;  // sorted by cluster, job, submit, kind
  std::size_t discrepancies() const;
};

// Compares receipts with Slurm rows. Only allocation rows are charged: step
// rows (.batch, .extern, .N) repeat the allocation's time and summing them
// would count it twice. A requeued job's earlier runs (State REQUEUED, shown
// by --duplicates) are reported but compared against nothing: the receipt's
// core-seconds are those of the final run. GPU-seconds are compared the same
// way, per job, when the rows carry GPUs (see gpus_compared).
ReconcileReport reconcile(const std::vector<ExpectedJob>& expected,
                          const std::vector<SacctRow>& rows, const ReconcileOptions& options = {});

// One finding per line after a header; fields quoted where needed.
std::string report_csv(const ReconcileReport& report);
// Summary then one line per finding, for a person.
std::string report_text(const ReconcileReport& report);

}  // namespace basin::federation
