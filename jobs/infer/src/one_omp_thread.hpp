// Limits OpenMP (hence oneDNN) on this thread to itself for a scope, and
// gives the thread its previous setting back after: the engine runs one
// micro-batch a thread, so oneDNN must not spawn its own.
#pragma once

#include <omp.h>

namespace basin::infer {

class OneOmpThread {
 public:
  OneOmpThread() : before_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneOmpThread() { omp_set_num_threads(before_); }
  OneOmpThread(const OneOmpThread&) = delete;
  OneOmpThread& operator=(const OneOmpThread&) = delete;

 private:
  int before_;
};

}  // namespace basin::infer
