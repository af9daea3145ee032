#include "fluxes.hpp"

#include "physics.hpp"

namespace basin::jobs::weather {
namespace {
constexpr double inv12 = 1.0 / 12.0;

// One stencil: the interface value (4th order) and the third difference.
struct Interp {
  double v, d3;
};
inline Interp interp(double s0, double s1, double s2, double s3) {
  return {(7. * (s1 + s2) - (s0 + s3)) * inv12, -s0 + 3. * (s1 - s2) + s3};
}
}  // namespace

// AVX-512, AVX2 and baseline clones are picked at load time; with FMA
// contraction off and only +-*/ inside, every clone gives the same bits.
#define BASIN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// The kernels take restrict pointers as parameters: GCC 12 does not vectorise
// the same loop over restrict locals copied from a struct.
BASIN_CLONES static void flux_x_kernel(const double* __restrict d, const double* __restrict u,
                                       const double* __restrict w, const double* __restrict t,
                                       double hr, double hrt, double hv_coef, int n,
                                       double* __restrict fd, double* __restrict fu,
                                       double* __restrict fw, double* __restrict ft) {
  for (int i = 0; i < n; ++i) {
    const Interp id = interp(d[i], d[i + 1], d[i + 2], d[i + 3]);
    const Interp iu = interp(u[i], u[i + 1], u[i + 2], u[i + 3]);
    const Interp iw = interp(w[i], w[i + 1], w[i + 2], w[i + 3]);
    const Interp it = interp(t[i], t[i + 1], t[i + 2], t[i + 3]);
    const double r = id.v + hr;
    const double inv_r = 1. / r;
    const double rth = it.v + hrt;
    const double p = physics::pressure(rth);
    const double mass_flux = iu.v;  // r * u
    fd[i] = mass_flux - hv_coef * id.d3;
    fu[i] = mass_flux * (iu.v * inv_r) + p - hv_coef * iu.d3;
    fw[i] = mass_flux * (iw.v * inv_r) - hv_coef * iw.d3;
    ft[i] = mass_flux * (rth * inv_r) - hv_coef * it.d3;
  }
}

BASIN_CLONES static void flux_z_kernel(const double* __restrict d, const double* __restrict u,
                                       const double* __restrict w, const double* __restrict t,
                                       std::size_t s, double hr, double hrt, double hp, double open,
                                       double hv_coef, int n, double* __restrict fd,
                                       double* __restrict fu, double* __restrict fw,
                                       double* __restrict ft) {
  for (int i = 0; i < n; ++i) {
    const Interp id = interp(d[i], d[i + s], d[i + 2 * s], d[i + 3 * s]);
    const Interp iu = interp(u[i], u[i + s], u[i + 2 * s], u[i + 3 * s]);
    const Interp iw = interp(w[i], w[i + s], w[i + 2 * s], w[i + 3 * s]);
    const Interp it = interp(t[i], t[i + s], t[i + 2 * s], t[i + 3 * s]);
    const double r = id.v + hr;
    const double inv_r = 1. / r;
    const double rth = it.v + hrt;
    const double p = physics::pressure(rth) - hp;
    const double mass_flux = iw.v * open;  // r * w, zero through the walls
    fd[i] = mass_flux - hv_coef * (id.d3 * open);
    fu[i] = mass_flux * (iu.v * inv_r) - hv_coef * iu.d3;
    fw[i] = mass_flux * (iw.v * inv_r * open) + p - hv_coef * iw.d3;
    ft[i] = mass_flux * (rth * inv_r) - hv_coef * it.d3;
  }
}

void flux_x(Rows in, double hr, double hrt, double hv_coef, int n, FluxOut out) {
  flux_x_kernel(in.d, in.u, in.w, in.t, hr, hrt, hv_coef, n, out.d, out.u, out.w, out.t);
}

void flux_z(Rows in, std::size_t stride, double hr, double hrt, double hp, double open,
            double hv_coef, int n, FluxOut out) {
  flux_z_kernel(in.d, in.u, in.w, in.t, stride, hr, hrt, hp, open, hv_coef, n, out.d, out.u, out.w,
                out.t);
}

}  // namespace basin::jobs::weather
