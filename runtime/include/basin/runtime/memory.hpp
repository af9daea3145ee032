// Memory before allocation: what a rank may use, and a refusal (with the
// estimate, the limit and where it comes from) when a run would not fit,
// instead of an OOM kill or a bare std::bad_alloc half way through.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>

#include "basin/runtime/decomposition.hpp"

namespace basin::runtime {

struct MemoryLimit {
  std::uint64_t bytes = 0;  // for the whole node (all ranks on it)
  std::string source;       // "MemAvailable", "cgroup memory limit", "SLURM_MEM_PER_NODE", ...
};

// The least of /proc/meminfo's MemAvailable, the cgroup's memory limit minus
// its usage (v2 memory.max or v1 memory.limit_in_bytes), SLURM_MEM_PER_NODE
// and SLURM_MEM_PER_CPU x the CPUs of the node's tasks (MB values).
// `ranks_on_node` is used for the per-CPU limit.
MemoryLimit available_memory(int ranks_on_node);

// Bytes of `fields` double fields over `local` with `halo` cells on each side.
std::uint64_t field_bytes(const Box& local, int halo, int fields);

// Collective. Throws std::invalid_argument on every rank when some rank's
// `bytes` times its node's rank count exceeds its node's available memory;
// the message gives the estimate, the limit and its source, `what` (what the
// estimate holds) and `advice`.
void refuse_if_memory_short(std::uint64_t bytes, const std::string& what, const std::string& advice,
                            MPI_Comm comm);

std::string bytes_text(std::uint64_t bytes);  // "1.5 GiB"

}  // namespace basin::runtime
