#include "portable_map.hpp"

#include <array>

#include "clone_choice.hpp"
#include "portable_math.hpp"
#include "portable_math_clones.hpp"

namespace basin::infer {
namespace {

// pmath's erf table with coefficients as rows (coef[c * 32 + piece]), as the
// clones look them up.
const double* erf_columns() {
  static const auto columns = [] {
    using T = pmath::detail::ErfTable;
    static_assert(T::kPieces == 32, "the clones look up 32 pieces");
    std::array<double, (T::kDegree + 1) * T::kPieces> c{};
    const T& table = pmath::detail::erf_table();
    for (int p = 0; p < T::kPieces; ++p)
      for (int n = 0; n <= T::kDegree; ++n) c[size_t(n * T::kPieces + p)] = table.coef[p][n];
    return c;
  }();
  return columns.data();
}

}  // namespace

void portable_map(Isa isa, MathFn f, const float* x, float* y, int64_t n) {
  isa = runnable_isa(isa);
  int64_t done = 0;
  if (f == MathFn::exp) {
    if (isa == Isa::avx512)
      done = portable::exp_avx512(x, y, n);
    else if (isa == Isa::avx2)
      done = portable::exp_avx2(x, y, n);
    for (int64_t i = done; i < n; ++i) y[i] = pmath::expf(x[i]);
  } else {
    if (isa == Isa::avx512)
      done = portable::erf_avx512(erf_columns(), x, y, n);
    else if (isa == Isa::avx2)
      done = portable::erf_avx2(erf_columns(), x, y, n);
    for (int64_t i = done; i < n; ++i) y[i] = pmath::erff(x[i]);
  }
}

}  // namespace basin::infer
