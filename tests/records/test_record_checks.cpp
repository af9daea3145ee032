// What a validly signed record may claim (records::check_record_bounds) and
// how its strings are printed (printable, fit_string).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "basin/records/record_checks.hpp"

using namespace basin::records;

namespace {

constexpr std::int64_t kNow = 1795000000;  // 2026-11
const NodeLimits kNode{4, 8000, 1};

TimeLimits times() {
  TimeLimits t;
  t.now = kNow;
  return t;
}

// A plausible record of a 100 s step on 2 of the node's 4 cores.
UsageRecord good() {
  UsageRecord r;
  r.cluster = "basin";
  r.job_id = 7;
  r.node = "vol1";
  r.site = "home";
  r.account = "lab";
  r.tier = "volunteer";
  r.requested_tier = "any";
  r.submit_time = kNow - 1000;
  r.start_time = kNow - 900;
  r.end_time = kNow - 800;
  r.alloc_cores = 2;
  r.alloc_mem_mb = 4000;
  r.cpu_user_us = 150'000'000;
  r.cpu_system_us = 10'000'000;
  r.max_rss_kb = 1'000'000;
  r.step_state = "completed";
  r.replica_group = "basin:1000:rep é";  // non-ASCII UTF-8 is fine
  return r;
}

// The reason, which must name `word`.
void expect_refused(const UsageRecord& r, const std::string& word) {
  const auto why = check_record_bounds(r, kNode, times());
  ASSERT_TRUE(why) << "accepted; expected a reason naming " << word;
  EXPECT_NE(why->find(word), std::string::npos) << *why;
}

}  // namespace

TEST(RecordBounds, APlausibleRecordPasses) {
  EXPECT_FALSE(check_record_bounds(good(), kNode, times()));
  auto r = good();
  r.submit_time = 0;  // unknown submit time is allowed
  r.alloc_cores = 4;  // the whole node
  r.alloc_mem_mb = 8000;
  r.alloc_gpus = 1;
  r.cpu_user_us = 4ull * 102 * 1'000'000;  // 4 cores busy for 100 s (+2 s rounding)
  r.cpu_system_us = 0;
  r.max_rss_kb = 8000ull * 1024;
  r.end_time = kNow + 60;  // a node clock a minute ahead
  EXPECT_FALSE(check_record_bounds(r, kNode, times()));
}

TEST(RecordBounds, ImpossibleTimesAreNamed) {
  auto r = good();
  r.end_time = std::int64_t{1} << 62;
  expect_refused(r, "end_time");
  r = good();
  r.start_time = -5;
  expect_refused(r, "start_time -5");
  r = good();
  r.start_time = 1000;  // 1970
  r.submit_time = 0;
  expect_refused(r, "before 2020");
  r = good();
  r.submit_time = r.start_time + 1;  // the submit host's clock a second ahead
  EXPECT_FALSE(check_record_bounds(r, kNode, times()));
  r.submit_time = r.start_time + 601;
  expect_refused(r, "submit_time");
  r = good();
  r.submit_time = -1;
  expect_refused(r, "submit_time");
  r = good();
  r.end_time = r.start_time - 1;
  expect_refused(r, "end_time");
  r = good();
  r.start_time = kNow - 400 * 86400;
  r.submit_time = 0;
  r.end_time = kNow;
  expect_refused(r, "wall time");
  r = good();
  r.start_time = std::numeric_limits<std::int64_t>::min();
  r.submit_time = 0;
  expect_refused(r, "start_time");
  // Extremes never overflow the checks' arithmetic (UBSan in the sanitizer
  // build).
  r = good();
  r.start_time = r.end_time = std::numeric_limits<std::int64_t>::max();
  r.submit_time = std::numeric_limits<std::int64_t>::max();
  expect_refused(r, "end_time");
  r = good();
  r.submit_time = std::numeric_limits<std::int64_t>::min();
  expect_refused(r, "submit_time");
}

TEST(RecordBounds, SizesBeyondTheNodeAreNamed) {
  auto r = good();
  r.alloc_cores = 5;
  expect_refused(r, "alloc_cores 5");
  r = good();
  r.alloc_mem_mb = std::numeric_limits<std::uint64_t>::max();
  expect_refused(r, "alloc_mem_mb");
  r = good();
  r.alloc_gpus = 2;
  expect_refused(r, "alloc_gpus");
  r = good();
  r.max_rss_kb = 8000ull * 1024 + 1;
  expect_refused(r, "max_rss_kb");
  r = good();
  r.cpu_user_us = 4ull * 103 * 1'000'000;  // more than 4 cores for 102 s
  r.cpu_system_us = 0;
  expect_refused(r, "CPU time");
  r = good();
  // The sum overflows 64 bits: still refused, not wrapped to a small value.
  r.cpu_user_us = std::numeric_limits<std::uint64_t>::max();
  r.cpu_system_us = std::numeric_limits<std::uint64_t>::max();
  expect_refused(r, "CPU time");
}

TEST(RecordBounds, UnprintableStringsAreNamedPrintably) {
  auto r = good();
  r.account = "lab\x1b[31m";
  expect_refused(r, "account 'lab\\x1b[31m' holds a control character");
  r = good();
  r.replica_group = "a\rb";
  expect_refused(r, "replica_group");
  r = good();
  r.step_state = std::string("ok\xff", 3);
  expect_refused(r, "not valid UTF-8");
  r = good();
  r.node = "vol1\x7f";
  expect_refused(r, "node");
  r = good();
  r.result_digest = "\xc2\x9b";  // C1 CSI, a terminal's ESC [
  expect_refused(r, "result_digest");
}

TEST(RecordStrings, PrintableEscapesAndKeepsStringsDistinct) {
  EXPECT_EQ(printable("plain é ü"), "plain é ü");
  EXPECT_EQ(printable("a\x1b[2Jb\r"), "a\\x1b[2Jb\\x0d");
  EXPECT_EQ(printable(std::string("\xff\xc3", 2)), "\\xff\\xc3");
  EXPECT_EQ(printable("\xc2\x85"), "\\xc2\\x85");  // C1 NEL
  // A literal backslash is doubled, so "\x1b" typed by a user and a real
  // ESC print differently.
  EXPECT_NE(printable("\\x1b"), printable("\x1b"));
  EXPECT_FALSE(string_problem(printable("\x01\x02\xfe")));
}

TEST(RecordStrings, FitStringCutsWithAHash) {
  EXPECT_EQ(fit_string("short", 10), "short");
  const auto a = fit_string(std::string(300, 'x') + "a", kMaxString);
  const auto b = fit_string(std::string(300, 'x') + "b", kMaxString);
  EXPECT_EQ(a.size(), kMaxString);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(kMaxString - 13, 1), "~");
  std::string multi;
  while (multi.size() < 400) multi += "é";
  const auto cut = fit_string(multi, 255);
  EXPECT_LE(cut.size(), 255u);
  EXPECT_FALSE(string_problem(cut)) << "a character was split";
}
