// `basin ledger reconcile --period P --sacct FILE | --jobcomp FILE`: the
// period's receipts against Slurm's own accounting.
//
// The rules (which rows and receipts count, the job each set of receipts
// stands for) are books::reconcile_period's; this verb parses, calls, prints.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "basin/books/reconciliation.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/federation/reconcile.hpp"
#include "basin/ledger/ledger.hpp"
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

void run_reconcile(const ReconcileArgs& a, const std::string& db, CommandContext& ctx) {
  check_period(a.period);
  const auto pool = fed::load_pool(a.pool);
  const auto parsed = read_slurm_accounting(a.sacct, a.jobcomp, a.utc_offset);
  ledger::Ledger ledger(db, ledger::OpenMode::existing);
  const auto records = checked_records(ledger, pool, ctx).records;
  fed::ReconcileOptions ro;
  ro.relative_tolerance = a.tolerance;
  ro.absolute_core_seconds = a.absolute;
  ro.submit_slack_seconds = a.submit_slack;
  const auto r = books::reconcile_period(ledger, trust_of(pool), records, a.period, pool.cluster,
                                         parsed.rows, ro, a.verify_proofs);

  const std::string source = a.sacct.empty() ? a.jobcomp : a.sacct;
  std::printf(
      "Reconciliation of pool %s, period %s: %zu receipts (%zu jobs) against %zu Slurm\n"
      "rows of %s (%zu unreadable lines)\n",
      pool.name.c_str(), a.period.c_str(), r.receipts, r.jobs, r.slurm_rows, source.c_str(),
      parsed.issues.size());
  for (const auto& i : parsed.issues)
    std::printf("unreadable line %zu of %s: %s\n", i.line, source.c_str(), i.message.c_str());
  std::fputs(fed::report_text(r.report).c_str(), stdout);
  if (!a.csv.empty()) fed::write_file_atomic(a.csv, fed::report_csv(r.report), 0644);
  if (r.report.discrepancies() > 0 || !parsed.issues.empty()) ctx.exit_code = 1;
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
