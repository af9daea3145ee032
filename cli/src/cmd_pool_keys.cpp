// `basin pool rotate-key` and `basin pool revoke-key`: a site's signing key
// and blinding secrets change with validity windows in pool.toml, and old
// receipts keep verifying under the key that signed them.
#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "basin/federation/pool_files.hpp"
#include "basin/receipts/receipt.hpp"
#include "commands.hpp"
#include "pool_keys.hpp"

namespace basin::cli {

void write_blinding_key(const std::string& path, const receipts::BlindingKey& key) {
  auto text = key.to_text();
  federation::write_file_atomic(path, text, 0600);
  sodium_memzero(text.data(), text.size());
}

std::string blinding_key_path(const std::string& signing_key_path, const std::string& site) {
  return (std::filesystem::path(signing_key_path).parent_path() / (site + ".blind.key")).string();
}

namespace {

using federation::Pool;
using federation::Site;

struct KeyArgs {
  std::string site, key_dir, key, from;
};

void add_pool_keys(CLI::App& app, CommandContext& ctx) {
  CLI::App* pool = app.get_subcommand("pool");
  auto file = [pool] { return pool->get_option("--file")->as<std::string>(); };
  auto a = std::make_shared<KeyArgs>();

  auto* rotate = pool->add_subcommand(
      "rotate-key",
      "Give a site a new signing key and a new blinding secret. The old public key stays in\n"
      "pool.toml as [[site.previous_keys]] with until = this month: receipts it signed for\n"
      "this month and earlier keep verifying, and any it signs for a later month are refused\n"
      "(expired). The new blinding secret is appended to <site>.blind.key for periods from\n"
      "next month; the earlier secrets stay in the file, so old periods can still be opened.\n"
      "The old secret key is kept as <site>.sign.key.until-<month>: nothing needs it any more\n"
      "(the new key also signs late records of earlier months), so destroy it.");
  rotate->add_option("--site", a->site, "Site name")->required();
  rotate->add_option("--key-dir", a->key_dir,
                     "Where the site's keys are [keys/ beside the pool file]");
  rotate->footer(
      "Then copy the new public key to every site's pool.toml (as with any pool change) and\n"
      "give the new <site>.sign.key and <site>.blind.key to the site's ledger operator.\n"
      "Example: basin pool rotate-key --site campus");
  rotate->callback([a, file, &ctx] {
    const auto path = file();
    const federation::PoolLock lock(path);
    Pool p = federation::load_pool(path);
    Site& s = site_named(p, a->site);
    const auto dir = a->key_dir.empty()
                         ? (std::filesystem::path(path).parent_path() / "keys").string()
                         : a->key_dir;
    const auto sign = (std::filesystem::path(dir) / (s.name + ".sign.key")).string();
    const auto blind = blinding_key_path(sign, s.name);
    const std::time_t now = std::time(nullptr);
    const auto until = receipts::period_of(now), from = receipts::next_period(until);
    auto blinding = receipts::BlindingKey::load(blind);  // before anything changes
    blinding.rotate(from);
    const auto kept = sign + ".until-" + until;
    if (std::filesystem::exists(kept))
      throw std::runtime_error(kept + " exists: the key was already rotated this month");
    std::filesystem::rename(sign, kept);
    s.previous_keys.push_back({s.signing_key, until, ""});
    s.signing_key = federation::generate_signing_key_file(sign);
    federation::save_pool(path, p);
    write_blinding_key(blind, blinding);
    std::cout << "site " << s.name << ": new signing key in " << sign << " (the old one, valid for "
              << "receipts up to " << until << ", kept as " << kept << "); new blinding secret "
              << "for periods from " << from << " added to " << blind << "\n";
    (void)ctx;
  });

  auto* revoke = pool->add_subcommand(
      "revoke-key",
      "Revoke one of a site's previous signing keys (a key that leaked): receipts signed with\n"
      "it for --from and later months are refused by every verifier; earlier ones, already in\n"
      "witnessed logs, keep verifying. The current key cannot be revoked: rotate it first.");
  revoke->add_option("--site", a->site, "Site name")->required();
  revoke->add_option("--key", a->key, "The previous key's public key (64 hex, as in pool.toml)")
      ->required();
  revoke->add_option("--from", a->from, "First month (YYYY-MM) whose receipts it must not sign")
      ->required();
  revoke->footer("Example: basin pool revoke-key --site campus --key 3f2a... --from 2026-11");
  revoke->callback([a, file] {
    const auto path = file();
    const federation::PoolLock lock(path);
    Pool p = federation::load_pool(path);
    Site& s = site_named(p, a->site);
    if (a->key == s.signing_key)
      throw std::runtime_error("that is site " + s.name +
                               "'s current key: run `basin pool rotate-key` first, then revoke it");
    auto k = std::find_if(s.previous_keys.begin(), s.previous_keys.end(),
                          [&](const federation::PreviousKey& x) { return x.public_key == a->key; });
    if (k == s.previous_keys.end())
      throw std::runtime_error("site " + s.name + " has no previous key " + a->key +
                               " ([[site.previous_keys]] in " + path + ")");
    k->revoked_from = a->from;
    federation::save_pool(path, p);  // validates --from as YYYY-MM
    std::cout << "site " << s.name << ": key " << a->key.substr(0, 16) << "... revoked from "
              << a->from << "\n";
  });
}

}  // namespace
}  // namespace basin::cli

// After `pool` (order 60), which it extends.
BASIN_COMMAND_GROUP(pool_keys, 61, basin::cli::add_pool_keys);
