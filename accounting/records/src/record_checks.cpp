#include "basin/records/record_checks.hpp"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "basin/common/hex.hpp"
#include "basin/records/byte_codec.hpp"

namespace basin::records {
namespace {

// Length of the UTF-8 sequence starting at s[i] when it is valid (strict:
// codec::valid_utf8 on just that sequence), else 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t len = c < 0x80             ? 1
                          : (c & 0xe0) == 0xc0 ? 2
                          : (c & 0xf0) == 0xe0 ? 3
                          : (c & 0xf8) == 0xf0 ? 4
                                               : 0;
  if (len == 0 || s.size() - i < len) return 0;
  return codec::valid_utf8(s.substr(i, len)) ? len : 0;
}

// C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F).
bool is_control(std::string_view ch) {
  const auto c = static_cast<unsigned char>(ch[0]);
  if (ch.size() == 1) return c < 0x20 || c == 0x7f;
  return ch.size() == 2 && c == 0xc2 && static_cast<unsigned char>(ch[1]) < 0xa0;
}

std::string hex_byte(std::uint8_t c) {
  return "\\x" + common::to_hex(std::span(&c, 1));
}

// The fix is one of two: pool.toml understates the node, or the node wrote
// a wrong figure (its plugin or owner); the admin knows which.
constexpr const char* kSizeFix =
    " (if the node is bigger, correct it in pool.toml and ingest again; else the node's "
    "record is wrong)";

std::string too_big(const char* field, std::uint64_t value, const std::string& bound) {
  return std::string(field) + " " + std::to_string(value) + " is more than " + bound + kSizeFix;
}

// In this order, so each comparison's arithmetic stays in range: every time
// is bounded below before anything is added to or subtracted from it.
std::optional<std::string> check_times(const UsageRecord& r, const TimeLimits& t) {
  auto when = [](std::int64_t v) { return std::to_string(v); };
  if (r.start_time < t.earliest)
    return "start_time " + when(r.start_time) + " is before 2020 (Unix " + when(t.earliest) +
           "): the node's clock or the record is wrong";
  if (r.submit_time != 0 && r.submit_time < t.earliest)
    return "submit_time " + when(r.submit_time) + " is before 2020 (Unix " + when(t.earliest) + ")";
  // The submit host stamps submit_time with its clock, the node start_time
  // with its own: allow them the same drift as the ledger host.
  if (r.submit_time != 0 && r.submit_time - t.future_slack_s > r.start_time)
    return "submit_time " + when(r.submit_time) + " is after start_time " + when(r.start_time) +
           " by more than the clock drift allowed (" + when(t.future_slack_s) + " s)";
  if (r.end_time < r.start_time)
    return "end_time " + when(r.end_time) + " is before start_time " + when(r.start_time);
  if (r.end_time > t.now + t.future_slack_s)
    return "end_time " + when(r.end_time) + " is in the future (now " + when(t.now) +
           "): the node's clock or the record is wrong";
  if (r.end_time - r.start_time > t.max_wall_s)
    return "wall time " + when(r.end_time - r.start_time) + " s is more than the maximum " +
           when(t.max_wall_s) + " s";
  return std::nullopt;
}

std::optional<std::string> check_sizes(const UsageRecord& r, const NodeLimits& n) {
  const std::string node = "node " + printable(r.node) + "'s ";
  if (r.alloc_cores > n.cores)
    return too_big("alloc_cores", r.alloc_cores, node + std::to_string(n.cores) + " cores");
  if (r.alloc_mem_mb > n.memory_mb)
    return too_big("alloc_mem_mb", r.alloc_mem_mb, node + std::to_string(n.memory_mb) + " MB");
  if (r.alloc_gpus > n.gpus)
    return too_big("alloc_gpus", r.alloc_gpus, node + std::to_string(n.gpus) + " GPUs");
  // 128-bit: a node's whole memory in kB and its cores x a year in µs both
  // fit in 64 bits, but the record's own sums need not.
  const unsigned __int128 mem_kb = static_cast<unsigned __int128>(n.memory_mb) * 1024;
  if (r.max_rss_kb > mem_kb)
    return too_big("max_rss_kb", r.max_rss_kb,
                   node + std::to_string(n.memory_mb) + " MB of memory");
  // Start and end are whole seconds: the wall time can be up to two seconds
  // short of what the tasks ran, on every core.
  const auto wall = static_cast<unsigned __int128>(r.end_time - r.start_time + 2);
  const unsigned __int128 cpu = static_cast<unsigned __int128>(r.cpu_user_us) + r.cpu_system_us;
  if (cpu > wall * n.cores * 1000000u)
    return "CPU time " + std::to_string(static_cast<std::uint64_t>(cpu / 1000000u)) +
           " s (user + system) is more than node " + printable(r.node) + "'s " +
           std::to_string(n.cores) + " cores x " + std::to_string(r.end_time - r.start_time) +
           " s of wall time" + kSizeFix;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> string_problem(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto len = utf8_length(s, i);
    if (len == 0)
      return "is not valid UTF-8 (byte " + hex_byte(static_cast<unsigned char>(s[i])) +
             " at offset " + std::to_string(i) + ")";
    if (is_control(s.substr(i, len)))
      return "holds a control character (" + hex_byte(static_cast<unsigned char>(s[i + len - 1])) +
             " at offset " + std::to_string(i) + ")";
    i += len;
  }
  return std::nullopt;
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto len = utf8_length(s, i);
    if (len == 0 || is_control(s.substr(i, len))) {
      for (std::size_t k = 0; k < std::max<std::size_t>(len, 1); ++k)
        out += hex_byte(static_cast<unsigned char>(s[i + k]));
      i += std::max<std::size_t>(len, 1);
    } else if (s[i] == '\\') {
      out += "\\\\";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string fit_string(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::uint8_t hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  const std::string tail = "~" + common::to_hex(std::span(hash, 6));
  if (max < tail.size()) return tail.substr(0, max);
  std::size_t keep = max - tail.size();
  // Back up over UTF-8 continuation bytes so no character is split.
  while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xc0) == 0x80) --keep;
  return std::string(s.substr(0, keep)) + tail;
}

std::optional<std::string> check_record_strings(const UsageRecord& r) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"cluster", &r.cluster},
      {"account", &r.account},
      {"node", &r.node},
      {"site", &r.site},
      {"tier", &r.tier},
      {"requested_tier", &r.requested_tier},
      {"replica_group", &r.replica_group},
      {"step_state", &r.step_state},
      {"result_digest", &r.result_digest}};
  for (const auto& [name, value] : fields)
    if (auto why = string_problem(*value))
      return std::string(name) + " '" + printable(*value) + "' " + *why;
  return std::nullopt;
}

std::optional<std::string> check_record_bounds(const UsageRecord& record, const NodeLimits& node,
                                               const TimeLimits& times) {
  if (auto why = check_record_strings(record)) return why;
  if (auto why = check_times(record, times)) return why;
  return check_sizes(record, node);
}

}  // namespace basin::records
