// The time loop of the weather model. Layout: every 3-D array is
// (var, z, x) row-major with a halo of hs cells on each side of z and x, so a
// row of one variable is contiguous and the x sweep streams along it.
#include "basin/jobs/weather/model.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "basin/runtime/halo_exchange.hpp"
#include "cases.hpp"
#include "fluxes.hpp"
#include "physics.hpp"

namespace basin::jobs::weather {
using namespace physics;

namespace {
constexpr std::array<double, 3> qpoints = {0.112701665379258311482073460022E0, 0.5,
                                           0.887298334620741688517926539980E0};
constexpr std::array<double, 3> qweights = {0.277777777777777777777777777779E0,
                                            0.444444444444444444444444444444E0,
                                            0.277777777777777777777777777779E0};
}  // namespace

struct Model::Impl {
  Config cfg;
  MPI_Comm comm;
  int rank = 0, nranks = 1, left = 0, right = 0;
  int nx = 0, nz = 0, i_beg = 0;  // local interior size and first global x index
  int sx = 0, sz = 0;             // padded row length nx + 2 hs, padded column nz + 2 hs
  double dx = 0, dz = 0, dt = 0, time = 0;
  std::int64_t steps = 0;
  int direction_switch = 1;

  // (var, z + 2 hs, x + 2 hs): the state q and two RK stage buffers, so the
  // array read for fluxes is never the one being written.
  std::vector<double> q, s1, s2;
  // (z + 2 hs): hydrostatic density and rho*theta, cell averages.
  std::vector<double> hy_dens_cell, hy_dens_theta_cell;
  // (nz + 1): hydrostatic density, rho*theta and pressure at z interfaces.
  std::vector<double> hy_dens_int, hy_dens_theta_int, hy_pressure_int;
  // (z, x) interior: the gravity_waves case's w forcing times background density; empty otherwise.
  std::vector<double> w_forcing;
  // The x faces (var, z interior, hs columns) of a state array, exchanged
  // with the ranks left and right (x is periodic); only with 2+ ranks.
  std::optional<basin::runtime::HaloExchange> x_faces;

  std::size_t idx(int v, int k, int i) const {
    return (static_cast<std::size_t>(v) * sz + k) * sx + i;
  }

  void init();
  void halo_x(std::vector<double>& s);
  void halo_z(std::vector<double>& s);
  void sweep_x(const std::vector<double>& init, const std::vector<double>& f,
               std::vector<double>& out, double sdt);
  void sweep_z(const std::vector<double>& init, const std::vector<double>& f,
               std::vector<double>& out, double sdt);
  void rk_direction(bool x_dir, double step_dt);
};

void Model::Impl::init() {
  left = (rank - 1 + nranks) % nranks;
  right = (rank + 1) % nranks;
  dx = xlen / cfg.nx;
  dz = zlen / cfg.nz;
  dt = std::min(dx, dz) / max_speed * cfl;
  nz = cfg.nz;
  sx = nx + 2 * hs;
  sz = nz + 2 * hs;
  const std::size_t n = static_cast<std::size_t>(NUM_VARS) * sz * sx;
  q.assign(n, 0.);
  s1.assign(n, 0.);
  s2.assign(n, 0.);
  if (nranks > 1) {
    // (var, z, x): no halo over variables, hs in z (walls: halo_z fills it)
    // and in x; only x has neighbours.
    const basin::runtime::HaloShape shape{{NUM_VARS, nz, nx}, {0, hs, hs}};
    const basin::runtime::Neighbours peers{
        {{MPI_PROC_NULL, MPI_PROC_NULL}, {MPI_PROC_NULL, MPI_PROC_NULL}, {left, right}}};
    x_faces.emplace(comm, shape, peers);
  }

  // Cell averages by 3x3 Gauss-Legendre quadrature, halos included.
  for (int k = 0; k < sz; ++k) {
    for (int i = 0; i < sx; ++i) {
      std::array<double, NUM_VARS> acc{};
      for (int kk = 0; kk < 3; ++kk) {
        for (int ii = 0; ii < 3; ++ii) {
          const double x = (i_beg + i - hs + 0.5) * dx + (qpoints[ii] - 0.5) * dx;
          const double z = (k - hs + 0.5) * dz + (qpoints[kk] - 0.5) * dz;
          const PointState p = sample_case(cfg.test_case, x, z);
          const double w = qweights[ii] * qweights[kk];
          acc[ID_DENS] += p.r * w;
          acc[ID_UMOM] += (p.r + p.hr) * p.u * w;
          acc[ID_WMOM] += (p.r + p.hr) * p.w * w;
          acc[ID_RHOT] += ((p.r + p.hr) * (p.t + p.ht) - p.hr * p.ht) * w;
        }
      }
      for (int v = 0; v < NUM_VARS; ++v) q[idx(v, k, i)] = acc[v];
    }
  }
  hy_dens_cell.assign(sz, 0.);
  hy_dens_theta_cell.assign(sz, 0.);
  for (int k = 0; k < sz; ++k) {
    for (int kk = 0; kk < 3; ++kk) {
      const double z = (k - hs + 0.5) * dz + (qpoints[kk] - 0.5) * dz;
      const PointState p = sample_case(cfg.test_case, 0., z);
      hy_dens_cell[k] += p.hr * qweights[kk];
      hy_dens_theta_cell[k] += p.hr * p.ht * qweights[kk];
    }
  }
  hy_dens_int.assign(nz + 1, 0.);
  hy_dens_theta_int.assign(nz + 1, 0.);
  hy_pressure_int.assign(nz + 1, 0.);
  for (int k = 0; k <= nz; ++k) {
    const PointState p = sample_case(cfg.test_case, 0., k * dz);
    hy_dens_int[k] = p.hr;
    hy_dens_theta_int[k] = p.hr * p.ht;
    hy_pressure_int[k] = pressure(p.hr * p.ht);
  }
  if (cfg.test_case == Case::gravity_waves) {
    w_forcing.assign(static_cast<std::size_t>(nz) * nx, 0.);
    for (int k = 0; k < nz; ++k)
      for (int i = 0; i < nx; ++i)
        w_forcing[static_cast<std::size_t>(k) * nx + i] =
            gravity_wave_forcing((i_beg + i + 0.5) * dx, (k + 0.5) * dz) * hy_dens_cell[hs + k];
  }
}

// Periodic in x: exchange hs columns with both neighbours (a copy on one rank);
// the injection case then overwrites the left boundary halo with its inflow.
void Model::Impl::halo_x(std::vector<double>& s) {
  if (nranks == 1) {
    for (int v = 0; v < NUM_VARS; ++v)
      for (int k = hs; k < nz + hs; ++k)
        for (int h = 0; h < hs; ++h) {
          s[idx(v, k, h)] = s[idx(v, k, nx + h)];
          s[idx(v, k, nx + hs + h)] = s[idx(v, k, hs + h)];
        }
  } else {
    x_faces->exchange(s.data());
  }
  if (cfg.test_case == Case::injection && i_beg == 0) {
    for (int k = 0; k < nz; ++k) {
      const double z = (k + 0.5) * dz;
      if (std::fabs(z - 3 * zlen / 4) > zlen / 16) continue;
      for (int h = 0; h < hs; ++h) {
        const double r = s[idx(ID_DENS, k + hs, h)] + hy_dens_cell[k + hs];
        s[idx(ID_UMOM, k + hs, h)] = r * 50.;
        s[idx(ID_RHOT, k + hs, h)] = r * 298. - hy_dens_theta_cell[k + hs];
      }
    }
  }
}

// Walls in z: no normal flow, u scaled with the background density, others copied.
void Model::Impl::halo_z(std::vector<double>& s) {
  for (int i = 0; i < sx; ++i) {
    for (int v = 0; v < NUM_VARS; ++v) {
      const double bot = s[idx(v, hs, i)], top = s[idx(v, nz + hs - 1, i)];
      for (int h = 0; h < hs; ++h) {
        const int kb = h, kt = nz + hs + h;
        if (v == ID_WMOM) {
          s[idx(v, kb, i)] = 0.;
          s[idx(v, kt, i)] = 0.;
        } else if (v == ID_UMOM) {
          s[idx(v, kb, i)] = bot / hy_dens_cell[hs] * hy_dens_cell[kb];
          s[idx(v, kt, i)] = top / hy_dens_cell[nz + hs - 1] * hy_dens_cell[kt];
        } else {
          s[idx(v, kb, i)] = bot;
          s[idx(v, kt, i)] = top;
        }
      }
    }
  }
}

// out = init + sdt * (x-flux divergence of f [+ gravity-wave forcing]).
// Rows are independent, so each TBB task takes whole rows and keeps the
// row's interface fluxes (var, nx + 1) in a buffer of its own.
void Model::Impl::sweep_x(const std::vector<double>& init, const std::vector<double>& f,
                          std::vector<double>& out, double sdt) {
  const double hv_coef = -hv_beta * dx / (16 * sdt);
  tbb::parallel_for(tbb::blocked_range<int>(0, nz), [&](const tbb::blocked_range<int>& rows) {
    std::vector<double> flux(static_cast<std::size_t>(NUM_VARS) * (nx + 1));
    double* fd = flux.data();
    double* fu = fd + (nx + 1);
    double* fw = fu + (nx + 1);
    double* ft = fw + (nx + 1);
    for (int k = rows.begin(); k < rows.end(); ++k) {
      const double* rd_ = &f[idx(ID_DENS, k + hs, 0)];
      const double* ru = &f[idx(ID_UMOM, k + hs, 0)];
      const double* rw = &f[idx(ID_WMOM, k + hs, 0)];
      const double* rt = &f[idx(ID_RHOT, k + hs, 0)];
      const double hr = hy_dens_cell[k + hs], hrt = hy_dens_theta_cell[k + hs];
      flux_x({rd_, ru, rw, rt}, hr, hrt, hv_coef, nx + 1, {fd, fu, fw, ft});
      const double* force =
          w_forcing.empty() ? nullptr : &w_forcing[static_cast<std::size_t>(k) * nx];
      for (int v = 0; v < NUM_VARS; ++v) {
        const double* fv = fd + static_cast<std::size_t>(v) * (nx + 1);
        const double* in = &init[idx(v, k + hs, hs)];
        double* o = &out[idx(v, k + hs, hs)];
        if (v == ID_WMOM && force) {
          for (int i = 0; i < nx; ++i) o[i] = in[i] + sdt * (-(fv[i + 1] - fv[i]) / dx + force[i]);
        } else {
          for (int i = 0; i < nx; ++i) o[i] = in[i] + sdt * (-(fv[i + 1] - fv[i]) / dx);
        }
      }
    }
  });
}

// The z sweep: each TBB task takes a block of columns and walks up the
// interfaces, keeping the fluxes of the interface below (var, block width) so
// each cell is updated as soon as the interface above it is known.
void Model::Impl::sweep_z(const std::vector<double>& init, const std::vector<double>& f,
                          std::vector<double>& out, double sdt) {
  const double hv_coef = -hv_beta * dz / (16 * sdt);
  tbb::parallel_for(tbb::blocked_range<int>(0, nx, 64), [&](const tbb::blocked_range<int>& cols) {
    const int i0 = cols.begin(), n = cols.end() - cols.begin();
    std::vector<double> buf(static_cast<std::size_t>(2) * NUM_VARS * n);
    double* below = buf.data();
    double* above = below + NUM_VARS * n;
    for (int k = 0; k <= nz; ++k) {
      // Interface k lies between cells k-1 and k: padded rows k..k+3.
      const double hr = hy_dens_int[k], hrt = hy_dens_theta_int[k], hp = hy_pressure_int[k];
      // 0 at the walls (no flow through them, exact mass conservation), else 1;
      // a factor rather than a branch keeps the loop vectorisable.
      const double open = (k == 0 || k == nz) ? 0. : 1.;
      const double* r0 = &f[idx(ID_DENS, k, hs + i0)];
      const double* u0 = &f[idx(ID_UMOM, k, hs + i0)];
      const double* w0 = &f[idx(ID_WMOM, k, hs + i0)];
      const double* t0 = &f[idx(ID_RHOT, k, hs + i0)];
      flux_z({r0, u0, w0, t0}, sx, hr, hrt, hp, open, hv_coef, n,
             {above, above + n, above + 2 * n, above + 3 * n});
      if (k > 0) {
        const int kc = k - 1;  // the cell between interfaces k-1 and k
        for (int v = 0; v < NUM_VARS; ++v) {
          const double* in = &init[idx(v, kc + hs, hs + i0)];
          double* o = &out[idx(v, kc + hs, hs + i0)];
          const double* fb = below + v * n;
          const double* fa = above + v * n;
          if (v == ID_WMOM) {
            const double* dens = &f[idx(ID_DENS, kc + hs, hs + i0)];
            const double* force =
                w_forcing.empty() ? nullptr : &w_forcing[static_cast<std::size_t>(kc) * nx + i0];
            for (int i = 0; i < n; ++i) {
              double tend = -(fa[i] - fb[i]) / dz - dens[i] * grav;
              if (force) tend = tend + force[i];
              o[i] = in[i] + sdt * tend;
            }
          } else {
            for (int i = 0; i < n; ++i) o[i] = in[i] + sdt * (-(fa[i] - fb[i]) / dz);
          }
        }
      }
      std::swap(below, above);
    }
  });
}

// The low-storage RK3 in one direction:
//   s1 = q + dt/3 rhs(q),  s2 = q + dt/2 rhs(s1),  q = q + dt rhs(s2).
void Model::Impl::rk_direction(bool x_dir, double step_dt) {
  auto stage = [&](const std::vector<double>& f, std::vector<double>& out, double sdt) {
    auto& forcing =
        const_cast<std::vector<double>&>(f);  // halos of the forcing state are refreshed
    if (x_dir) {
      halo_x(forcing);
      sweep_x(q, f, out, sdt);
    } else {
      halo_z(forcing);
      sweep_z(q, f, out, sdt);
    }
  };
  stage(q, s1, step_dt / 3);
  stage(s1, s2, step_dt / 2);
  stage(s2, q, step_dt / 1);
}

basin::runtime::Extent grid_extent(const Config& config) {
  return basin::runtime::Extent{{config.nz, 1, config.nx}};
}

basin::runtime::Decomposition::Rule decomposition_rule() {
  basin::runtime::Decomposition::Rule r;
  r.process_grid = {1, 1, 0};
  r.tile_cells = 1;
  r.min_cells = hs;  // a rank's halo comes from its direct neighbours only
  return r;
}

Model::Model(const Config& config, const basin::runtime::Decomposition& dec)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.cfg = config;
  m.comm = dec.comm();
  if (config.nx < 4 || config.nz < 4)
    throw std::invalid_argument(
        "weather grid too small: nx and nz must be at least 4 (e.g. --set nx=100 --set nz=50)");
  if (!(config.sim_time >= 0))
    throw std::invalid_argument("weather: sim_time must be >= 0 seconds");
  const auto& g = dec.global().n;
  const auto& p = dec.process_grid();
  if (g != grid_extent(config).n || p[0] != 1 || p[1] != 1 || dec.local().size[2] < hs)
    throw std::invalid_argument(
        "weather: the decomposition must split x only over (nz, 1, nx) with at least 2 columns "
        "per rank (use weather::decomposition_rule())");
  // With a 1 x 1 x P process grid rank r holds the r-th x block; x is periodic.
  m.rank = dec.rank();
  m.nranks = dec.ranks();
  m.i_beg = dec.local().begin[2];
  m.nx = dec.local().size[2];
  m.init();
}

Model::~Model() = default;

void Model::step() {
  Impl& m = *impl_;
  const double step_dt = m.time + m.dt > m.cfg.sim_time ? m.cfg.sim_time - m.time : m.dt;
  if (m.direction_switch) {
    m.rk_direction(true, step_dt);
    m.rk_direction(false, step_dt);
  } else {
    m.rk_direction(false, step_dt);
    m.rk_direction(true, step_dt);
  }
  m.direction_switch = !m.direction_switch;
  m.time = m.time + step_dt;
  ++m.steps;
}

bool Model::done() const {
  return !(impl_->time < impl_->cfg.sim_time);
}
double Model::time() const {
  return impl_->time;
}
double Model::dt() const {
  return impl_->dt;
}
std::int64_t Model::steps() const {
  return impl_->steps;
}
int Model::nx_local() const {
  return impl_->nx;
}
int Model::x_begin() const {
  return impl_->i_beg;
}
const Config& Model::config() const {
  return impl_->cfg;
}

Totals Model::totals() const {
  const Impl& m = *impl_;
  // Per column (2 values: mass, energy), summed bottom to top.
  std::vector<double> cols(static_cast<std::size_t>(2) * m.nx, 0.);
  for (int i = 0; i < m.nx; ++i) {
    double mass = 0, te = 0;
    for (int k = 0; k < m.nz; ++k) {
      const double r = m.q[m.idx(ID_DENS, k + hs, i + hs)] + m.hy_dens_cell[hs + k];
      const double u = m.q[m.idx(ID_UMOM, k + hs, i + hs)] / r;
      const double w = m.q[m.idx(ID_WMOM, k + hs, i + hs)] / r;
      const double th = (m.q[m.idx(ID_RHOT, k + hs, i + hs)] + m.hy_dens_theta_cell[hs + k]) / r;
      const double p = C0 * std::pow(r * th, gamm);
      const double t = th / std::pow(p0 / p, rd / cp);
      const double ke = r * (u * u + w * w);
      const double ie = r * cv * t;
      mass += r * m.dx * m.dz;
      te += (ke + ie) * m.dx * m.dz;
    }
    cols[2 * i] = mass;
    cols[2 * i + 1] = te;
  }
  std::vector<int> counts(m.nranks), displs(m.nranks);
  const int mine = 2 * m.nx;
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, m.comm);
  for (int r = 1; r < m.nranks; ++r) displs[r] = displs[r - 1] + counts[r - 1];
  std::vector<double> all(static_cast<std::size_t>(2) * m.cfg.nx);
  MPI_Allgatherv(cols.data(), mine, MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                 MPI_DOUBLE, m.comm);
  Totals out;
  for (int i = 0; i < m.cfg.nx; ++i) {
    out.mass += all[2 * i];
    out.energy += all[2 * i + 1];
  }
  return out;
}

int Model::direction_switch() const {
  return impl_->direction_switch;
}

void Model::output_field(OutputVar var, basin::runtime::Field& out) const {
  const Impl& m = *impl_;
  for (int k = 0; k < m.nz; ++k) {
    const double hr = m.hy_dens_cell[k + hs], hrt = m.hy_dens_theta_cell[k + hs];
    double* o = out.row(k, 0);
    for (int i = 0; i < m.nx; ++i) {
      const double d = m.q[m.idx(ID_DENS, k + hs, i + hs)];
      const double r = d + hr;
      double v = 0;
      switch (var) {
        case OutputVar::dens:
          v = d;
          break;
        case OutputVar::uwnd:
          v = m.q[m.idx(ID_UMOM, k + hs, i + hs)] / r;
          break;
        case OutputVar::wwnd:
          v = m.q[m.idx(ID_WMOM, k + hs, i + hs)] / r;
          break;
        case OutputVar::theta:
          v = (m.q[m.idx(ID_RHOT, k + hs, i + hs)] + hrt) / r - hrt / hr;
          break;
      }
      o[i] = v;
    }
  }
}

void Model::save_state(const std::array<basin::runtime::Field*, kStateVars>& out) const {
  const Impl& m = *impl_;
  for (int v = 0; v < NUM_VARS; ++v)
    for (int k = 0; k < m.nz; ++k) {
      const double* src = &m.q[m.idx(v, k + hs, hs)];
      std::copy(src, src + m.nx, out[v]->row(k, 0));
    }
}

void Model::load_state(const std::array<const basin::runtime::Field*, kStateVars>& in, double time,
                       std::int64_t steps, int direction_switch) {
  Impl& m = *impl_;
  for (const auto* f : in)
    if (f->box().size != std::array<int, 3>{m.nz, 1, m.nx} || f->box().begin[2] != m.i_beg)
      throw std::invalid_argument("weather: state field " + f->name() +
                                  " does not cover this rank's cells");
  for (int v = 0; v < NUM_VARS; ++v)
    for (int k = 0; k < m.nz; ++k) {
      const double* src = in[v]->row(k, 0);
      std::copy(src, src + m.nx, &m.q[m.idx(v, k + hs, hs)]);
    }
  m.time = time;
  m.steps = steps;
  m.direction_switch = direction_switch;
}

}  // namespace basin::jobs::weather
