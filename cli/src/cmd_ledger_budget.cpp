// `basin ledger budget grant|show|sync`: credit budgets per account, and the
// limit Slurm's controller enforces from them (the rules are in
// basin/books/budget.hpp).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "basin/books/budget.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/settlement/settlement.hpp"
#include "commands.hpp"
#include "ledger_common.hpp"
#include "slurm_command.hpp"

namespace basin::cli {
namespace {

namespace fed = basin::federation;
using settlement::credits_text;

struct BudgetArgs {
  std::string pool, account, note, budgets_file;
  std::int64_t micro_credits = 0;
  bool no_queue = false, dry_run = false;
};

const fed::Account& account_in(const fed::Pool& pool, const std::string& name) {
  for (const auto& a : pool.accounts)
    if (a.name == name) return a;
  throw std::runtime_error("account '" + name + "' is not in pool.toml (basin pool add-account)");
}

// The pool's highest rates: what budgets assume of a job on any partition.
fed::BillingWeights pool_weights(const fed::Pool& pool) {
  std::vector<std::string> nodes;
  for (const auto& n : pool.nodes) nodes.push_back(n.name);
  return fed::billing_weights(pool, nodes);
}

// The queue's worst case per account, at the pool's highest rates.
void queued_work(const fed::Pool& pool, std::map<std::string, std::int64_t>& in_flight,
                 std::map<std::string, std::size_t>& unbounded) {
  const auto weights = pool_weights(pool);
  const auto text =
      slurm_output({"squeue", "-h", "-a", "-t", "PD,R,CG", "-o", books::kSqueueFormat});
  for (const auto& job : books::parse_squeue(text)) {
    if (const auto w = books::worst_case_micro_credits(job, weights))
      in_flight[job.account] += *w;
    else
      ++unbounded[job.account];
  }
}

// What settled and open periods charged each account, from the records that
// still verify; each one that does not is named and makes the exit status 1.
books::AccountCharges charges_of(const ledger::Ledger& ledger, const fed::Pool& pool,
                                 CommandContext& ctx) {
  auto charges = books::account_charges(ledger, pool);
  for (const auto& t : charges.tampered)
    std::printf("finding record_tampered %s: %s; not counted (restore the ledger from a backup)\n",
                t.identity.c_str(), t.reason.c_str());
  if (!charges.tampered.empty()) ctx.exit_code = 1;
  return charges;
}

void add_budget(CLI::App& app, CommandContext& ctx) {
  CLI::App* led = app.get_subcommand("ledger");
  auto a = std::make_shared<BudgetArgs>();
  auto* budget = led->add_subcommand(
      "budget",
      "Credit budgets: what each account was granted, what settled periods charged it, what\n"
      "its open periods and queued jobs may still cost, and the limit Slurm enforces from\n"
      "them (GrpTRESMins=billing on the account's association).");
  budget->require_subcommand(1);
  budget->footer(
      "Units: credits (1 credit = 1,000,000 micro-credits). One billing-minute of Slurm's\n"
      "billing TRES is 60 micro-credits when TRESBillingWeights follow the rate cards\n"
      "(basin pool render-slurm writes them). See docs/accounting-guide.md, Budgets.");
  auto db_of = [led] { return led->get_option("--db")->as<std::string>(); };

  auto* grant =
      budget->add_subcommand("grant", "Grant credits to an account (appended; never edited)");
  grant->add_option("--pool", a->pool, "pool.toml (the account must be in it)")->required();
  grant->add_option("--account", a->account, "The account")->required();
  grant
      ->add_option("--micro-credits", a->micro_credits,
                   "Micro-credits to add (negative to correct an earlier grant)")
      ->required();
  grant->add_option("--note", a->note, "Why, for the record (e.g. 'allocation 2026-Q4')");
  grant->footer(
      "Example: basin ledger budget grant --pool pool.toml --account physics \\\n"
      "           --micro-credits 5000000 --note 'allocation 2026-Q4'");
  grant->callback([a, db_of] {
    const auto pool = fed::load_pool(a->pool);
    account_in(pool, a->account);
    // Like ingest, a grant adds to the ledger and may be its first entry (a
    // budgets-only ledger, or grants before the first records arrive).
    ledger::Ledger ledger(db_of(), ledger::OpenMode::create);
    ledger.grant_budget({a->account, a->micro_credits, a->note, 0});
    std::int64_t total = 0;
    for (const auto& g : ledger.budget_grants())
      if (g.account == a->account) total += g.micro_credits;
    std::printf("granted %s credits to %s; %s credits granted in all\n",
                credits_text(a->micro_credits).c_str(), a->account.c_str(),
                credits_text(total).c_str());
  });

  auto* show = budget->add_subcommand("show", "Each account's budget, in credits");
  show->add_option("--pool", a->pool, "pool.toml (rate cards, quorum policy)")->required();
  show->add_flag("--no-queue", a->no_queue,
                 "Do not ask Slurm for running and pending jobs (in flight shows 0)");
  show->footer(
      "GRANTED - CHARGED (settled periods) - UNSETTLED (receipts of open periods) - IN_FLIGHT\n"
      "(running and pending jobs at their time limit, at the pool's highest rates) = REMAINING.\n"
      "Exit status: 0, or 1 if an account's remaining budget is negative.\n"
      "Example: basin ledger --db ledger.sqlite budget show --pool pool.toml");
  show->callback([a, db_of, &ctx] {
    const auto pool = fed::load_pool(a->pool);
    ledger::Ledger ledger(db_of(), ledger::OpenMode::existing);
    std::map<std::string, std::int64_t> in_flight;
    std::map<std::string, std::size_t> unbounded;
    if (!a->no_queue) queued_work(pool, in_flight, unbounded);
    const auto lines =
        books::budgets(ledger.budget_grants(), charges_of(ledger, pool, ctx), in_flight, unbounded);
    std::printf("%-16s %16s %16s %16s %16s %16s\n", "ACCOUNT", "GRANTED", "CHARGED", "UNSETTLED",
                "IN_FLIGHT", "REMAINING");
    for (const auto& b : lines) {
      std::printf("%-16s %16s %16s %16s %16s %16s%s\n", b.account.c_str(),
                  credits_text(b.granted).c_str(), credits_text(b.charged).c_str(),
                  credits_text(b.unsettled).c_str(), credits_text(b.in_flight).c_str(),
                  credits_text(b.remaining()).c_str(),
                  b.unbounded_jobs ? "  (+ jobs without a time limit)" : "");
      if (b.remaining() < 0) ctx.exit_code = 1;
    }
    std::printf("%zu accounts with a budget; settled periods:", lines.size());
    for (const auto& p : ledger.settled_periods()) std::printf(" %s", p.period.c_str());
    std::printf("\n");
    // account_charges leaves unreadable rows out: name them, since the
    // charges above are then short by what they held.
    std::vector<ledger::RecordProblem> set_aside;
    ledger.records(false, &set_aside);
    if (report_set_aside(set_aside)) ctx.exit_code = 1;
  });

  auto* sync = budget->add_subcommand(
      "sync",
      "Give Slurm each budget as GrpTRESMins=billing on the account's association, so the\n"
      "controller itself stops an account that has spent its budget (new jobs pend with\n"
      "AssocGrpBillingMinutes; running jobs are never killed by it).");
  sync->add_option("--pool", a->pool, "pool.toml (cluster, rate cards, accounts)")->required();
  sync->add_option("--budgets-file", a->budgets_file,
                   "Also write what is left per account, with the billing weights, for the\n"
                   "submit-side warning (cli_filter.lua reads basin-budgets beside slurm.conf)");
  sync->add_flag("--dry-run", a->dry_run, "Print the limits without changing Slurm");
  sync->footer(
      "limit = used + max(left / 60, running) billing-minutes, where left = granted - charged -\n"
      "unsettled micro-credits and used/running are Slurm's own figures for the account\n"
      "(scontrol show assoc_mgr). Run it after each ledger issue and settle.\n"
      "Example: basin ledger --db ledger.sqlite budget sync --pool pool.toml");
  sync->callback([a, db_of, &ctx] {
    const auto pool = fed::load_pool(a->pool);
    ledger::Ledger ledger(db_of(), ledger::OpenMode::existing);
    const auto lines =
        books::budgets(ledger.budget_grants(), charges_of(ledger, pool, ctx), {}, {});
    std::string file =
        "# basin-budgets: written by basin ledger budget sync; read by the\n"
        "# submit-side warning (plugin/cli_filter/cli_filter.lua)\n";
    {
      char stamp[32];
      const std::time_t now = std::time(nullptr);
      std::tm tm{};
      gmtime_r(&now, &tm);
      std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
      file += std::string("synced ") + stamp + "\n";
    }
    const auto w = pool_weights(pool);
    file += "weights " + std::to_string(w.cpu) + " " + std::to_string(w.mem_mb) + " " +
            std::to_string(w.gpu) + " " + std::to_string(w.node) + "\n";
    file += "default_time " + std::to_string(fed::kDefaultTimeLimitSeconds) + "\n";
    // A job that names no memory gets DefMemPerCPU, which Slurm bills.
    const auto config = slurm_output({"scontrol", "show", "config"});
    if (const auto at = config.find("\nDefMemPerCPU"); at != std::string::npos) {
      const auto eq = config.find('=', at);
      const auto value = config.substr(eq + 1, config.find('\n', eq) - eq - 1);
      const auto mb = std::strtoull(value.c_str() + value.find_first_not_of(' '), nullptr, 10);
      file += "default_mem_per_cpu " + std::to_string(mb) + "\n";
    }
    for (const auto& b : lines) {
      account_in(pool, b.account);
      const auto text =
          slurm_output({"scontrol", "show", "assoc_mgr", "flags=assoc", "accounts=" + b.account});
      const auto now = books::parse_assoc_billing(text, b.account);
      if (!now)
        throw std::runtime_error("Slurm has no association for account '" + b.account +
                                 "' on cluster " + pool.cluster +
                                 ": run basin pool sync-accounts first");
      const auto limit = books::billing_minutes_limit(b.left(), *now);
      std::printf("%s: %s credits left -> GrpTRESMins=billing=%lld (used %lld, running %lld)%s\n",
                  b.account.c_str(), credits_text(b.left()).c_str(), static_cast<long long>(limit),
                  static_cast<long long>(now->used_minutes),
                  static_cast<long long>(now->running_minutes), a->dry_run ? " [dry run]" : "");
      if (!a->dry_run)
        slurm_output({"sacctmgr", "-i", "modify", "account", "where", "name=" + b.account,
                      "cluster=" + pool.cluster, "set",
                      "GrpTRESMins=billing=" + std::to_string(limit)});
      file += "account " + b.account + " " + std::to_string(b.left()) + "\n";
    }
    if (!a->budgets_file.empty() && !a->dry_run)
      fed::write_file_atomic(a->budgets_file, file, 0644);
    // The limits above leave out what unreadable rows held: name them.
    std::vector<ledger::RecordProblem> set_aside;
    ledger.records(false, &set_aside);
    if (report_set_aside(set_aside)) ctx.exit_code = 1;
  });
}

}  // namespace
}  // namespace basin::cli

// After `ledger` (order 40), which it extends.
BASIN_COMMAND_GROUP(ledger_budget, 44, basin::cli::add_budget);
