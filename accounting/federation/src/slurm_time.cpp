#include <charconv>
#include <stdexcept>
#include <string>

#include "basin/federation/sacct.hpp"

namespace basin::federation {
namespace {

// Fixed-width unsigned field; Slurm never pads with spaces or signs.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) throw std::invalid_argument("truncated time");
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') throw std::invalid_argument("non-digit in time");
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// algorithm): no dependence on the process's TZ, unlike mktime.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_slurm_time(std::string_view t, std::int64_t utc_offset_seconds) {
  if (t.empty() || t == "Unknown" || t == "None") return std::nullopt;
  if (t.size() != 19 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
      t[16] != ':') {
    throw std::invalid_argument("time '" + std::string(t.substr(0, 40)) +
                                "' is not YYYY-MM-DDTHH:MM:SS");
  }
  const int y = digits(t, 0, 4), mo = digits(t, 5, 2), d = digits(t, 8, 2);
  const int h = digits(t, 11, 2), mi = digits(t, 14, 2), s = digits(t, 17, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    throw std::invalid_argument("time '" + std::string(t) + "' is out of range");
  }
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + s - utc_offset_seconds;
}

double parse_slurm_duration(std::string_view t) {
  if (t.empty() || t.size() > 32) throw std::invalid_argument("bad duration");
  double days = 0;
  if (auto dash = t.find('-'); dash != std::string_view::npos) {
    if (dash == 0 || dash > 5) throw std::invalid_argument("bad duration days");
    days = digits(t, 0, dash);
    t.remove_prefix(dash + 1);
  }
  double fraction = 0;
  if (auto dot = t.find('.'); dot != std::string_view::npos) {
    const auto frac = t.substr(dot + 1);
    if (frac.empty() || frac.size() > 6) throw std::invalid_argument("bad duration fraction");
    fraction = digits(frac, 0, frac.size());
    for (std::size_t i = 0; i < frac.size(); ++i) fraction /= 10;
    t = t.substr(0, dot);
  }
  double total = 0;
  int parts = 0;
  while (!t.empty()) {
    const auto colon = t.find(':');
    const auto part = t.substr(0, colon);
    if (part.empty() || part.size() > 2) throw std::invalid_argument("bad duration part");
    total = total * 60 + digits(part, 0, part.size());
    if (++parts > 3) throw std::invalid_argument("bad duration: too many parts");
    if (colon == std::string_view::npos) break;
    t.remove_prefix(colon + 1);
    if (t.empty()) throw std::invalid_argument("bad duration: trailing colon");
  }
  if (parts < 2) throw std::invalid_argument("bad duration: need MM:SS");
  return days * 86400 + total + fraction;
}

}  // namespace basin::federation
