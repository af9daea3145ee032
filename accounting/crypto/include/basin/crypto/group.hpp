// ristretto255 scalars and points over libdecaf's decaf_255 (whose wire format is
// exactly ristretto255, RFC 9496). Decoding is strict: a scalar must be canonical
// (< l) and a point a valid encoding; nothing is silently reduced or repaired.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <decaf/point_255.h>

namespace basin::crypto {

using Bytes32 = std::array<std::uint8_t, 32>;

class Scalar {
 public:
  Scalar();  // zero
  static Scalar from_u64(std::uint64_t v);
  // Canonical little-endian encoding only (value < l); anything else is refused.
  static std::optional<Scalar> from_canonical(std::span<const std::uint8_t> bytes);
  // 64 uniform bytes reduced mod l (for hashes and randomness).
  static Scalar from_wide(std::span<const std::uint8_t, 64> bytes);
  static Scalar random();  // libsodium randombytes

  Bytes32 encode() const;
  bool is_zero() const;
  Scalar invert() const;  // zero maps to zero
  Scalar operator+(const Scalar& o) const;
  Scalar operator-(const Scalar& o) const;
  Scalar operator*(const Scalar& o) const;
  Scalar operator-() const;
  Scalar& operator+=(const Scalar& o) { return *this = *this + o; }
  Scalar& operator*=(const Scalar& o) { return *this = *this * o; }
  bool operator==(const Scalar& o) const;

  const decaf_255_scalar_s* raw() const { return s_; }

 private:
  friend class ScalarMultiplier;
  decaf_255_scalar_t s_;
};

// A scalar k prepared for many products (kept as k * 2^256 mod l, Montgomery
// form): each product with it costs one Montgomery multiplication instead of
// the two of Scalar::operator*. The results are the same scalars.
class ScalarMultiplier {
 public:
  explicit ScalarMultiplier(const Scalar& k);
  Scalar operator*(const Scalar& x) const;                      // k * x
  ScalarMultiplier operator*(const ScalarMultiplier& o) const;  // (k * k') prepared
  Scalar value() const;                                         // k

 private:
  ScalarMultiplier() = default;
  std::uint64_t m_[4] = {0, 0, 0, 0};
};

class Point {
 public:
  Point();  // identity
  static Point base();
  static Point identity() { return Point(); }
  // Strict decode of a 32-byte ristretto255 encoding; the identity is refused
  // unless allow_identity.
  static std::optional<Point> decode(std::span<const std::uint8_t> bytes, bool allow_identity);
  // decode() of each encoding (out[i] empty where in[i] is refused), eight at
  // a time with AVX-512 IFMA on CPUs that have it: the same verdicts and points.
  static void decode_many(std::span<const Bytes32> in, bool allow_identity,
                          std::span<std::optional<Point>> out);
  // RFC 9496 section 4.3.4 element derivation from 64 uniform bytes.
  static Point from_uniform_bytes(std::span<const std::uint8_t, 64> bytes);
  // from_uniform_bytes(BLAKE2b-512(domain || 0x00 || label)): nothing-up-my-sleeve points.
  static Point hash_to_group(std::string_view domain, std::span<const std::uint8_t> label);

  Bytes32 encode() const;
  bool is_identity() const;
  Point operator+(const Point& o) const;
  Point operator-(const Point& o) const;
  Point operator-() const;
  Point operator*(const Scalar& k) const;
  Point dbl() const;
  Point& operator+=(const Point& o);
  bool operator==(const Point& o) const;

  const decaf_255_point_s* raw() const { return p_; }
  decaf_255_point_s* raw() { return p_; }

 private:
  decaf_255_point_t p_;
};

// k*B with libdecaf's precomputed base table.
Point base_mul(const Scalar& k);

}  // namespace basin::crypto
