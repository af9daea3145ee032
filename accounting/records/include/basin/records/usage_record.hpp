// The usage record: what one node reports about one job step.
//
// A record is written by the SPANK plugin inside slurmstepd when a step ends,
// signed with the node's Ed25519 key (see signing.hpp), and later ingested by
// the ledger. Its byte encoding is canonical: one record has exactly one
// encoding, so its hash identifies it and a signature covers every field.
//
// Encoding (version 2), all integers little-endian:
//   u16 version
//   str cluster, u32 job_id, u32 step_id, u32 array_job_id, u32 array_task_id,
//   u32 restart_count, i64 submit_time, i64 start_time, i64 end_time, u32 uid,
//   str account, str node, str site, str tier, str requested_tier,
//   u32 alloc_cores, u64 alloc_mem_mb, u32 alloc_gpus, u64 cpu_user_us,
//   u64 cpu_system_us, u64 max_rss_kb, u32 n, n x i32 task_exit_status,
//   str replica_group, u8 replicas, str step_state, str result_digest
// where str = u16 length + bytes (UTF-8, no NUL, at most kMaxString bytes).
//
// Version 1 is the same without u32 alloc_gpus. Version 1 records (written
// before GPUs were recorded) still decode, with alloc_gpus = 0 and version = 1,
// and encode() writes them back as version 1 byte for byte, so their
// signatures and hashes in existing ledgers still verify. A version 1 record
// cannot carry GPUs (encode refuses alloc_gpus != 0 with version 1).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace basin::records {

inline constexpr std::uint16_t kRecordVersion = 2;        // what encode() writes by default
inline constexpr std::uint16_t kOldestRecordVersion = 1;  // the oldest decode() reads
inline constexpr std::uint32_t kMaxGpus = 64;             // per node and step
inline constexpr std::size_t kMaxString = 256;
inline constexpr std::size_t kMaxTasks = 4096;

// Slurm's special step ids (slurm.h): the batch script and the extern step.
inline constexpr std::uint32_t kBatchStep = 0xfffffffb;
inline constexpr std::uint32_t kExternStep = 0xfffffffc;
inline constexpr std::uint32_t kInteractiveStep = 0xfffffffa;

struct UsageRecord {
  std::uint16_t version = kRecordVersion;
  std::string cluster;
  std::uint32_t job_id = 0;
  std::uint32_t step_id = 0;
  std::uint32_t array_job_id = 0;   // 0 when the job is not an array task
  std::uint32_t array_task_id = 0;  // meaningful only with array_job_id
  std::uint32_t restart_count = 0;  // how often Slurm requeued the job
  std::int64_t submit_time = 0;     // Unix seconds; 0 when unknown
  std::int64_t start_time = 0;      // when the step started on this node
  std::int64_t end_time = 0;        // when the step ended on this node
  std::uint32_t uid = 0;
  std::string account;         // the credit account charged
  std::string node;            // Slurm node name
  std::string site;            // the node's site (plugstack site=)
  std::string tier;            // the node's tier: institutional | volunteer
  std::string requested_tier;  // what the job asked: institutional | volunteer | any
  std::uint32_t alloc_cores = 0;
  std::uint64_t alloc_mem_mb = 0;
  std::uint32_t alloc_gpus = 0;                // GPUs of the step on this node (0..kMaxGpus)
  std::uint64_t cpu_user_us = 0;               // CPU time of the step's tasks, user
  std::uint64_t cpu_system_us = 0;             // and system, microseconds
  std::uint64_t max_rss_kb = 0;                // peak resident set of the largest task
  std::vector<std::int32_t> task_exit_status;  // wait(2) status per local task
  std::string replica_group;                   // empty when the job is not replicated
  std::uint8_t replicas = 1;
  std::string step_state;     // completed | failed | killed:<signal> | refused
  std::string result_digest;  // "<algorithm>:<hex>" written by the runtime, or empty

  bool operator==(const UsageRecord&) const = default;
};

class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Canonical encoding. encode() throws RecordError for a field out of bounds.
std::vector<std::uint8_t> encode(const UsageRecord& record);
// Strict decoding: every length is checked before use, trailing bytes and
// unknown versions are refused. Throws RecordError naming the problem.
UsageRecord decode(std::span<const std::uint8_t> bytes);

// The identity under which the ledger stores a record: one per node, step and
// run of a job. Two different records with one identity are a conflict.
std::string identity(const UsageRecord& record);

// "batch", "extern", "interactive" or the number.
std::string step_name(std::uint32_t step_id);

}  // namespace basin::records
