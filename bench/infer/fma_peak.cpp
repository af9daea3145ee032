// One core's single-precision FMA rate: the ceiling of any engine's matrix
// products on this CPU, so a product's GFLOP/s (step_profile's time and the
// product's 2 M N K) reads as a fraction of it. Twelve independent chains of
// vector FMAs (enough to cover the FMA latency on two pipes), for AVX2 + FMA
// (8 lanes) and, where the CPU has it, AVX-512F (16 lanes).
// Usage: fma_peak [seconds per width]   Prints one line per width:
//   fma_peak avx2 GFLOPS X
//   fma_peak avx512 GFLOPS Y
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr long kLoop = 1 << 20;  // iterations between clock reads

// GFLOP/s of twelve chains of FMAs of REG (LANES floats) for `seconds`,
// written out (a loop over an array of registers is left in memory at -O2);
// the chains' values reach the output, so no compiler can drop the loop.
#define BASIN_FMA_PEAK(NAME, TARGET, REG, LANES, SET, FMA, ADD)                               \
  __attribute__((target(TARGET))) double NAME(double seconds) {                               \
    REG a0 = SET(0.0f), a1 = SET(0.1f), a2 = SET(0.2f), a3 = SET(0.3f), a4 = SET(0.4f),       \
        a5 = SET(0.5f), a6 = SET(0.6f), a7 = SET(0.7f), a8 = SET(0.8f), a9 = SET(0.9f),       \
        a10 = SET(1.0f), a11 = SET(1.1f);                                                     \
    const REG m = SET(0.9999f), c = SET(0.0001f);                                             \
    long iterations = 0;                                                                      \
    const auto t0 = std::chrono::steady_clock::now();                                         \
    double elapsed = 0;                                                                       \
    do {                                                                                      \
      for (long k = 0; k < kLoop; ++k) {                                                      \
        a0 = FMA(a0, m, c), a1 = FMA(a1, m, c), a2 = FMA(a2, m, c), a3 = FMA(a3, m, c);       \
        a4 = FMA(a4, m, c), a5 = FMA(a5, m, c), a6 = FMA(a6, m, c), a7 = FMA(a7, m, c);       \
        a8 = FMA(a8, m, c), a9 = FMA(a9, m, c), a10 = FMA(a10, m, c), a11 = FMA(a11, m, c);   \
      }                                                                                       \
      iterations += kLoop;                                                                    \
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); \
    } while (elapsed < seconds);                                                              \
    const REG sum = ADD(ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))),    \
                        ADD(ADD(a8, a9), ADD(a10, a11)));                                     \
    float lanes[LANES];                                                                       \
    std::memcpy(lanes, &sum, sizeof lanes);                                                   \
    if (lanes[0] == 12345.0f) std::puts("");                                                  \
    return double(iterations) * 12 * LANES * 2 / elapsed / 1e9;                               \
  }

BASIN_FMA_PEAK(avx2, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps)
BASIN_FMA_PEAK(avx512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps)

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  if (!(seconds > 0)) {
    std::fprintf(stderr, "usage: fma_peak [seconds per width > 0]\n");
    return 2;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    std::printf("fma_peak avx2 GFLOPS %.1f\n", avx2(seconds));
  if (__builtin_cpu_supports("avx512f"))
    std::printf("fma_peak avx512 GFLOPS %.1f\n", avx512(seconds));
  return 0;
}
