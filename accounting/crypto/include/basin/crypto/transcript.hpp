// Fiat-Shamir transcript on BLAKE2b-512 (libsodium crypto_generichash).
//
// The running state absorbs, for each append, u64le(|label|) || label ||
// u64le(|data|) || data, so no two different sequences of appends collide.
// challenge(label) appends the label with the tag "challenge", finalises a copy
// of the state to 64 bytes, reduces them mod l, and then appends those 64
// bytes back (label "challenge-output"), so every later challenge depends on
// every earlier one.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <sodium.h>

#include "basin/crypto/group.hpp"

namespace basin::crypto {

class Transcript {
 public:
  explicit Transcript(std::string_view domain);
  void append(std::string_view label, std::span<const std::uint8_t> data);
  void append_u64(std::string_view label, std::uint64_t v);
  void append_point(std::string_view label, const Bytes32& encoding);
  Scalar challenge(std::string_view label);

 private:
  void absorb(std::span<const std::uint8_t> data);
  crypto_generichash_state state_;
};

}  // namespace basin::crypto
