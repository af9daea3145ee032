#include <charconv>
#include <map>
#include <stdexcept>
#include <string>

#include "basin/federation/jobcomp.hpp"

namespace basin::federation {
namespace {

bool starts_key(std::string_view word) {
  const auto eq = word.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    const char c = word[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

std::uint64_t unsigned_field(std::string_view s, const char* what, std::uint64_t max) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v > max) {
    throw std::invalid_argument(std::string(what) + " '" + std::string(s.substr(0, 40)) +
                                "' is not a non-negative integer in range");
  }
  return v;
}

}  // namespace

SacctExport parse_jobcomp(std::string_view text, const SacctOptions& options) {
  SacctExport out;
  std::size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() > options.max_line_bytes) {
      out.issues.push_back(
          {line_no, "line is over " + std::to_string(options.max_line_bytes) + " bytes; skipped"});
      continue;
    }

    std::map<std::string, std::string, std::less<>> kv;
    std::string* last = nullptr;
    std::size_t w = 0;
    while (w < line.size()) {
      const auto sp = line.find(' ', w);
      const auto word = line.substr(w, sp == std::string_view::npos ? sp : sp - w);
      w = sp == std::string_view::npos ? line.size() : sp + 1;
      if (word.empty()) continue;
      if (starts_key(word)) {
        const auto eq = word.find('=');
        last = &kv[std::string(word.substr(0, eq))];
        *last = std::string(word.substr(eq + 1));
      } else if (last != nullptr) {
        *last += ' ';
        *last += word;
      }
    }
    const bool truncated = line.size() >= kJobcompLineLimit - 1 || !kv.count("ExitCode");
    if (truncated) {
      out.issues.push_back({line_no, "record looks truncated (" + std::to_string(line.size()) +
                                         " bytes, no final ExitCode=): Slurm 22.05 cuts "
                                         "jobcomp lines at 1024 bytes; check this job in sacct"});
    }
    try {
      auto get = [&](const char* key) -> const std::string& {
        const auto it = kv.find(key);
        if (it == kv.end()) throw std::invalid_argument(std::string("no ") + key + "=");
        return it->second;
      };
      SacctRow row;
      row.line = line_no;
      row.job_id = get("JobId");
      row.job = unsigned_field(row.job_id, "JobId", UINT64_MAX);
      row.cluster = get("Cluster");
      row.state = get("JobState");
      row.state = row.state.substr(0, row.state.find(' '));
      // jobcomp logs a run when it ends; a run that ends PENDING was requeued
      // (Slurm 22.05 logs the requeued job's new state). Call it what sacct
      // --duplicates calls it.
      if (row.state == "PENDING") row.state = "REQUEUED";
      row.submit = parse_slurm_time(get("SubmitTime"), options.utc_offset_seconds);
      row.start = parse_slurm_time(get("StartTime"), options.utc_offset_seconds);
      row.end = parse_slurm_time(get("EndTime"), options.utc_offset_seconds);
      row.alloc_cpus = unsigned_field(get("ProcCnt"), "ProcCnt", UINT32_MAX);
      if (row.start && row.end) {
        if (*row.end < *row.start) throw std::invalid_argument("EndTime is before StartTime");
        const auto elapsed = static_cast<std::uint64_t>(*row.end - *row.start);
        row.elapsed_seconds = unsigned_field(std::to_string(elapsed), "elapsed", UINT32_MAX);
      }
      if (auto it = kv.find("Account"); it != kv.end()) row.account = it->second;
      if (auto it = kv.find("NodeList"); it != kv.end()) row.node_list = it->second;
      // Tres= is the allocation's TRES; it names gres/gpu only when Slurm
      // tracks it (AccountingStorageTRES=gres/gpu, which needs slurmdbd).
      if (auto it = kv.find("Tres"); it != kv.end()) row.alloc_gpus = gpus_in_tres(it->second);
      out.rows.push_back(std::move(row));
    } catch (const std::invalid_argument& e) {
      out.issues.push_back({line_no, std::string(e.what()) + "; skipped"});
    }
  }
  return out;
}

}  // namespace basin::federation
