// `basin ledger reconcile --period P --sacct FILE | --jobcomp FILE`: the
// period's receipts against Slurm's own accounting.
//
// Each verified receipt of the period stands for its record's job; a job is
// (cluster, job id, submit time) and is charged the core-seconds of its final
// run's steps under settlement's charging rule (nested steps not counted
// twice). Slurm's allocation rows of the period (those that ended in it) are
// the other side; federation::reconcile() lists every disagreement.
#include <tbb/parallel_for.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "basin/books/charging.hpp"
#include "basin/federation/jobcomp.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/federation/reconcile.hpp"
#include "basin/federation/sacct.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/settlement/settlement.hpp"
#include "basin/tlog/merkle.hpp"
#include "commands.hpp"
#include "ledger_common.hpp"

namespace basin::cli {
namespace {

namespace fed = basin::federation;

struct ReconcileArgs {
  std::string period, pool, sacct, jobcomp, csv;
  double tolerance = 0.02;
  std::uint64_t absolute = 2;
  std::int64_t submit_slack = 2;
  bool verify_proofs = false;
  std::optional<std::int64_t> utc_offset;
};

// [start, end) of a "YYYY-MM" month in UTC.
std::pair<std::int64_t, std::int64_t> month_bounds(const std::string& period) {
  auto epoch = [](int y, int m) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = 1;
    return static_cast<std::int64_t>(timegm(&tm));
  };
  const int y = std::stoi(period.substr(0, 4)), m = std::stoi(period.substr(5, 2));
  return {epoch(y, m), m == 12 ? epoch(y + 1, 1) : epoch(y, m + 1)};
}

void run_reconcile(const ReconcileArgs& a, const std::string& db, CommandContext& ctx) {
  check_period(a.period);
  const auto pool = fed::load_pool(a.pool);
  const auto trust = trust_of(pool);

  // Slurm's side: allocation rows that ended in the period (step rows are
  // kept: reconcile() counts and ignores them).
  const auto parsed = read_slurm_accounting(a.sacct, a.jobcomp, a.utc_offset);
  const auto [from, to] = month_bounds(a.period);
  std::vector<fed::SacctRow> rows;
  for (auto r : parsed.rows) {
    // Without slurmdbd, jobcomp/filetxt writes Cluster=unknown: such rows
    // are this pool's cluster's.
    if (r.cluster.empty() || r.cluster == "unknown") r.cluster = pool.cluster;
    const auto when = r.end ? r.end : r.start;
    if (!when || (*when >= from && *when < to)) rows.push_back(r);
  }

  // The ledger's side: verified receipts of the period, by job.
  ledger::Ledger ledger(db, ledger::OpenMode::existing);
  const auto records = checked_records(ledger, pool, ctx).records;
  std::map<std::int64_t, const ledger::StoredRecord*> by_id;
  for (const auto& s : records) by_id[s.id] = &s;
  std::vector<ledger::StoredReceipt> stored;
  for (auto& s : ledger.receipts())
    if (s.period == a.period) stored.push_back(std::move(s));
  // By default the site's signature over every byte (proofs included) and
  // the log leaf say each receipt is the site's, unaltered; its points are
  // not decoded, and the proofs are `verify`'s and `settle`'s to check.
  // --verify-proofs decodes everything and verifies the proofs in a batch.
  std::vector<receipts::Receipt> decoded(stored.size());
  std::vector<std::string> problem(stored.size());
  tbb::parallel_for(std::size_t{0}, stored.size(), [&](std::size_t k) {
    try {
      if (tlog::leaf_hash(stored[k].bytes) != stored[k].leaf_hash)
        throw std::runtime_error("its bytes are not the log's leaf (altered after it was logged)");
      if (a.verify_proofs)
        decoded[k] = receipts::decode(stored[k].bytes);
      else if (auto why = receipts::check_envelope_bytes(stored[k].bytes, trust, decoded[k]))
        problem[k] = *why;
    } catch (const std::exception& e) {
      problem[k] = e.what();
    }
  });
  if (a.verify_proofs) {
    std::vector<receipts::Receipt> good;
    std::vector<std::size_t> where;
    for (std::size_t k = 0; k < stored.size(); ++k)
      if (problem[k].empty()) {
        good.push_back(decoded[k]);
        where.push_back(k);
      }
    for (const auto& f : receipts::verify_batch(good, trust)) problem[where[f.index]] = f.reason;
  }

  std::vector<fed::Finding> bad;  // receipts that fail their checks
  std::vector<settlement::StepSpan> spans;
  std::vector<const ledger::StoredRecord*> span_record;
  std::vector<std::string> stored_account;  // the signed receipt's: Slurm's at issue
  std::set<crypto::Bytes32> refs;
  std::vector<fed::ExpectedJob> replays;
  for (std::size_t k = 0; k < stored.size(); ++k) {
    const auto it = by_id.find(stored[k].record_id);
    if (it == by_id.end()) {  // its record was left out as tampered
      bad.push_back({fed::FindingKind::bad_receipt, "", 0, 0, 0, 0, 0,
                     stored[k].origin + " leaf " + std::to_string(stored[k].leaf_index) + " (" +
                         stored[k].identity +
                         "): its record fails its signature check (record_tampered); not "
                         "counted"});
      continue;
    }
    const auto& r = it->second->record;
    if (!problem[k].empty()) {
      bad.push_back({fed::FindingKind::bad_receipt, r.cluster, r.job_id, r.submit_time, 0, 0, 0,
                     stored[k].origin + " leaf " + std::to_string(stored[k].leaf_index) + " (" +
                         stored[k].identity + "): " + problem[k] + "; not counted"});
      continue;
    }
    if (!refs.insert(decoded[k].job_ref).second) {  // a replayed receipt
      replays.push_back(
          {r.cluster, r.job_id, r.submit_time, 0, r.restart_count, 0, decoded[k].account});
      continue;
    }
    spans.push_back(books::span_of(r));
    span_record.push_back(it->second);
    stored_account.push_back(decoded[k].account);
  }
  // Per job: the final run's charged core-seconds.
  const auto cover = settlement::covering_steps(spans);
  std::map<std::tuple<std::string, std::uint32_t, std::int64_t>, fed::ExpectedJob> jobs;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const auto& r = span_record[i]->record;
    auto& e = jobs[{r.cluster, r.job_id, r.submit_time}];
    e.cluster = r.cluster;
    e.job = r.job_id;
    e.submit = r.submit_time;
    e.account = stored_account[i];
    if (r.restart_count > e.restarts) {  // a later run replaces what was summed
      e.restarts = r.restart_count;
      e.core_seconds = 0;
      e.gpu_seconds = 0;
    }
    if (r.restart_count == e.restarts && !cover[i]) {
      const auto q = receipts::quantities_of(r);
      e.core_seconds += q[receipts::core_seconds];
      e.gpu_seconds += q[receipts::gpu_seconds];
    }
  }
  std::vector<fed::ExpectedJob> expected;
  for (auto& [key, e] : jobs) expected.push_back(e);
  expected.insert(expected.end(), replays.begin(), replays.end());

  fed::ReconcileOptions ro;
  ro.relative_tolerance = a.tolerance;
  ro.absolute_core_seconds = a.absolute;
  ro.submit_slack_seconds = a.submit_slack;
  auto report = fed::reconcile(expected, rows, ro);
  report.findings.insert(report.findings.end(), bad.begin(), bad.end());

  const std::string source = a.sacct.empty() ? a.jobcomp : a.sacct;
  std::printf(
      "Reconciliation of pool %s, period %s: %zu receipts (%zu jobs) against %zu Slurm\n"
      "rows of %s (%zu unreadable lines)\n",
      pool.name.c_str(), a.period.c_str(), stored.size(), jobs.size(), rows.size(), source.c_str(),
      parsed.issues.size());
  for (const auto& i : parsed.issues)
    std::printf("unreadable line %zu of %s: %s\n", i.line, source.c_str(), i.message.c_str());
  std::fputs(fed::report_text(report).c_str(), stdout);
  if (!a.csv.empty()) fed::write_file_atomic(a.csv, fed::report_csv(report), 0644);
  if (report.discrepancies() > 0 || !parsed.issues.empty()) ctx.exit_code = 1;
}

void add_reconcile(CLI::App& app, CommandContext& ctx) {
  CLI::App* led = app.get_subcommand("ledger");
  auto a = std::make_shared<ReconcileArgs>();
  auto* cmd = led->add_subcommand(
      "reconcile",
      "Match the period's receipts to Slurm's records by cluster, job id and submit time and\n"
      "report every disagreement: Slurm jobs with no receipt (unbilled work, a lost record),\n"
      "receipts with no Slurm job (a suspect charge), duplicate receipts or rows, requeued\n"
      "runs, step rows without their allocation, core-seconds (and GPU-seconds, when the\n"
      "Slurm rows carry gres/gpu) that disagree beyond the tolerance, and receipts that fail\n"
      "verification.");
  cmd->add_option("--period", a->period, "Month, YYYY-MM (UTC)")->required();
  cmd->add_option("--pool", a->pool, "pool.toml (site keys and rate cards)")->required();
  cmd->add_option(
      "--sacct", a->sacct,
      "An export of sacct -P --duplicates (steps included), e.g.\n"
      "  sacct -P --duplicates -a -S 2026-11-01 -E 2026-12-01 \\\n"
      "    -o JobID,JobIDRaw,Cluster,Submit,Start,End,State,AllocCPUS,ElapsedRaw,AllocTRES\n"
      "(AllocTRES gives the GPUs when Slurm has AccountingStorageTRES=gres/gpu)");
  cmd->add_option("--jobcomp", a->jobcomp, "The jobcomp/filetxt log (JobCompLoc)");
  cmd->add_option("--csv", a->csv, "Also write the findings as CSV to this file");
  cmd->add_option("--tolerance", a->tolerance,
                  "Relative core-seconds difference allowed (receipts and Slurm time the job\n"
                  "separately)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--absolute-tolerance", a->absolute, "Core-seconds difference always allowed")
      ->capture_default_str();
  cmd->add_option("--submit-slack", a->submit_slack,
                  "Seconds between the submit time a record carries (stamped by sbatch) and\n"
                  "Slurm's")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cmd->add_flag("--verify-proofs", a->verify_proofs,
                "Also verify every range proof (batched); by default the site signatures and\n"
                "log leaves are checked, and proofs are left to `verify` and `settle`");
  cmd->add_option("--utc-offset", a->utc_offset,
                  "Seconds east of UTC of the times in the Slurm file [this machine's]");
  cmd->footer(
      "Exit status: 0 no discrepancy (requeued runs the receipts account for are listed as\n"
      "notes), 1 anything found.\n"
      "Example: basin ledger --db ledger.sqlite reconcile --period 2026-11 --pool pool.toml \\\n"
      "           --jobcomp /var/log/slurm/jobcomp.txt --csv reconcile-2026-11.csv");
  cmd->callback(
      [a, led, &ctx] { run_reconcile(*a, led->get_option("--db")->as<std::string>(), ctx); });
}

}  // namespace
}  // namespace basin::cli

// After `ledger` (order 40), which it extends.
BASIN_COMMAND_GROUP(ledger_reconcile, 43, basin::cli::add_reconcile);
