// Witness cosignatures on checkpoints (C2SP tlog-cosignature, cosignature/v1,
// Ed25519).
//
// A cosignature is a note signature line added to a log's signed checkpoint
// by a witness that checked the checkpoint extends every earlier one it saw:
//
//   line     = "— " name " " base64(key id (4 bytes) || u64 timestamp (BE) || Ed25519 sig)
//   key id   = first 4 bytes of SHA-256(name || "\n" || 0x04 || public key)
//   message  = "cosignature/v1\n" "time " decimal timestamp "\n" checkpoint body
//
// The body is the note's text (every line up to the blank line), never the
// other signatures, so cosignatures by different witnesses are independent
// and a log's own signature line is untouched. The 0x04 in the key id and the
// "cosignature/v1" header separate a cosignature from an ordinary note
// signature by the same key (which Basin avoids anyway: a witness key does
// nothing else).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "basin/tlog/signed_note.hpp"

namespace basin::tlog {

struct CosignerKey {
  std::string name;  // e.g. "basin-witness/<pool>/<site>"
  std::array<std::uint8_t, 32> public_key{};
  std::uint32_t key_id() const;  // SHA-256(name "\n" 0x04 key)[:4]
};

class Cosigner {
 public:
  // From an Ed25519 seed (a site's witness key file); the seed is wiped when
  // the Cosigner is destroyed.
  Cosigner(const std::string& name, const std::array<std::uint8_t, 32>& seed);
  ~Cosigner();
  Cosigner(const Cosigner&) = delete;
  Cosigner& operator=(const Cosigner&) = delete;
  const CosignerKey& key() const { return key_; }
  // The signature line (ending in "\n") cosigning the note whose text is
  // `note_text` (checkpoint body ending in "\n"), made at `timestamp`.
  std::string cosign(const std::string& note_text, std::uint64_t timestamp) const;

 private:
  CosignerKey key_;
  std::array<std::uint8_t, 64> secret_{};
};

// The cosigned message for a note text and time (exposed for tests).
std::string cosigned_message(const std::string& note_text, std::uint64_t timestamp);

// The note's text (before the blank line) and its signature lines.
struct NoteParts {
  std::string text;
  std::vector<std::string> lines;  // each without its final "\n"
};
NoteParts split_note(const std::string& note);

// The timestamp of a valid cosignature by `key` on `note`; throws NoteError
// when there is none, or when a line with the key's name and id does not
// verify (a forged or altered cosignature is an error, not an absence).
std::uint64_t verify_cosignature(const std::string& note, const CosignerKey& key);

// `note` with `line` added, unless a line by the same name and key id is
// there already (then `note` unchanged): a checkpoint carries one
// cosignature per witness.
std::string add_cosignature(const std::string& note, const std::string& line);

}  // namespace basin::tlog
