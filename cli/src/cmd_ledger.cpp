// basin ledger: the accounting ledger of usage records.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "basin/ledger/ledger.hpp"
#include "commands.hpp"

namespace basin::cli {
namespace {

constexpr const char* kDefaultDb = "basin-ledger.sqlite";

void add_ledger(CLI::App& app, CommandContext& ctx) {
  auto* led = app.add_subcommand(
      "ledger", "The accounting ledger (one SQLite file): ingest the nodes' usage records");
  led->require_subcommand(1);
  auto db = std::make_shared<std::string>(kDefaultDb);
  led->add_option("--db", *db, "Ledger file")->capture_default_str();

  auto paths = std::make_shared<std::vector<std::string>>();
  auto keys = std::make_shared<std::string>();
  auto* ingest = led->add_subcommand(
      "ingest",
      "Verify record files (or spool directories) against the node keys and store each once;\n"
      "records with bad signatures are listed and not stored. Safe to rerun, to run twice at\n"
      "once, and to interrupt: each run is one transaction.");
  ingest->add_option("SPOOL", *paths, "Record files or spool directories")->required();
  ingest->add_option("--keys", *keys, "Keys file: '<node> ed25519:<hex>' per line")->required();
  ingest->footer(
      "Exit status: 0 all stored, 1 some records rejected or in conflict.\n"
      "Example: basin ledger --db ledger.sqlite ingest /var/spool/basin --keys node-keys");
  ingest->callback([=, &ctx] {
    basin::ledger::Ledger ledger(*db);
    const auto report = ledger.ingest(*paths, records::KeyRing::load(*keys));
    for (const auto& bad : report.rejected)
      std::printf("rejected %s: %s\n", bad.path.c_str(), bad.reason.c_str());
    std::printf(
        "%zu added, %zu already in the ledger, %zu in conflict, %zu rejected; %zu records "
        "in %s\n",
        report.added, report.duplicate, report.conflicts, report.rejected.size(),
        ledger.record_count(), db->c_str());
    if (!report.rejected.empty() || report.conflicts > 0) ctx.exit_code = 1;
  });

  auto conflicts_only = std::make_shared<bool>(false);
  auto* show = led->add_subcommand("show", "List the records in the ledger");
  show->add_flag("--conflicts", *conflicts_only,
                 "Only records whose identity is claimed by another record");
  show->callback([=, &ctx] {
    basin::ledger::Ledger ledger(*db);
    std::printf("%-36s %-13s %-8s %10s %-9s %s\n", "IDENTITY", "ACCOUNT", "SITE", "CPU_S",
                "CONFLICT", "HASH");
    for (const auto& s : ledger.records(*conflicts_only))
      std::printf("%-36s %-13s %-8s %10.2f %-9s %.16s\n", s.identity.c_str(),
                  s.record.account.c_str(), s.record.site.c_str(),
                  (s.record.cpu_user_us + s.record.cpu_system_us) / 1e6,
                  s.conflict ? "CONFLICT" : "-", s.content_hash.c_str());
    (void)ctx;
  });
}

}  // namespace
}  // namespace basin::cli

BASIN_COMMAND_GROUP(ledger, 40, basin::cli::add_ledger);
