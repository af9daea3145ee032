#include <gtest/gtest.h>

#include "basin/federation/reconcile.hpp"

using namespace basin::federation;

namespace {

const std::int64_t kT = 1795342283;  // 2026-11-22T10:11:23Z

SacctRow row(std::uint64_t job, std::string step, std::string state, std::uint64_t cpus,
             std::uint64_t elapsed, std::size_t line, std::int64_t submit = kT) {
  SacctRow r;
  r.cluster = "basin";
  r.job = job;
  r.step = std::move(step);
  r.state = std::move(state);
  r.alloc_cpus = cpus;
  r.elapsed_seconds = elapsed;
  r.submit = submit;
  r.line = line;
  return r;
}

std::vector<FindingKind> kinds(const ReconcileReport& r) {
  std::vector<FindingKind> k;
  for (const auto& f : r.findings) k.push_back(f.kind);
  return k;
}

}  // namespace

TEST(Reconcile, AgreeingJobsHaveNoFindingsAndStepsAreNotSummed) {
  const std::vector<SacctRow> rows{
      row(41, "", "COMPLETED", 2, 60, 2), row(41, "batch", "COMPLETED", 2, 60, 3),
      row(41, "extern", "COMPLETED", 2, 60, 4), row(41, "0", "COMPLETED", 2, 59, 5)};
  const auto r = reconcile({{"basin", 41, kT, 120, 0, 0, ""}}, rows);
  EXPECT_TRUE(r.findings.empty()) << report_text(r);
  EXPECT_EQ(r.matched, 1u);
  EXPECT_EQ(r.step_rows, 3u);
}

TEST(Reconcile, MissingOnEitherSide) {
  const auto r = reconcile({{"basin", 7, kT, 10, 0, 0, ""}}, {row(8, "", "COMPLETED", 1, 10, 2)});
  EXPECT_EQ(kinds(r),
            (std::vector<FindingKind>{FindingKind::no_slurm_job, FindingKind::no_receipt}));
  EXPECT_EQ(r.findings[1].line, 2u);
  EXPECT_EQ(r.findings[1].slurm_core_seconds, 10u);
}

TEST(Reconcile, ReusedJobIdIsToldApartBySubmitTime) {
  const std::vector<SacctRow> rows{row(5, "", "COMPLETED", 1, 10, 2, kT),
                                   row(5, "", "COMPLETED", 1, 20, 3, kT + 86400)};
  const auto r = reconcile({{"basin", 5, kT + 86400, 20, 0, 0, ""}}, rows);
  ASSERT_EQ(kinds(r), (std::vector<FindingKind>{FindingKind::no_receipt}));
  EXPECT_EQ(r.findings[0].line, 2u);
}

TEST(Reconcile, CoreSecondsBeyondToleranceAreReported) {
  const std::vector<SacctRow> rows{row(1, "", "COMPLETED", 4, 1000, 2),
                                   row(2, "", "COMPLETED", 4, 1000, 3)};
  // 4000 vs 4050 is within 2 %; 4000 vs 5000 is not.
  const auto r =
      reconcile({{"basin", 1, kT, 4050, 0, 0, ""}, {"basin", 2, kT, 5000, 0, 0, ""}}, rows);
  ASSERT_EQ(kinds(r), (std::vector<FindingKind>{FindingKind::core_seconds_mismatch}));
  EXPECT_EQ(r.findings[0].job, 2u);
  EXPECT_EQ(r.findings[0].expected_core_seconds, 5000u);
  EXPECT_EQ(r.findings[0].slurm_core_seconds, 4000u);
  ReconcileOptions strict;
  strict.relative_tolerance = 0;
  strict.absolute_core_seconds = 0;
  EXPECT_EQ(reconcile({{"basin", 1, kT, 4001, 0, 0, ""}}, {rows[0]}, strict).findings.size(), 1u);
}

TEST(Reconcile, RequeuedRunsAreReportedNotCharged) {
  const std::vector<SacctRow> rows{row(9, "", "REQUEUED", 2, 30, 2),
                                   row(9, "", "COMPLETED", 2, 100, 3)};
  const auto ok = reconcile({{"basin", 9, kT, 200, 1, 0, ""}}, rows);
  ASSERT_EQ(kinds(ok), (std::vector<FindingKind>{FindingKind::requeued_run}));
  EXPECT_NE(ok.findings[0].detail.find("1 requeue"), std::string::npos);
  const auto unrecorded = reconcile({{"basin", 9, kT, 200, 0, 0, ""}}, rows);
  EXPECT_NE(unrecorded.findings[0].detail.find("no requeue"), std::string::npos);
}

TEST(Reconcile, ARequeuedJobsFinalRunCarriesTheRequeueTimeAsItsSubmitTime) {
  // As jobcomp/filetxt logs it: the first run ends "PENDING" (parsed as
  // REQUEUED) with the original submit time, the final run with the requeue's.
  const std::vector<SacctRow> rows{row(20, "", "REQUEUED", 1, 3, 20),
                                   row(20, "", "COMPLETED", 1, 6, 21, kT + 21)};
  const auto r = reconcile({{"basin", 20, kT, 6, 1, 0, ""}}, rows);
  ASSERT_EQ(kinds(r), (std::vector<FindingKind>{FindingKind::requeued_run})) << report_text(r);
  EXPECT_TRUE(r.findings[0].accounted);
  EXPECT_EQ(r.discrepancies(), 0u);
  EXPECT_EQ(r.matched, 1u);
  // A receipt that records no requeue does not get to match a later run.
  const auto u = reconcile({{"basin", 20, kT, 6, 0, 0, ""}}, rows);
  EXPECT_EQ(u.matched, 0u);
  EXPECT_GE(u.discrepancies(), 2u);
}

TEST(Reconcile, ARunWhoseNodeFailedBeforeARequeueIsAnEarlierRun) {
  // As jobcomp logs a job whose volunteer vanished: run 1 requeued by
  // `scontrol requeue` (PENDING -> REQUEUED), run 2 on a node that was
  // SIGKILLed (NODE_FAIL, nothing signed), run 3 completed; the receipts are
  // those of runs 1 and 3 and record 2 requeues.
  const std::vector<SacctRow> rows{row(30, "", "REQUEUED", 2, 5, 1),
                                   row(30, "", "NODE_FAIL", 2, 34, 2),
                                   row(30, "", "COMPLETED", 2, 7, 3, kT + 46)};
  const auto r = reconcile({{"basin", 30, kT, 14, 2, 0, ""}}, rows);
  EXPECT_EQ(r.discrepancies(), 0u) << report_text(r);
  EXPECT_EQ(r.matched, 1u);
  ASSERT_EQ(kinds(r),
            (std::vector<FindingKind>{FindingKind::requeued_run, FindingKind::requeued_run}));
  EXPECT_NE(r.findings[1].detail.find("NODE_FAIL"), std::string::npos) << report_text(r);
  // A NODE_FAIL run that no later run follows is the job's end: a final row
  // (here with no receipt: a discrepancy to look at).
  const std::vector<SacctRow> ended{row(31, "", "NODE_FAIL", 2, 34, 4)};
  const auto e = reconcile({}, ended);
  ASSERT_EQ(kinds(e), (std::vector<FindingKind>{FindingKind::no_receipt}));
  EXPECT_EQ(e.discrepancies(), 1u);
  // Without a requeue on the receipt, the NODE_FAIL run is not explained.
  const auto u = reconcile({{"basin", 30, kT, 14, 0, 0, ""}}, rows);
  EXPECT_GE(u.discrepancies(), 1u);
}

TEST(Reconcile, DuplicatesOnBothSides) {
  const std::vector<SacctRow> rows{row(3, "", "COMPLETED", 1, 10, 2),
                                   row(3, "", "COMPLETED", 1, 10, 7)};
  const auto r = reconcile({{"basin", 3, kT, 10, 0, 0, ""}, {"basin", 3, kT, 10, 0, 0, ""}}, rows);
  EXPECT_EQ(kinds(r),
            (std::vector<FindingKind>{FindingKind::duplicate_receipt, FindingKind::duplicate_row}));
  EXPECT_EQ(r.matched, 1u);
}

TEST(Reconcile, OrphanStepsAreFlagged) {
  const auto r = reconcile({}, {row(4, "batch", "COMPLETED", 1, 10, 2)});
  ASSERT_EQ(kinds(r), (std::vector<FindingKind>{FindingKind::orphan_step}));
}

TEST(Reconcile, CsvQuotesAndHasOneLinePerFinding) {
  auto bad = row(8, "", "COMPLETED", 1, 10, 2);
  bad.cluster = "a,\"b\"";
  const auto r = reconcile({}, {bad});
  const auto csv = report_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);
  EXPECT_NE(csv.find("no_receipt,\"a,\"\"b\"\"\",8,"), std::string::npos) << csv;
  EXPECT_NE(report_text(r).find("no_receipt: 1"), std::string::npos);
}

TEST(Reconcile, AReceiptChargingAnotherAccountThanSlurmsIsADiscrepancy) {
  auto slurm = row(41, "", "COMPLETED", 2, 60, 2);
  slurm.account = "physics";
  const auto same = reconcile({{"basin", 41, kT, 120, 0, 0, "physics"}}, {slurm});
  EXPECT_TRUE(same.findings.empty()) << report_text(same);
  const auto other = reconcile({{"basin", 41, kT, 120, 0, 0, "bio"}}, {slurm});
  ASSERT_EQ(kinds(other), std::vector<FindingKind>{FindingKind::account_mismatch});
  EXPECT_NE(other.findings[0].detail.find("'bio'"), std::string::npos);
  EXPECT_EQ(other.discrepancies(), 1u);
}

TEST(Reconcile, GpuSecondsAreComparedWhenTheRowsCarryGpus) {
  auto gpu = [](SacctRow r, std::optional<std::uint32_t> n) {
    r.alloc_gpus = n;
    return r;
  };
  const std::vector<SacctRow> rows{gpu(row(1, "", "COMPLETED", 2, 100, 2), 2),
                                   gpu(row(2, "", "COMPLETED", 2, 100, 3), 1),
                                   gpu(row(3, "", "COMPLETED", 2, 100, 4), std::nullopt)};
  ExpectedJob agree{"basin", 1, kT, 200, 0, 200, ""};
  ExpectedJob more{"basin", 2, kT, 200, 0, 200, ""};    // receipt 2 GPUs, Slurm 1
  ExpectedJob hidden{"basin", 3, kT, 200, 0, 100, ""};  // receipt GPUs, Slurm none
  auto r = reconcile({agree, more, hidden}, rows);
  EXPECT_TRUE(r.gpus_compared);
  ASSERT_EQ(kinds(r), (std::vector<FindingKind>{FindingKind::gpu_seconds_mismatch,
                                                FindingKind::gpu_seconds_mismatch}))
      << report_text(r);
  EXPECT_EQ(r.findings[0].job, 2u);
  EXPECT_EQ(r.findings[0].expected_gpu_seconds, 200u);
  EXPECT_EQ(r.findings[0].slurm_gpu_seconds, 100u);
  EXPECT_EQ(r.findings[1].job, 3u);
  EXPECT_EQ(r.findings[1].slurm_gpu_seconds, 0u);
  const auto text = report_text(r);
  EXPECT_NE(text.find("gpu_seconds_mismatch: 2"), std::string::npos) << text;
  EXPECT_NE(text.find("receipt 200 GPU-s vs Slurm 100"), std::string::npos) << text;
  EXPECT_NE(report_csv(r).find("gpu_seconds_mismatch,basin,2,"), std::string::npos);
  // Within the tolerance (2 %): no finding.
  EXPECT_TRUE(reconcile({{"basin", 1, kT, 200, 0, 203, ""}}, {rows[0]}).findings.empty());
}

TEST(Reconcile, GpuSecondsAreNotComparedWhenNoRowNamesGpus) {
  // jobcomp without slurmdbd: Tres= never names gres/gpu.
  const auto r =
      reconcile({{"basin", 1, kT, 200, 0, 200, ""}}, {row(1, "", "COMPLETED", 2, 100, 2)});
  EXPECT_FALSE(r.gpus_compared);
  EXPECT_TRUE(r.findings.empty()) << report_text(r);
  EXPECT_NE(report_text(r).find("GPU-seconds compared: no"), std::string::npos);
}

TEST(Reconcile, AJobThatNeverRanNeedsNoReceipt) {
  // Cancelled while pending (e.g. held by its budget): 0 s in Slurm.
  const auto r = reconcile({}, {row(3, "", "CANCELLED", 1, 0, 2)});
  ASSERT_EQ(kinds(r), std::vector<FindingKind>{FindingKind::no_receipt});
  EXPECT_TRUE(r.findings[0].accounted);
  EXPECT_EQ(r.discrepancies(), 0u);
  EXPECT_NE(r.findings[0].detail.find("never ran"), std::string::npos);
}
