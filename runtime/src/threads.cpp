#include "basin/runtime/threads.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "basin/common/job_contract.hpp"

namespace basin::runtime {
namespace {

int env_count(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 1 || n > 4096) return 0;  // ignore junk rather than fail a job
  return int(n);
}

}  // namespace

ThreadPlan plan_threads(MPI_Comm comm, int requested) {
  ThreadPlan p;
  cpu_set_t set;
  CPU_ZERO(&set);
  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  p.cores_visible = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : hw;
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int on_node = 1;
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);

  if (requested > 0) {
    p.threads = requested;
    p.source = "--set threads";
  } else if (int n = env_count(contract::kEnvThreads)) {
    p.threads = n;
    p.source = contract::kEnvThreads;
  } else if (int n2 = env_count("SLURM_CPUS_PER_TASK")) {
    p.threads = n2;
    p.source = "SLURM_CPUS_PER_TASK";
  } else if (p.cores_visible < hw) {
    p.threads = p.cores_visible;  // the launcher bound this rank: respect it
    p.source = "the cores this rank is bound to";
  } else {
    p.threads = std::max(1, hw / on_node);
    p.source = "node cores / ranks on the node";
  }
  return p;
}

ThreadArena::ThreadArena(const ThreadPlan& plan)
    : threads_(plan.threads),
      cap_(tbb::global_control::max_allowed_parallelism, std::size_t(plan.threads)),
      arena_(plan.threads) {}

}  // namespace basin::runtime
