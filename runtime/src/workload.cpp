#include "basin/runtime/workload.hpp"

#include <algorithm>
#include <stdexcept>

namespace basin::runtime {
namespace {
std::vector<WorkloadInfo>& registry() {
  static std::vector<WorkloadInfo> r;
  return r;
}
}  // namespace

void register_workload(WorkloadInfo info) {
  auto& r = registry();
  if (find_workload(info.name)) throw std::logic_error("workload registered twice: " + info.name);
  r.push_back(std::move(info));
  std::sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

const std::vector<WorkloadInfo>& workloads() {
  return registry();
}

const WorkloadInfo* find_workload(const std::string& name) {
  for (const auto& w : registry())
    if (w.name == name) return &w;
  return nullptr;
}

}  // namespace basin::runtime
