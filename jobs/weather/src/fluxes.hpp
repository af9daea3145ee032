// The hot loops: 4th-order interface values, 3rd-derivative hyperviscosity and
// the Euler fluxes along one row (x) or one layer of interfaces (z). Plain
// functions over restrict pointers so the compiler vectorises them; no libm
// call inside, so vector and scalar lanes give the same bits.
#pragma once

#include <cstddef>

namespace basin::jobs::weather {

// The four variables' rows of one array, and where the fluxes go.
struct Rows {
  const double* d;  // rho'
  const double* u;  // rho u
  const double* w;  // rho w
  const double* t;  // (rho theta)'
};
struct FluxOut {
  double* d;
  double* u;
  double* w;
  double* t;
};

// Fluxes at n x-interfaces; interface i uses padded cells i..i+3 of the rows.
// hr, hrt: background density and rho*theta of the row's layer.
void flux_x(Rows in, double hr, double hrt, double hv_coef, int n, FluxOut out);

// Fluxes at one z-interface for n columns; cell j of the stencil is at
// offset j * stride. hp: background pressure there; open: 0 at a wall, else 1.
void flux_z(Rows in, std::size_t stride, double hr, double hrt, double hp, double open,
            double hv_coef, int n, FluxOut out);

}  // namespace basin::jobs::weather
