// `basin ledger validate`: replica validation over the ledger's records under
// the pool's quorum policy (the rule is books::validate_replicas); shows each
// group's verdicts and per-node reliability.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "basin/books/charging.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/federation/quorum.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/records/record_checks.hpp"
#include "commands.hpp"
#include "ledger_common.hpp"

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
      "compare their result digests, and decide each group by the pool's quorum policy\n"
      "(pool.toml [policy] replica_quorum, or the account's own): a result is canonical when\n"
      "a strict majority of the quorum report it. Replicas that disagree are INVALID and earn\n"
      "no credit; groups without a majority are pending, and are charged (flagged\n"
      "unvalidated) if the period closes so. Shows per-node reliability.");
  auto pool_path = std::make_shared<std::string>();
  cmd->add_option("--pool", *pool_path,
                  "pool.toml: its quorum policy, and the node keys every record's signature is\n"
                  "checked against again (an edited digest must not move a verdict)")
      ->required();
  cmd->footer(
      "Records whose signature no longer verifies are named (record_tampered) and left out.\n"
      "Records of enrolled nodes made before the node's revocation are named\n"
      "(made_before_revocation, kept); made after it (outside_enrolment), a finding.\n"
      "Exit status: 0 no invalid replica, 1 some replica INVALID, a record tampered or\n"
      "outside its node's enrolment.\n"
      "Example: basin ledger --db ledger.sqlite validate --pool pool.toml");
  cmd->callback([led, pool_path, &ctx] {
    const std::string db = led->get_option("--db")->as<std::string>();
    const auto pool = fed::load_pool(*pool_path);
    const auto policy = books::replica_policy_of(pool);
    ledger::Ledger l(db, ledger::OpenMode::existing);
    const auto records = checked_records(l, pool, ctx).records;
    // Records of revoked nodes: those made before the revocation are kept
    // (named); those made after it, ingested before it was published, are
    // findings.
    if (report_enrolment_findings(pool, records, true) > 0) ctx.exit_code = 1;
    // The account that decides the quorum is the one Slurm charged (the
    // receipt's); before issue, the record's own claim.
    const auto entries = books::entries_of(records, l.receipts());
    const auto v = books::validate_replicas(entries, policy);
    std::size_t invalid = 0;
    std::printf("%-34s %-8s %-8s %-18s %s\n", "GROUP", "JOB", "NODE", "DIGEST", "VERDICT");
    for (const auto& [group, g] : v.groups) {
      for (const auto& m : g.members) {
        const auto& r = entries[m.entry].stored->record;
        const auto colon = r.result_digest.find(':');
        const auto digest = r.result_digest.substr(colon == std::string::npos ? 0 : colon + 1);
        std::printf("%-34s %-8u %-8s %-18.18s %s\n", records::printable(group).c_str(), r.job_id,
                    records::printable(r.node).c_str(), records::printable(digest).c_str(),
                    verdict_name(m.verdict));
        if (m.verdict == fed::ReplicaVerdict::invalid) ++invalid;
      }
      std::printf(
          "  group %s: %s (%zu replicas, quorum %u)\n", records::printable(group).c_str(),
          g.canonical ? "canonical" : "pending (charged as unvalidated if the period closes so)",
          g.members.size(), g.quorum);
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
    if (invalid > 0) ctx.exit_code = 1;  // (a tampered record set it already)
  });
}

}  // namespace
}  // namespace basin::cli

// After `ledger` (order 40), which it extends.
BASIN_COMMAND_GROUP(ledger_validate, 41, basin::cli::add_validate);
