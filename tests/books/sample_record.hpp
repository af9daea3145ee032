// A usage record for the books' tests: job `job`'s step on node n1 of site
// uni for account lab, 90 s on 2 cores with 100 MB (2026-11-18).
#pragma once

#include "basin/records/usage_record.hpp"

namespace basin::books::test {

inline records::UsageRecord sample_record(std::uint32_t job,
                                          std::uint32_t step = records::kBatchStep) {
  records::UsageRecord r;
  r.cluster = "c";
  r.job_id = job;
  r.step_id = step;
  r.submit_time = 1795000000;
  r.start_time = 1795000010;
  r.end_time = 1795000100;
  r.node = "n1";
  r.site = "uni";
  r.account = "lab";
  r.alloc_cores = 2;
  r.alloc_mem_mb = 100;
  r.step_state = "completed";
  return r;
}

}  // namespace basin::books::test
