// STREAM-style triad a[i] = b[i] + s * c[i] over TBB threads: the memory
// bandwidth the runtime's rooflines are measured against, in the same run.
// Bytes counted as STREAM does: 24 per element (two reads, one write, no
// write-allocate traffic). Usage: basin_stream_triad [MiB per array] [threads]
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  tbb::global_control cap(tbb::global_control::max_allowed_parallelism, std::size_t(threads));
  const std::size_t n = mib * 1024 * 1024 / sizeof(double);
  std::vector<double> a(n), b(n), c(n);
  const std::size_t grain = 1 << 16;
  // First touch by the threads that will use the pages.
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, n, grain),
      [&](const auto& r) {
        for (std::size_t i = r.begin(); i < r.end(); ++i) a[i] = 0, b[i] = 1, c[i] = 2;
      },
      tbb::static_partitioner());
  double best = 1e30;
  for (int rep = 0; rep < 10; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, grain),
        [&](const auto& r) {
          double* __restrict pa = a.data();
          const double* __restrict pb = b.data();
          const double* __restrict pc = c.data();
          for (std::size_t i = r.begin(); i < r.end(); ++i) pa[i] = pb[i] + 3.0 * pc[i];
        },
        tbb::static_partitioner());
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  if (a[n / 2] != 7.0) return 1;
  std::printf("triad_GBps %.3f threads %d array_MiB %zu\n", 24.0 * double(n) / best / 1e9, threads,
              mib);
  return 0;
}
