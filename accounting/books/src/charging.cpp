#include "basin/books/charging.hpp"

#include <algorithm>
#include <tuple>

namespace basin::books {

namespace fed = basin::federation;

unsigned ReplicaPolicy::quorum_for(const std::string& account) const {
  const auto it = by_account.find(account);
  return it == by_account.end() ? default_quorum : it->second;
}

ReplicaPolicy replica_policy_of(const federation::Pool& pool) {
  ReplicaPolicy p;
  p.default_quorum = pool.replica_quorum;
  for (const auto& a : pool.accounts)
    if (a.replica_quorum != 0) p.by_account[a.name] = a.replica_quorum;
  return p;
}

std::vector<Entry> entries_of(const std::vector<ledger::StoredRecord>& records,
                              const std::vector<ledger::StoredReceipt>& receipts) {
  std::map<std::int64_t, const std::string*> account_of;
  for (const auto& s : receipts) account_of[s.record_id] = &s.account;
  std::vector<Entry> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    const auto it = account_of.find(r.id);
    const bool receipted = it != account_of.end();
    out.push_back({&r, receipted ? *it->second : r.record.account, receipted});
  }
  return out;
}

Replicas validate_replicas(std::span<const Entry> entries, const ReplicaPolicy& policy) {
  // One candidate per job run: its digest-carrying record that ended last.
  std::map<std::tuple<std::string, std::uint32_t, std::uint32_t>, std::size_t> runs;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& s = *entries[i].stored;
    const auto& r = s.record;
    if (r.replica_group.empty() || r.result_digest.empty() || s.conflict) continue;
    auto [slot, fresh] = runs.try_emplace({r.cluster, r.job_id, r.restart_count}, i);
    if (!fresh && r.end_time > entries[slot->second].stored->record.end_time) slot->second = i;
  }
  // The latest run of a requeued job stands for the job.
  std::map<JobKey, std::size_t> latest;
  for (const auto& [key, i] : runs) {
    auto [slot, fresh] = latest.try_emplace({std::get<0>(key), std::get<1>(key)}, i);
    if (!fresh && entries[i].stored->record.restart_count >
                      entries[slot->second].stored->record.restart_count)
      slot->second = i;
  }
  Replicas out;
  for (const auto& [key, i] : latest) {
    auto& g = out.groups[entries[i].stored->record.replica_group];
    if (g.members.empty()) g.quorum = 0;
    g.members.push_back({i});
    // Members of one group normally share an account; if not, the strictest
    // policy of them applies (no member can lower the group's quorum).
    g.quorum = std::max(g.quorum, policy.quorum_for(entries[i].account));
  }
  for (auto& [name, g] : out.groups) {
    g.quorum = std::max(g.quorum, 1u);
    std::vector<fed::Replica> replicas;
    for (const auto& m : g.members) {
      const auto& r = entries[m.entry].stored->record;
      replicas.push_back({name, r.node, r.result_digest});
    }
    const auto result = fed::validate_replicas(replicas, g.quorum);
    for (std::size_t k = 0; k < g.members.size(); ++k) {
      g.members[k].verdict = result.verdicts[k];
      const auto& r = entries[g.members[k].entry].stored->record;
      out.by_job[{r.cluster, r.job_id}] = result.verdicts[k];
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

settlement::StepSpan span_of(const records::UsageRecord& r) {
  return {r.cluster + "/" + std::to_string(r.job_id) + "/r" + std::to_string(r.restart_count),
          r.node,
          r.step_id,
          r.start_time,
          r.end_time,
          r.alloc_cores};
}

std::vector<Decision> decide_charges(std::span<const Entry> entries, const ReplicaPolicy& policy) {
  std::vector<Decision> out(entries.size());
  const auto replicas = validate_replicas(entries, policy);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& r = entries[i].stored->record;
    if (r.replica_group.empty()) continue;
    const auto v = replicas.by_job.find({r.cluster, r.job_id});
    if (v == replicas.by_job.end()) {
      out[i].note =
          "charged, flagged: replicated job without a result digest (it cannot be "
          "validated)";
    } else if (v->second == fed::ReplicaVerdict::invalid) {
      out[i] = {false, "replica INVALID in group " + r.replica_group + " (its result disagrees)"};
    } else if (v->second == fed::ReplicaVerdict::pending) {
      const auto& g = replicas.groups.at(r.replica_group);
      out[i].note = "charged, unvalidated: group " + r.replica_group + " has " +
                    std::to_string(g.members.size()) + " replica(s) without a majority of its " +
                    "quorum of " + std::to_string(g.quorum);
    }
  }
  // Conflicts: another signed record claims the same step. The receipted one
  // is charged once (and flagged); the other never is, whatever it says.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].stored->conflict) continue;
    if (!entries[i].receipted)
      out[i] = {false, "conflicting record: another signed record claims this step"};
    else if (out[i].note.empty())
      out[i].note =
          "charged once, flagged: another signed record claims this step (conflict); only "
          "this receipted one is charged";
  }
  // Nested steps: charged through the step that holds their cores.
  std::vector<settlement::StepSpan> spans;
  std::vector<std::size_t> of_span;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].stored->conflict && !entries[i].receipted) continue;
    spans.push_back(span_of(entries[i].stored->record));
    of_span.push_back(i);
  }
  const auto cover = settlement::covering_steps(spans);
  for (std::size_t k = 0; k < spans.size(); ++k) {
    auto& d = out[of_span[k]];
    if (!cover[k] || !d.charged) continue;
    d = {false, "runs inside step " + records::step_name(spans[*cover[k]].step_id) + " on " +
                    spans[k].node + ", which is charged for these cores"};
  }
  return out;
}

}  // namespace basin::books
