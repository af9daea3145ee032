#include "basin/tlog/signed_note.hpp"

#include <sodium.h>

#include <charconv>
#include <cstdio>
#include <vector>

#include "basin/common/sodium.hpp"
#include "note_base64.hpp"

namespace basin::tlog {
namespace {

constexpr std::uint8_t kAlgEd25519 = 1;
constexpr const char (&kDash)[sizeof detail::kSignatureDash] = detail::kSignatureDash;

using detail::b64;
using detail::unb64;

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c == '+' || c == 0x7f) return false;
  return true;
}

std::uint32_t compute_key_hash(const std::string& name, const std::array<std::uint8_t, 32>& pk) {
  return detail::key_id(name, kAlgEd25519, pk);
}

std::string hex8(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Splits "a+b+c" where the last part (base64) may itself contain '+'.
std::vector<std::string> split_plus(const std::string& s, std::size_t parts) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (out.size() + 1 < parts) {
    const auto p = s.find('+', pos);
    if (p == std::string::npos) return {};
    out.push_back(s.substr(pos, p - pos));
    pos = p + 1;
  }
  out.push_back(s.substr(pos));
  return out;
}

std::uint32_t parse_hex8(const std::string& s, const char* what) {
  std::uint32_t v = 0;
  if (s.size() != 8) throw NoteError(std::string(what) + ": key hash must be 8 hex digits");
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      throw NoteError(std::string(what) + ": key hash must be 8 lower-case hex digits");
  std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return v;
}

}  // namespace

std::string NoteVerifier::text() const {
  std::uint8_t buf[33];
  buf[0] = kAlgEd25519;
  std::copy(public_key.begin(), public_key.end(), buf + 1);
  return name + "+" + hex8(key_hash) + "+" + b64(buf, sizeof buf);
}

NoteVerifier parse_verifier_key(const std::string& key) {
  const auto parts = split_plus(key, 3);
  if (parts.size() != 3 || !valid_name(parts[0]))
    throw NoteError("verifier key must be <name>+<8 hex>+<base64 key>");
  NoteVerifier v;
  v.name = parts[0];
  v.key_hash = parse_hex8(parts[1], "verifier key");
  const auto raw = unb64(parts[2], "verifier key");
  if (raw.size() != 33 || raw[0] != kAlgEd25519)
    throw NoteError("verifier key is not an Ed25519 key (algorithm 1, 32 bytes)");
  std::copy(raw.begin() + 1, raw.end(), v.public_key.begin());
  if (compute_key_hash(v.name, v.public_key) != v.key_hash)
    throw NoteError("verifier key hash does not match its name and key");
  return v;
}

NoteSigner NoteSigner::generate(const std::string& name) {
  common::ensure_sodium();
  if (!valid_name(name)) throw NoteError("key name must be non-empty, without spaces or '+'");
  NoteSigner s;
  s.verifier_.name = name;
  crypto_sign_keypair(s.verifier_.public_key.data(), s.secret_.data());
  s.verifier_.key_hash = compute_key_hash(name, s.verifier_.public_key);
  return s;
}

NoteSigner NoteSigner::parse(const std::string& key) {
  common::ensure_sodium();
  const auto parts = split_plus(key, 5);
  if (parts.size() != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || !valid_name(parts[2]))
    throw NoteError("signer key must be PRIVATE+KEY+<name>+<8 hex>+<base64 key>");
  auto raw = unb64(parts[4], "signer key");
  if (raw.size() != 33 || raw[0] != kAlgEd25519)
    throw NoteError("signer key is not an Ed25519 key (algorithm 1, 32-byte seed)");
  NoteSigner s;
  s.verifier_.name = parts[2];
  crypto_sign_seed_keypair(s.verifier_.public_key.data(), s.secret_.data(), raw.data() + 1);
  sodium_memzero(raw.data(), raw.size());
  s.verifier_.key_hash = compute_key_hash(s.verifier_.name, s.verifier_.public_key);
  if (s.verifier_.key_hash != parse_hex8(parts[3], "signer key"))
    throw NoteError("signer key hash does not match its name and key");
  return s;
}

NoteSigner NoteSigner::from_seed(const std::string& name,
                                 const std::array<std::uint8_t, 32>& seed) {
  common::ensure_sodium();
  if (!valid_name(name)) throw NoteError("key name must be non-empty, without spaces or '+'");
  NoteSigner s;
  s.verifier_.name = name;
  crypto_sign_seed_keypair(s.verifier_.public_key.data(), s.secret_.data(), seed.data());
  s.verifier_.key_hash = compute_key_hash(name, s.verifier_.public_key);
  return s;
}

NoteVerifier make_verifier(const std::string& name,
                           const std::array<std::uint8_t, 32>& public_key) {
  if (!valid_name(name)) throw NoteError("key name must be non-empty, without spaces or '+'");
  NoteVerifier v;
  v.name = name;
  v.public_key = public_key;
  v.key_hash = compute_key_hash(name, public_key);
  return v;
}

NoteSigner::~NoteSigner() {
  sodium_memzero(secret_.data(), secret_.size());
}

std::string NoteSigner::text() const {
  std::uint8_t buf[33];
  buf[0] = kAlgEd25519;
  std::copy(secret_.begin(), secret_.begin() + 32, buf + 1);  // the seed
  auto s =
      "PRIVATE+KEY+" + verifier_.name + "+" + hex8(verifier_.key_hash) + "+" + b64(buf, sizeof buf);
  sodium_memzero(buf, sizeof buf);
  return s;
}

std::array<std::uint8_t, 64> NoteSigner::sign(const std::string& message) const {
  std::array<std::uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const std::uint8_t*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

std::string sign_note(const std::string& text, const NoteSigner& signer) {
  if (text.empty() || text.back() != '\n') throw NoteError("note text must end with a newline");
  if (text.find("\n\n") != std::string::npos) throw NoteError("note text has a blank line");
  const auto sig = signer.sign(text);
  std::uint8_t blob[68];
  const auto kh = signer.verifier().key_hash;
  blob[0] = static_cast<std::uint8_t>(kh >> 24);
  blob[1] = static_cast<std::uint8_t>(kh >> 16);
  blob[2] = static_cast<std::uint8_t>(kh >> 8);
  blob[3] = static_cast<std::uint8_t>(kh);
  std::copy(sig.begin(), sig.end(), blob + 4);
  return text + "\n" + kDash + signer.verifier().name + " " + b64(blob, sizeof blob) + "\n";
}

std::string open_note_any(const std::string& note, std::span<const NoteVerifier> verifiers) {
  if (verifiers.empty()) throw NoteError("no key to verify the note with");
  for (std::size_t i = 1; i < verifiers.size(); ++i) {
    try {
      return open_note(note, verifiers[i]);
    } catch (const NoteError&) {
    }
  }
  return open_note(note, verifiers.front());  // its error when no key verifies
}

std::string open_note(const std::string& note, const NoteVerifier& v) {
  if (note.size() > 1 << 20) throw NoteError("note larger than 1 MiB");
  const auto split = note.rfind("\n\n");
  if (split == std::string::npos) throw NoteError("note has no signature block");
  const std::string text = note.substr(0, split + 1);
  std::string sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') throw NoteError("signature block must end with newline");
  bool matched_name = false;
  std::size_t pos = 0;
  while (pos < sigs.size()) {
    const auto nl = sigs.find('\n', pos);
    const std::string line = sigs.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind(kDash, 0) != 0) throw NoteError("malformed signature line: " + line);
    const auto rest = line.substr(sizeof(kDash) - 1);
    const auto sp = rest.find(' ');
    if (sp == std::string::npos) throw NoteError("malformed signature line: " + line);
    const auto name = rest.substr(0, sp);
    if (name != v.name) continue;
    const auto blob = unb64(rest.substr(sp + 1), "signature");
    if (blob.size() < 4) throw NoteError("signature too short");
    const std::uint32_t kh = std::uint32_t{blob[0]} << 24 | std::uint32_t{blob[1]} << 16 |
                             std::uint32_t{blob[2]} << 8 | blob[3];
    if (kh != v.key_hash) continue;
    matched_name = true;
    if (blob.size() == 68 &&
        crypto_sign_verify_detached(blob.data() + 4,
                                    reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
                                    v.public_key.data()) == 0)
      return text;
  }
  throw NoteError(matched_name ? "the signature by " + v.name + " does not verify"
                               : "no signature by " + v.name + " on this note");
}

std::string checkpoint_text(const Checkpoint& c) {
  if (c.origin.empty() || c.origin.find('\n') != std::string::npos)
    throw NoteError("checkpoint origin must be one non-empty line");
  return c.origin + "\n" + std::to_string(c.size) + "\n" + b64(c.root.data(), c.root.size()) + "\n";
}

Checkpoint parse_checkpoint(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) throw NoteError("checkpoint text must end with a newline");
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() < 3) throw NoteError("checkpoint needs origin, size and root lines");
  Checkpoint c;
  c.origin = lines[0];
  if (c.origin.empty()) throw NoteError("checkpoint origin is empty");
  const auto& sz = lines[1];
  auto [p, ec] = std::from_chars(sz.data(), sz.data() + sz.size(), c.size);
  if (ec != std::errc() || p != sz.data() + sz.size() || sz.empty() ||
      (sz.size() > 1 && sz[0] == '0'))
    throw NoteError("checkpoint size '" + sz + "' is not a canonical decimal number");
  const auto root = unb64(lines[2], "checkpoint root");
  if (root.size() != 32) throw NoteError("checkpoint root is not 32 bytes");
  std::copy(root.begin(), root.end(), c.root.begin());
  return c;
}

}  // namespace basin::tlog
