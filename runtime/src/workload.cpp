#include "basin/runtime/workload.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "basin/runtime/memory.hpp"

namespace basin::runtime {
namespace {
std::vector<WorkloadInfo>& registry() {
  static std::vector<WorkloadInfo> r;
  return r;
}
}  // namespace

std::unique_ptr<OutputFile> Workload::open_own_output(const OwnOutputTarget&) {
  throw std::logic_error("this workload has no output of its own (WorkloadInfo::own_output)");
}

std::vector<std::string> Workload::description() const {
  const auto& g = decomposition().global().n;
  const auto& p = decomposition().process_grid();
  char line[160];
  std::snprintf(line, sizeof line, "grid %d x %d x %d (z, y, x) over a %d x %d x %d process grid",
                g[0], g[1], g[2], p[0], p[1], p[2]);
  return {line};
}

Workload::Work Workload::work_per_step() const {
  return {double(decomposition().global().cells()), "cell updates"};
}

std::vector<ParamSpec> grid_params(int points) {
  const std::string n = std::to_string(points);
  std::vector<ParamSpec> g;
  for (const char* axis : {"x", "y", "z"})
    g.push_back({std::string("n") + axis,
                 ParamKind::integer,
                 n,
                 "points",
                 std::string("interior grid points along ") + axis,
                 {},
                 1,
                 1 << 20});
  g.push_back({"split_dims",
               ParamKind::integer,
               "2",
               "",
               "dimensions the ranks split: 1 (z), 2 (z, y) or 3 (z, y, x); results do not "
               "depend on it",
               {},
               1,
               3,
               false});
  return g;
}

Extent grid_extent(const Params& p) {
  return Extent{{int(p.integer("nz")), int(p.integer("ny")), int(p.integer("nx"))}};
}

MemoryEstimate grid_memory(const Decomposition& dec, int fields, int halo,
                           const std::string& field_names) {
  const Box& b = dec.local();
  std::uint64_t faces = 0;
  for (int d = 0; d < 3; ++d) {
    std::uint64_t face = std::uint64_t(halo);
    for (int e = 0; e < 3; ++e)
      if (e != d) face *= std::uint64_t(b.size[e] + 2 * halo);
    faces += 4 * face;  // send and receive, both sides
  }
  const std::uint64_t block = std::uint64_t(b.size[0]) * std::uint64_t(b.size[1]) *
                              std::uint64_t(b.size[2]) * sizeof(double);
  return {field_bytes(b, halo, fields) + faces * sizeof(double) + block,
          std::to_string(fields) + " field(s) " + field_names + " of " + std::to_string(b.size[0]) +
              " x " + std::to_string(b.size[1]) + " x " + std::to_string(b.size[2]) +
              " cells with halos, halo buffers and one output block"};
}

std::array<Axis, 3> point_axes(const Extent& grid, const std::array<double, 3>& spacing,
                               const std::string& units) {
  std::array<Axis, 3> axes;
  const std::array<std::string, 3> names{"z", "y", "x"};
  for (int d = 0; d < 3; ++d) {
    axes[d].name = names[d];
    axes[d].units = units;
    axes[d].long_name = "grid point " + names[d];
    for (int i = 0; i < grid.n[d]; ++i) axes[d].values.push_back((i + 1) * spacing[d]);
  }
  return axes;
}

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
