#include "basin/common/hex.hpp"

#include <sodium.h>

namespace basin::common {

// libsodium's codec runs in constant time, which matters here: secret keys
// (seeds, blinding secrets, X25519 keys) go through it too.
std::string to_hex(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return {};  // an empty span may have no data pointer: libsodium wants one
  std::string s(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(s.data(), s.size(), bytes.data(), bytes.size());
  s.pop_back();  // sodium_bin2hex's terminating NUL
  return s;
}

bool from_hex(std::string_view hex, std::span<std::uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  if (out.empty()) return true;  // nothing to read; libsodium wants non-null pointers
  std::size_t len = 0;
  const char* end = nullptr;
  // With `end` given, sodium_hex2bin stops at the first non-hex character
  // instead of failing: check that it read every character and filled `out`.
  return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) == 0 &&
         len == out.size() && end == hex.data() + hex.size();
}

}  // namespace basin::common
