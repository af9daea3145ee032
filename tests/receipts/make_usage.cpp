// Test helper: writes N signed usage records of one node, with the usage a
// real step would report (cores, memory, start/end), to DIR; with SACCT, also
// appends Slurm's side of those jobs to an `sacct -P` export (header first
// when the file is new), charged to SLURM_ACCOUNT (default: ACCOUNT).
//   make_usage KEYFILE DIR N NODE SITE ACCOUNT [FIRST_JOB [SACCT [SLURM_ACCOUNT]]]
// Optional environment, for the ledger's defence tests:
//   MAKE_USAGE_STEP=S        write step S (a number) instead of the batch step
//   MAKE_USAGE_START_DELTA=D start D seconds later than the batch step would
//   MAKE_USAGE_END_DELTA=D   end D seconds later than the batch step would
//   MAKE_USAGE_CPU_EXTRA=U   add U us of CPU (another record, same identity)
//   MAKE_USAGE_REPLICA=G     replica group G
//   MAKE_USAGE_DIGEST=D      result digest D (default sha256:<job>)
//   MAKE_USAGE_SHIFT=S       every time (and Slurm's) S seconds later (negative: earlier)
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include "basin/common/durable_file.hpp"
#include "basin/records/signing.hpp"

int main(int argc, char** argv) {
  if (argc < 7 || argc > 10) {
    std::fprintf(stderr,
                 "usage: make_usage KEYFILE DIR N NODE SITE ACCOUNT [FIRST_JOB [SACCT "
                 "[SLURM_ACCOUNT]]]\n");
    return 2;
  }
  std::unique_ptr<FILE, int (*)(FILE*)> sacct(nullptr, std::fclose);
  if (argc >= 9) {
    struct stat st {};
    const bool fresh = stat(argv[8], &st) != 0 || st.st_size == 0;
    sacct.reset(std::fopen(argv[8], "a"));
    if (!sacct) return 2;
    if (fresh)
      std::fputs("JobIDRaw|Cluster|Account|Submit|Start|End|State|AllocCPUS|ElapsedRaw\n",
                 sacct.get());
  }
  const std::string slurm_account = argc == 10 ? argv[9] : argv[6];
  auto local = [](std::int64_t t) {  // sacct prints local time without offset
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return std::string(buf);
  };
  auto env = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v && *v ? v : fallback);
  };
  const std::string step = env("MAKE_USAGE_STEP", "batch");
  const long start_delta = std::strtol(env("MAKE_USAGE_START_DELTA", "0").c_str(), nullptr, 10);
  const long end_delta = std::strtol(env("MAKE_USAGE_END_DELTA", "0").c_str(), nullptr, 10);
  const long shift = std::strtol(env("MAKE_USAGE_SHIFT", "0").c_str(), nullptr, 10);
  const long cpu_extra = std::strtol(env("MAKE_USAGE_CPU_EXTRA", "0").c_str(), nullptr, 10);
  const auto key = basin::records::NodeKey::load(argv[1], false);
  const long n = std::strtol(argv[3], nullptr, 10);
  const long first = argc >= 8 ? std::strtol(argv[7], nullptr, 10) : 1;
  for (long j = first; j < first + n; ++j) {
    basin::records::UsageRecord r;
    r.cluster = "basin";
    r.job_id = static_cast<std::uint32_t>(j);
    r.step_id =
        step == "batch" ? basin::records::kBatchStep : static_cast<std::uint32_t>(std::stoul(step));
    r.submit_time = 1795000000 + shift + j;
    r.start_time = r.submit_time + 5;
    r.end_time = r.start_time + 60 + j + end_delta;
    r.start_time += start_delta;
    r.node = argv[4];
    r.site = argv[5];
    r.account = argv[6];
    r.tier = "volunteer";
    r.requested_tier = "any";
    r.alloc_cores = 2;
    r.alloc_mem_mb = 1000;
    r.cpu_user_us = static_cast<std::uint64_t>(j) * 1000000 + static_cast<std::uint64_t>(cpu_extra);
    r.task_exit_status = {0};
    r.step_state = "completed";
    r.result_digest = env("MAKE_USAGE_DIGEST", ("sha256:" + std::to_string(j)).c_str());
    r.replica_group = env("MAKE_USAGE_REPLICA", "");
    if (!r.replica_group.empty()) r.replicas = 3;
    basin::common::write_file_durably(
        argv[2], std::to_string(j) + "." + step + ".r0." + std::string(argv[4]) + ".basinrec",
        basin::records::sign_record(r, key));
    if (sacct)
      std::fprintf(sacct.get(), "%u|%s|%s|%s|%s|%s|COMPLETED|%u|%lld\n", r.job_id,
                   r.cluster.c_str(), slurm_account.c_str(), local(r.submit_time).c_str(),
                   local(r.start_time).c_str(), local(r.end_time).c_str(), r.alloc_cores,
                   static_cast<long long>(r.end_time - r.start_time));
  }
  return 0;
}
