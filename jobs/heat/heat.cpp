// The `heat` workload: explicit 3-D heat diffusion in a box with Dirichlet
// walls (T = 0), forward Euler in time, the 7-point Laplacian in space.
//
// Grid: nz x ny x nx interior points at x_i = (i + 1) h_x, h_x = L / (nx + 1)
// (likewise y, z); the walls are the points 0 and n + 1, held in the halo.
// Initial state: T = A sin(pi x / L) sin(pi y / L) sin(pi z / L), an exact
// eigenvector of the discrete Laplacian, so after n steps the discrete
// solution is exactly A g^n times it, g = 1 - sum_d 4 c_d sin^2(pi h_d / 2L)
// with c_d = alpha dt / h_d^2; the continuous one decays as
// exp(-3 alpha pi^2 t / L^2). The summary reports the distance to both.
//
// Arrays (local, with a halo of 1): T and T_next, (nz+2) x (ny+2) x (nx+2).
#include <immintrin.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numbers>
#include <optional>

#include "basin/runtime/halo_exchange.hpp"
#include "basin/runtime/workload.hpp"

namespace basin::jobs {
namespace {

using namespace basin::runtime;

// One row of the stencil: o = c0 t + cx (t[x-1] + t[x+1]) + cy (t[y-1] + t[y+1])
// + cz (t[z-1] + t[z+1]), added left to right. The AVX2 version performs the
// same IEEE operations in the same order (no FMA: -ffp-contract=off), so both
// give the same bits. It writes with streaming stores, which skip reading
// T_next into the cache before overwriting it (a third less memory traffic),
// or with ordinary stores: streaming was the faster by 2x on one AMD EPYC VM
// and the slower by 2-3x on another; on a third (AVX-512) it was 5-10% slower
// while rows of 258 doubles started at a different offset within a cache
// line each, and 10% faster since Field pads rows to whole lines. So the
// workload times both on its first steps and keeps the faster (the bits do
// not depend on it; the summary says which). AVX-512 was measured slower and
// is not used.
inline double stencil_cell(const double* t, std::ptrdiff_t sy, std::ptrdiff_t sz,
                           const std::array<double, 4>& c) {
  return c[0] * t[0] + c[1] * (t[-1] + t[1]) + c[2] * (t[-sy] + t[sy]) + c[3] * (t[-sz] + t[sz]);
}

void stencil_row_generic(const double* __restrict t, double* __restrict o, int n, std::ptrdiff_t sy,
                         std::ptrdiff_t sz, const std::array<double, 4>& c) {
  for (int i = 0; i < n; ++i) o[i] = stencil_cell(t + i, sy, sz, c);
}

// How far ahead of the cell being updated the stencil prefetches (doubles:
// 4 KiB, about two rows of a 256-wide grid).
constexpr std::ptrdiff_t kPrefetchAhead = 512;

template <bool kStream>
__attribute__((target("avx2"))) void stencil_row_avx2(const double* __restrict t,
                                                      double* __restrict o, int n,
                                                      std::ptrdiff_t sy, std::ptrdiff_t sz,
                                                      const std::array<double, 4>& c) {
  int i = 0;
  for (; i < n && (reinterpret_cast<std::uintptr_t>(o + i) & 31) != 0; ++i)
    o[i] = stencil_cell(t + i, sy, sz, c);
  const __m256d c0 = _mm256_set1_pd(c[0]), cx = _mm256_set1_pd(c[1]), cy = _mm256_set1_pd(c[2]),
                cz = _mm256_set1_pd(c[3]);
  for (; i + 4 <= n; i += 4) {
    const double* p = t + i;
    // The planes k+1 and k a few rows ahead: the hardware prefetcher alone
    // left a core waiting on them (heat 256^3 1.3-1.4x faster with these on an
    // AMD EPYC with 96 GB/s; docs/performance.md). A prefetch changes no
    // value, and one past the array's end is dropped, not faulted.
    _mm_prefetch(reinterpret_cast<const char*>(p + sz + kPrefetchAhead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchAhead), _MM_HINT_T0);
    const __m256d x = _mm256_add_pd(_mm256_loadu_pd(p - 1), _mm256_loadu_pd(p + 1));
    const __m256d y = _mm256_add_pd(_mm256_loadu_pd(p - sy), _mm256_loadu_pd(p + sy));
    const __m256d z = _mm256_add_pd(_mm256_loadu_pd(p - sz), _mm256_loadu_pd(p + sz));
    __m256d r = _mm256_add_pd(_mm256_mul_pd(c0, _mm256_loadu_pd(p)), _mm256_mul_pd(cx, x));
    r = _mm256_add_pd(r, _mm256_mul_pd(cy, y));
    r = _mm256_add_pd(r, _mm256_mul_pd(cz, z));
    if constexpr (kStream)
      _mm256_stream_pd(o + i, r);
    else
      _mm256_store_pd(o + i, r);
  }
  for (; i < n; ++i) o[i] = stencil_cell(t + i, sy, sz, c);
}

const bool kHaveAvx2 = __builtin_cpu_supports("avx2");

class Heat final : public Workload {
 public:
  Heat(const Params& p, MPI_Comm comm)
      : dec_(comm, grid_extent(p), int(p.integer("split_dims"))),
        length_(p.real("length")),
        alpha_(p.real("alpha")),
        amplitude_(p.real("amplitude")),
        t_("T", dec_.local(), 1),
        next_("T_next", dec_.local(), 1),
        halo_(dec_, t_),
        split_(split_for_overlap(dec_, 1)) {
    double inv_h2 = 0;
    for (int d = 0; d < 3; ++d) {
      h_[d] = length_ / (dec_.global().n[d] + 1);
      inv_h2 += 1 / (h_[d] * h_[d]);
    }
    // dt: the fraction cfl of the stability limit, shortened so that a whole
    // number of steps ends exactly at sim_time.
    const double dt_max = p.real("cfl") / (2 * alpha_ * inv_h2);
    const double sim_time = p.real("sim_time");
    total_ = std::max<std::int64_t>(1, std::int64_t(std::ceil(sim_time / dt_max)));
    dt_ = sim_time / double(total_);
    for (int d = 0; d < 3; ++d) c_[d] = alpha_ * dt_ / (h_[d] * h_[d]);
    c0_ = 1 - 2 * (c_[0] + c_[1] + c_[2]);
  }

  const Decomposition& decomposition() const override { return dec_; }

  void initialise() override {
    const Box& b = dec_.local();
    for (int k = 0; k < b.size[0]; ++k)
      for (int j = 0; j < b.size[1]; ++j)
        for (int i = 0; i < b.size[2]; ++i) t_.at(k, j, i) = amplitude_ * mode(k, j, i);
    steps_ = 0;
  }

  void step() override {
    const auto t0 = std::chrono::steady_clock::now();
    // Overlap: the halo travels while the cells that do not need it update.
    halo_.start(t_);
    update(split_.inner);
    halo_.finish();
    for (const Box& b : split_.shell) update(b);
    t_.swap_values(next_);
    ++steps_;
    tune_stores(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  std::int64_t steps_done() const override { return steps_; }
  std::int64_t total_steps() const override { return total_; }
  double time() const override { return double(steps_) * dt_; }
  std::vector<Field*> state() override { return {&t_}; }
  void restore(std::int64_t steps, const std::map<std::string, double>&) override {
    steps_ = steps;
  }

  OutputLayout output_layout() const override {
    OutputLayout l;
    l.axes = point_axes(dec_.global(), h_, "m");
    l.variables = {{"T", "K", "temperature"}};
    l.text_attributes["title"] = "Basin heat: explicit 3-D heat diffusion, Dirichlet walls";
    return l;
  }
  std::vector<const Field*> output_fields() const override { return {&t_}; }

  std::vector<std::string> summary() override {
    // g^n, the discrete solution's decay, and the continuous decay.
    double g = 1;
    for (int d = 0; d < 3; ++d) {
      const double s = std::sin(std::numbers::pi * h_[d] / (2 * length_));
      g -= 4 * c_[d] * s * s;
    }
    const double discrete = std::pow(g, double(steps_));
    const double continuous =
        std::exp(-3 * alpha_ * std::numbers::pi * std::numbers::pi * time() / (length_ * length_));
    double err[2] = {0, 0};
    const Box& b = dec_.local();
    for (int k = 0; k < b.size[0]; ++k)
      for (int j = 0; j < b.size[1]; ++j)
        for (int i = 0; i < b.size[2]; ++i) {
          const double m = amplitude_ * mode(k, j, i), v = t_.at(k, j, i);
          err[0] = std::max(err[0], std::fabs(v - discrete * m));
          err[1] = std::max(err[1], std::fabs(v - continuous * m));
        }
    double max_err[2];
    MPI_Allreduce(err, max_err, 2, MPI_DOUBLE, MPI_MAX, dec_.comm());
    // Which stores the ranks kept: the memory traffic a cell update costs
    // (streaming 16 B, ordinary 24 B with the write-allocate read), which
    // bench/runtime/roofline.sh needs to hold heat against the bandwidth.
    const int streaming = (kHaveAvx2 && stream_) ? 1 : 0;
    int streaming_ranks = 0;
    MPI_Allreduce(&streaming, &streaming_ranks, 1, MPI_INT, MPI_SUM, dec_.comm());
    char line[3][200];
    std::snprintf(line[0], sizeof line[0],
                  "t = %.6g s, dt = %.6g s: max |T - discrete exact| / A = %.3e (discrete "
                  "decay %.12f)",
                  time(), dt_, max_err[0] / amplitude_, discrete);
    std::snprintf(line[1], sizeof line[1],
                  "max |T - continuous exact| / A = %.6e (continuous decay %.12f)",
                  max_err[1] / amplitude_, continuous);
    std::snprintf(line[2], sizeof line[2],
                  "stores: streaming on %d of %d rank(s), ordinary on the rest (each rank times "
                  "both on its first steps and keeps the faster)",
                  streaming_ranks, dec_.ranks());
    return {line[0], line[1], line[2]};
  }

 private:
  double mode(int k, int j, int i) const {
    const Box& b = dec_.local();
    const double pi = std::numbers::pi;
    return std::sin(pi * (b.begin[0] + k + 1) * h_[0] / length_) *
           std::sin(pi * (b.begin[1] + j + 1) * h_[1] / length_) *
           std::sin(pi * (b.begin[2] + i + 1) * h_[2] / length_);
  }

  // T_next = c0 T + c_x (T[x-1] + T[x+1]) + c_y (...) + c_z (...) over box
  // (local indices), c0 = 1 - 2 (c_x + c_y + c_z): the same operations in the
  // same order for every cell, so bits do not depend on how cells are split
  // between ranks, threads or the overlap boxes.
  void update(const Box& box) {
    if (box.cells() == 0) return;
    const std::ptrdiff_t sy = t_.stride_y(), sz = t_.stride_z();
    const std::array<double, 4> c{c0_, c_[2], c_[1], c_[0]};
    // Planes over threads as TBB splits them (contiguous ranges): measured
    // faster here than interleaving planes between threads.
    tbb::parallel_for(box.begin[0], box.begin[0] + box.size[0], [&](int k) {
      for (int j = box.begin[1]; j < box.begin[1] + box.size[1]; ++j) {
        const double* t = t_.row(k, j) + box.begin[2];
        double* o = next_.row(k, j) + box.begin[2];
        if (kHaveAvx2 && stream_)
          stencil_row_avx2<true>(t, o, box.size[2], sy, sz, c);
        else if (kHaveAvx2)
          stencil_row_avx2<false>(t, o, box.size[2], sy, sz, c);
        else
          stencil_row_generic(t, o, box.size[2], sy, sz, c);
      }
      _mm_sfence();  // streaming stores visible before the task ends
    });
  }

  // Steps 0-1 of this process stream, 2-3 store ordinarily; the second of
  // each pair is timed (the first warms up) and the faster kind is kept.
  void tune_stores(double seconds) {
    if (tuned_ >= 4) return;
    if (tuned_ == 1 || tuned_ == 3) tune_s_[tuned_ / 2] = seconds;
    ++tuned_;
    stream_ = tuned_ < 2 || (tuned_ >= 4 && tune_s_[0] <= tune_s_[1]);
  }

  Decomposition dec_;
  bool stream_ = true;
  int tuned_ = 0;
  double tune_s_[2] = {0, 0};
  double length_, alpha_, amplitude_;
  std::array<double, 3> h_{}, c_{};
  double dt_ = 0, c0_ = 1;
  std::int64_t total_ = 0, steps_ = 0;
  Field t_, next_;
  HaloExchange halo_;
  Split split_;
};

WorkloadInfo heat_info() {
  WorkloadInfo w;
  w.name = "heat";
  w.summary = "explicit 3-D heat diffusion in a box with Dirichlet walls (7-point stencil)";
  w.description =
      "dT/dt = alpha laplacian(T) in a cube of side `length` with T = 0 on the walls, forward\n"
      "Euler in time. The initial sine mode is an eigenvector of the discrete Laplacian, so the\n"
      "summary gives the error against the exact discrete and continuous solutions.\n"
      "Output: T (K) over (t, z, y, x), coordinates in m, t in s.";
  w.example = "mpirun -n 2 basin run heat --set nx=256 --set ny=256 --set nz=256 --output heat.nc";
  w.default_output_every = 500;
  w.params = grid_params(128);
  for (auto& spec : std::vector<ParamSpec>{
           {"length", ParamKind::real, "1", "m", "side of the cube", {}, 1e-9, 1e9},
           {"alpha", ParamKind::real, "1e-4", "m2 s-1", "thermal diffusivity", {}, 1e-30, 1e30},
           {"amplitude",
            ParamKind::real,
            "1",
            "K",
            "amplitude A of the initial sine mode",
            {},
            -1e300,
            1e300},
           {"sim_time", ParamKind::real, "50", "s", "simulated time", {}, 0, 1e30},
           {"cfl",
            ParamKind::real,
            "0.9",
            "",
            "fraction of the explicit stability limit for dt",
            {},
            1e-6,
            1},
       })
    w.params.push_back(spec);
  w.create = [](const Params& p, MPI_Comm comm) -> std::unique_ptr<Workload> {
    return std::make_unique<Heat>(p, comm);
  };
  w.memory = [](const Params& p, MPI_Comm comm) {
    const Decomposition dec(comm, grid_extent(p), int(p.integer("split_dims")));
    return grid_memory(dec, 2, 1, "T, T_next");
  };
  return w;
}

}  // namespace
}  // namespace basin::jobs

BASIN_WORKLOAD(heat, basin::jobs::heat_info);
