// The `poisson` workload: -laplacian(u) = f on the unit cube with u = 0 on
// the walls, solved by preconditioned conjugate gradients with a matrix-free
// 7-point stencil: a Chebyshev polynomial preconditioner (default; 4x fewer
// iterations at 64^3) or Jacobi. One step is one CG iteration.
//
// Manufactured solution u = g(x) g(y) g(z), g(s) = s (1 - s) e^s, so
// f = -(g''(x) g(y) g(z) + g(x) g''(y) g(z) + g(x) g(y) g''(z)) with
// g''(s) = -s (s + 3) e^s; the discrete solution converges to u at second
// order in h. The summary reports the residual reduction and the error.
//
// Arrays (local, halo 1; all (nz, ny, nx) owned cells): u (solution), r
// (residual), p (search direction), q = A p, f (right-hand side), z = M^-1 r,
// and the Chebyshev iteration's d and res.
// Dot products are reproducible (tile sums added exactly), so iterations
// and bits do not depend on ranks or threads.
#include <tbb/parallel_for.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>

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
        chebyshev_degree_(
            p.text("preconditioner") == "chebyshev" ? int(p.integer("chebyshev_degree")) : 0),
        u_("u", dec_.local(), 1),
        r_("r", dec_.local(), 1),
        p_("p", dec_.local(), 1),
        q_("q", dec_.local(), 1),
        f_("f", dec_.local(), 1),
        z_("z", dec_.local(), 1),
        d_("d", dec_.local(), 1),
        res_("res", dec_.local(), 1),
        halo_(dec_, p_),
        split_(split_for_overlap(dec_, 1)) {
    for (int d = 0; d < 3; ++d) {
      h_[d] = 1.0 / (dec_.global().n[d] + 1);
      w_[d] = 1 / (h_[d] * h_[d]);
    }
    diag_ = 2 * (w_[0] + w_[1] + w_[2]);
    // The spectrum of the 7-point operator with Dirichlet walls, exactly:
    // sum_d (4 / h_d^2) sin^2(j pi h_d / 2), j = 1 .. n_d.
    for (int d = 0; d < 3; ++d) {
      const double s1 = std::sin(std::numbers::pi * h_[d] / 2);
      const double c1 = std::cos(std::numbers::pi * h_[d] / 2);
      lambda_min_ += 4 * w_[d] * s1 * s1;
      lambda_max_ += 4 * w_[d] * c1 * c1;
    }
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
        }
    precondition();  // z = M^-1 r
    copy(z_, p_);
    const auto s = reduce_tiles<2>(dec_, [&](int k, int j, int i0, int n) {
      const double* r = r_.row(k, j) + i0;
      const double* z = z_.row(k, j) + i0;
      return std::array<double, 2>{tile_dot(r, z, n), tile_dot(r, r, n)};
    });
    rz_ = s[0].allreduce(dec_.comm());
    rr0_ = s[1].allreduce(dec_.comm());
    rr_ = rr0_;
    steps_ = 0;
  }

  void step() override {
    // q = A p, the halo of p in flight while the inner cells are done.
    multiply(p_, q_);
    const double pq = reduce_tiles<1>(dec_,
                                      [&](int k, int j, int i0, int n) {
                                        return std::array<double, 1>{
                                            tile_dot(p_.row(k, j) + i0, q_.row(k, j) + i0, n)};
                                      })[0]
                          .allreduce(dec_.comm());
    const double alpha = rz_ / pq;
    // u += alpha p, r -= alpha q, and r.r in the same pass.
    const auto s = reduce_tiles<1>(dec_, [&](int k, int j, int i0, int n) {
      double* __restrict u = u_.row(k, j) + i0;
      double* __restrict r = r_.row(k, j) + i0;
      const double* __restrict p = p_.row(k, j) + i0;
      const double* __restrict q = q_.row(k, j) + i0;
      for (int i = 0; i < n; ++i) {
        u[i] += alpha * p[i];
        r[i] -= alpha * q[i];
      }
      return std::array<double, 1>{tile_dot(r, r, n)};
    });
    rr_ = s[0].allreduce(dec_.comm());
    // z = M^-1 r; p = z + beta p with beta = r.z / previous r.z.
    precondition();
    const double rz_new = reduce_tiles<1>(dec_,
                                          [&](int k, int j, int i0, int n) {
                                            return std::array<double, 1>{
                                                tile_dot(r_.row(k, j) + i0, z_.row(k, j) + i0, n)};
                                          })[0]
                              .allreduce(dec_.comm());
    const double beta = rz_new / rz_;
    rz_ = rz_new;
    const Box& b = dec_.local();
    tbb::parallel_for(0, b.size[0], [&](int k) {
      for (int j = 0; j < b.size[1]; ++j) {
        const double* __restrict z = z_.row(k, j);
        double* __restrict p = p_.row(k, j);
        for (int i = 0; i < b.size[2]; ++i) p[i] = z[i] + beta * p[i];
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
    multiply(u_, q_);
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

  // out = A in: the halo of `in` in flight while the inner cells are done.
  void multiply(Field& in, Field& out) {
    halo_.start(in);
    apply(in, out, split_.inner);
    halo_.finish();
    for (const Box& b : split_.shell) apply(in, out, b);
  }

  // out = A in over box: sum_d (2 in - in[-d] - in[+d]) / h_d^2, fixed order per cell.
  void apply(const Field& in, Field& out, const Box& box) {
    if (box.cells() == 0) return;
    const std::ptrdiff_t sy = in.stride_y(), sz = in.stride_z();
    const double wx = w_[2], wy = w_[1], wz = w_[0], dg = diag_;
    tbb::parallel_for(box.begin[0], box.begin[0] + box.size[0], [&](int k) {
      for (int j = box.begin[1]; j < box.begin[1] + box.size[1]; ++j) {
        const double* __restrict p = in.row(k, j) + box.begin[2];
        double* __restrict q = out.row(k, j) + box.begin[2];
        for (int i = 0; i < box.size[2]; ++i)
          q[i] = dg * p[i] - wx * (p[i - 1] + p[i + 1]) - wy * (p[i - sy] + p[i + sy]) -
                 wz * (p[i - sz] + p[i + sz]);
      }
    });
  }

  // Applies f(a, b) = value to every owned cell of `out` (parallel, fixed per cell).
  template <class F>
  void for_cells(Field& out, F f) {
    const Box& b = dec_.local();
    tbb::parallel_for(0, b.size[0], [&](int k) {
      for (int j = 0; j < b.size[1]; ++j)
        for (int i = 0; i < b.size[2]; ++i) out.at(k, j, i) = f(k, j, i);
    });
  }
  void copy(const Field& from, Field& to) {
    for_cells(to, [&](int k, int j, int i) { return from.at(k, j, i); });
  }

  // z = M^-1 r. Jacobi: r / diag. Chebyshev: `chebyshev_degree` steps of the
  // Chebyshev iteration for A z = r from z = 0 over the exact spectrum
  // [lambda_min, lambda_max]: a fixed polynomial in A, positive on the
  // spectrum, hence a symmetric positive definite preconditioner; it uses
  // only stencils and pointwise updates, so the bits do not depend on the
  // decomposition either (Saad, Iterative Methods, algorithm 12.1).
  void precondition() {
    if (chebyshev_degree_ == 0) {
      const double inv = 1 / diag_;
      for_cells(z_, [&](int k, int j, int i) { return r_.at(k, j, i) * inv; });
      return;
    }
    const double theta = (lambda_max_ + lambda_min_) / 2, delta = (lambda_max_ - lambda_min_) / 2;
    const double sigma = theta / delta;
    double rho = 1 / sigma;
    for_cells(d_, [&](int k, int j, int i) { return r_.at(k, j, i) / theta; });
    copy(d_, z_);
    copy(r_, res_);
    for (int m = 1; m < chebyshev_degree_; ++m) {
      multiply(d_, q_);  // res -= A d
      for_cells(res_, [&](int k, int j, int i) { return res_.at(k, j, i) - q_.at(k, j, i); });
      const double rho_next = 1 / (2 * sigma - rho);
      const double a = rho_next * rho, c = 2 * rho_next / delta;
      for_cells(d_, [&](int k, int j, int i) { return a * d_.at(k, j, i) + c * res_.at(k, j, i); });
      for_cells(z_, [&](int k, int j, int i) { return z_.at(k, j, i) + d_.at(k, j, i); });
      rho = rho_next;
    }
  }

  Decomposition dec_;
  double tolerance_;
  std::int64_t max_iterations_;
  std::array<double, 3> h_{}, w_{};
  double diag_ = 0, lambda_min_ = 0, lambda_max_ = 0;
  int chebyshev_degree_;
  double rz_ = 0, rr_ = 0, rr0_ = 1;
  std::int64_t steps_ = 0;
  Field u_, r_, p_, q_, f_, z_, d_, res_;
  HaloExchange halo_;
  Split split_;
};

WorkloadInfo poisson_info() {
  WorkloadInfo w;
  w.name = "poisson";
  w.summary = "3-D Poisson equation by preconditioned conjugate gradients (matrix-free)";
  w.description =
      "-laplacian(u) = f on the unit cube, u = 0 on the walls, f from the manufactured solution\n"
      "u = g(x) g(y) g(z), g(s) = s (1 - s) e^s. Preconditioned CG on the 7-point stencil\n"
      "(Chebyshev polynomial or Jacobi preconditioner);\n"
      "one step is one iteration, the run ends when |r| / |r0| <= tolerance. The summary gives\n"
      "the true residual and the error against u (second order in h).\n"
      "Output: u over (t = iteration, z, y, x), coordinates in m (unit cube).";
  w.example = "mpirun -n 2 basin run poisson --set nx=128 --set ny=128 --set nz=128 --output u.nc";
  w.default_output_every = 0;
  w.params = grid_params(128);
  for (auto& spec : std::vector<ParamSpec>{
           {"preconditioner",
            ParamKind::choice,
            "chebyshev",
            "",
            "jacobi (diagonal) or chebyshev (a fixed Chebyshev polynomial in A)",
            {"jacobi", "chebyshev"}},
           {"chebyshev_degree",
            ParamKind::integer,
            "4",
            "",
            "degree of the Chebyshev preconditioner (matrix products per application + 1)",
            {},
            1,
            64},
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
  w.memory = [](const Params& p, MPI_Comm comm) {
    const Decomposition dec(comm, grid_extent(p), int(p.integer("split_dims")));
    return grid_memory(dec, 8, 1, "u, r, p, q, f, z, d, res");
  };
  return w;
}

}  // namespace
}  // namespace basin::jobs

BASIN_WORKLOAD(poisson, basin::jobs::poisson_info);
