// Progress of a run, on rank 0: a live line (step, percent, throughput,
// ETA) redrawn on a terminal, or a log line every `interval` seconds when
// the output is a file (batch jobs).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace basin::runtime {

class Progress {
 public:
  // out == nullptr: silent (ranks other than 0).
  // Each step does `work_per_step` of `unit` (e.g. grid cells, "cell updates").
  Progress(std::FILE* out, std::string label, std::int64_t total_steps, double work_per_step,
           std::string unit, double log_interval_s);
  void update(std::int64_t step);  // cheap unless a line is due
  void finish();                   // ends the live line
  double elapsed() const;

 private:
  std::FILE* out_;
  std::string label_;
  std::int64_t total_;
  double work_;
  std::string unit_;
  double interval_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
  std::int64_t first_step_ = -1;
  bool drawn_ = false;
};

}  // namespace basin::runtime
