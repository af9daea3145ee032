// Volunteer machines enrolled by their site (issue #14, "Sites join and
// leave"). pool.toml lists a federation's static nodes; a site enrols a
// volunteer's machine instead by signing an enrolment certificate with its
// own enrolment key ([[site]] enrolment_key), and withdraws it with a signed
// revocation list. Both are small text files kept beside pool.toml (the
// enrolments directory, see pool_files.hpp), so a site enrols a node without
// a pool.toml change that every other site must copy.
//
// Certificate ("<node>.<serial>.cert"), at most kMaxCertificateFile bytes:
//   basin-enrolment v1
//   node=vol3                 Slurm node name, [a-z0-9_-]{1,64}
//   site=home                 the [[site]] whose enrolment_key signs it
//   tier=volunteer            institutional | volunteer (must be the site's)
//   public_key=<64 hex>       the node's Ed25519 record-signing key
//   cpus=2                    1..2^20, as pool.toml's [[node]]
//   memory_mb=2000            1..2^40
//   gpus=0                    0..kMaxNodeGpus
//   serial=3                  1..2^63-1, unique within the site
//   not_before=1796216278     Unix seconds (UTC)
//   not_after=1798808278      not_before < not_after <= not_before + 400 days
//   signature=<128 hex>       Ed25519 by the site's enrolment key over
//                             "basin/enrolment-certificate/v1\n" || every byte
//                             before this line
//
// Revocation list ("<site>.revocations"), at most kMaxRevocationFile bytes:
//   basin-revocations v1
//   site=home
//   issued_at=1796300000      Unix seconds
//   sequence=2                1.., one more at each re-signing
//   revoke=vol3 3 1796216278 lost laptop
//                             node, serial, revoked_at (<= issued_at), reason
//                             (printable UTF-8, 1..200 bytes); zero or more
//                             lines, ordered by (node, serial), each once
//   signature=<128 hex>       over "basin/enrolment-revocations/v1\n" || the
//                             bytes before this line
//
// Both parsers are strict: one spelling per file (keys in a fixed order,
// decimal numbers without sign or leading zero, lower-case hex, "\n" line
// ends and a final "\n"), so a signed file has exactly one meaning, and a
// mistake is named with its line and the fix instead of half-read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "basin/federation/pool.hpp"
#include "basin/records/signing.hpp"

namespace basin::federation {

// A certificate is a few hundred bytes; anything larger is not one (and a
// reader never buffers an attacker's gigabyte).
inline constexpr std::size_t kMaxCertificateFile = 4096;
// 1000 revocations of ~260 bytes each.
inline constexpr std::size_t kMaxRevocationFile = 256 * 1024;
inline constexpr std::size_t kMaxRevocations = 1000;
inline constexpr std::size_t kMaxRevocationReason = 200;
// A certificate outlives no more than this: a volunteer's machine changes
// hands, so a site must re-enrol it now and then (as browsers cap TLS
// certificates), and a forgotten revocation cannot last for ever.
inline constexpr std::int64_t kMaxEnrolmentValidity = 400 * 86400;

// Thrown for a malformed, unverifiable or inconsistent certificate or list:
// the message names the file, the line and the fix. A PoolError, since
// load_pool reports it.
struct EnrolmentError : PoolError {
  using PoolError::PoolError;
};

// What a site signs when it enrols a node.
struct EnrolmentTerms {
  std::string node;
  std::string site;
  Tier tier = Tier::volunteer;
  std::string node_public_key;  // Ed25519, 64 lower-case hex digits
  std::uint32_t cpus = 0;
  std::uint64_t memory_mb = 0;
  std::uint32_t gpus = 0;
  std::uint64_t serial = 0;
  std::int64_t not_before = 0;  // Unix seconds, UTC
  std::int64_t not_after = 0;
  bool operator==(const EnrolmentTerms&) const = default;
};

class EnrolmentCertificate;
class RevocationList;

// A certificate as read from a file, before its signature is checked: only
// the site it claims is readable, to find that site's enrolment key. Its
// other fields are reachable only through verify_certificate.
class UnverifiedCertificate {
 public:
  const std::string& claimed_site() const { return terms_.site; }
  const std::string& source() const { return source_; }

 private:
  friend UnverifiedCertificate parse_certificate(std::string_view, std::string_view);
  friend EnrolmentCertificate verify_certificate(const UnverifiedCertificate&, std::string_view);
  UnverifiedCertificate() = default;
  EnrolmentTerms terms_;
  std::string body_;  // the signed bytes (every byte before the signature line)
  std::array<std::uint8_t, records::kSignatureBytes> signature_{};
  std::string source_;
};

// A certificate whose signature verified with its site's enrolment key.
// Only verify_certificate makes one.
class EnrolmentCertificate {
 public:
  const EnrolmentTerms& terms() const { return terms_; }

 private:
  friend EnrolmentCertificate verify_certificate(const UnverifiedCertificate&, std::string_view);
  explicit EnrolmentCertificate(EnrolmentTerms t) : terms_(std::move(t)) {}
  EnrolmentTerms terms_;
};

// The certificate text for `terms`, signed with the site's enrolment key.
// Throws EnrolmentError if a field breaks a rule of the format (the same
// checks as parse_certificate), so a site never signs a file it would refuse.
std::string sign_certificate(const EnrolmentTerms& terms, const records::NodeKey& site_key);
// Strict parse (see the format above); throws EnrolmentError naming
// `source`, the line and the fix. Checks no signature.
UnverifiedCertificate parse_certificate(std::string_view text, std::string_view source);
// Checks the signature with the site's enrolment key (64 hex digits, from
// pool.toml); throws EnrolmentError naming the file and the site.
EnrolmentCertificate verify_certificate(const UnverifiedCertificate& cert,
                                        std::string_view site_enrolment_key);

struct Revocation {
  std::string node;
  std::uint64_t serial = 0;
  std::int64_t revoked_at = 0;  // Unix seconds: records made from then on are refused
  std::string reason;
  bool operator==(const Revocation&) const = default;
};

struct RevocationTerms {
  std::string site;
  std::int64_t issued_at = 0;
  std::uint64_t sequence = 0;
  std::vector<Revocation> entries;  // ordered by (node, serial)
  bool operator==(const RevocationTerms&) const = default;
};

class UnverifiedRevocations {
 public:
  const std::string& claimed_site() const { return terms_.site; }
  const std::string& source() const { return source_; }

 private:
  friend UnverifiedRevocations parse_revocations(std::string_view, std::string_view);
  friend RevocationList verify_revocations(const UnverifiedRevocations&, std::string_view);
  UnverifiedRevocations() = default;
  RevocationTerms terms_;
  std::string body_;
  std::array<std::uint8_t, records::kSignatureBytes> signature_{};
  std::string source_;
};

// A revocation list whose signature verified with its site's enrolment key.
class RevocationList {
 public:
  const RevocationTerms& terms() const { return terms_; }

 private:
  friend RevocationList verify_revocations(const UnverifiedRevocations&, std::string_view);
  explicit RevocationList(RevocationTerms t) : terms_(std::move(t)) {}
  RevocationTerms terms_;
};

std::string sign_revocations(const RevocationTerms& terms, const records::NodeKey& site_key);
UnverifiedRevocations parse_revocations(std::string_view text, std::string_view source);
RevocationList verify_revocations(const UnverifiedRevocations& list,
                                  std::string_view site_enrolment_key);

// The next list: `current` (nullptr for a site's first) with `entry` added,
// sequence + 1 (a verifier that has seen sequence N can refuse an older list
// replayed to it), issued at `now`. Throws EnrolmentError if the node and
// serial are already revoked, or revoked_at is after `now` (a revocation
// takes effect when it is published, never later: plan an end with
// not_after instead).
RevocationTerms add_revocation(const RevocationList* current, const std::string& site,
                               Revocation entry, std::int64_t now);

// Enrolment of `node` from `cert` (the node's Node::enrolments entry).
Enrolment enrolment_of(const EnrolmentCertificate& cert, const std::string& file);

// Which enrolment, if any, covers a record of `node` made (ended) at
// `record_end`. The rule: a certificate covers a record whose end time is
// within [not_before, not_after] and before the certificate's revocation
// (revoked_at itself is refused: revoked_at is the first second the key is
// no longer trusted). A static node (no enrolments) is always covered.
enum class EnrolmentStatus {
  static_node,                // listed in pool.toml: no enrolment rule
  covered,                    // an unrevoked certificate covers it
  covered_before_revocation,  // covered, but that certificate has since been revoked: flagged
  not_yet_valid,              // ends before every certificate's not_before
  expired,                    // ends after the not_after of the certificates that began
  revoked,                    // ends at or after its certificate's revocation
};
struct EnrolmentDecision {
  EnrolmentStatus status = EnrolmentStatus::static_node;
  const Enrolment* enrolment = nullptr;  // the certificate decided by (null for static)
  // Refusal reason or flag, naming node, site, serial and dates; empty for
  // static_node and covered.
  std::string reason;
  bool accepted() const {
    return status == EnrolmentStatus::static_node || status == EnrolmentStatus::covered ||
           status == EnrolmentStatus::covered_before_revocation;
  }
};
EnrolmentDecision decide_enrolment(const Node& node, std::int64_t record_end);

// "2026-12-02T10:00:00Z".
std::string utc_text(std::int64_t unix_seconds);

}  // namespace basin::federation
