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

#include "basin/books/exchange.hpp"
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
  std::string period, pool, out, blinding_key;
  std::vector<std::string> site_keys;  // exactly one: this site's (a clear error otherwise)
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

// This site's signed openings of `period` into the ledger; prints what could
// not be opened. Returns false when something was not.
bool open_own_pairs(ledger::Ledger& ledger, const fed::Pool& pool, const std::string& site,
                    const records::NodeKey& key, const receipts::BlindingKey& blinding,
                    const std::string& period) {
  const auto report =
      books::make_openings(ledger, pool, trust_of(pool), site, key, blinding, period);
  for (const auto& why : report.problems)
    std::printf("not opened (%s, site %s): %s\n", period.c_str(), site.c_str(), why.c_str());
  std::printf("site %s: %zu pair openings of %s signed and stored\n", site.c_str(),
              report.notes.size(), period.c_str());
  return report.problems.empty();
}

const std::string& only_own_key(const std::vector<std::string>& keys, const char* verb) {
  if (keys.size() == 1) return keys.front();
  if (keys.empty())
    throw std::runtime_error(std::string(verb) + ": give --site-key, this site's key");
  throw std::runtime_error(
      std::string(verb) +
      " takes one --site-key, this site's own: no command takes another site's secret.\n"
      "Each provider site opens its own pairs (`basin ledger open-pairs --period P --site-key "
      "<its key>`),\nthen any site settles with its own key");
}

void run_settle(const SettleArgs& a, const std::string& db, CommandContext& ctx) {
  check_period(a.period);
  const auto pool = fed::load_pool(a.pool);
  const auto trust = trust_of(pool);
  const auto& key_path = only_own_key(a.site_keys, "settle");
  const auto signer_key = records::NodeKey::load(key_path, false);
  const auto& signer = site_of_key(pool, signer_key, key_path);

  ledger::Ledger ledger(db, ledger::OpenMode::existing);
  books::PublicSettlement result;
  if (a.public_data) {
    result = books::settle_public(ledger, pool, trust, a.period);
  } else {
    // One ledger with several sites' logs: this site's pairs are opened with
    // its blinding secrets here; every other provider's by the opening it stored.
    const auto blinding = load_blinding_key(a.blinding_key, key_path);
    const auto checked = checked_records(ledger, pool, ctx);
    print_conflicts(checked.records, ledger.receipts(), ctx);
    result = books::settle_shared(ledger, pool, trust, a.period, checked, signer.name, blinding);
  }
  const auto& st = result.statement;
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
  for (const auto& why : result.problems) std::printf("NOT SETTLED %s\n", why.c_str());
  std::printf("\nstatement: %s.json (signed by site %s: %s.json.sig), %s.csv, %s.txt\n",
              out.c_str(), signer.name.c_str(), out.c_str(), out.c_str(), out.c_str());
  if (!st.failed.empty() || unopened > 0 || !result.problems.empty()) {
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
      "credit commitments per (provider site, consuming site), check each pair's sum against\n"
      "its provider's signed opening (`ledger open-pairs`; this site's own pairs are opened "
      "here),\n"
      "net the debts into the fewest transfers, and write the signed statement (JSON, CSV,\n"
      "table).");
  cmd->add_option("--period", a->period, "Month to settle, YYYY-MM (UTC of each step's end)")
      ->required();
  cmd->add_option("--pool", a->pool, "pool.toml (site keys, rate cards, accounts' home sites)")
      ->required();
  cmd->add_option(
         "--site-key", a->site_keys,
         "This site's secret signing key: signs the statement and opens this site's\n"
         "own pairs. Only this site's: other providers open theirs with `ledger open-pairs`")
      ->required();
  add_blinding_option(*cmd, a->blinding_key);
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
      "Example (one ledger, two sites; each command holds one site's key):\n"
      "  basin ledger --db ledger.sqlite open-pairs --period 2026-11 --pool pool.toml \\\n"
      "      --site-key keys/home.sign.key\n"
      "  basin ledger --db ledger.sqlite settle --period 2026-11 --pool pool.toml \\\n"
      "      --site-key keys/campus.sign.key");
  cmd->callback(
      [a, led, &ctx] { run_settle(*a, led->get_option("--db")->as<std::string>(), ctx); });

  auto o = std::make_shared<SettleArgs>();
  auto* open = led->add_subcommand(
      "open-pairs",
      "Publish this site's openings of a closed period: for each (this site, consuming site)\n"
      "pair, the total credits of the pair's charged receipts and their summed blinding,\n"
      "signed with this site's key and stored in the ledger (`ledger export --period` also\n"
      "puts them in the bundle for the other sites).");
  open->add_option("--period", o->period, "Month to open, YYYY-MM")->required();
  open->add_option("--pool", o->pool, "pool.toml")->required();
  open->add_option("--site-key", o->site_keys, "This site's secret signing key")->required();
  add_blinding_option(*open, o->blinding_key);
  open->footer(
      "An opening reveals a pair's total, never a receipt's. Open again after issuing more\n"
      "receipts of the period: the new opening replaces the old one.\n"
      "Exit status: 0 every pair opened, 1 a pair could not be (said why).\n"
      "Example: basin ledger --db ledger.sqlite open-pairs --period 2026-11 --pool pool.toml \\\n"
      "           --site-key keys/home.sign.key");
  open->callback([o, led, &ctx] {
    check_period(o->period);
    const auto pool = fed::load_pool(o->pool);
    const auto& path = only_own_key(o->site_keys, "open-pairs");
    const auto key = records::NodeKey::load(path, false);
    const auto& site = site_of_key(pool, key, path);
    ledger::Ledger ledger(led->get_option("--db")->as<std::string>(), ledger::OpenMode::existing);
    const auto blinding = load_blinding_key(o->blinding_key, path);
    if (!open_own_pairs(ledger, pool, site.name, key, blinding, o->period)) ctx.exit_code = 1;
  });

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
