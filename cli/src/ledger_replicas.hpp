// Replica validation over the ledger's records, shared by `ledger validate`
// (which shows it) and `ledger settle` (which credits only valid replicas).
//
// Jobs submitted with --basin-replicas=N carry a replica group and, when they
// ran `basin run`, the runtime's result digest. Each job counts as one
// replica: its latest run's digest-carrying record that ended last (the batch
// step, which outlives the job's srun steps). The quorum rule (BOINC's
// min_quorum = N) decides. Everything is derived from the stored, signed
// records, so it is the same every time and on every copy of the ledger.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "basin/federation/quorum.hpp"
#include "basin/ledger/ledger.hpp"

namespace basin::cli {

struct ReplicaOf {
  const ledger::StoredRecord* record = nullptr;  // the record standing for the job
  federation::ReplicaVerdict verdict = federation::ReplicaVerdict::pending;
};

struct ReplicaGroup {
  std::vector<ReplicaOf> members;
  unsigned quorum = 1;
  bool canonical = false;
};

struct LedgerReplicas {
  std::map<std::string, ReplicaGroup> groups;  // by replica group
  std::map<std::string, federation::NodeReliability> nodes;
  // (cluster, job id) -> verdict, for every replicated job with a digest.
  std::map<std::pair<std::string, std::uint32_t>, federation::ReplicaVerdict> by_job;
};

LedgerReplicas validate_ledger_replicas(const std::vector<ledger::StoredRecord>& records);

}  // namespace basin::cli
