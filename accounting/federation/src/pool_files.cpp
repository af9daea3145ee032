#include "basin/federation/pool_files.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace basin::federation {
namespace {

std::runtime_error sys_error(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// Closes the descriptor however the write ends.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
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
  const std::filesystem::path target(path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  Fd f{::mkstemp(name.data())};
  if (f.fd < 0) throw sys_error("cannot create a temporary file next to", path);
  const std::string tmp(name.data());
  try {
    if (::fchmod(f.fd, mode) != 0) throw sys_error("cannot set the mode of", tmp);
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(f.fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw sys_error("cannot write", tmp);
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(f.fd) != 0) throw sys_error("cannot fsync", tmp);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw sys_error("cannot rename onto", path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY)};
  if (d.fd >= 0) ::fsync(d.fd);
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
  init_sodium();
  refuse_existing(secret_path);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  // The SPANK plugin loads this file as node_key=; the format of basin_records (NodeKey::load): the
  // 32-byte seed.
  std::string secret = "ed25519-secret:" + hex(sk, crypto_sign_SEEDBYTES) + "\n";
  sodium_memzero(sk, sizeof sk);
  write_file_atomic(secret_path, secret, 0600);
  sodium_memzero(secret.data(), secret.size());
  return hex(pk, sizeof pk);
}

std::string generate_box_key_file(const std::string& secret_path) {
  init_sodium();
  refuse_existing(secret_path);
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  unsigned char sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(pk, sk);
  std::string secret = "basin-x25519-secret " + hex(sk, sizeof sk) + "\n";
  sodium_memzero(sk, sizeof sk);
  write_file_atomic(secret_path, secret, 0600);
  sodium_memzero(secret.data(), secret.size());
  return hex(pk, sizeof pk);
}

}  // namespace basin::federation
