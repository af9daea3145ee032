#include "ledger_common.hpp"

#include <regex>
#include <stdexcept>

namespace basin::cli {

receipts::Trust trust_of(const federation::Pool& pool) {
  receipts::Trust t;
  t.pool = pool.name;
  for (const auto& site : pool.sites) {
    t.site_keys[site.name] = receipts::parse_ed25519_hex(site.signing_key);
    const auto& r = site.rates;
    for (auto rate : {r.core_second, r.mem_mb_second, r.gpu_second, r.wall_second})
      if (rate < 0) throw std::runtime_error("site " + site.name + " has a negative rate");
    t.rate_cards[site.name] = {
        site.name,
        {static_cast<std::uint64_t>(r.core_second), static_cast<std::uint64_t>(r.mem_mb_second),
         static_cast<std::uint64_t>(r.gpu_second), static_cast<std::uint64_t>(r.wall_second)}};
  }
  return t;
}

std::string log_origin(const std::string& pool, const std::string& site) {
  return pool + "/" + site + "/receipts";
}

const federation::Site& site_of_key(const federation::Pool& pool, const records::NodeKey& key,
                                    const std::string& key_path) {
  const auto pub = records::public_key_text(key.public_key()).substr(8);  // hex
  for (const auto& s : pool.sites)
    if (s.signing_key == pub) return s;
  throw std::runtime_error("the key in " + key_path +
                           " is no site's signing_key in the pool file (is it a node key?)");
}

void check_period(const std::string& period) {
  if (!std::regex_match(period, std::regex("[0-9]{4}-(0[1-9]|1[0-2])")))
    throw std::runtime_error("--period must be a month as YYYY-MM (UTC), e.g. 2026-11; got '" +
                             period + "'");
}

settlement::StepSpan span_of(const records::UsageRecord& r) {
  return {r.cluster + "/" + std::to_string(r.job_id) + "/r" + std::to_string(r.restart_count),
          r.node,
          r.step_id,
          r.start_time,
          r.end_time,
          r.alloc_cores};
}

}  // namespace basin::cli
