#include "basin/federation/enrolment_files.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/federation/sacct.hpp"

namespace basin::federation {
namespace {

std::string hex_of(const records::NodeKey& key) {
  return common::to_hex(key.public_key());
}

// The site's enrolment secret, checked against pool.toml: a certificate
// signed with any other key would be refused by every load_pool.
records::NodeKey site_enrolment_key(const Pool& pool, const std::string& pool_path,
                                    const std::string& site_name, const std::string& secret) {
  const Site& site = site_named(pool, site_name);
  if (site.enrolment_key.empty())
    throw EnrolmentError("site " + site.name + " has no enrolment_key in " + pool_path +
                         "; make one with basin pool enrolment-keygen --site " + site.name);
  auto key = records::NodeKey::load(secret, false);
  if (hex_of(key) != site.enrolment_key)
    throw EnrolmentError("the key in " + secret + " is not site " + site.name +
                         "'s enrolment_key in " + pool_path +
                         " (is it the site's signing key or a node key?)");
  return key;
}

std::string read_text(const std::string& path, std::size_t max) {
  const auto bytes = common::read_file(path, max + 1);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

std::string make_enrolment_key(const std::string& pool_path, const std::string& site_name,
                               const std::string& secret_path) {
  const PoolLock lock(pool_path);
  Pool pool = load_pool_toml(pool_path);
  Site& site = site_named(pool, site_name);
  if (!site.enrolment_key.empty())
    throw EnrolmentError("site " + site.name + " already has an enrolment_key in " + pool_path +
                         "; certificates it signed would stop verifying if it changed");
  site.enrolment_key = generate_signing_key_file(secret_path);
  save_pool(pool_path, pool);
  return site.enrolment_key;
}

std::int64_t parse_validity(const std::string& text) {
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, n);
  std::int64_t unit = 0;
  if (ec == std::errc() && p + 1 == end && n > 0 && text[0] != '0') {
    unit = *p == 'd' ? 86400 : *p == 'h' ? 3600 : *p == 'm' ? 60 : 0;
  }
  if (unit == 0 || n > kMaxEnrolmentValidity / unit)
    throw EnrolmentError("--valid " + text +
                         ": give a whole number of days, hours or minutes up to 400 days, "
                         "e.g. 30d, 12h or 90m");
  return n * unit;
}

std::int64_t parse_utc(const std::string& text) {
  auto t = text;
  if (t.ends_with("Z")) t.pop_back();
  try {
    if (const auto v = parse_slurm_time(t, 0)) return *v;
  } catch (const std::exception&) {
  }
  throw EnrolmentError("time '" + text + "' is not YYYY-MM-DDTHH:MM:SSZ (UTC), e.g. " +
                       utc_text(1796216400));
}

std::string node_public_key_from(const std::string& text, const std::string& node,
                                 const std::string& path) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> keys;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string a, b, extra;
    words >> a >> b >> extra;
    if (a.empty() || a[0] == '#') continue;
    std::string hex;
    if (b.empty())
      hex = a;  // "ed25519:<hex>" or the hex alone
    else if (a == node && extra.empty())
      hex = b;
    else
      continue;  // another node's line
    if (hex.starts_with("ed25519:")) hex = hex.substr(8);
    keys.push_back(hex);
  }
  if (keys.size() != 1 || keys[0].size() != 64 ||
      !std::all_of(keys[0].begin(), keys[0].end(),
                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
    throw EnrolmentError(path + " holds no single public key of node " + node +
                         ": expected the line '" + node +
                         " ed25519:<64 hex>' (basin records keygen --public) or "
                         "'ed25519:<64 hex>'");
  std::string hex = keys[0];
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  return hex;
}

EnrolmentTerms enrol_node(const std::string& pool_path, const EnrolRequest& r) {
  // pool.toml alone: enrolling must work while another certificate is broken.
  const Pool pool = load_pool_toml(pool_path);
  const auto key = site_enrolment_key(pool, pool_path, r.site, r.site_secret);
  const Site& site = site_named(pool, r.site);
  for (const auto& n : pool.nodes)
    if (n.name == r.node)
      throw EnrolmentError("node " + r.node + " is a [[node]] of " + pool_path +
                           "; a node is either listed or enrolled: choose another name or "
                           "remove the [[node]] first");
  const Tier tier = r.tier.value_or(site.tier);
  if (tier != site.tier)
    throw EnrolmentError(std::string("--tier ") + to_string(tier) + ": site " + site.name + " is " +
                         to_string(site.tier) + "; its nodes have its tier");
  if (std::filesystem::exists(r.out))
    throw EnrolmentError(r.out +
                         " exists; a certificate is never overwritten: give another "
                         "--out (e.g. <node>.<serial>.cert)");
  EnrolmentTerms t;
  t.node = r.node;
  t.site = site.name;
  t.tier = tier;
  t.node_public_key = r.node_public_key;
  t.cpus = r.cpus;
  t.memory_mb = r.memory_mb;
  t.gpus = r.gpus;
  t.not_before = r.not_before;
  t.not_after = r.not_before + r.valid_seconds;
  t.serial = 1;  // checked with a placeholder first: a bad request uses no serial
  sign_certificate(t, key);

  const PoolLock lock(r.site_secret);  // one serial per certificate, even for two admins
  const auto counter = r.site_secret + ".serial";
  if (std::filesystem::exists(counter)) {
    const auto text = read_text(counter, 32);
    std::uint64_t last = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), last);
    if (ec != std::errc() || std::string_view(p, text.data() + text.size()) != "\n")
      throw EnrolmentError(counter +
                           " is not one decimal line (the last serial issued); "
                           "restore it: serials must never repeat");
    t.serial = last + 1;
  }
  write_file_atomic(counter, std::to_string(t.serial) + "\n", 0600);
  write_file_atomic(r.out, sign_certificate(t, key), 0644);
  return t;
}

RevocationTerms revoke_node(const std::string& pool_path, const RevokeRequest& r) {
  const Pool pool = load_pool_toml(pool_path);
  const auto key = site_enrolment_key(pool, pool_path, r.site, r.site_secret);
  const PoolLock lock(r.list);
  std::optional<RevocationList> current;
  if (std::filesystem::exists(r.list))
    current = verify_revocations(parse_revocations(read_text(r.list, kMaxRevocationFile), r.list),
                                 site_named(pool, r.site).enrolment_key);
  auto next = add_revocation(current ? &*current : nullptr, r.site,
                             {r.node, r.serial, r.revoked_at, r.reason}, r.now);
  write_file_atomic(r.list, sign_revocations(next, key), 0644);
  return next;
}

}  // namespace basin::federation
