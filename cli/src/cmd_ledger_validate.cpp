// `basin ledger validate`: replica validation over the ledger's records (the
// rule is in ledger_replicas.hpp); shows each group's verdicts and per-node
// reliability.
#include <cstdio>
#include <memory>
#include <string>

#include "basin/federation/quorum.hpp"
#include "basin/ledger/ledger.hpp"
#include "commands.hpp"
#include "ledger_replicas.hpp"

namespace basin::cli {
namespace {

namespace fed = basin::federation;

const char* verdict_name(fed::ReplicaVerdict v) {
  switch (v) {
    case fed::ReplicaVerdict::valid:
      return "valid";
    case fed::ReplicaVerdict::invalid:
      return "INVALID";
    case fed::ReplicaVerdict::pending:
      return "pending";
  }
  return "?";
}

void add_validate(CLI::App& app, CommandContext& ctx) {
  CLI::App* led = app.get_subcommand("ledger");
  auto* cmd = led->add_subcommand(
      "validate",
      "Replica validation: group the jobs run with --basin-replicas=N by replica group,\n"
      "compare their result digests, and decide each group by quorum (a result is canonical\n"
      "when a strict majority of the N replicas report it). Replicas that disagree are\n"
      "INVALID and earn no credit; groups without a majority stay pending. Shows per-node\n"
      "reliability (valid / invalid / pending runs).");
  cmd->footer(
      "Exit status: 0 no invalid replica, 1 some replica INVALID.\n"
      "Example: basin ledger --db ledger.sqlite validate");
  cmd->callback([led, &ctx] {
    const std::string db = led->get_option("--db")->as<std::string>();
    ledger::Ledger l(db);
    const auto records = l.records();
    const auto v = validate_ledger_replicas(records);
    std::size_t invalid = 0;
    std::printf("%-34s %-8s %-8s %-18s %s\n", "GROUP", "JOB", "NODE", "DIGEST", "VERDICT");
    for (const auto& [group, g] : v.groups) {
      for (const auto& m : g.members) {
        const auto& r = m.record->record;
        const auto colon = r.result_digest.find(':');
        std::printf("%-34s %-8u %-8s %-18.18s %s\n", group.c_str(), r.job_id, r.node.c_str(),
                    r.result_digest.substr(colon == std::string::npos ? 0 : colon + 1).c_str(),
                    verdict_name(m.verdict));
        if (m.verdict == fed::ReplicaVerdict::invalid) ++invalid;
      }
      std::printf("  group %s: %s (%zu of quorum %u replicas)\n", group.c_str(),
                  g.canonical ? "canonical" : "pending", g.members.size(), g.quorum);
    }
    const auto& nodes = v.nodes;
    const auto& groups = v.groups;
    std::printf("\n%-10s %6s %8s %8s\n", "NODE", "VALID", "INVALID", "PENDING");
    for (const auto& [node, rel] : nodes)
      std::printf("%-10s %6llu %8llu %8llu\n", node.c_str(),
                  static_cast<unsigned long long>(rel.valid),
                  static_cast<unsigned long long>(rel.invalid),
                  static_cast<unsigned long long>(rel.pending));
    std::printf("%zu group(s), %zu invalid replica(s)\n", groups.size(), invalid);
    if (invalid > 0) ctx.exit_code = 1;
  });
}

}  // namespace
}  // namespace basin::cli

// After `ledger` (order 40), which it extends.
BASIN_COMMAND_GROUP(ledger_validate, 41, basin::cli::add_validate);
