// Work inside one piece shared with the idle threads of the caller's TBB
// arena. A small call (one transformer sequence) is one piece on one thread
// (BatchRunner) and would leave the other threads idle; when every thread
// has a piece of its own, the chunks simply run in turn on the piece's
// thread. Only for work whose items are computed alone (a product's rows, an
// elementwise pass's blocks), so how it is cut changes no bit.
#pragma once

#include <tbb/parallel_for.h>

#include <cstdint>

namespace basin::infer {

// Floats of work per chunk for row-wise kernels (Softmax, LayerNorm).
inline constexpr int64_t kChunkFloats = 16384;

// f(lo, hi) over [0, n), in chunks of at least `grain` items (one call
// f(0, n) when n is below two grains).
template <class F>
void in_chunks(int64_t n, int64_t grain, F&& f) {
  const int64_t chunks = n / grain;
  if (chunks < 2) return f(int64_t{0}, n);
  tbb::parallel_for(int64_t{0}, chunks,
                    [&](int64_t c) { f(c * n / chunks, (c + 1) * n / chunks); });
}

}  // namespace basin::infer
