// Initial and background states of the five test cases (miniWeather's).
#pragma once

#include "basin/jobs/weather/model.hpp"

namespace basin::jobs::weather {

// Perturbations (r: density, u, w: winds, t: potential temperature) and the
// hydrostatic background (hr: density, ht: potential temperature) at (x, z) in metres.
struct PointState {
  double r = 0, u = 0, w = 0, t = 0, hr = 0, ht = 0;
};

PointState sample_case(Case c, double x, double z);

// The gravity_waves case's constant w forcing shape (m/s^2 per kg/m^3), zero elsewhere.
double gravity_wave_forcing(double x, double z);

}  // namespace basin::jobs::weather
