// Files behind `basin pool`: pool.toml itself and the key pairs it records.
// Every write is atomic (temp file, fsync, rename, fsync of the directory), so
// a crash leaves either the old file or the new one, never half of one.
#pragma once

#include <sys/types.h>
#include <string>

#include "basin/federation/pool.hpp"

namespace basin::federation {

// common::write_file_durably on the parent directory of `path` (or "."):
// the file is created with `mode` less the umask, the directory's last
// component is not followed if it is a symlink, and a file name starting with
// '.' is refused.
// Throws std::runtime_error naming `path` and the step that failed.
void write_file_atomic(const std::string& path, const std::string& content, mode_t mode);

// An exclusive lock (flock) on `.<name>.lock` beside the pool file, held
// for the object's lifetime: every `basin pool` verb that writes pool.toml
// or a key file holds it across its read-modify-write, so concurrent admin
// edits queue instead of losing each other.
class PoolLock {
 public:
  explicit PoolLock(const std::string& pool_path);
  ~PoolLock();
  PoolLock(const PoolLock&) = delete;
  PoolLock& operator=(const PoolLock&) = delete;

 private:
  int fd_ = -1;
};

// pool.toml and the nodes enrolled by their sites: every "*.cert" of the
// enrolments directory ([pool] enrolments, relative to pool.toml's
// directory; default "enrolled" beside pool.toml if it exists), verified with
// its site's enrolment_key, and every "*.revocations" list (at most one per
// site) applied to them (enrolment.hpp). Throws PoolError naming the file and
// the fix for a certificate or list that does not parse or verify, of a site
// without an enrolment_key, whose tier is not its site's, or for a node that
// pool.toml also lists or another certificate enrols with another key or
// site.
Pool load_pool(const std::string& path);
// pool.toml alone, without enrolled nodes (for the verbs that write
// certificates, which must work while a certificate is broken).
Pool load_pool_toml(const std::string& path);
// The enrolments directory of `pool` read from `pool_path`; empty when
// there is none (no [pool] enrolments and no "enrolled" beside pool.toml).
// Throws PoolError when [pool] enrolments names no directory.
std::string enrolment_dir(const std::string& pool_path, const Pool& pool);
// Validates first; throws PoolError and leaves the file untouched on error.
// The file is rewritten in canonical form: comments are not kept, data is.
void save_pool(const std::string& path, const Pool& pool);

// Generates an Ed25519 key pair (libsodium crypto_sign), writes the 64-byte
// secret key as the line "ed25519-secret:<64 hex seed>" (the node key file
// of accounting/records) to `secret_path` (mode 0600,
// refusing to overwrite) and returns the public key as 64 hex digits.
std::string generate_signing_key_file(const std::string& secret_path);
// The same for an X25519 crypto_box key pair: "basin-x25519-secret <64 hex>".
std::string generate_box_key_file(const std::string& secret_path);

}  // namespace basin::federation
