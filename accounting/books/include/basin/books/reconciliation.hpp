// Reconciliation of a period's receipts with Slurm's own accounting
// (`basin ledger reconcile`): which Slurm rows belong to the period, which
// receipts count, and the job each set of receipts stands for. The comparison
// itself is federation::reconcile().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "basin/crypto/group.hpp"
#include "basin/federation/reconcile.hpp"
#include "basin/federation/sacct.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::books {

// [start, end) of a period "YYYY-MM" in UTC seconds; ReceiptError if it is
// not a period.
std::pair<std::int64_t, std::int64_t> period_bounds(const std::string& period);

// Slurm's allocation and step rows of the period: those that ended in it (a
// row without an end or start is kept). Rows without a cluster, or with
// jobcomp/filetxt's "unknown" (no slurmdbd), are the pool's cluster's.
std::vector<federation::SacctRow> slurm_rows_of_period(std::vector<federation::SacctRow> rows,
                                                       const std::string& period,
                                                       const std::string& pool_cluster);

// One receipt of the period as reconciliation sees it.
struct ReceiptOfJob {
  const records::UsageRecord* record = nullptr;  // nullptr: its record failed its signature
  std::string where;                             // "<log> leaf <n> (<identity>)", for findings
  std::string problem;  // why the receipt fails its checks; empty if it passed them
  crypto::Bytes32 job_ref{};
  std::string account;  // the account the signed receipt charges
};

struct ExpectedJobs {
  std::vector<federation::ExpectedJob> jobs;  // one per job, then one per replayed receipt
  std::size_t distinct_jobs = 0;
  std::vector<federation::Finding> not_counted;  // receipts that fail their checks
};

// The rule: a job is (cluster, job id, submit time); it is expected to have
// run the core- and GPU-seconds of its final run's steps (the highest restart
// count replaces what earlier runs summed), a step covered by another step of
// the job on the node not counted twice (settlement::covering_steps, as
// charged). A second receipt with the same job reference is a replay: it is
// listed as its own expected job so reconcile() reports the duplicate. A
// receipt that fails its checks, or whose record does, is a finding and
// counts for nothing.
ExpectedJobs expected_jobs(std::span<const ReceiptOfJob> receipts);

// A job Slurm ran that no receipt covers because the ledger refused its
// records on purpose (quarantined at ingest: a revoked or expired enrolment,
// impossible figures) is explained, not missing: each such no_receipt
// finding whose cluster and job id match a quarantined record's identity
// ("<cluster>/<job>.<step>/r<n>/<node>") is marked accounted, with the
// quarantine's reason. Nothing else changes.
void explain_quarantined(federation::ReconcileReport& report,
                         std::span<const ledger::QuarantinedRecord> quarantined);

struct PeriodReconciliation {
  federation::ReconcileReport report;
  std::size_t receipts = 0, jobs = 0, slurm_rows = 0;
};

// The period's receipts in `ledger` against Slurm's rows (all of the export:
// the period's are picked here). Each receipt's bytes must still be its log
// leaf and carry a valid site signature; with verify_proofs its range proof
// is verified too (batched). `records` are the ledger's records whose
// signatures were re-checked (checked_records); a receipt of any other record
// is a finding.
PeriodReconciliation reconcile_period(const ledger::Ledger& ledger, const receipts::Trust& trust,
                                      std::span<const ledger::StoredRecord> records,
                                      const std::string& period, const std::string& pool_cluster,
                                      std::vector<federation::SacctRow> slurm_rows,
                                      const federation::ReconcileOptions& options,
                                      bool verify_proofs);

}  // namespace basin::books
