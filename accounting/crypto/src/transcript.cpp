#include "basin/crypto/transcript.hpp"

#include <array>

#include "basin/common/sodium.hpp"

namespace basin::crypto {

namespace {
std::array<std::uint8_t, 8> le64(std::uint64_t v) {
  std::array<std::uint8_t, 8> out;
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
  return out;
}
std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

Transcript::Transcript(std::string_view domain) {
  common::ensure_sodium();
  crypto_generichash_init(&state_, nullptr, 0, 64);
  append("basin.transcript.v1", bytes_of(domain));
}

void Transcript::absorb(std::span<const std::uint8_t> data) {
  crypto_generichash_update(&state_, data.data(), data.size());
}

void Transcript::append(std::string_view label, std::span<const std::uint8_t> data) {
  absorb(le64(label.size()));
  absorb(bytes_of(label));
  absorb(le64(data.size()));
  absorb(data);
}

void Transcript::append_u64(std::string_view label, std::uint64_t v) {
  append(label, le64(v));
}

void Transcript::append_point(std::string_view label, const Bytes32& encoding) {
  append(label, encoding);
}

Scalar Transcript::challenge(std::string_view label) {
  append("challenge", bytes_of(label));
  crypto_generichash_state copy = state_;
  std::array<std::uint8_t, 64> out;
  crypto_generichash_final(&copy, out.data(), out.size());
  append("challenge-output", out);
  return Scalar::from_wide(out);
}

}  // namespace basin::crypto
