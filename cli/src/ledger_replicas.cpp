#include "ledger_replicas.hpp"

#include <algorithm>
#include <tuple>

namespace basin::cli {

LedgerReplicas validate_ledger_replicas(const std::vector<ledger::StoredRecord>& records) {
  namespace fed = basin::federation;
  // One candidate per job run: its digest-carrying record that ended last.
  std::map<std::tuple<std::string, std::uint32_t, std::uint32_t>, const ledger::StoredRecord*> runs;
  for (const auto& s : records) {
    const auto& r = s.record;
    if (r.replica_group.empty() || r.result_digest.empty() || s.conflict) continue;
    auto& slot = runs[{r.cluster, r.job_id, r.restart_count}];
    if (!slot || r.end_time > slot->record.end_time) slot = &s;
  }
  // The latest run of a requeued job stands for the job.
  std::map<std::pair<std::string, std::uint32_t>, const ledger::StoredRecord*> latest;
  for (const auto& [key, rec] : runs) {
    auto& slot = latest[{std::get<0>(key), std::get<1>(key)}];
    if (!slot || rec->record.restart_count > slot->record.restart_count) slot = rec;
  }
  LedgerReplicas out;
  for (const auto& [key, rec] : latest) {
    auto& g = out.groups[rec->record.replica_group];
    g.members.push_back({rec});
    g.quorum = std::max<unsigned>(g.quorum, rec->record.replicas);
  }
  for (auto& [name, g] : out.groups) {
    std::vector<fed::Replica> replicas;
    for (const auto& m : g.members)
      replicas.push_back({name, m.record->record.node, m.record->record.result_digest});
    const auto result = fed::validate_replicas(replicas, g.quorum);
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      g.members[i].verdict = result.verdicts[i];
      const auto& r = g.members[i].record->record;
      out.by_job[{r.cluster, r.job_id}] = result.verdicts[i];
    }
    g.canonical = result.groups.front().state == fed::GroupState::canonical;
    for (const auto& [node, rel] : result.nodes) {
      out.nodes[node].valid += rel.valid;
      out.nodes[node].invalid += rel.invalid;
      out.nodes[node].pending += rel.pending;
    }
  }
  return out;
}

}  // namespace basin::cli
