#include "basin/federation/quorum.hpp"

#include <set>
#include <stdexcept>

namespace basin::federation {

ValidationResult validate_replicas(const std::vector<Replica>& replicas, unsigned min_quorum) {
  if (min_quorum == 0) {
    throw std::invalid_argument("min_quorum must be at least 1 (BOINC's default is 2)");
  }
  std::map<std::string, std::vector<std::size_t>> by_group;
  for (std::size_t i = 0; i < replicas.size(); ++i) by_group[replicas[i].group].push_back(i);

  ValidationResult out;
  out.verdicts.assign(replicas.size(), ReplicaVerdict::pending);
  for (const auto& [group, members] : by_group) {
    GroupOutcome g;
    g.group = group;
    g.replica_index = members;

    // Only a node's first replica votes; duplicates from the same node are
    // invalid whatever they say.
    std::set<std::string> seen_nodes;
    std::vector<std::size_t> voters;
    std::vector<std::size_t> repeats;
    for (std::size_t i : members) {
      if (seen_nodes.insert(replicas[i].node).second) {
        voters.push_back(i);
      } else {
        repeats.push_back(i);
      }
    }

    std::map<std::string, unsigned> votes;
    for (std::size_t i : voters) ++votes[replicas[i].result];
    std::string best;
    unsigned best_votes = 0;
    bool tie = false;
    for (const auto& [result, n] : votes) {
      if (n > best_votes) {
        best = result;
        best_votes = n;
        tie = false;
      } else if (n == best_votes) {
        tie = true;
      }
    }
    const bool decided = voters.size() >= min_quorum && best_votes >= min_quorum / 2 + 1 && !tie;
    if (decided) {
      g.state = GroupState::canonical;
      g.canonical_result = best;
      for (std::size_t i : voters) {
        out.verdicts[i] =
            replicas[i].result == best ? ReplicaVerdict::valid : ReplicaVerdict::invalid;
      }
      for (std::size_t i : repeats) out.verdicts[i] = ReplicaVerdict::invalid;
    }
    for (std::size_t i : members) {
      g.verdicts.push_back(out.verdicts[i]);
      NodeReliability& r = out.nodes[replicas[i].node];
      switch (out.verdicts[i]) {
        case ReplicaVerdict::valid:
          ++r.valid;
          break;
        case ReplicaVerdict::invalid:
          ++r.invalid;
          break;
        case ReplicaVerdict::pending:
          ++r.pending;
          break;
      }
    }
    out.groups.push_back(std::move(g));
  }
  return out;
}

}  // namespace basin::federation
