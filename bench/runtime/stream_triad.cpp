// STREAM-style triad a[i] = b[i] + s * c[i] over TBB threads: the memory
// bandwidth the runtime's rooflines are measured against, in the same run,
// twice: with ordinary stores (each written line is first read, the
// write-allocate traffic STREAM does not count) and with streaming stores
// (non-temporal: the line goes to memory without being read), which is how
// heat writes its result and so its fair roofline. Bytes counted as STREAM
// does: 24 per element (two reads, one write). Then a streaming-store copy
// a[i] = b[i] (16 bytes an element: one read, one write), the read:write mix
// of a stencil that reads one array and writes another (heat): on a machine
// whose cores write to memory more slowly than they read, the triad's two
// reads a write overstate what such a kernel can reach.
// Usage: basin_stream_triad [MiB per array] [threads]
// Prints: triad_GBps X threads T array_MiB M streaming_triad_GBps Y
//         streaming_copy_GBps Z
#include <emmintrin.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {

// 64-byte aligned doubles (streaming stores of 16 bytes need 16-byte
// alignment; a whole line per iteration keeps the write-combining buffers
// full).
struct Aligned {
  explicit Aligned(std::size_t n)
      : p(static_cast<double*>(std::aligned_alloc(64, (n * sizeof(double) + 63) / 64 * 64))) {}
  ~Aligned() { std::free(p); }
  Aligned(const Aligned&) = delete;
  Aligned& operator=(const Aligned&) = delete;
  double* p;
};

template <class Body>
double best_seconds(std::size_t n, std::size_t grain, Body body) {
  double best = 1e30;
  for (int rep = 0; rep < 10; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, grain),
        [&](const auto& r) { body(r.begin(), r.end()); }, tbb::static_partitioner());
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  tbb::global_control cap(tbb::global_control::max_allowed_parallelism, std::size_t(threads));
  const std::size_t n = mib * 1024 * 1024 / sizeof(double) / 8 * 8;
  Aligned a(n), b(n), c(n);
  const std::size_t grain = 1 << 16;  // a multiple of 8: ranges stay line-aligned
  // First touch by the threads that will use the pages.
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, n, grain),
      [&](const auto& r) {
        for (std::size_t i = r.begin(); i < r.end(); ++i) a.p[i] = 0, b.p[i] = 1, c.p[i] = 2;
      },
      tbb::static_partitioner());
  const double ordinary = best_seconds(n, grain, [&](std::size_t lo, std::size_t hi) {
    double* __restrict pa = a.p;
    const double* __restrict pb = b.p;
    const double* __restrict pc = c.p;
    for (std::size_t i = lo; i < hi; ++i) pa[i] = pb[i] + 3.0 * pc[i];
  });
  if (a.p[n / 2] != 7.0) return 1;
  const double streaming = best_seconds(n, grain, [&](std::size_t lo, std::size_t hi) {
    const __m128d s = _mm_set1_pd(4.0);
    for (std::size_t i = lo; i < hi; i += 2) {
      const __m128d v = _mm_add_pd(_mm_load_pd(b.p + i), _mm_mul_pd(s, _mm_load_pd(c.p + i)));
      _mm_stream_pd(a.p + i, v);
    }
  });
  _mm_sfence();
  if (a.p[n / 2] != 9.0) return 1;
  const double copy = best_seconds(n, grain, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; i += 2) _mm_stream_pd(a.p + i, _mm_load_pd(c.p + i));
  });
  _mm_sfence();
  if (a.p[n / 2] != 2.0) return 1;
  std::printf(
      "triad_GBps %.3f threads %d array_MiB %zu streaming_triad_GBps %.3f streaming_copy_GBps "
      "%.3f\n",
      24.0 * double(n) / ordinary / 1e9, threads, mib, 24.0 * double(n) / streaming / 1e9,
      16.0 * double(n) / copy / 1e9);
  return 0;
}
