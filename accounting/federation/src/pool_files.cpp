#include "basin/federation/pool_files.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"

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

Pool load_pool(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw PoolError(path + ": cannot read; create it with `basin pool init`");
  std::stringstream s;
  s << in.rdbuf();
  return parse_pool(s.str(), path);
}

void save_pool(const std::string& path, const Pool& pool) {
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
