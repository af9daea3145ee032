// The charging rule: which of a period's usage records are charged, and why
// a record is not, or is charged with a flag.
//
// Every step that ran is charged to the account Slurm holds for its job.
// Only two things make a step uncharged:
//   - its job is a replica that a quorum of other replicas shows wrong
//     (INVALID): the disagreeing result earns nothing;
//   - it runs inside another step of the same job run on the same node
//     (settlement::covering_steps), which is charged for those cores.
// Nothing a user chooses makes a job free. A replica group that has not
// reached its quorum when the period closes is charged and flagged
// "unvalidated"; a replicated job that left no result digest is charged and
// flagged. The quorum comes from pool policy (pool.toml [policy]
// replica_quorum, or the account's own replica_quorum), never from the
// job's --basin-replicas, which only says the job is one of a group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "basin/federation/pool.hpp"
#include "basin/federation/quorum.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/settlement/settlement.hpp"

namespace basin::books {

// How many agreeing replicas make a result canonical, by account.
struct ReplicaPolicy {
  unsigned default_quorum = 2;
  std::map<std::string, unsigned> by_account;
  unsigned quorum_for(const std::string& account) const;
};
ReplicaPolicy replica_policy_of(const federation::Pool& pool);

// A stored record and the account Slurm charged for its job (the receipt's
// account; before a receipt exists, the caller's best knowledge).
struct Entry {
  const ledger::StoredRecord* stored = nullptr;
  std::string account;
  bool receipted = false;  // the record has a receipt in the log
};

// One entry per record, with the account Slurm charged for its job: its
// receipt's (fixed at issue from Slurm's accounting), or the record's own
// claim while it has no receipt.
std::vector<Entry> entries_of(const std::vector<ledger::StoredRecord>& records,
                              const std::vector<ledger::StoredReceipt>& receipts);

struct ReplicaMember {
  std::size_t entry = 0;  // index into the entries given
  federation::ReplicaVerdict verdict = federation::ReplicaVerdict::pending;
};

struct ReplicaGroup {
  std::vector<ReplicaMember> members;  // one per job (its latest run)
  unsigned quorum = 2;                 // from policy
  bool canonical = false;
};

using JobKey = std::pair<std::string, std::uint32_t>;  // (cluster, job id)

struct Replicas {
  std::map<std::string, ReplicaGroup> groups;  // by replica group
  std::map<std::string, federation::NodeReliability> nodes;
  std::map<JobKey, federation::ReplicaVerdict> by_job;  // replicated jobs with a digest
};

// Each replicated job counts once: its latest run's digest-carrying record
// that ended last (the batch step outlives the job's srun steps). Records in
// conflict take no part. Deterministic: derived from signed records only.
Replicas validate_replicas(std::span<const Entry> entries, const ReplicaPolicy& policy);

struct Decision {
  bool charged = true;
  // Not charged: why. Charged: a flag for the statement ("unvalidated ...",
  // "no result digest ..."), or empty.
  std::string note;
};

// One decision per entry, in order. Entries in conflict are decided like the
// others (the caller skips them before issuing), with one difference: a
// record in conflict that has a receipt is the one the books charge for its
// step, so it still covers (or is covered by) the job's other steps, and is
// flagged; one without a receipt takes no part, and is never charged.
std::vector<Decision> decide_charges(std::span<const Entry> entries, const ReplicaPolicy& policy);

// The charging rule's view of a record (settlement's step-nesting rule).
settlement::StepSpan span_of(const records::UsageRecord& record);

}  // namespace basin::books
