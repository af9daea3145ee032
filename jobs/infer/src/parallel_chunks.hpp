// Work inside one piece shared with the idle threads of the caller's TBB
// arena. A small call (one transformer sequence) is one piece on one thread
// (BatchRunner) and would leave the other threads idle. When every thread
// has a piece of its own, BatchRunner says so (SharingWithIdleThreads) and
// the work stays whole: cut, a product would stream its weights once per
// chunk. Only for work whose items are computed alone (a product's rows, an
// elementwise pass's blocks), so how it is cut changes no bit.
#pragma once

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstdint>

namespace basin::infer {

// Floats of work per chunk for row-wise kernels (Softmax, LayerNorm).
inline constexpr int64_t kChunkFloats = 16384;

// Whether in_chunks on this thread may cut work (true unless a
// SharingWithIdleThreads scope on this thread said otherwise).
inline bool& sharing_with_idle_threads() {
  thread_local bool share = true;
  return share;
}

// Sets sharing_with_idle_threads() for the scope's life (BatchRunner: false
// while it has at least as many pieces as threads).
class SharingWithIdleThreads {
 public:
  explicit SharingWithIdleThreads(bool share) : saved_(sharing_with_idle_threads()) {
    sharing_with_idle_threads() = share;
  }
  ~SharingWithIdleThreads() { sharing_with_idle_threads() = saved_; }
  SharingWithIdleThreads(const SharingWithIdleThreads&) = delete;
  SharingWithIdleThreads& operator=(const SharingWithIdleThreads&) = delete;

 private:
  bool saved_;
};

// f(lo, hi) over [0, n), in chunks of at least `grain` items (one call
// f(0, n) when n is below two grains, sharing is off or the caller's arena
// has one thread: there the chunks would only run one after another, and a
// plan run directly in such an arena (step_profile) then cuts its work as
// BatchRunner's one-thread calls do, not at all).
template <class F>
void in_chunks(int64_t n, int64_t grain, F&& f) {
  const int64_t chunks = n / grain;
  if (chunks < 2 || !sharing_with_idle_threads() || tbb::this_task_arena::max_concurrency() < 2)
    return f(int64_t{0}, n);
  tbb::parallel_for(int64_t{0}, chunks,
                    [&](int64_t c) { f(c * n / chunks, (c + 1) * n / chunks); });
}

}  // namespace basin::infer
