// Test helper: writes N signed usage records of one node, with the usage a
// real step would report (cores, memory, start/end), to DIR.
//   make_usage KEYFILE DIR N NODE SITE ACCOUNT [FIRST_JOB]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "basin/records/durable_file.hpp"
#include "basin/records/signing.hpp"

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    std::fprintf(stderr, "usage: make_usage KEYFILE DIR N NODE SITE ACCOUNT [FIRST_JOB]\n");
    return 2;
  }
  const auto key = basin::records::NodeKey::load(argv[1], false);
  const long n = std::strtol(argv[3], nullptr, 10);
  const long first = argc == 8 ? std::strtol(argv[7], nullptr, 10) : 1;
  for (long j = first; j < first + n; ++j) {
    basin::records::UsageRecord r;
    r.cluster = "basin";
    r.job_id = static_cast<std::uint32_t>(j);
    r.step_id = basin::records::kBatchStep;
    r.submit_time = 1795000000 + j;
    r.start_time = r.submit_time + 5;
    r.end_time = r.start_time + 60 + j;
    r.node = argv[4];
    r.site = argv[5];
    r.account = argv[6];
    r.tier = "volunteer";
    r.requested_tier = "any";
    r.alloc_cores = 2;
    r.alloc_mem_mb = 1000;
    r.cpu_user_us = static_cast<std::uint64_t>(j) * 1000000;
    r.task_exit_status = {0};
    r.step_state = "completed";
    r.result_digest = "sha256:" + std::to_string(j);
    basin::records::write_file_durably(
        argv[2], std::to_string(j) + ".batch.r0." + std::string(argv[4]) + ".basinrec",
        basin::records::sign_record(r, key));
  }
  return 0;
}
