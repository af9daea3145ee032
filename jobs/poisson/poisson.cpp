// The `poisson` workload: -laplacian(u) = f on the unit cube with u = 0 on
// the walls, solved by Jacobi-preconditioned conjugate gradients with a
// matrix-free 7-point stencil. One step is one CG iteration.
//
// Manufactured solution u = g(x) g(y) g(z), g(s) = s (1 - s) e^s, so
// f = -(g''(x) g(y) g(z) + g(x) g''(y) g(z) + g(x) g(y) g''(z)) with
// g''(s) = -s (s + 3) e^s; the discrete solution converges to u at second
// order in h. The summary reports the residual reduction and the error.
//
// Arrays (local, halo 1 where a stencil reads them): u (solution), r
// (residual), p (search direction, halo), q = A p; all (nz, ny, nx) owned.
// Dot products are reproducible (tile sums added exactly), so iterations
// and bits do not depend on ranks or threads.
#include <tbb/parallel_for.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "basin/runtime/halo_exchange.hpp"
#include "basin/runtime/tile_reduce.hpp"
#include "basin/runtime/workload.hpp"

namespace basin::jobs {
namespace {

using namespace basin::runtime;

double g(double s) {
  return s * (1 - s) * std::exp(s);
}
double g2(double s) {
  return -s * (s + 3) * std::exp(s);
}

class Poisson final : public Workload {
 public:
  Poisson(const Params& p, MPI_Comm comm)
      : dec_(comm, grid_extent(p), int(p.integer("split_dims"))),
        tolerance_(p.real("tolerance")),
        max_iterations_(p.integer("max_iterations")),
        u_("u", dec_.local(), 1),
        r_("r", dec_.local(), 1),
        p_("p", dec_.local(), 1),
        q_("q", dec_.local(), 1),
        f_("f", dec_.local(), 1),
        halo_(dec_, p_),
        split_(split_for_overlap(dec_, 1)) {
    for (int d = 0; d < 3; ++d) {
      h_[d] = 1.0 / (dec_.global().n[d] + 1);
      w_[d] = 1 / (h_[d] * h_[d]);
    }
    diag_ = 2 * (w_[0] + w_[1] + w_[2]);
    const Box& b = dec_.local();
    for (int k = 0; k < b.size[0]; ++k)
      for (int j = 0; j < b.size[1]; ++j)
        for (int i = 0; i < b.size[2]; ++i) {
          const double x = coord(2, i), y = coord(1, j), z = coord(0, k);
          f_.at(k, j, i) = -(g2(x) * g(y) * g(z) + g(x) * g2(y) * g(z) + g(x) * g(y) * g2(z));
        }
  }

  const Decomposition& decomposition() const override { return dec_; }

  void initialise() override {
    // u = 0, so r = f; p = z = r / diag.
    const Box& b = dec_.local();
    for (int k = 0; k < b.size[0]; ++k)
      for (int j = 0; j < b.size[1]; ++j)
        for (int i = 0; i < b.size[2]; ++i) {
          u_.at(k, j, i) = 0;
          r_.at(k, j, i) = f_.at(k, j, i);
          p_.at(k, j, i) = f_.at(k, j, i) / diag_;
        }
    const auto s = reduce_tiles<2>(dec_, [&](int k, int j, int i0, int n) {
      const double* r = r_.row(k, j) + i0;
      const double* p = p_.row(k, j) + i0;
      return std::array<double, 2>{tile_dot(r, p, n), tile_dot(r, r, n)};
    });
    rz_ = s[0].allreduce(dec_.comm());
    rr0_ = s[1].allreduce(dec_.comm());
    rr_ = rr0_;
    steps_ = 0;
  }

  void step() override {
    // q = A p, the halo of p in flight while the inner cells are done.
    halo_.start(p_);
    apply(split_.inner);
    halo_.finish();
    for (const Box& b : split_.shell) apply(b);
    const double pq = reduce_tiles<1>(dec_,
                                      [&](int k, int j, int i0, int n) {
                                        return std::array<double, 1>{
                                            tile_dot(p_.row(k, j) + i0, q_.row(k, j) + i0, n)};
                                      })[0]
                          .allreduce(dec_.comm());
    const double alpha = rz_ / pq;
    // u += alpha p, r -= alpha q, and the new r.z, r.r in the same pass.
    const double inv_diag = 1 / diag_;
    const auto s = reduce_tiles<2>(dec_, [&](int k, int j, int i0, int n) {
      double* __restrict u = u_.row(k, j) + i0;
      double* __restrict r = r_.row(k, j) + i0;
      const double* __restrict p = p_.row(k, j) + i0;
      const double* __restrict q = q_.row(k, j) + i0;
      for (int i = 0; i < n; ++i) {
        u[i] += alpha * p[i];
        r[i] -= alpha * q[i];
      }
      const double rr = tile_dot(r, r, n);
      return std::array<double, 2>{rr * inv_diag, rr};
    });
    const double rz_new = s[0].allreduce(dec_.comm());
    rr_ = s[1].allreduce(dec_.comm());
    const double beta = rz_new / rz_;
    rz_ = rz_new;
    // p = r / diag + beta p
    const Box& b = dec_.local();
    tbb::parallel_for(0, b.size[0], [&](int k) {
      for (int j = 0; j < b.size[1]; ++j) {
        const double* __restrict r = r_.row(k, j);
        double* __restrict p = p_.row(k, j);
        for (int i = 0; i < b.size[2]; ++i) p[i] = r[i] * inv_diag + beta * p[i];
      }
    });
    ++steps_;
  }

  std::int64_t steps_done() const override { return steps_; }
  std::int64_t total_steps() const override { return max_iterations_; }
  bool finished() const override {
    return steps_ >= max_iterations_ || std::sqrt(rr_ / rr0_) <= tolerance_;
  }
  double time() const override { return double(steps_); }

  std::vector<Field*> state() override { return {&u_, &r_, &p_}; }
  std::map<std::string, double> scalars() const override {
    return {{"rz", rz_}, {"rr", rr_}, {"rr0", rr0_}};
  }
  void restore(std::int64_t steps, const std::map<std::string, double>& s) override {
    steps_ = steps;
    rz_ = s.at("rz");
    rr_ = s.at("rr");
    rr0_ = s.at("rr0");
  }

  OutputLayout output_layout() const override {
    OutputLayout l;
    l.axes = point_axes(dec_.global(), h_, "m");
    l.time_units =
        std::string("1");  // CG iterations (a temporary: GCC 12 -Wrestrict false positive)
    l.variables = {{"u", "1", "solution of -laplacian(u) = f"}};
    l.text_attributes["title"] = "Basin poisson: 3-D Poisson by preconditioned CG";
    return l;
  }
  std::vector<const Field*> output_fields() const override { return {&u_}; }

  std::vector<std::string> summary() override {
    // The true residual |f - A u| / |f| (not the recurrence's), and the error.
    p_.swap_values(u_);  // A u through the same stencil code, u in p's halo'd storage
    halo_.exchange(p_);
    apply(Box{{0, 0, 0}, dec_.local().size});
    p_.swap_values(u_);
    double err = 0;
    const Box& b = dec_.local();
    for (int k = 0; k < b.size[0]; ++k)
      for (int j = 0; j < b.size[1]; ++j)
        for (int i = 0; i < b.size[2]; ++i)
          err = std::max(
              err, std::fabs(u_.at(k, j, i) - g(coord(2, i)) * g(coord(1, j)) * g(coord(0, k))));
    const auto s = reduce_tiles<2>(dec_, [&](int k, int j, int i0, int n) {
      double a[2] = {0, 0};
      for (int i = i0; i < i0 + n; ++i) {
        const double d = f_.at(k, j, i) - q_.at(k, j, i);
        a[0] += d * d;
        a[1] += f_.at(k, j, i) * f_.at(k, j, i);
      }
      return std::array<double, 2>{a[0], a[1]};
    });
    const double res = std::sqrt(s[0].allreduce(dec_.comm()) / s[1].allreduce(dec_.comm()));
    double max_err = 0;
    MPI_Allreduce(&err, &max_err, 1, MPI_DOUBLE, MPI_MAX, dec_.comm());
    char l1[200], l2[200];
    std::snprintf(l1, sizeof l1,
                  "%lld CG iteration(s): recurrence residual reduced to %.3e (tolerance %.1e), "
                  "true residual |f - A u| / |f| = %.3e",
                  static_cast<long long>(steps_), std::sqrt(rr_ / rr0_), tolerance_, res);
    std::snprintf(l2, sizeof l2, "h = %.6g: max |u - u_exact| = %.6e", h_[2], max_err);
    return {l1, l2};
  }

 private:
  double coord(int d, int local) const { return (dec_.local().begin[d] + local + 1) * h_[d]; }

  // q = A p over box: sum_d (2 p - p[-d] - p[+d]) / h_d^2, fixed order per cell.
  void apply(const Box& box) {
    if (box.cells() == 0) return;
    const std::ptrdiff_t sy = p_.stride_y(), sz = p_.stride_z();
    const double wx = w_[2], wy = w_[1], wz = w_[0], dg = diag_;
    tbb::parallel_for(box.begin[0], box.begin[0] + box.size[0], [&](int k) {
      for (int j = box.begin[1]; j < box.begin[1] + box.size[1]; ++j) {
        const double* __restrict p = p_.row(k, j) + box.begin[2];
        double* __restrict q = q_.row(k, j) + box.begin[2];
        for (int i = 0; i < box.size[2]; ++i)
          q[i] = dg * p[i] - wx * (p[i - 1] + p[i + 1]) - wy * (p[i - sy] + p[i + sy]) -
                 wz * (p[i - sz] + p[i + sz]);
      }
    });
  }

  Decomposition dec_;
  double tolerance_;
  std::int64_t max_iterations_;
  std::array<double, 3> h_{}, w_{};
  double diag_ = 0;
  double rz_ = 0, rr_ = 0, rr0_ = 1;
  std::int64_t steps_ = 0;
  Field u_, r_, p_, q_, f_;
  HaloExchange halo_;
  Split split_;
};

WorkloadInfo poisson_info() {
  WorkloadInfo w;
  w.name = "poisson";
  w.summary = "3-D Poisson equation by preconditioned conjugate gradients (matrix-free)";
  w.description =
      "-laplacian(u) = f on the unit cube, u = 0 on the walls, f from the manufactured solution\n"
      "u = g(x) g(y) g(z), g(s) = s (1 - s) e^s. Jacobi-preconditioned CG on the 7-point stencil;\n"
      "one step is one iteration, the run ends when |r| / |r0| <= tolerance. The summary gives\n"
      "the true residual and the error against u (second order in h).\n"
      "Output: u over (t = iteration, z, y, x), coordinates in m (unit cube).";
  w.example = "mpirun -n 2 basin run poisson --set nx=128 --set ny=128 --set nz=128 --output u.nc";
  w.default_output_every = 0;
  w.params = grid_params(128);
  for (auto& spec : std::vector<ParamSpec>{
           {"tolerance",
            ParamKind::real,
            "1e-8",
            "",
            "stop when |r| / |r0| falls below this",
            {},
            1e-300,
            1,
            false},
           {"max_iterations",
            ParamKind::integer,
            "2000",
            "iterations",
            "most CG iterations",
            {},
            1,
            1e12,
            false},
       })
    w.params.push_back(spec);
  w.create = [](const Params& p, MPI_Comm comm) -> std::unique_ptr<Workload> {
    return std::make_unique<Poisson>(p, comm);
  };
  return w;
}

}  // namespace
}  // namespace basin::jobs

BASIN_WORKLOAD(poisson, basin::jobs::poisson_info);
