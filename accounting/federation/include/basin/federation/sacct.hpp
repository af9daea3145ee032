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
  // GPUs of the allocation from its TRES (sacct AllocTRES, jobcomp Tres=):
  // gres/gpu=N, or the sum of typed gres/gpu:TYPE=N. nullopt when the TRES
  // names no GPU at all: Slurm lists gres/gpu only when it tracks it
  // (AccountingStorageTRES=gres/gpu, which needs slurmdbd), so absence alone
  // does not mean 0 (see reconcile()).
  std::optional<std::uint32_t> alloc_gpus;

  bool is_step() const { return !step.empty(); }
  // What the allocation was charged for: cores held for the elapsed time.
  std::uint64_t core_seconds() const { return alloc_cpus * elapsed_seconds; }
  // GPUs held for the elapsed time (0 when the TRES names no GPU).
  std::uint64_t gpu_seconds() const { return alloc_gpus.value_or(0) * elapsed_seconds; }
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
// AllocCPUS and ElapsedRaw are required, the rest optional (AllocTRES gives
// alloc_gpus). Throws
// std::invalid_argument only when the header itself is unusable.
SacctExport parse_sacct(std::string_view text, const SacctOptions& options = {});

// "2026-11-22T10:11:23" (local) -> epoch seconds using the offset; nullopt
// for "Unknown", "None" or empty; throws std::invalid_argument otherwise.
std::optional<std::int64_t> parse_slurm_time(std::string_view text,
                                             std::int64_t utc_offset_seconds);

// The GPU count in a TRES string such as "cpu=2,mem=1G,node=1,gres/gpu=2"
// (or "...,gres/gpu:a100=1,gres/gpu:v100=1" when only typed counts appear);
// nullopt when it names no gres/gpu; throws std::invalid_argument for a
// malformed count or more than kMaxTresGpus.
inline constexpr std::uint32_t kMaxTresGpus = 1u << 20;
std::optional<std::uint32_t> gpus_in_tres(std::string_view tres);

// TotalCPU style "[DD-][HH:]MM:SS[.mmm]" -> seconds; throws on bad input.
double parse_slurm_duration(std::string_view text);

}  // namespace basin::federation
