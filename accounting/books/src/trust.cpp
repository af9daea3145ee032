#include "basin/books/trust.hpp"

#include <stdexcept>

namespace basin::books {
namespace {

receipts::RateCard card_of(const std::string& site, const federation::RateCard& r) {
  for (auto rate : {r.core_second, r.mem_mb_second, r.gpu_second, r.wall_second})
    if (rate < 0) throw std::runtime_error("site " + site + " has a negative rate");
  return {site,
          {static_cast<std::uint64_t>(r.core_second), static_cast<std::uint64_t>(r.mem_mb_second),
           static_cast<std::uint64_t>(r.gpu_second), static_cast<std::uint64_t>(r.wall_second)}};
}

}  // namespace

receipts::Trust trust_of(const federation::Pool& pool) {
  receipts::Trust t;
  t.pool = pool.name;
  for (const auto& site : pool.sites) {
    t.site_keys[site.name] = receipts::parse_ed25519_hex(site.signing_key);
    for (const auto& k : site.previous_keys)
      t.previous_keys[site.name].push_back(
          {receipts::parse_ed25519_hex(k.public_key), k.until, k.revoked_from});
    t.rate_cards[site.name] = card_of(site.name, site.rates);
    for (const auto& r : site.previous_rates)
      t.previous_cards[site.name].push_back(card_of(site.name, r));
  }
  return t;
}

}  // namespace basin::books
