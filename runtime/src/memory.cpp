#include "basin/runtime/memory.hpp"

#include "basin/runtime/field.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace basin::runtime {
namespace {

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

// A number from the first line of a file, kUnlimited when absent or "max".
std::uint64_t read_number(const std::string& path) {
  std::ifstream in(path);
  std::string v;
  if (!(in >> v) || v == "max") return kUnlimited;
  try {
    return std::stoull(v);
  } catch (...) {
    return kUnlimited;
  }
}

std::uint64_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return kUnlimited;
}

// The process's cgroup directory for a controller ("" on v2), from /proc/self/cgroup.
std::string cgroup_path(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string ctrls = line.substr(a + 1, b - a - 1);
    if (ctrls == controller || ctrls.find(controller + ",") == 0 ||
        ctrls.find("," + controller) != std::string::npos)
      return line.substr(b + 1);
  }
  return "/";
}

// Limit minus usage of the tightest memory cgroup on the way from ours to the root.
std::uint64_t cgroup_room() {
  std::uint64_t best = kUnlimited;
  auto walk = [&](const std::string& root, std::string path, const char* limit, const char* usage) {
    for (;;) {
      const std::string dir = root + (path == "/" ? "" : path);
      const std::uint64_t l = read_number(dir + "/" + limit);
      if (l != kUnlimited && l < (std::uint64_t(1) << 62)) {
        const std::uint64_t u = read_number(dir + "/" + usage);
        const std::uint64_t room = u == kUnlimited ? l : (u >= l ? 0 : l - u);
        if (room < best) best = room;
      }
      if (path.empty() || path == "/") break;
      const auto cut = path.rfind('/');
      path = cut == 0 || cut == std::string::npos ? "/" : path.substr(0, cut);
    }
  };
  walk("/sys/fs/cgroup", cgroup_path(""), "memory.max", "memory.current");  // v2
  walk("/sys/fs/cgroup/memory", cgroup_path("memory"), "memory.limit_in_bytes",
       "memory.usage_in_bytes");  // v1
  // In a container the v1 hierarchy is often mounted at its own cgroup.
  walk("/sys/fs/cgroup/memory", "/", "memory.limit_in_bytes", "memory.usage_in_bytes");
  return best;
}

std::uint64_t env_mb(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return kUnlimited;
  char* end = nullptr;
  const unsigned long long mb = std::strtoull(v, &end, 10);
  if (end == v || mb == 0) return kUnlimited;  // 0: "all the node's memory"
  return std::uint64_t(mb) << 20;
}

}  // namespace

std::string bytes_text(std::uint64_t b) {
  char t[64];
  const double x = double(b);
  if (x >= double(1ull << 30))
    std::snprintf(t, sizeof t, "%.2f GiB", x / double(1ull << 30));
  else
    std::snprintf(t, sizeof t, "%.1f MiB", x / double(1ull << 20));
  return t;
}

MemoryLimit available_memory(int ranks_on_node) {
  MemoryLimit m{mem_available(), "MemAvailable in /proc/meminfo"};
  auto take = [&](std::uint64_t v, const std::string& src) {
    if (v < m.bytes) m = {v, src};
  };
  take(cgroup_room(), "the cgroup memory limit less its usage");
  take(env_mb("SLURM_MEM_PER_NODE"), "the Slurm job's memory (SLURM_MEM_PER_NODE)");
  const std::uint64_t per_cpu = env_mb("SLURM_MEM_PER_CPU");
  if (per_cpu != kUnlimited) {
    std::uint64_t cpus = 1;
    if (const char* c = std::getenv("SLURM_CPUS_PER_TASK"))
      cpus = std::max(1ull, std::strtoull(c, nullptr, 10));
    take(per_cpu * cpus * std::uint64_t(std::max(ranks_on_node, 1)),
         "the Slurm job's memory (SLURM_MEM_PER_CPU x CPUs)");
  }
  return m;
}

std::uint64_t field_bytes(const Box& local, int halo, int fields) {
  std::uint64_t cells = 1;
  for (int d = 0; d < 2; ++d) cells *= std::uint64_t(local.size[d] + 2 * halo);
  cells *= std::uint64_t(stored_row_length(local.size[2] + 2 * halo));
  return cells * sizeof(double) * std::uint64_t(fields);
}

void refuse_if_memory_short(std::uint64_t bytes, const std::string& what, const std::string& advice,
                            MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int on_node = 1;
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  const MemoryLimit lim = available_memory(on_node);
  const std::uint64_t share = lim.bytes / std::uint64_t(on_node);
  // The worst rank: the largest shortfall decides the message.
  struct {
    double over;
    int rank;
  } mine{bytes > share ? double(bytes) - double(share) : -1.0, rank}, worst{};
  MPI_Allreduce(&mine, &worst, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm);
  if (worst.over <= 0) return;
  std::uint64_t info[3] = {bytes, share, std::uint64_t(on_node)};
  MPI_Bcast(info, 3, MPI_UINT64_T, worst.rank, comm);
  std::string source = lim.source;
  int n = int(source.size());
  MPI_Bcast(&n, 1, MPI_INT, worst.rank, comm);
  source.resize(std::size_t(n));
  MPI_Bcast(source.data(), n, MPI_CHAR, worst.rank, comm);
  std::ostringstream msg;
  msg << "not enough memory: this run needs about " << bytes_text(info[0]) << " per rank (" << what
      << ") but rank " << worst.rank << " may use only " << bytes_text(info[1]) << " (" << source
      << ", shared by " << info[2] << " rank(s) on its node); nothing was allocated. " << advice;
  throw std::invalid_argument(msg.str());
}

}  // namespace basin::runtime
