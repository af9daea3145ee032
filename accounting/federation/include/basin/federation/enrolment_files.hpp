// The files behind `basin pool enrolment-keygen`, `enrol` and `revoke`: a
// site's enrolment key, its serial counter, certificates and revocation
// lists, each written atomically (pool_files.hpp write_file_atomic).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "basin/federation/enrolment.hpp"

namespace basin::federation {

// Makes the site's enrolment key pair: the secret to `secret_path` (mode
// 0600, "ed25519-secret:<hex>", never overwritten) and the public key into
// the site's enrolment_key in pool.toml at `pool_path` (under its PoolLock).
// Refuses a site that already has one. Returns the public key (64 hex).
std::string make_enrolment_key(const std::string& pool_path, const std::string& site,
                               const std::string& secret_path);

// "30d", "12h", "90m" as seconds; throws EnrolmentError for anything else or
// more than 400 days.
std::int64_t parse_validity(const std::string& text);
// "2026-12-02T10:00:00Z" (or without the Z, read as UTC) as Unix seconds;
// throws EnrolmentError naming the expected form.
std::int64_t parse_utc(const std::string& text);
// The node's public key (64 hex) from a file holding a keys-file line
// "<node> ed25519:<hex>" (`basin records keygen --public`), "ed25519:<hex>"
// or the 64 hex digits alone; throws EnrolmentError naming `path`.
std::string node_public_key_from(const std::string& text, const std::string& node,
                                 const std::string& path);

struct EnrolRequest {
  std::string site;
  std::string site_secret;  // the site's enrolment secret key file
  std::string node;
  std::string node_public_key;  // 64 hex
  std::uint32_t cpus = 0;
  std::uint64_t memory_mb = 0;
  std::uint32_t gpus = 0;
  std::optional<Tier> tier;  // default: the site's tier in pool.toml
  std::int64_t not_before = 0;
  std::int64_t valid_seconds = 30 * 86400;
  std::string out;  // the certificate file to write (refused if it exists)
};

// Enrols a node: checks the request against pool.toml (the site exists, the
// secret's public half is its enrolment_key, the tier is the site's, the
// node is not a [[node]] of pool.toml), takes the next serial from the site's
// counter, "<site_secret>.serial" (the last serial issued, one decimal line;
// a missing file starts at 1; written durably before the certificate, so a
// crash skips a serial and never reuses one), signs and writes the
// certificate to `out` atomically. Returns the signed terms.
EnrolmentTerms enrol_node(const std::string& pool_path, const EnrolRequest& request);

struct RevokeRequest {
  std::string site;
  std::string site_secret;
  std::string node;
  std::uint64_t serial = 0;
  std::string reason;
  std::int64_t revoked_at = 0;  // Unix seconds; not after `now`
  std::int64_t now = 0;
  std::string list;  // the site's revocation list (created when missing)
};

// Adds a revocation to the site's list: the existing list is read and
// verified with the site's enrolment key (pool.toml), the entry added
// (add_revocation: sequence + 1), re-signed and written atomically.
// Returns the new list's terms.
RevocationTerms revoke_node(const std::string& pool_path, const RevokeRequest& request);

}  // namespace basin::federation
