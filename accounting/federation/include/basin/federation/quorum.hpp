// Replica validation for volunteer work, with BOINC's min_quorum semantics.
//
// Volunteer nodes are not trusted to report honest results, so a work unit
// runs as several replicas on different nodes. A result becomes canonical
// when a majority of the quorum agrees on it; replicas that disagree are
// marked invalid and earn no credit; a group that cannot yet decide waits.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace basin::federation {

struct Replica {
  std::string group;   // work unit the replica belongs to
  std::string node;    // node that ran it
  std::string result;  // digest of its output; equal digests mean agreement
};

enum class ReplicaVerdict { valid, invalid, pending };
enum class GroupState { canonical, pending };

struct GroupOutcome {
  std::string group;
  GroupState state = GroupState::pending;
  std::string canonical_result;            // empty while pending
  std::vector<ReplicaVerdict> verdicts;    // one per replica of the group, input order
  std::vector<std::size_t> replica_index;  // their positions in the input
};

struct NodeReliability {
  std::uint64_t valid = 0;
  std::uint64_t invalid = 0;
  std::uint64_t pending = 0;
  friend bool operator==(const NodeReliability&, const NodeReliability&) = default;
};

struct ValidationResult {
  std::vector<GroupOutcome> groups;      // sorted by group name
  std::vector<ReplicaVerdict> verdicts;  // per input replica
  std::map<std::string, NodeReliability> nodes;
};

// Validates replicas grouped by `group`.
//
// A group with fewer than `min_quorum` replicas stays pending. Otherwise the
// result reported by the most replicas becomes canonical if at least
// min_quorum / 2 + 1 replicas report it (a strict majority of the quorum) and
// no other result has as many; replicas that agree are valid, others invalid.
// Without such a result the group stays pending: more replicas must be sent.
// One node's replicas in a group count once (a node cannot out-vote others by
// reporting twice); its extra replicas are invalid. Throws
// std::invalid_argument when min_quorum is 0.
ValidationResult validate_replicas(const std::vector<Replica>& replicas, unsigned min_quorum);

}  // namespace basin::federation
