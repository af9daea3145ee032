#include "basin/books/trust.hpp"

#include <stdexcept>

namespace basin::books {
namespace {

// pool.toml's card, checked to be the site's (a pool built in code could
// leave the card's site unset).
receipts::RateCard card_of(const std::string& site, const receipts::RateCard& card) {
  if (!card.site.empty() && card.site != site)
    throw std::runtime_error("site " + site + " carries the rate card of site " + card.site);
  receipts::RateCard out = card;
  out.site = site;
  return out;
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
