#include "basin/tlog/cosignature.hpp"

#include <sodium.h>

#include "basin/common/sodium.hpp"
#include "note_base64.hpp"

namespace basin::tlog {
namespace {

constexpr std::uint8_t kAlgCosignatureV1 = 0x04;
constexpr std::size_t kBlobSize = 4 + 8 + 64;  // key id, timestamp, signature

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c == '+' || c == 0x7f) return false;
  return true;
}

void put_be(std::uint8_t* out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * (bytes - 1 - i)));
}

std::uint64_t get_be(const std::uint8_t* in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | in[i];
  return v;
}

// A signature line split into name and decoded blob; nullopt-like empty name
// when the line is not "— name base64".
struct Line {
  std::string name;
  std::string blob_b64;
};

Line parse_line(const std::string& line) {
  const std::string dash = detail::kSignatureDash;
  if (line.rfind(dash, 0) != 0) throw NoteError("malformed signature line: " + line);
  const auto rest = line.substr(dash.size());
  const auto sp = rest.find(' ');
  if (sp == std::string::npos) throw NoteError("malformed signature line: " + line);
  return {rest.substr(0, sp), rest.substr(sp + 1)};
}

}  // namespace

std::uint32_t CosignerKey::key_id() const {
  return detail::key_id(name, kAlgCosignatureV1, public_key);
}

Cosigner::Cosigner(const std::string& name, const std::array<std::uint8_t, 32>& seed) {
  common::ensure_sodium();
  if (!valid_name(name)) throw NoteError("cosigner name must be non-empty, without spaces or '+'");
  key_.name = name;
  crypto_sign_seed_keypair(key_.public_key.data(), secret_.data(), seed.data());
}

Cosigner::~Cosigner() {
  sodium_memzero(secret_.data(), secret_.size());
}

std::string cosigned_message(const std::string& note_text, std::uint64_t timestamp) {
  if (note_text.empty() || note_text.back() != '\n')
    throw NoteError("cosigned note text must end with a newline");
  if (timestamp > (std::uint64_t{1} << 63) - 1) throw NoteError("cosignature time beyond 2^63-1");
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + note_text;
}

std::string Cosigner::cosign(const std::string& note_text, std::uint64_t timestamp) const {
  const auto msg = cosigned_message(note_text, timestamp);
  std::uint8_t blob[kBlobSize];
  put_be(blob, key_.key_id(), 4);
  put_be(blob + 4, timestamp, 8);
  crypto_sign_detached(blob + 12, nullptr, reinterpret_cast<const std::uint8_t*>(msg.data()),
                       msg.size(), secret_.data());
  return std::string(detail::kSignatureDash) + key_.name + " " + detail::b64(blob, sizeof blob) +
         "\n";
}

NoteParts split_note(const std::string& note) {
  if (note.size() > 1 << 20) throw NoteError("note larger than 1 MiB");
  const auto split = note.rfind("\n\n");
  if (split == std::string::npos) throw NoteError("note has no signature block");
  NoteParts parts;
  parts.text = note.substr(0, split + 1);
  const std::string sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') throw NoteError("signature block must end with newline");
  for (std::size_t pos = 0; pos < sigs.size();) {
    const auto nl = sigs.find('\n', pos);
    parts.lines.push_back(sigs.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return parts;
}

std::uint64_t verify_cosignature(const std::string& note, const CosignerKey& key) {
  const auto parts = split_note(note);
  for (const auto& raw : parts.lines) {
    const auto line = parse_line(raw);
    if (line.name != key.name) continue;
    const auto blob = detail::unb64(line.blob_b64, "cosignature");
    if (blob.size() < 4 || static_cast<std::uint32_t>(get_be(blob.data(), 4)) != key.key_id())
      continue;  // the same name with another key (or algorithm): not this witness's
    if (blob.size() != kBlobSize)
      throw NoteError("cosignature by " + key.name + " has " + std::to_string(blob.size()) +
                      " bytes, not " + std::to_string(kBlobSize));
    const auto timestamp = get_be(blob.data() + 4, 8);
    const auto msg = cosigned_message(parts.text, timestamp);
    if (crypto_sign_verify_detached(blob.data() + 12,
                                    reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size(),
                                    key.public_key.data()) != 0)
      throw NoteError("the cosignature by " + key.name + " does not verify");
    return timestamp;
  }
  throw NoteError("no cosignature by " + key.name + " on this checkpoint");
}

std::string add_cosignature(const std::string& note, const std::string& line) {
  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1)
    throw NoteError("a cosignature is one line ending in a newline");
  const auto added = parse_line(line.substr(0, line.size() - 1));
  const auto blob = detail::unb64(added.blob_b64, "cosignature");
  if (blob.size() != kBlobSize) throw NoteError("cosignature has the wrong length");
  for (const auto& raw : split_note(note).lines) {
    const auto have = parse_line(raw);
    if (have.name != added.name) continue;
    const auto b = detail::unb64(have.blob_b64, "signature");
    if (b.size() >= 4 && get_be(b.data(), 4) == get_be(blob.data(), 4)) return note;
  }
  return note + line;
}

}  // namespace basin::tlog
