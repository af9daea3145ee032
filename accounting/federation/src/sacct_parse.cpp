#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>
#include <string>

#include "basin/federation/sacct.hpp"

namespace basin::federation {
namespace {

// Longest field we accept; NodeList of a large job is the only long one.
constexpr std::size_t kMaxField = 16 * 1024;

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  for (;;) {
    const auto next = line.find(sep, pos);
    out.push_back(line.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos) return out;
    pos = next + 1;
  }
}

template <typename T>
T number(std::string_view s, const char* what) {
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) {
    throw std::invalid_argument(std::string(what) + " '" + std::string(s.substr(0, 40)) +
                                "' is not a non-negative integer in range");
  }
  return v;
}

// "123", "123.batch", "12_3", "12_3.0", "12+1": the part before the first
// '.' is the job, after it the step.
void split_job_id(std::string_view id, std::string_view& job, std::string_view& step) {
  const auto dot = id.find('.');
  job = id.substr(0, dot);
  step = dot == std::string_view::npos ? std::string_view{} : id.substr(dot + 1);
}

struct Columns {
  std::map<std::string, std::size_t, std::less<>> index;
  std::optional<std::size_t> find(std::string_view name) const {
    const auto it = index.find(name);
    if (it == index.end()) return std::nullopt;
    return it->second;
  }
};

}  // namespace

std::optional<std::uint32_t> gpus_in_tres(std::string_view tres) {
  std::optional<std::uint64_t> plain, typed;
  for (const auto item : split(tres, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = item.substr(0, eq);
    const bool is_plain = key == "gres/gpu";
    if (!is_plain && !key.starts_with("gres/gpu:")) continue;
    // A count may carry no unit; anything else (e.g. "2K") is refused.
    const auto n = number<std::uint32_t>(item.substr(eq + 1), "gres/gpu count");
    if (n > kMaxTresGpus)
      throw std::invalid_argument("gres/gpu count over " + std::to_string(kMaxTresGpus));
    auto& slot = is_plain ? plain : typed;
    if (is_plain && plain) throw std::invalid_argument("gres/gpu named twice in the TRES");
    slot = slot.value_or(0) + n;
  }
  const auto total = plain ? plain : typed;
  if (!total) return std::nullopt;
  if (*total > kMaxTresGpus)
    throw std::invalid_argument("gres/gpu count over " + std::to_string(kMaxTresGpus));
  return static_cast<std::uint32_t>(*total);
}

SacctExport parse_sacct(std::string_view text, const SacctOptions& options) {
  SacctExport out;
  Columns cols;
  std::size_t header_fields = 0;
  std::optional<std::size_t> c_jobid, c_raw, c_cluster, c_submit, c_start, c_end, c_state, c_cpus,
      c_elapsed, c_totalcpu, c_account, c_nodes, c_restarts, c_tres;

  std::size_t line_no = 0;
  std::size_t pos = 0;
  bool have_header = false;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() > options.max_line_bytes) {
      out.issues.push_back({line_no, "line is " + std::to_string(line.size()) +
                                         " bytes, over the limit of " +
                                         std::to_string(options.max_line_bytes) + "; skipped"});
      continue;
    }
    const auto fields = split(line, '|');
    if (!have_header) {
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (!cols.index.emplace(std::string(fields[i]), i).second) {
          throw std::invalid_argument("sacct header names column '" + std::string(fields[i]) +
                                      "' twice (line " + std::to_string(line_no) + ")");
        }
      }
      header_fields = fields.size();
      c_jobid = cols.find("JobID");
      c_raw = cols.find("JobIDRaw");
      c_cluster = cols.find("Cluster");
      c_submit = cols.find("Submit");
      c_start = cols.find("Start");
      c_end = cols.find("End");
      c_state = cols.find("State");
      c_cpus = cols.find("AllocCPUS");
      c_elapsed = cols.find("ElapsedRaw");
      c_totalcpu = cols.find("TotalCPU");
      c_account = cols.find("Account");
      c_nodes = cols.find("NodeList");
      c_restarts = cols.find("Restarts");
      c_tres = cols.find("AllocTRES");
      std::string missing;
      if (!c_jobid && !c_raw) missing += " JobIDRaw";
      if (!c_cluster) missing += " Cluster";
      if (!c_submit) missing += " Submit";
      if (!c_state) missing += " State";
      if (!c_cpus) missing += " AllocCPUS";
      if (!c_elapsed) missing += " ElapsedRaw";
      if (!missing.empty()) {
        throw std::invalid_argument(
            "sacct export (line " + std::to_string(line_no) +
            ") lacks the header columns:" + missing +
            ". Export with: sacct -P --duplicates --allusers --starttime=... "
            "--format=JobID,JobIDRaw,Cluster,Submit,Start,End,State,AllocCPUS,ElapsedRaw,"
            "TotalCPU,Account,NodeList,Restarts,AllocTRES");
      }
      have_header = true;
      continue;
    }
    if (fields.size() != header_fields) {
      // -P does not escape '|', so a field containing one shifts the rest.
      out.issues.push_back({line_no, "has " + std::to_string(fields.size()) +
                                         " fields, header has " + std::to_string(header_fields) +
                                         " (a '|' inside a field?); skipped"});
      continue;
    }
    try {
      for (const auto f : fields) {
        if (f.size() > kMaxField) throw std::invalid_argument("a field is over 16 KiB");
      }
      SacctRow row;
      row.line = line_no;
      std::string_view job, step;
      // JobIDRaw is the id receipts carry (array task 12_3 has its own raw id).
      if (c_raw) {
        split_job_id(fields[*c_raw], job, step);
      } else {
        split_job_id(fields[*c_jobid], job, step);
        if (job.find_first_of("_+[") != std::string_view::npos) {
          throw std::invalid_argument("array/het job id '" + std::string(job) +
                                      "' needs the JobIDRaw column to be matched");
        }
      }
      row.job = number<std::uint64_t>(job, "job id");
      row.step = std::string(step);
      row.job_id = std::string(c_jobid ? fields[*c_jobid] : fields[*c_raw]);
      row.cluster = std::string(fields[*c_cluster]);
      row.submit = parse_slurm_time(fields[*c_submit], options.utc_offset_seconds);
      if (c_start) row.start = parse_slurm_time(fields[*c_start], options.utc_offset_seconds);
      if (c_end) row.end = parse_slurm_time(fields[*c_end], options.utc_offset_seconds);
      const auto state = fields[*c_state];
      row.state = std::string(state.substr(0, state.find(' ')));  // "CANCELLED by 0"
      row.alloc_cpus = number<std::uint32_t>(fields[*c_cpus], "AllocCPUS");
      row.elapsed_seconds = number<std::uint32_t>(fields[*c_elapsed], "ElapsedRaw");
      if (c_totalcpu && !fields[*c_totalcpu].empty()) {
        row.total_cpu_seconds = parse_slurm_duration(fields[*c_totalcpu]);
      }
      if (c_restarts && !fields[*c_restarts].empty()) {
        row.restarts = number<std::uint32_t>(fields[*c_restarts], "Restarts");
      }
      if (c_account) row.account = std::string(fields[*c_account]);
      if (c_nodes) row.node_list = std::string(fields[*c_nodes]);
      if (c_tres) row.alloc_gpus = gpus_in_tres(fields[*c_tres]);
      out.rows.push_back(std::move(row));
    } catch (const std::invalid_argument& e) {
      out.issues.push_back({line_no, std::string(e.what()) + "; skipped"});
    }
  }
  if (!have_header) {
    throw std::invalid_argument("sacct export is empty: no header line (run sacct with -P)");
  }
  return out;
}

}  // namespace basin::federation
