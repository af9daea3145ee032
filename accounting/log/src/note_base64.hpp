// Base64 (standard alphabet, padded) for signed notes, checkpoints and
// cosignatures: one definition shared by signed_note.cpp and cosignature.cpp.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <string>
#include <vector>

#include "basin/tlog/signed_note.hpp"

namespace basin::tlog::detail {

inline std::string b64(const std::uint8_t* data, std::size_t n) {
  std::string s(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(s.data(), s.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
  s.resize(s.size() - 1);  // the terminating NUL
  return s;
}

inline std::vector<std::uint8_t> unb64(const std::string& s, const char* what) {
  // Nothing Basin reads is empty; and libsodium must not get a null buffer
  // (found by fuzz_replay_tlog_text under UBSan).
  if (s.empty()) throw NoteError(std::string(what) + " is empty where base64 is expected");
  std::vector<std::uint8_t> out(s.size());
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != s.data() + s.size())
    throw NoteError(std::string(what) + " is not valid base64");
  out.resize(len);
  return out;
}

// First 4 bytes (big-endian) of SHA-256(name || "\n" || alg || public key):
// the key id of C2SP signed notes (alg 0x01) and cosignatures (alg 0x04).
inline std::uint32_t key_id(const std::string& name, std::uint8_t alg,
                            const std::array<std::uint8_t, 32>& pk) {
  std::vector<std::uint8_t> buf(name.begin(), name.end());
  buf.push_back('\n');
  buf.push_back(alg);
  buf.insert(buf.end(), pk.begin(), pk.end());
  std::uint8_t h[32];
  crypto_hash_sha256(h, buf.data(), buf.size());
  return std::uint32_t{h[0]} << 24 | std::uint32_t{h[1]} << 16 | std::uint32_t{h[2]} << 8 | h[3];
}

inline constexpr char kSignatureDash[] = "\xe2\x80\x94 ";  // "— " (U+2014 EM DASH, space)

}  // namespace basin::tlog::detail
