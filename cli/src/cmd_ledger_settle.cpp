// `basin ledger settle --period P`: the month's settlement between sites.
//
// The ledger supplies the period's receipts and, for the sites whose keys are
// given, the records behind them (to open each pair's total). Which receipts
// are charged is the books' charging rule (basin/books/charging.hpp): every
// step but INVALID replicas and steps nested in another step of the same job
// run and node; unvalidated replicas are charged and flagged. The statement is written as JSON, CSV
// and a table, all atomically, and the JSON is signed by the settling site.
#include <sodium.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "basin/books/period_items.hpp"
#include "basin/books/public_settlement.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/settlement/settlement.hpp"
#include "basin/tlog/merkle.hpp"
#include "commands.hpp"
#include "ledger_common.hpp"

namespace basin::cli {
namespace {

namespace fed = basin::federation;

struct SettleArgs {
  std::string period, pool, out, sign_key;
  std::vector<std::string> site_keys;
  bool public_data = false;
};

// A record in conflict with a receipted one is a finding: the step is
// charged once, by the receipt (books::decide_charges), never by the other.
void print_conflicts(const std::vector<ledger::StoredRecord>& records,
                     const std::vector<ledger::StoredReceipt>& receipts, CommandContext& ctx) {
  for (const auto& c : books::conflicts_with_receipts(records, receipts)) {
    std::printf(
        "finding conflicting_record %s: record %.16s claims a step whose receipt is leaf %llu of "
        "%s; charged once, by that receipt\n",
        c.record->identity.c_str(), c.record->content_hash.c_str(),
        static_cast<unsigned long long>(c.receipt->leaf_index), c.receipt->origin.c_str());
    ctx.exit_code = 1;
  }
}

void run_settle(const SettleArgs& a, const std::string& db, CommandContext& ctx) {
  check_period(a.period);
  const auto pool = fed::load_pool(a.pool);
  const auto trust = trust_of(pool);
  std::vector<records::NodeKey> keys;
  settlement::ProviderKeys provider_keys;
  for (const auto& path : a.site_keys) keys.push_back(records::NodeKey::load(path, false));
  for (std::size_t i = 0; i < keys.size(); ++i)
    provider_keys[site_of_key(pool, keys[i], a.site_keys[i]).name] = &keys[i];
  std::string sign_path =
      a.sign_key.empty() ? (a.site_keys.empty() ? "" : a.site_keys.front()) : a.sign_key;
  if (sign_path.empty())
    throw std::runtime_error(
        "nothing to sign the statement with: give --site-key (the providers' keys, to open\n"
        "their totals) or --sign-key (the settling site's key)");
  const auto signer_key = records::NodeKey::load(sign_path, false);
  const auto& signer = site_of_key(pool, signer_key, sign_path);

  ledger::Ledger ledger(db, ledger::OpenMode::existing);
  settlement::Statement st;
  std::vector<std::string> problems;
  if (a.public_data) {
    if (a.site_keys.size() > 1)
      throw std::runtime_error(
          "--public settles from the providers' signed openings: give only this site's own key\n"
          "(--site-key or --sign-key), never another site's");
    auto pub = books::settle_public(ledger, pool, trust, a.period);
    st = std::move(pub.statement);
    problems = std::move(pub.problems);
  } else {
    const auto checked = checked_records(ledger, pool, ctx);
    std::set<std::string> opening_sites;
    for (const auto& [site, key] : provider_keys) opening_sites.insert(site);
    const auto items = books::period_items(ledger, pool, a.period, opening_sites, checked);
    print_conflicts(checked.records, ledger.receipts(), ctx);
    st = settlement::settle(items, trust, provider_keys, a.period);
  }
  const auto json = settlement::to_json(st);
  const auto text = settlement::to_text(st);
  const std::string out = a.out.empty() ? "settlement-" + a.period : a.out;
  fed::write_file_atomic(out + ".json", json, 0644);
  fed::write_file_atomic(out + ".csv", settlement::to_csv(st), 0644);
  fed::write_file_atomic(out + ".txt", text, 0644);
  fed::write_file_atomic(out + ".json.sig",
                         settlement::sign_statement(json, signer.name, signer_key), 0644);
  std::fputs(text.c_str(), stdout);
  std::size_t unopened = 0;
  for (const auto& p : st.pairs) unopened += p.opened ? 0 : 1;
  for (const auto& why : problems) std::printf("NOT SETTLED %s\n", why.c_str());
  std::printf("\nstatement: %s.json (signed by site %s: %s.json.sig), %s.csv, %s.txt\n",
              out.c_str(), signer.name.c_str(), out.c_str(), out.c_str(), out.c_str());
  if (!st.failed.empty() || unopened > 0 || !problems.empty()) {
    ctx.exit_code = 1;
    return;
  }
  // A complete statement settles the period: its charges now count against
  // the accounts' budgets as charged (basin ledger budget).
  tlog::Hash digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(json.data()),
                     json.size());
  ledger.record_settlement(a.period, tlog::to_hex(digest));
}

void run_check(const std::string& statement, const std::string& pool_path,
               const std::string& recompute_db, CommandContext& ctx) {
  auto slurp = [](const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!f) throw std::runtime_error("cannot read " + path);
    std::string s;
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f.get())) > 0;) s.append(buf, n);
    return s;
  };
  const auto pool = fed::load_pool(pool_path);
  const auto why = settlement::check_statement_signature(
      slurp(statement), slurp(statement + ".sig"), trust_of(pool).site_keys);
  if (why) {
    std::printf("BAD %s: %s\n", statement.c_str(), why->c_str());
    ctx.exit_code = 1;
  } else {
    std::printf("%s: signature good\n", statement.c_str());
  }
  if (recompute_db.empty()) return;
  // Recompute from the public data in this site's ledger and compare.
  const auto json = slurp(statement);
  const auto period = settlement::statement_period(json);
  ledger::Ledger ledger(recompute_db, ledger::OpenMode::existing);
  const auto pub = books::settle_public(ledger, pool, trust_of(pool), period);
  const auto mine = settlement::to_json(pub.statement);
  for (const auto& why : pub.problems) std::printf("NOT SETTLED here: %s\n", why.c_str());
  if (mine == json) {
    std::printf("%s: recomputed from this site's public data: identical\n", statement.c_str());
    return;
  }
  for (const auto& d : settlement::compare_statements(json, mine))
    std::printf("DIFFERS %s\n", d.c_str());
  std::printf("%s: recomputed from this site's public data: DIFFERENT\n", statement.c_str());
  ctx.exit_code = 1;
}

void add_settle(CLI::App& app, CommandContext& ctx) {
  CLI::App* led = app.get_subcommand("ledger");
  auto a = std::make_shared<SettleArgs>();
  auto* cmd = led->add_subcommand(
      "settle",
      "Settle a period between sites: verify every receipt of the period (batched), sum the\n"
      "credit commitments per (provider site, consuming site), open each provider's total\n"
      "with its site key and check it against the sum, net the debts into the fewest\n"
      "transfers, and write the signed statement (JSON, CSV, table).");
  cmd->add_option("--period", a->period, "Month to settle, YYYY-MM (UTC of each step's end)")
      ->required();
  cmd->add_option("--pool", a->pool, "pool.toml (site keys, rate cards, accounts' home sites)")
      ->required();
  cmd->add_option("--site-key", a->site_keys,
                  "A provider site's secret signing key (repeatable): opens that site's totals.\n"
                  "Pairs of providers without a key are listed as not opened");
  cmd->add_option("--sign-key", a->sign_key,
                  "Key of the site signing the statement [the first --site-key]");
  cmd->add_option("--out", a->out, "Statement path prefix [settlement-<period>]");
  cmd->add_flag("--public", a->public_data,
                "Settle from public data only: each provider's log as this site mirrors it\n"
                "(`ledger import`), up to the checkpoint its signed openings name, witnessed by\n"
                "a quorum of other sites; each pair opened by its provider's signed opening.\n"
                "Takes only this site's key (to sign). Every site with the same bundles writes\n"
                "the same statement bytes");
  cmd->footer(
      "Not charged (listed with the reason): INVALID or pending replicas (see `ledger\n"
      "validate`) and steps that run inside another step of the same job on the same node.\n"
      "A receipt that fails verification, or whose record no longer verifies with its node's\n"
      "key (record_tampered), is listed and excluded, never counted; a record in conflict\n"
      "with a receipted one is a finding and never charged. The same\n"
      "ledger gives the same statement bytes. Exit status: 0 all receipts good and every\n"
      "pair opened, 1 otherwise.\n"
      "Example: basin ledger --db ledger.sqlite settle --period 2026-11 --pool pool.toml \\\n"
      "           --site-key keys/campus.sign.key --site-key keys/home.sign.key");
  cmd->callback(
      [a, led, &ctx] { run_settle(*a, led->get_option("--db")->as<std::string>(), ctx); });

  auto statement = std::make_shared<std::string>();
  auto pool = std::make_shared<std::string>();
  auto* check = led->add_subcommand(
      "check-statement",
      "Check a settlement statement's signature (STATEMENT.sig) against the pool's site keys.");
  check->add_option("STATEMENT", *statement, "settlement-<period>.json")->required();
  check->add_option("--pool", *pool, "pool.toml")->required();
  auto recompute = std::make_shared<bool>(false);
  check->add_flag("--recompute", *recompute,
                  "Also recompute the statement from the public data in this site's ledger\n"
                  "(--db: mirrored logs, cosignatures, signed openings) and name every pair,\n"
                  "log or receipt where it differs");
  check->footer("Exit status: 0 good (and identical), 1 bad.");
  check->callback([=, &ctx] {
    run_check(*statement, *pool, *recompute ? led->get_option("--db")->as<std::string>() : "", ctx);
  });
}

}  // namespace
}  // namespace basin::cli

// After `ledger` (order 40), which it extends.
BASIN_COMMAND_GROUP(ledger_settle, 42, basin::cli::add_settle);
