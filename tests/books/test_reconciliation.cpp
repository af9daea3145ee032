// The rules of reconciliation (books/reconciliation.hpp): which Slurm rows
// belong to a period, which receipts count, and the job each set of receipts
// stands for.
#include <gtest/gtest.h>

#include "basin/books/reconciliation.hpp"

namespace {

using namespace basin;
using Kind = federation::FindingKind;

// Epoch 1795000000 is 2026-11-18T11:06:40Z.
records::UsageRecord step(std::uint32_t job, std::uint32_t step_id, std::int64_t start,
                          std::int64_t end, std::uint32_t cores, std::uint32_t restart = 0,
                          const std::string& node = "inst1") {
  records::UsageRecord r;
  r.cluster = "pool";
  r.job_id = job;
  r.step_id = step_id;
  r.submit_time = 1795000000;
  r.start_time = start;
  r.end_time = end;
  r.alloc_cores = cores;
  r.restart_count = restart;
  r.node = node;
  return r;
}

books::ReceiptOfJob of(const records::UsageRecord& r, std::uint8_t ref,
                       const std::string& problem = "") {
  books::ReceiptOfJob o;
  o.record = &r;
  o.where = "campus leaf " + std::to_string(ref);
  o.problem = problem;
  o.job_ref = crypto::Bytes32{ref};
  o.account = "physics";
  return o;
}

}  // namespace

TEST(Reconciliation, PeriodBoundsAreUtcMonths) {
  EXPECT_EQ(books::period_bounds("2026-11"),
            (std::pair<std::int64_t, std::int64_t>{1793491200, 1796083200}));
  EXPECT_EQ(books::period_bounds("2026-12").second, 1798761600);  // 2027-01-01
  EXPECT_THROW(books::period_bounds("2026-13"), receipts::ReceiptError);
}

TEST(Reconciliation, RowsOfThePeriodEndedInItAndTakeThePoolsCluster) {
  std::vector<federation::SacctRow> rows(4);
  rows[0].cluster = "unknown";      // jobcomp/filetxt without slurmdbd
  rows[0].end = 1796083200 - 1;     // the period's last second
  rows[1].end = 1796083200;         // the next period's first
  rows[2].start = 1793491200 - 10;  // started and ended before: not this period's
  rows[2].end = 1793491200 - 1;
  rows[3].cluster = "other";  // running, no end or start: kept
  const auto kept = books::slurm_rows_of_period(rows, "2026-11", "pool");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].cluster, "pool");
  EXPECT_EQ(kept[1].cluster, "other");
}

TEST(Reconciliation, AJobIsItsFinalRunsStepsCoveredStepsOnce) {
  const auto batch = step(7, 0xfffffffb, 1795000000, 1795000100, 2);     // 200 core-s
  const auto nested = step(7, 0, 1795000010, 1795000090, 2);             // inside batch
  const auto other = step(7, 1, 1795000000, 1795000050, 2, 0, "inst2");  // another node
  const auto first_run = step(8, 0xfffffffb, 1795000000, 1795000500, 4, 0);
  const auto final_run = step(8, 0xfffffffb, 1795001000, 1795001030, 4, 1);  // 120 core-s
  const std::vector<books::ReceiptOfJob> receipts = {of(batch, 1), of(nested, 2), of(other, 3),
                                                     of(final_run, 4), of(first_run, 5)};
  const auto e = books::expected_jobs(receipts);
  EXPECT_TRUE(e.not_counted.empty());
  ASSERT_EQ(e.distinct_jobs, 2u);
  ASSERT_EQ(e.jobs.size(), 2u);
  EXPECT_EQ(e.jobs[0].job, 7u);
  EXPECT_EQ(e.jobs[0].core_seconds, 200u + 100u);  // the nested step is not counted again
  EXPECT_EQ(e.jobs[1].job, 8u);
  EXPECT_EQ(e.jobs[1].restarts, 1u);
  EXPECT_EQ(e.jobs[1].core_seconds, 120u);  // the earlier run, in either order, is replaced
  EXPECT_EQ(e.jobs[1].account, "physics");
}

TEST(Reconciliation, ReplaysAndBadReceiptsAreListedNotCounted) {
  const auto a = step(7, 0xfffffffb, 1795000000, 1795000100, 2);
  const auto b = step(9, 0xfffffffb, 1795000000, 1795000100, 2);
  std::vector<books::ReceiptOfJob> receipts = {of(a, 1), of(a, 1), of(b, 2, "bad signature")};
  receipts.push_back(of(a, 3));
  receipts.back().record = nullptr;  // its record failed its signature check
  const auto e = books::expected_jobs(receipts);
  EXPECT_EQ(e.distinct_jobs, 1u);
  ASSERT_EQ(e.jobs.size(), 2u);  // the job, then the replay as a job of its own
  EXPECT_EQ(e.jobs[0].core_seconds, 200u);
  EXPECT_EQ(e.jobs[1].job, 7u);
  EXPECT_EQ(e.jobs[1].core_seconds, 0u);
  ASSERT_EQ(e.not_counted.size(), 2u);
  EXPECT_EQ(e.not_counted[0].kind, Kind::bad_receipt);
  EXPECT_EQ(e.not_counted[0].detail, "campus leaf 2: bad signature; not counted");
  EXPECT_EQ(e.not_counted[0].job, 9u);
  EXPECT_NE(e.not_counted[1].detail.find("record_tampered"), std::string::npos);
  // reconcile() names the replay as a duplicate receipt of job 7.
  federation::SacctRow row;
  row.job = 7;
  row.job_id = "7";
  row.cluster = "pool";
  row.submit = 1795000000;
  row.start = 1795000000;
  row.end = 1795000100;
  row.alloc_cpus = 2;
  row.elapsed_seconds = 100;
  row.state = "COMPLETED";
  const auto report = federation::reconcile(e.jobs, {row});
  bool duplicate = false;
  for (const auto& f : report.findings)
    duplicate |= f.kind == Kind::duplicate_receipt && f.job == 7;
  EXPECT_TRUE(duplicate);
}

TEST(Reconciliation, AJobWhoseRecordsWereQuarantinedIsExplainedNotMissing) {
  federation::ReconcileReport report;
  auto missing = [](std::uint64_t job) {
    federation::Finding f;
    f.kind = federation::FindingKind::no_receipt;
    f.cluster = "basin-local";
    f.job = job;
    f.detail = "state COMPLETED, 1 CPUs x 1 s";
    return f;
  };
  report.findings = {missing(7), missing(8)};
  ledger::QuarantinedRecord q;
  q.identity = "basin-local/7.batch/r0/volb";
  q.reason = "node volb's enrolment (site home, serial 2) was revoked";
  ledger::QuarantinedRecord other;  // job 70, not 7
  other.identity = "basin-local/70.batch/r0/vol1";
  other.reason = "impossible";
  const std::vector<ledger::QuarantinedRecord> quarantined{other, q};
  EXPECT_EQ(report.discrepancies(), 2u);
  books::explain_quarantined(report, quarantined);
  EXPECT_TRUE(report.findings[0].accounted);
  EXPECT_NE(report.findings[0].detail.find("refused at ingest"), std::string::npos);
  EXPECT_NE(report.findings[0].detail.find("revoked"), std::string::npos);
  EXPECT_FALSE(report.findings[1].accounted);  // job 8 has no quarantined record
  EXPECT_EQ(report.discrepancies(), 1u);
}
