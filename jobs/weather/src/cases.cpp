#include "cases.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "physics.hpp"

namespace basin::jobs::weather {
namespace {
using namespace physics;

// Hydrostatic balance at constant potential temperature (neutral atmosphere).
void hydro_const_theta(double z, double& r, double& t) {
  const double theta0 = 300., exner0 = 1.;
  t = theta0;
  const double exner = exner0 - grav * z / (cp * theta0);
  const double p = p0 * std::pow(exner, cp / rd);
  const double rt = std::pow(p / C0, 1. / gamm);
  r = rt / t;
}

// Hydrostatic balance at constant Brunt-Vaisala frequency (stable atmosphere).
void hydro_const_bvfreq(double z, double bv_freq0, double& r, double& t) {
  const double theta0 = 300., exner0 = 1.;
  t = theta0 * std::exp(bv_freq0 * bv_freq0 / grav * z);
  const double exner =
      exner0 - grav * grav / (cp * bv_freq0 * bv_freq0) * (t - theta0) / (t * theta0);
  const double p = p0 * std::pow(exner, cp / rd);
  const double rt = std::pow(p / C0, 1. / gamm);
  r = rt / t;
}

// A cos^2 bump of amplitude amp on an ellipse centred at (x0, z0).
double ellipse_cosine(double x, double z, double amp, double x0, double z0, double xrad,
                      double zrad) {
  const double dist =
      std::sqrt(((x - x0) / xrad) * ((x - x0) / xrad) + ((z - z0) / zrad) * ((z - z0) / zrad)) *
      pi / 2.;
  if (dist > pi / 2.) return 0.;
  const double c = std::cos(dist);
  return amp * c * c;
}
}  // namespace

Case parse_case(std::string_view name) {
  if (name == "thermal") return Case::thermal;
  if (name == "collision") return Case::collision;
  if (name == "gravity_waves") return Case::gravity_waves;
  if (name == "density_current") return Case::density_current;
  if (name == "injection") return Case::injection;
  throw std::invalid_argument("unknown weather case '" + std::string(name) +
                              "': choose thermal, collision, gravity_waves, density_current or "
                              "injection (e.g. --set case=thermal)");
}

std::string_view case_name(Case c) {
  switch (c) {
    case Case::thermal:
      return "thermal";
    case Case::collision:
      return "collision";
    case Case::gravity_waves:
      return "gravity_waves";
    case Case::density_current:
      return "density_current";
    case Case::injection:
      return "injection";
  }
  return "unknown";
}

PointState sample_case(Case c, double x, double z) {
  PointState s;
  switch (c) {
    case Case::thermal:
      hydro_const_theta(z, s.hr, s.ht);
      s.t = ellipse_cosine(x, z, 3., xlen / 2, 2000., 2000., 2000.);
      break;
    case Case::collision:
      hydro_const_theta(z, s.hr, s.ht);
      s.t = ellipse_cosine(x, z, 20., xlen / 2, 2000., 2000., 2000.);
      s.t = s.t + ellipse_cosine(x, z, -20., xlen / 2, 8000., 2000., 2000.);
      break;
    case Case::gravity_waves:
      hydro_const_bvfreq(z, 0.02, s.hr, s.ht);
      s.u = 15.;
      break;
    case Case::density_current:
      hydro_const_theta(z, s.hr, s.ht);
      s.t = ellipse_cosine(x, z, -20., xlen / 2, 5000., 4000., 2000.);
      break;
    case Case::injection:
      hydro_const_theta(z, s.hr, s.ht);
      break;
  }
  return s;
}

double gravity_wave_forcing(double x, double z) {
  return ellipse_cosine(x, z, 0.01, xlen / 8, 1000., 500., 500.);
}

}  // namespace basin::jobs::weather
