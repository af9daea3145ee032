// What a signed record may claim. A node's signature says which node wrote a
// record, not that its figures are possible: a node with a bug (or an owner
// who edits the plugin) can sign an end time of 2^62 or a terabyte of memory,
// and one such record must not stop a site's books. Ingest runs these checks
// and sets a failing record aside (the ledger's quarantine) with the reason.
//
// Strings in a record come from the node and, through the job name, from the
// user: they are data to print, never bytes for a terminal or a JSON parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "basin/records/usage_record.hpp"

namespace basin::records {

// What a node can give one step: its size from pool.toml [[node]].
struct NodeLimits {
  std::uint32_t cores = 0;
  std::uint64_t memory_mb = 0;
  std::uint32_t gpus = 0;
};

// The times a record may claim, against the ledger host's clock `now`.
struct TimeLimits {
  std::int64_t now = 0;
  // Nodes' clocks drift from the ledger host's (and the submit host's);
  // NTP keeps them within seconds, so ten minutes is generous without
  // letting a year through.
  std::int64_t future_slack_s = 600;
  // Basin did not exist before 2020: an earlier time is a broken clock or a
  // forged figure (and a negative one wraps in unsigned arithmetic later).
  std::int64_t earliest = 1577836800;  // 2020-01-01T00:00:00Z
  // A record carries no time limit, so bound its wall time by a year (and a
  // day): no Slurm partition in a Basin pool runs a step that long, and it
  // keeps every product of time and size far from 64-bit overflow.
  std::int64_t max_wall_s = 366 * 86400;
};

// Why `s` cannot be printed as it is: not UTF-8, or holds a C0 control
// character (U+0000..U+001F), DEL or a C1 control (U+0080..U+009F), which a
// terminal would obey (ESC starts a command, CR rewrites the line).
std::optional<std::string> string_problem(std::string_view s);

// `s` safe for a terminal, a log line or a JSON string: printable UTF-8 is
// kept, every other byte becomes \xNN (a backslash becomes \\), so two
// different strings stay different when printed. Use it wherever a record's
// string is shown.
std::string printable(std::string_view s);

// `s` cut to at most `max` bytes at a UTF-8 character boundary, with
// "~<12 hex of its SHA-256>" at the end when it had to be cut, so two long
// strings that share a prefix stay distinct. Unchanged when it fits.
std::string fit_string(std::string_view s, std::size_t max);

// The first string field of `record` with a problem, as "replica_group
// 'a\x1bb' holds a control character (...)", or nothing.
std::optional<std::string> check_record_strings(const UsageRecord& record);

// Nothing when every figure of `record` is possible on a node of `node`'s
// size within `times`; else the first reason, naming the field, its value and
// the bound (e.g. "alloc_mem_mb 1000000000 is more than node vol1's 2000 MB").
// Checks: times (start >= earliest, submit <= start + slack, start <= end
// <= now + slack,
// wall <= max), alloc_cores/alloc_mem_mb/alloc_gpus <= the node's, CPU time
// <= node cores x wall (+2 s per core for the rounding of start and end),
// max_rss_kb <= node memory, and check_record_strings.
std::optional<std::string> check_record_bounds(const UsageRecord& record, const NodeLimits& node,
                                               const TimeLimits& times);

}  // namespace basin::records
