// Signed tree heads as C2SP tlog-checkpoint bodies in C2SP signed notes with
// Ed25519, the format of golang.org/x/mod/sumdb/note, so existing
// transparency-log tooling (witnesses, verifiers) reads Basin's checkpoints.
//
//   note       = text "\n" signature-line+          (text ends in "\n")
//   signature  = "— " name " " base64(key hash (4 bytes, big-endian) || Ed25519 sig) "\n"
//   key hash   = first 4 bytes of SHA-256(name || "\n" || 0x01 || public key)
//   verifier key  = name "+" hex8(key hash) "+" base64(0x01 || public key)
//   signer key    = "PRIVATE+KEY+" name "+" hex8(key hash) "+" base64(0x01 || seed)
//   checkpoint text = origin "\n" decimal size "\n" base64(root) "\n"
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "basin/tlog/merkle.hpp"

namespace basin::tlog {

class NoteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NoteVerifier {
  std::string name;
  std::uint32_t key_hash = 0;
  std::array<std::uint8_t, 32> public_key{};
  std::string text() const;  // the verifier key string
};

class NoteSigner {
 public:
  static NoteSigner generate(const std::string& name);
  static NoteSigner parse(const std::string& signer_key);  // "PRIVATE+KEY+..."
  // From an existing Ed25519 seed (e.g. a site's signing key), so the key that
  // signs receipts also signs the log's tree heads under `name`.
  static NoteSigner from_seed(const std::string& name, const std::array<std::uint8_t, 32>& seed);
  ~NoteSigner();
  NoteSigner(NoteSigner&&) noexcept = default;
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;
  std::string text() const;  // the signer key string (secret)
  const NoteVerifier& verifier() const { return verifier_; }
  std::array<std::uint8_t, 64> sign(const std::string& message) const;

 private:
  NoteSigner() = default;
  NoteVerifier verifier_;
  std::array<std::uint8_t, 64> secret_{};
};

NoteVerifier parse_verifier_key(const std::string& key);
// The verifier for `name` and a raw Ed25519 public key (e.g. from pool.toml).
NoteVerifier make_verifier(const std::string& name, const std::array<std::uint8_t, 32>& public_key);

// Appends this signer's signature line to the note text.
std::string sign_note(const std::string& text, const NoteSigner& signer);
// Returns the note's text if it carries a valid signature by `verifier`;
// throws NoteError saying what is wrong.
std::string open_note(const std::string& note, const NoteVerifier& verifier);
// The same with any of several keys of one signer (a site's current key, then
// its earlier keys after a rotation); throws the first key's error if none
// verifies.
std::string open_note_any(const std::string& note, std::span<const NoteVerifier> verifiers);

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
};
std::string checkpoint_text(const Checkpoint& c);
Checkpoint parse_checkpoint(const std::string& text);

}  // namespace basin::tlog
