// `basin ledger settle --period P`: the month's settlement between sites.
//
// The ledger supplies the period's receipts and, for the sites whose keys are
// given, the records behind them (to open each pair's total). Which receipts
// are charged is the books' charging rule (basin/books/charging.hpp): every
// step but INVALID replicas and steps nested in another step of the same job
// run and node; unvalidated replicas are charged and flagged. The statement is written as JSON, CSV
// and a table, all atomically, and the JSON is signed by the settling site.
#include <sodium.h>
#include <tbb/parallel_for.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "basin/books/charging.hpp"
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
};

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

  ledger::Ledger ledger(db);
  // A stored record that cannot be read is named and left out; its receipt
  // is still settled from the log, and the period stays unsettled in the
  // budgets until the row is restored.
  std::vector<ledger::RecordProblem> set_aside;
  const auto records = ledger.records(false, &set_aside);
  std::map<std::int64_t, const ledger::StoredRecord*> by_id;
  for (const auto& s : records) by_id[s.id] = &s;
  std::map<std::string, std::string> home;
  for (const auto& acct : pool.accounts) home[acct.name] = acct.home_site;

  auto all_receipts = ledger.receipts();
  const auto entries = books::entries_of(records, all_receipts);
  std::vector<ledger::StoredReceipt> stored;
  for (auto& s : all_receipts)
    if (s.period == a.period) stored.push_back(std::move(s));
  all_receipts.clear();
  const auto decisions = books::decide_charges(entries, books::replica_policy_of(pool));
  std::map<std::int64_t, const books::Decision*> decision_of;
  for (std::size_t i = 0; i < entries.size(); ++i) decision_of[records[i].id] = &decisions[i];
  std::vector<settlement::Item> items(stored.size());
  tbb::parallel_for(std::size_t{0}, stored.size(), [&](std::size_t k) {
    const auto& s = stored[k];
    auto& it = items[k];
    it.log = s.origin;
    it.leaf = s.leaf_index;
    it.record = s.identity;
    try {
      if (tlog::leaf_hash(s.bytes) != s.leaf_hash)
        throw std::runtime_error("its bytes are not the log's leaf (altered after it was logged)");
      it.receipt = receipts::decode(s.bytes);
      if (it.receipt.account != s.account || it.receipt.provider_site != s.provider_site)
        throw std::runtime_error("its fields differ from the ledger's index of it");
    } catch (const std::exception& e) {
      it.problem = e.what();
      return;
    }
    if (auto h = home.find(it.receipt.account); h != home.end()) it.consumer_site = h->second;
    if (auto d = decision_of.find(s.record_id); d != decision_of.end()) {
      if (d->second->charged)
        it.flag = d->second->note;
      else
        it.not_charged = d->second->note;
    }
    if (auto r = by_id.find(s.record_id);
        r != by_id.end() && provider_keys.count(r->second->record.site))
      it.quantities = receipts::quantities_of(r->second->record);
  });
  stored.clear();

  const auto st = settlement::settle(items, trust, provider_keys, a.period);
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
  std::printf("\nstatement: %s.json (signed by site %s: %s.json.sig), %s.csv, %s.txt\n",
              out.c_str(), signer.name.c_str(), out.c_str(), out.c_str(), out.c_str());
  if (report_set_aside(set_aside) || !st.failed.empty() || unopened > 0) {
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

void run_check(const std::string& statement, const std::string& pool_path, CommandContext& ctx) {
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
  cmd->footer(
      "Not charged (listed with the reason): INVALID or pending replicas (see `ledger\n"
      "validate`) and steps that run inside another step of the same job on the same node.\n"
      "A receipt that fails verification is listed and excluded, never counted. The same\n"
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
  check->footer("Exit status: 0 good, 1 bad.");
  check->callback([=, &ctx] { run_check(*statement, *pool, ctx); });
}

}  // namespace
}  // namespace basin::cli

// After `ledger` (order 40), which it extends.
BASIN_COMMAND_GROUP(ledger_settle, 42, basin::cli::add_settle);
