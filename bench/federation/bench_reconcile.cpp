// Times parse_sacct + reconcile on a generated export of N lines (default
// 100,000: allocation rows with .batch/.extern steps, some requeued runs, some
// jobs without receipts) and, on the same file in the same run, the awk
// one-liner that totals core-seconds of allocation rows. Prints medians of 5.
//
//   bench_federation_reconcile [lines] [file]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "basin/federation/reconcile.hpp"

using namespace basin::federation;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t lines = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const std::string path = argc > 2 ? argv[2] : "/tmp/basin-bench-sacct.txt";

  std::ostringstream text;
  text << "JobID|JobIDRaw|Cluster|Submit|Start|End|State|AllocCPUS|ElapsedRaw|TotalCPU|Account|"
          "NodeList|Restarts\n";
  std::vector<ExpectedJob> expected;
  std::size_t written = 0;
  for (std::uint64_t job = 1; written < lines; ++job) {
    const unsigned cpus = 1 + job % 8;
    const unsigned elapsed = 10 + job % 3600;
    const char* submit = "2026-11-22T10:11:23";
    const bool requeued = job % 50 == 0;
    if (requeued) {
      text << job << '|' << job << "|basin|" << submit << '|' << submit << '|' << submit
           << "|REQUEUED|" << cpus << "|5|00:05.000|campus|vol1|0\n";
      ++written;
    }
    text << job << '|' << job << "|basin|" << submit << '|' << submit << '|' << submit
         << "|COMPLETED|" << cpus << '|' << elapsed << "|01:00.000|campus|vol1|" << requeued
         << '\n';
    for (const char* step : {"batch", "extern"}) {
      text << job << '.' << step << '|' << job << '.' << step << "|basin|" << submit << '|'
           << submit << '|' << submit << "|COMPLETED|" << cpus << '|' << elapsed
           << "|01:00.000||vol1|\n";
    }
    written += 3;
    if (job % 97 != 0) {  // some jobs were never receipted
      expected.push_back({"basin", job, 1795342283, std::uint64_t{cpus} * elapsed + job % 200,
                          requeued ? 1u : 0u, 0, ""});
    }
  }
  const std::string data = text.str();
  std::ofstream(path) << data;

  std::vector<double> basin_times, awk_times;
  std::size_t findings = 0;
  for (int rep = 0; rep < 5; ++rep) {
    basin_times.push_back(seconds([&] {
      const auto e = parse_sacct(data);
      findings = reconcile(expected, e.rows).findings.size();
    }));
    const std::string awk =
        "awk -F'|' 'NR>1 && $1 !~ /\\./ {s += $8*$9} END {print s}' " + path + " > /dev/null";
    awk_times.push_back(seconds([&] {
      if (std::system(awk.c_str()) != 0) std::cerr << "awk failed\n";
    }));
  }
  const double b = median(basin_times), a = median(awk_times);
  std::printf("lines %zu, receipts %zu, findings %zu\n", written, expected.size(), findings);
  std::printf(
      "basin parse+reconcile median %.3f s; awk core-second total median %.3f s; "
      "ratio basin/awk %.2f\n",
      b, a, b / a);
  return 0;
}
