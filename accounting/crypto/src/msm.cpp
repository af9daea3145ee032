#include "basin/crypto/msm.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "basin/crypto/detail/decode_many.hpp"
#include "msm_digits.hpp"

namespace basin::crypto {

using detail::signed_digits;

namespace {

void check_sizes(std::span<const Scalar> s, std::span<const Point> p) {
  if (s.size() != p.size()) throw std::invalid_argument("msm: scalars and points differ in count");
}

}  // namespace

Point msm_straus(std::span<const Scalar> scalars, std::span<const Point> points) {
  check_sizes(scalars, points);
  constexpr int w = 4;
  const std::size_t n = points.size();
  // table[i][j] = (j+1) * P_i for j = 0..7
  std::vector<std::array<Point, 8>> table(n);
  std::vector<std::vector<int>> digits(n);
  for (std::size_t i = 0; i < n; ++i) {
    table[i][0] = points[i];
    for (int j = 1; j < 8; ++j) table[i][j] = table[i][j - 1] + points[i];
    digits[i] = signed_digits(scalars[i], w);
  }
  Point acc;
  if (n == 0) return acc;
  for (int j = static_cast<int>(digits[0].size()) - 1; j >= 0; --j) {
    for (int t = 0; t < w; ++t) acc = acc.dbl();
    for (std::size_t i = 0; i < n; ++i) {
      const int d = digits[i][j];
      if (d > 0) acc = acc + table[i][d - 1];
      if (d < 0) acc = acc - table[i][-d - 1];
    }
  }
  return acc;
}

Point msm_pippenger(std::span<const Scalar> scalars, std::span<const Point> points) {
  check_sizes(scalars, points);
  const std::size_t n = points.size();
  // Window width minimising point additions: windows * (n + 2^c) (bucket
  // fills plus the two running sums over 2^(c-1) buckets).
  // Wider than 15 bits the buckets (2^(c-1) points of 160 bytes) outgrow the caches.
  int c = 4;
  double best = 1e300;
  for (int w = 4; w <= 15; ++w) {
    const double cost = ((256.0 + w - 1) / w + 1) * (static_cast<double>(n) + (1 << w));
    if (cost < best) {
      best = cost;
      c = w;
    }
  }
  const int windows = (256 + c - 1) / c + 1;
  // One flat array, window-major: digits[j * n + i] is point i's digit in
  // window j, read in order by the bucket pass of window j.
  std::vector<int> digits(n * static_cast<std::size_t>(windows));
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = signed_digits(scalars[i], c);
    for (std::size_t j = 0; j < d.size(); ++j) digits[j * n + i] = d[j];
  }
  const std::size_t nb = std::size_t{1} << (c - 1);
  std::vector<Point> buckets(nb);
  Point acc;
  for (int j = windows - 1; j >= 0; --j) {
    for (int t = 0; t < c; ++t) acc = acc.dbl();
    for (auto& b : buckets) b = Point();
    for (std::size_t i = 0; i < n; ++i) {
      const int d = digits[static_cast<std::size_t>(j) * n + i];
      if (d > 0) buckets[d - 1] += points[i];
      if (d < 0) buckets[-d - 1] = buckets[-d - 1] - points[i];
    }
    // sum_k (k+1) * bucket[k] by running sums from the top.
    Point running, total;
    for (std::size_t k = nb; k-- > 0;) {
      running += buckets[k];
      total += running;
    }
    acc += total;
  }
  return acc;
}

Point msm(std::span<const Scalar> scalars, std::span<const Point> points) {
  if (points.size() < 64) return msm_straus(scalars, points);
  // The vector path writes libdecaf's limbs: only where decode_many's
  // run-time check found libdecaf's layout as expected. Below a few thousand
  // points its fixed cost (2^(c-1) buckets a lane, three passes) is not won back.
  Point out;
  if (points.size() >= 4096 && detail::decode_many_uses_vector() &&
      detail::msm_pippenger_vector(scalars, points, out))
    return out;
  return msm_pippenger(scalars, points);
}

Point parallel_msm(std::span<const Scalar> scalars, std::span<const Point> points) {
  check_sizes(scalars, points);
  // Each slice pays its own bucket sums: slices of at least 4096 terms.
  const std::size_t n = points.size();
  const std::size_t parts = std::clamp<std::size_t>(
      n / 4096, 1, static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()));
  if (parts == 1) return msm(scalars, points);
  std::vector<Point> partial(parts);
  tbb::parallel_for(std::size_t{0}, parts, [&](std::size_t p) {
    const std::size_t lo = p * n / parts, hi = (p + 1) * n / parts;
    partial[p] = msm(scalars.subspan(lo, hi - lo), points.subspan(lo, hi - lo));
  });
  Point sum;
  for (const auto& q : partial) sum += q;
  return sum;
}

}  // namespace basin::crypto
