#include "basin/records/usage_record.hpp"

#include "byte_codec.hpp"

namespace basin::records {

using detail::ByteReader;
using detail::ByteWriter;

std::vector<std::uint8_t> encode(const UsageRecord& r) {
  if (r.version < kOldestRecordVersion || r.version > kRecordVersion)
    throw RecordError("cannot encode record version " + std::to_string(r.version));
  if (r.alloc_gpus > kMaxGpus)
    throw RecordError("alloc_gpus " + std::to_string(r.alloc_gpus) + " is more than " +
                      std::to_string(kMaxGpus));
  if (r.version < 2 && r.alloc_gpus != 0) throw RecordError("a version 1 record cannot carry GPUs");
  if (r.task_exit_status.size() > kMaxTasks)
    throw RecordError("more than " + std::to_string(kMaxTasks) + " task exit statuses");
  ByteWriter w;
  w.put<std::uint16_t>(r.version);
  w.put_string(r.cluster, "cluster");
  w.put<std::uint32_t>(r.job_id);
  w.put<std::uint32_t>(r.step_id);
  w.put<std::uint32_t>(r.array_job_id);
  w.put<std::uint32_t>(r.array_task_id);
  w.put<std::uint32_t>(r.restart_count);
  w.put<std::int64_t>(r.submit_time);
  w.put<std::int64_t>(r.start_time);
  w.put<std::int64_t>(r.end_time);
  w.put<std::uint32_t>(r.uid);
  w.put_string(r.account, "account");
  w.put_string(r.node, "node");
  w.put_string(r.site, "site");
  w.put_string(r.tier, "tier");
  w.put_string(r.requested_tier, "requested_tier");
  w.put<std::uint32_t>(r.alloc_cores);
  w.put<std::uint64_t>(r.alloc_mem_mb);
  if (r.version >= 2) w.put<std::uint32_t>(r.alloc_gpus);
  w.put<std::uint64_t>(r.cpu_user_us);
  w.put<std::uint64_t>(r.cpu_system_us);
  w.put<std::uint64_t>(r.max_rss_kb);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(r.task_exit_status.size()));
  for (auto s : r.task_exit_status) w.put<std::int32_t>(s);
  w.put_string(r.replica_group, "replica_group");
  w.put<std::uint8_t>(r.replicas);
  w.put_string(r.step_state, "step_state");
  w.put_string(r.result_digest, "result_digest");
  return w.take();
}

UsageRecord decode(std::span<const std::uint8_t> bytes) {
  ByteReader in(bytes);
  UsageRecord r;
  r.version = in.get<std::uint16_t>("version");
  if (r.version < kOldestRecordVersion || r.version > kRecordVersion)
    throw RecordError("unsupported record version " + std::to_string(r.version) +
                      " (this Basin reads versions " + std::to_string(kOldestRecordVersion) + ".." +
                      std::to_string(kRecordVersion) + ")");
  r.cluster = in.get_string("cluster");
  r.job_id = in.get<std::uint32_t>("job_id");
  r.step_id = in.get<std::uint32_t>("step_id");
  r.array_job_id = in.get<std::uint32_t>("array_job_id");
  r.array_task_id = in.get<std::uint32_t>("array_task_id");
  r.restart_count = in.get<std::uint32_t>("restart_count");
  r.submit_time = in.get<std::int64_t>("submit_time");
  r.start_time = in.get<std::int64_t>("start_time");
  r.end_time = in.get<std::int64_t>("end_time");
  r.uid = in.get<std::uint32_t>("uid");
  r.account = in.get_string("account");
  r.node = in.get_string("node");
  r.site = in.get_string("site");
  r.tier = in.get_string("tier");
  r.requested_tier = in.get_string("requested_tier");
  r.alloc_cores = in.get<std::uint32_t>("alloc_cores");
  r.alloc_mem_mb = in.get<std::uint64_t>("alloc_mem_mb");
  if (r.version >= 2) {
    r.alloc_gpus = in.get<std::uint32_t>("alloc_gpus");
    if (r.alloc_gpus > kMaxGpus)
      throw RecordError("alloc_gpus " + std::to_string(r.alloc_gpus) + " is more than " +
                        std::to_string(kMaxGpus));
  }
  r.cpu_user_us = in.get<std::uint64_t>("cpu_user_us");
  r.cpu_system_us = in.get<std::uint64_t>("cpu_system_us");
  r.max_rss_kb = in.get<std::uint64_t>("max_rss_kb");
  const auto ntasks = in.get<std::uint32_t>("task count");
  // Bound the count before allocating: a hostile record cannot make us
  // reserve gigabytes.
  if (ntasks > kMaxTasks || ntasks * 4ull > in.remaining())
    throw RecordError("task count " + std::to_string(ntasks) + " is impossible");
  r.task_exit_status.reserve(ntasks);
  for (std::uint32_t i = 0; i < ntasks; ++i)
    r.task_exit_status.push_back(in.get<std::int32_t>("task_exit_status"));
  r.replica_group = in.get_string("replica_group");
  r.replicas = in.get<std::uint8_t>("replicas");
  r.step_state = in.get_string("step_state");
  r.result_digest = in.get_string("result_digest");
  if (in.remaining() != 0)
    throw RecordError(std::to_string(in.remaining()) + " trailing bytes after the record");
  if (r.end_time < r.start_time) throw RecordError("end_time is before start_time");
  if (r.replicas < 1 || r.replicas > 5) throw RecordError("replicas must be 1..5");
  return r;
}

std::string step_name(std::uint32_t step_id) {
  switch (step_id) {
    case kBatchStep:
      return "batch";
    case kExternStep:
      return "extern";
    case kInteractiveStep:
      return "interactive";
    default:
      return std::to_string(step_id);
  }
}

std::string identity(const UsageRecord& r) {
  return r.cluster + "/" + std::to_string(r.job_id) + "." + step_name(r.step_id) + "/r" +
         std::to_string(r.restart_count) + "/" + r.node;
}

}  // namespace basin::records
