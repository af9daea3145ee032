#include "basin/crypto/group.hpp"

#include <sodium.h>

#include "basin/common/sodium.hpp"
#include "scalar_mul.hpp"

#include <cstring>

namespace basin::crypto {

namespace {
bool ok(decaf_error_t e) {
  return e == DECAF_SUCCESS;
}
}  // namespace

Scalar::Scalar() {
  decaf_255_scalar_copy(s_, decaf_255_scalar_zero);
}

Scalar Scalar::from_u64(std::uint64_t v) {
  Scalar r;
  decaf_255_scalar_set_unsigned(r.s_, v);
  return r;
}

std::optional<Scalar> Scalar::from_canonical(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 32) return std::nullopt;
  Scalar r;
  if (!ok(decaf_255_scalar_decode(r.s_, bytes.data()))) return std::nullopt;
  return r;
}

Scalar Scalar::from_wide(std::span<const std::uint8_t, 64> bytes) {
  Scalar r;
  decaf_255_scalar_decode_long(r.s_, bytes.data(), bytes.size());
  return r;
}

Scalar Scalar::random() {
  common::ensure_sodium();
  std::array<std::uint8_t, 64> buf;
  randombytes_buf(buf.data(), buf.size());
  Scalar r = from_wide(buf);
  sodium_memzero(buf.data(), buf.size());
  return r;
}

Bytes32 Scalar::encode() const {
  Bytes32 out;
  decaf_255_scalar_encode(out.data(), s_);
  return out;
}

bool Scalar::is_zero() const {
  return decaf_255_scalar_eq(s_, decaf_255_scalar_zero) != 0;
}

Scalar Scalar::invert() const {
  Scalar r;
  // Zero has no inverse; libdecaf returns zero for it, which callers never feed.
  const decaf_error_t e = decaf_255_scalar_invert(r.s_, s_);
  (void)e;
  return r;
}

Scalar Scalar::operator+(const Scalar& o) const {
  Scalar r;
  decaf_255_scalar_add(r.s_, s_, o.s_);
  return r;
}
Scalar Scalar::operator-(const Scalar& o) const {
  Scalar r;
  decaf_255_scalar_sub(r.s_, s_, o.s_);
  return r;
}
Scalar Scalar::operator*(const Scalar& o) const {
  Scalar r;
  detail::scalar_mul_limbs(r.s_->limb, s_->limb, o.s_->limb);
  return r;
}
Scalar Scalar::operator-() const {
  return Scalar() - *this;
}
ScalarMultiplier::ScalarMultiplier(const Scalar& k) {
  detail::montgomery_mul(m_, k.s_->limb, detail::kR2);  // k R^2 / R = k R
}

Scalar ScalarMultiplier::operator*(const Scalar& x) const {
  Scalar r;
  detail::montgomery_mul(r.s_->limb, m_, x.s_->limb);  // k R x / R
  return r;
}

ScalarMultiplier ScalarMultiplier::operator*(const ScalarMultiplier& o) const {
  ScalarMultiplier r;
  detail::montgomery_mul(r.m_, m_, o.m_);  // k R k' R / R
  return r;
}

Scalar ScalarMultiplier::value() const {
  static constexpr std::uint64_t kOne[4] = {1, 0, 0, 0};
  Scalar r;
  detail::montgomery_mul(r.s_->limb, m_, kOne);  // k R / R
  return r;
}

bool Scalar::operator==(const Scalar& o) const {
  return decaf_255_scalar_eq(s_, o.s_) != 0;
}

Point::Point() {
  decaf_255_point_copy(p_, decaf_255_point_identity);
}

Point Point::base() {
  Point r;
  decaf_255_point_copy(r.p_, decaf_255_point_base);
  return r;
}

std::optional<Point> Point::decode(std::span<const std::uint8_t> bytes, bool allow_identity) {
  if (bytes.size() != 32) return std::nullopt;
  Point r;
  if (!ok(decaf_255_point_decode(r.p_, bytes.data(), allow_identity ? DECAF_TRUE : DECAF_FALSE)))
    return std::nullopt;
  return r;
}

Point Point::from_uniform_bytes(std::span<const std::uint8_t, 64> bytes) {
  // RFC 9496: one-way map = map(b[0:32]) + map(b[32:64]). libdecaf's
  // nonuniform map is the RFC's MAP (checked against RFC 9496 A.3 in
  // tests/crypto), so the sum is built explicitly here.
  Point a, b;
  decaf_255_point_from_hash_nonuniform(a.p_, bytes.data());
  decaf_255_point_from_hash_nonuniform(b.p_, bytes.data() + 32);
  return a + b;
}

Point Point::hash_to_group(std::string_view domain, std::span<const std::uint8_t> label) {
  common::ensure_sodium();
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 64);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  const unsigned char sep = 0;
  crypto_generichash_update(&st, &sep, 1);
  crypto_generichash_update(&st, label.data(), label.size());
  std::array<std::uint8_t, 64> h;
  crypto_generichash_final(&st, h.data(), h.size());
  return from_uniform_bytes(h);
}

Bytes32 Point::encode() const {
  Bytes32 out;
  decaf_255_point_encode(out.data(), p_);
  return out;
}

bool Point::is_identity() const {
  return decaf_255_point_eq(p_, decaf_255_point_identity) != 0;
}

Point Point::operator+(const Point& o) const {
  Point r;
  decaf_255_point_add(r.p_, p_, o.p_);
  return r;
}
Point Point::operator-(const Point& o) const {
  Point r;
  decaf_255_point_sub(r.p_, p_, o.p_);
  return r;
}
Point Point::operator-() const {
  Point r;
  decaf_255_point_negate(r.p_, p_);
  return r;
}
Point Point::operator*(const Scalar& k) const {
  Point r;
  decaf_255_point_scalarmul(r.p_, p_, k.raw());
  return r;
}
Point Point::dbl() const {
  Point r;
  decaf_255_point_double(r.p_, p_);
  return r;
}
Point& Point::operator+=(const Point& o) {
  decaf_255_point_add(p_, p_, o.p_);
  return *this;
}
bool Point::operator==(const Point& o) const {
  return decaf_255_point_eq(p_, o.p_) != 0;
}

Point base_mul(const Scalar& k) {
  Point r;
  decaf_255_precomputed_scalarmul(r.raw(), decaf_255_precomputed_base, k.raw());
  return r;
}

}  // namespace basin::crypto
