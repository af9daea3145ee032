#include "basin/runtime/progress.hpp"

#include <unistd.h>

namespace basin::runtime {

Progress::Progress(std::FILE* out, std::string label, std::int64_t total_steps,
                   double work_per_step, std::string unit, double log_interval_s)
    : out_(out),
      label_(std::move(label)),
      total_(total_steps),
      work_(work_per_step),
      unit_(std::move(unit)),
      interval_(log_interval_s),
      tty_(out && isatty(fileno(out))),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::int64_t step) {
  if (!out_) return;
  if (first_step_ < 0) first_step_ = step - 1;  // a restarted run starts mid-way
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 0.25 : interval_) && step < total_) return;
  last_ = now;
  const double t = elapsed();
  const double done = double(step - first_step_);
  const double rate = t > 0 ? done / t : 0;  // steps per second
  const double eta = rate > 0 ? double(total_ - step) / rate : 0;
  const double pct = total_ > 0 ? 100.0 * double(step) / double(total_) : 0;
  std::fprintf(out_, "%s%s: step %lld/%lld (%.0f%%)  %.3g %s/s  elapsed %.1f s  ETA %.1f s%s",
               tty_ ? "\r" : "", label_.c_str(), static_cast<long long>(step),
               static_cast<long long>(total_), pct, rate * work_, unit_.c_str(), t, eta,
               tty_ ? "\033[K" : "\n");
  std::fflush(out_);
  drawn_ = tty_;
}

void Progress::finish() {
  if (out_ && drawn_) std::fputc('\n', out_);
  drawn_ = false;
}

}  // namespace basin::runtime
