// Parser for `sacct -P --duplicates` exports, the Slurm side of reconciliation.
//
// The export is untrusted text (an admin may paste it from another site), so
// every line is checked: field count against the header, field length, number
// ranges. Bad lines become issues naming the line; they never stop the parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace basin::federation {

// One accounting row: a job allocation (step empty) or one of its steps
// (".batch", ".extern", ".0", ...). Times are seconds since the epoch, or
// nullopt for "Unknown"/"None".
struct SacctRow {
  std::size_t line = 0;   // 1-based line in the export
  std::string job_id;     // as printed, e.g. "12_3.batch"
  std::uint64_t job = 0;  // raw job id (JobIDRaw), the id receipts carry
  std::string step;       // empty for the allocation row
  std::string cluster;
  std::optional<std::int64_t> submit, start, end;
  std::string state;  // first word, e.g. "COMPLETED", "REQUEUED", "CANCELLED"
  std::uint64_t alloc_cpus = 0;
  std::uint64_t elapsed_seconds = 0;
  std::optional<double> total_cpu_seconds;  // TotalCPU, if exported
  std::optional<std::uint32_t> restarts;    // Restarts, if exported
  std::string account;
  std::string node_list;

  bool is_step() const { return !step.empty(); }
  // What the allocation was charged for: cores held for the elapsed time.
  std::uint64_t core_seconds() const { return alloc_cpus * elapsed_seconds; }
};

struct ParseIssue {
  std::size_t line = 0;
  std::string message;
};

struct SacctExport {
  std::vector<SacctRow> rows;
  std::vector<ParseIssue> issues;
};

struct SacctOptions {
  // sacct prints local time without an offset; this is the site's offset
  // from UTC in seconds (east positive) at export time.
  std::int64_t utc_offset_seconds = 0;
  std::size_t max_line_bytes = 64 * 1024;
};

// Parses an export. The first non-empty line must be the header naming the
// columns (`sacct -P` prints it); JobID or JobIDRaw, Cluster, Submit, State,
// AllocCPUS and ElapsedRaw are required, the rest optional. Throws
// std::invalid_argument only when the header itself is unusable.
SacctExport parse_sacct(std::string_view text, const SacctOptions& options = {});

// "2026-11-22T10:11:23" (local) -> epoch seconds using the offset; nullopt
// for "Unknown", "None" or empty; throws std::invalid_argument otherwise.
std::optional<std::int64_t> parse_slurm_time(std::string_view text,
                                             std::int64_t utc_offset_seconds);

// TotalCPU style "[DD-][HH:]MM:SS[.mmm]" -> seconds; throws on bad input.
double parse_slurm_duration(std::string_view text);

}  // namespace basin::federation
