// Node keys and signed record files.
//
// Every node signs its own records with its own Ed25519 key (libsodium), so a
// volunteer node cannot sign for another node or site: a verifier picks the
// public key by the record's node name.
//
// Signed record file (what the plugin writes into the spool):
//   8 bytes  magic "BASINREC"
//   u16      file format version (1)
//   u32      payload length
//   payload  the canonical UsageRecord encoding (usage_record.hpp)
//   64 bytes Ed25519 signature over "basin/usage-record/v1\n" || all bytes above
//
// Key files are text:
//   secret key file (root-owned, mode 0600):  ed25519-secret:<64 hex: 32-byte seed>
//   keys file (public, one node per line):    <node> ed25519:<64 hex>   (# comments)
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "basin/records/usage_record.hpp"

namespace basin::records {

inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::size_t kMaxRecordFile = 64 * 1024;

using PublicKey = std::array<std::uint8_t, kPublicKeyBytes>;

// Refuses a secret key file (open as `fd`) that is not a regular file or that
// anyone but its user could read: it must be owned by the effective user (by
// root when `root_only`) and have no group or other permission bits. Throws
// RecordError saying how to fix it (chown/chmod). One check for every secret
// key Basin reads: node, site, witness and account keys.
void check_secret_key_file(int fd, const std::string& path, bool root_only);

// The text of a secret key file, wiped when this object goes away.
class SecretText {
 public:
  explicit SecretText(std::string text) : text_(std::move(text)) {}
  ~SecretText();
  SecretText(SecretText&& other) noexcept;  // copies, then wipes `other`
  SecretText(const SecretText&) = delete;
  SecretText& operator=(const SecretText&) = delete;
  // The text without trailing newlines.
  std::string_view text() const;

 private:
  std::string text_;
};

// The one way Basin reads a secret key file (node, site, witness, account and
// blinding keys): opened without following symlinks, refused unless
// check_secret_key_file accepts it, at most max_bytes. `what` names the key in
// messages ("blinding key"), `how_to_create` says where one comes from.
// Throws RecordError.
SecretText read_secret_key_file(const std::string& path, bool root_only, std::size_t max_bytes,
                                const std::string& what, const std::string& how_to_create);

// A node's signing key. The secret never leaves this object; it is wiped on
// destruction.
class NodeKey {
 public:
  static NodeKey generate();
  // Loads a secret key file. With require_root_only, the file must be a
  // regular file owned by root with no group/other permissions (it is opened
  // without following symlinks).
  static NodeKey load(const std::string& path, bool require_root_only);
  ~NodeKey();
  NodeKey(NodeKey&&) noexcept;
  NodeKey& operator=(NodeKey&&) noexcept;
  NodeKey(const NodeKey&) = delete;
  NodeKey& operator=(const NodeKey&) = delete;

  const PublicKey& public_key() const { return public_; }
  std::string secret_file_text() const;  // "ed25519-secret:<hex>\n"
  // The Ed25519 seed, for the few places that sign under another format with
  // the same key (checkpoint notes, openings, cosignatures). Secret: the
  // caller wipes it (sodium_memzero) after use.
  std::array<std::uint8_t, 32> seed() const;
  std::array<std::uint8_t, kSignatureBytes> sign(std::span<const std::uint8_t> msg) const;

 private:
  NodeKey() = default;
  std::array<std::uint8_t, 64> secret_{};  // libsodium's seed || public key
  PublicKey public_{};
};

std::string public_key_text(const PublicKey& key);  // "ed25519:<hex>"

// Public keys by node name, parsed strictly from a keys file.
class KeyRing {
 public:
  static KeyRing parse(const std::string& text, const std::string& source_name);
  static KeyRing load(const std::string& path);
  void add(const std::string& node, const PublicKey& key);
  const PublicKey* find(const std::string& node) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, PublicKey> keys_;
};

// Builds a signed record file.
std::vector<std::uint8_t> sign_record(const UsageRecord& record, const NodeKey& key);

// Parses a signed record file without checking the signature (for `show`).
UsageRecord parse_signed_record(std::span<const std::uint8_t> file);

// Parses and checks the signature with the key of the record's node.
// Throws RecordError naming what is wrong (format, unknown node, signature).
UsageRecord verify_signed_record(std::span<const std::uint8_t> file, const KeyRing& keys);

// What verify_signed_record checks, for a verifier that checks many
// signatures at once (the books re-check a month of records in one batch):
// the record as decoded, and the exact message, signature and node key.
// Nothing in it is trusted until that signature check passes.
struct SignatureClaim {
  UsageRecord record;
  std::vector<std::uint8_t> message;
  std::array<std::uint8_t, kSignatureBytes> signature{};
  PublicKey key{};
};
// Throws RecordError as verify_signed_record does for a malformed file or a
// node without a key.
SignatureClaim signature_claim(std::span<const std::uint8_t> file, const KeyRing& keys);
// The message of verify_signed_record's RecordError for a bad signature.
std::string bad_signature_reason(const UsageRecord& record);

}  // namespace basin::records
