// `basin ledger validate`: replica validation over the ledger's records.
//
// Jobs submitted with --basin-replicas=N carry a replica group (cluster, user,
// job name or array) and, when they ran `basin run`, the runtime's result
// digest. Each job counts as one replica: its record with a digest that ended
// last (the batch step, which outlives the job's srun steps). Replicas agree
// when their digests are equal; the quorum rule (BOINC's min_quorum = N)
// decides. Verdicts and per-node reliability are derived from the stored,
// signed records, so they are the same every time and on every copy of the
// ledger.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "basin/federation/quorum.hpp"
#include "basin/ledger/ledger.hpp"
#include "commands.hpp"

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

struct Job {
  const ledger::StoredRecord* record = nullptr;
};

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
    // One replica per job: its digest-carrying record that ended last.
    std::map<std::tuple<std::string, std::uint32_t, std::uint32_t>, Job> jobs;
    for (const auto& s : records) {
      const auto& r = s.record;
      if (r.replica_group.empty() || r.result_digest.empty() || s.conflict) continue;
      auto& j = jobs[{r.cluster, r.job_id, r.restart_count}];
      if (!j.record || r.end_time > j.record->record.end_time) j.record = &s;
    }
    // The latest run of a requeued job stands for the job.
    std::map<std::pair<std::string, std::uint32_t>, const ledger::StoredRecord*> latest;
    for (const auto& [key, j] : jobs) {
      auto& slot = latest[{std::get<0>(key), std::get<1>(key)}];
      if (!slot || j.record->record.restart_count > slot->record.restart_count) slot = j.record;
    }
    std::map<std::string, std::vector<const ledger::StoredRecord*>> groups;
    for (const auto& [key, rec] : latest) groups[rec->record.replica_group].push_back(rec);

    std::size_t invalid = 0;
    std::map<std::string, fed::NodeReliability> nodes;
    std::printf("%-34s %-8s %-8s %-18s %s\n", "GROUP", "JOB", "NODE", "DIGEST", "VERDICT");
    for (const auto& [group, members] : groups) {
      std::vector<fed::Replica> replicas;
      unsigned quorum = 1;
      for (const auto* m : members) {
        replicas.push_back({group, m->record.node, m->record.result_digest});
        quorum = std::max<unsigned>(quorum, m->record.replicas);
      }
      const auto result = fed::validate_replicas(replicas, quorum);
      for (std::size_t i = 0; i < members.size(); ++i) {
        const auto& r = members[i]->record;
        const auto colon = r.result_digest.find(':');
        std::printf("%-34s %-8u %-8s %-18.18s %s\n", group.c_str(), r.job_id, r.node.c_str(),
                    r.result_digest.substr(colon == std::string::npos ? 0 : colon + 1).c_str(),
                    verdict_name(result.verdicts[i]));
        if (result.verdicts[i] == fed::ReplicaVerdict::invalid) ++invalid;
      }
      const auto& g = result.groups.front();
      std::printf("  group %s: %s (%zu of quorum %u replicas)\n", group.c_str(),
                  g.state == fed::GroupState::canonical ? "canonical" : "pending", members.size(),
                  quorum);
      for (const auto& [node, rel] : result.nodes) {
        nodes[node].valid += rel.valid;
        nodes[node].invalid += rel.invalid;
        nodes[node].pending += rel.pending;
      }
    }
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
