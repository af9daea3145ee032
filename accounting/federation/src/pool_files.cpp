#include "basin/federation/pool_files.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/federation/enrolment.hpp"

namespace basin::federation {
namespace {

std::runtime_error sys_error(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// common::write_file_durably for a path the user gave (a symlinked
// directory is followed, as any other command of the user's would); its
// errors (which name the step and the temporary file) are rethrown naming
// `path`.
void write_durably(const std::string& path, const std::string& content, mode_t mode, bool replace) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  try {
    common::write_file_durably(
        dir, target.filename().string(),
        {reinterpret_cast<const std::uint8_t*>(content.data()), content.size()}, mode, replace,
        /*follow_dir_link=*/true);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write " + path + ": " + e.what());
  }
}

void refuse_existing(const std::string& path) {
  if (std::filesystem::exists(path)) {
    throw std::runtime_error(path +
                             " already exists; a key is never overwritten. Move it away "
                             "first if you really mean to replace this key.");
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content, mode_t mode) {
  write_durably(path, content, mode, true);
}

PoolLock::PoolLock(const std::string& pool_path) {
  const std::filesystem::path target(pool_path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const auto lock = (dir / ("." + target.filename().string() + ".lock")).string();
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw sys_error("cannot open the lock file", lock);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const auto e = sys_error("cannot lock", lock);
    ::close(fd_);
    throw e;
  }
}

PoolLock::~PoolLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Pool load_pool_toml(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw PoolError(path + ": cannot read; create it with `basin pool init`");
  std::stringstream s;
  s << in.rdbuf();
  return parse_pool(s.str(), path);
}

std::string enrolment_dir(const std::string& pool_path, const Pool& pool) {
  const std::filesystem::path p(pool_path);
  const auto base = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  if (pool.enrolments.empty()) {
    const auto d = base / "enrolled";
    return std::filesystem::is_directory(d) ? d.string() : std::string();
  }
  const std::filesystem::path e(pool.enrolments);
  const auto d = e.is_absolute() ? e : base / e;
  if (!std::filesystem::is_directory(d))
    throw PoolError(pool_path + ": [pool] enrolments = \"" + pool.enrolments + "\": " + d.string() +
                    " is not a directory; create it (mkdir) or fix the path");
  return d.string();
}

namespace {

std::string read_small(const std::filesystem::path& file, std::size_t max) {
  std::vector<std::uint8_t> bytes;
  try {
    // One more than allowed, so that the parser names an oversized file.
    bytes = common::read_file(file.string(), max + 1);
  } catch (const std::exception& e) {
    throw PoolError(file.string() + ": cannot read (" + e.what() +
                    "); check its permissions, or remove it if it is not a certificate");
  }
  return std::string(bytes.begin(), bytes.end());
}

const Site& enrolling_site(const Pool& pool, const std::string& site, const std::string& file,
                           const std::string& pool_path) {
  const auto s = std::find_if(pool.sites.begin(), pool.sites.end(),
                              [&](const Site& x) { return x.name == site; });
  if (s == pool.sites.end())
    throw PoolError(file + ": names site " + site + ", which " + pool_path +
                    " does not define; remove the file or add the site");
  if (s->enrolment_key.empty())
    throw PoolError(file + ": site " + site + " has no enrolment_key in " + pool_path +
                    ", so nothing it enrols is trusted; add the site's enrolment_key (from "
                    "basin pool enrolment-keygen) or remove the file");
  return *s;
}

// The enrolled nodes of `dir` added to `pool`: every certificate verified
// with its site's enrolment key, revocations applied.
void add_enrolled(Pool& pool, const std::string& dir, const std::string& pool_path) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with(".")) continue;  // temporary files of durable writes, editors' files
    const auto ext = entry.path().extension().string();
    if (ext != ".cert" && ext != ".revocations")
      throw PoolError(entry.path().string() +
                      ": not a *.cert or *.revocations file in the enrolments directory; "
                      "remove it or move it elsewhere");
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, std::pair<RevocationList, std::string>> lists;   // by site
  std::map<std::string, std::size_t> enrolled;                           // node -> index
  std::map<std::pair<std::string, std::uint64_t>, std::string> serials;  // (site, serial) -> file
  for (const auto& f : files) {
    const auto file = f.string();
    if (f.extension() == ".revocations") {
      const auto u = parse_revocations(read_small(f, kMaxRevocationFile), file);
      const Site& s = enrolling_site(pool, u.claimed_site(), file, pool_path);
      auto list = verify_revocations(u, s.enrolment_key);
      if (const auto it = lists.find(s.name); it != lists.end())
        throw PoolError(file + ": a second revocation list of site " + s.name + " (the other is " +
                        it->second.second + "); keep only the one with the higher sequence");
      lists.emplace(s.name, std::make_pair(std::move(list), file));
      continue;
    }
    const auto u = parse_certificate(read_small(f, kMaxCertificateFile), file);
    const Site& s = enrolling_site(pool, u.claimed_site(), file, pool_path);
    const auto cert = verify_certificate(u, s.enrolment_key);
    const auto& t = cert.terms();
    // The site's tier decides the node's partition and price; a certificate
    // claiming another would make the node's records and Slurm disagree.
    if (t.tier != s.tier)
      throw PoolError(file + ": certificate says tier " + to_string(t.tier) + " but site " +
                      s.name + " is " + to_string(s.tier) + " in " + pool_path +
                      "; re-enrol the node with --tier " + to_string(s.tier));
    if (const auto [it, fresh] = serials.emplace(std::make_pair(s.name, t.serial), file); !fresh)
      throw PoolError(file + ": serial " + std::to_string(t.serial) + " of site " + s.name +
                      " is also the serial of " + it->second +
                      "; serials are unique within a site: remove the copy");
    const auto it = enrolled.find(t.node);
    if (it == enrolled.end()) {
      // A node's name is its identity in every record: one owner, one key.
      for (const auto& n : pool.nodes)
        if (n.name == t.node)
          throw PoolError(file + ": enrols node " + t.node + ", which " + pool_path +
                          " lists as a [[node]]; a node is either listed or enrolled: remove "
                          "one of them");
      Node n;
      n.name = t.node;
      n.site = t.site;
      n.public_key = t.node_public_key;
      n.enrolments.push_back(enrolment_of(cert, file));
      enrolled.emplace(t.node, pool.nodes.size());
      pool.nodes.push_back(std::move(n));
      continue;
    }
    Node& n = pool.nodes[it->second];
    if (n.site != t.site || n.public_key != t.node_public_key)
      throw PoolError(file + ": enrols node " + t.node + " for site " + t.site + " with key " +
                      t.node_public_key.substr(0, 16) + "..., but " + n.enrolments.front().file +
                      " enrols it for site " + n.site + " with key " + n.public_key.substr(0, 16) +
                      "...; a node has one key: remove the stale certificate or rename the node");
    n.enrolments.push_back(enrolment_of(cert, file));
  }
  for (auto& [site, list_file] : lists) {
    for (const auto& r : list_file.first.terms().entries) {
      const auto it = enrolled.find(r.node);
      if (it == enrolled.end()) continue;  // a certificate no longer kept
      for (auto& e : pool.nodes[it->second].enrolments)
        if (pool.nodes[it->second].site == site && e.serial == r.serial) {
          e.revoked_at = r.revoked_at;
          e.revocation_reason = r.reason;
        }
    }
  }
  for (const auto& [name, index] : enrolled) {
    Node& n = pool.nodes[index];
    std::sort(n.enrolments.begin(), n.enrolments.end(),
              [](const Enrolment& a, const Enrolment& b) { return a.serial < b.serial; });
    // The size the node has now: its latest certificate's.
    const auto latest = std::max_element(
        n.enrolments.begin(), n.enrolments.end(), [](const Enrolment& a, const Enrolment& b) {
          return std::tie(a.not_after, a.serial) < std::tie(b.not_after, b.serial);
        });
    n.cpus = latest->cpus;
    n.memory_mb = latest->memory_mb;
    n.gpus = latest->gpus;
  }
}

}  // namespace

Pool load_pool(const std::string& path) {
  Pool pool = load_pool_toml(path);
  if (const auto dir = enrolment_dir(path, pool); !dir.empty()) add_enrolled(pool, dir, path);
  return pool;
}

void save_pool(const std::string& path, const Pool& pool) {
  for (const auto& n : pool.nodes) {
    if (!n.enrolled()) continue;
    for (const auto& m : pool.nodes)
      if (&m != &n && m.name == n.name)
        throw PoolError("node " + n.name + " is enrolled (" + n.enrolments.front().file +
                        "); a node is either listed in " + path +
                        " or enrolled: choose another name");
  }
  const std::string text = render_pool(pool);
  parse_pool(text, path);
  write_file_atomic(path, text, 0644);
}

std::string generate_signing_key_file(const std::string& secret_path) {
  common::ensure_sodium();
  refuse_existing(secret_path);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  // The SPANK plugin loads this file as node_key=; the format of basin_records (NodeKey::load): the
  // 32-byte seed.
  std::string secret =
      "ed25519-secret:" + common::to_hex(std::span(sk, crypto_sign_SEEDBYTES)) + "\n";
  sodium_memzero(sk, sizeof sk);
  write_durably(secret_path, secret, 0600, false);  // never overwrites, even in a race
  sodium_memzero(secret.data(), secret.size());
  return common::to_hex(pk);
}

std::string generate_box_key_file(const std::string& secret_path) {
  common::ensure_sodium();
  refuse_existing(secret_path);
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  unsigned char sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(pk, sk);
  std::string secret = "basin-x25519-secret " + common::to_hex(sk) + "\n";
  sodium_memzero(sk, sizeof sk);
  write_durably(secret_path, secret, 0600, false);  // never overwrites, even in a race
  sodium_memzero(secret.data(), secret.size());
  return common::to_hex(pk);
}

}  // namespace basin::federation
