// Cofactored Ed25519 verification, single and batched (rule in ed25519.hpp).
//
// Points are decoded with libdecaf's EdDSA decoder, which multiplies by 2 and
// lands in the prime-order decaf group (the Edwards curve modulo its 4-torsion):
// the map kills exactly the 8-torsion, so an equation checked there is the
// cofactored one, and a point of small order decodes to the identity.
// The Ed25519 base point decodes to twice the group's base, so [s]B is
// [2s] times decaf's base.
#include "basin/crypto/ed25519.hpp"

#include <sodium.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include <decaf/ed255.h>

#include "basin/common/sodium.hpp"
#include "basin/crypto/group.hpp"
#include "basin/crypto/msm.hpp"
#include "batch_narrowing.hpp"

namespace basin::crypto {
namespace {

// y < p = 2^255 - 19 (the sign bit of x aside): RFC 8032's canonical encoding.
bool canonical_point_encoding(std::span<const std::uint8_t, 32> e) {
  if ((e[31] & 0x7f) != 0x7f) return true;
  for (std::size_t i = 30; i >= 1; --i)
    if (e[i] != 0xff) return true;
  return e[0] < 0xed;
}

// The point times 2 in the decaf group; nullopt if the encoding is not
// canonical, not on the curve, or of small order.
std::optional<Point> decode_edwards(std::span<const std::uint8_t, 32> e) {
  if (!canonical_point_encoding(e)) return std::nullopt;
  Point p;
  if (decaf_255_point_decode_like_eddsa_and_mul_by_ratio(p.raw(), e.data()) != DECAF_SUCCESS)
    return std::nullopt;
  if (p.is_identity()) return std::nullopt;  // small order
  return p;
}

// A signature's parts once its encodings have passed: [s]B = R + [h]A.
struct Prepared {
  Point r;
  Scalar s;
  Scalar h;
};

std::optional<Prepared> prepare(const Ed25519Check& c) {
  const auto s = Scalar::from_canonical(c.signature.subspan<32, 32>());
  if (!s) return std::nullopt;
  auto r = decode_edwards(c.signature.first<32>());
  if (!r) return std::nullopt;
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, c.signature.data(), 32);
  crypto_hash_sha512_update(&st, c.public_key.data(), 32);
  crypto_hash_sha512_update(&st, c.message.data(), c.message.size());
  std::array<std::uint8_t, 64> digest;
  crypto_hash_sha512_final(&st, digest.data());
  return Prepared{*r, *s, Scalar::from_wide(digest)};
}

// [2s]G - [h]A == R in the decaf group (variable time: all inputs public).
bool equation_holds(const Prepared& p, const Point& a) {
  const Scalar two_s = p.s + p.s;
  const Scalar minus_h = -p.h;
  Point combo;
  decaf_255_base_double_scalarmul_non_secret(combo.raw(), two_s.raw(), a.raw(), minus_h.raw());
  return combo == p.r;
}

// 128 random bits: enough for the batch's soundness (2^-128), half the cost
// of full scalars in the multi-scalar multiplication.
Scalar random_weight() {
  std::array<std::uint8_t, 32> b{};
  randombytes_buf(b.data(), 16);
  return *Scalar::from_canonical(b);
}

}  // namespace

bool ed25519_verify(const Ed25519Check& c) {
  common::ensure_sodium();
  const auto a = decode_edwards(c.public_key);
  if (!a) return false;
  const auto p = prepare(c);
  return p && equation_holds(*p, *a);
}

namespace {

// The batch's inputs: each distinct public key decoded once (keys repeat:
// one per site), each signature's parts.
struct Batch {
  std::vector<std::optional<Point>> keys;
  std::vector<std::size_t> key_of;  // per check
  std::vector<std::optional<Prepared>> prepared;
};

Batch prepare_batch(std::span<const Ed25519Check> checks) {
  Batch b;
  std::map<std::array<std::uint8_t, 32>, std::size_t> key_index;
  b.key_of.resize(checks.size());
  for (std::size_t i = 0; i < checks.size(); ++i) {
    std::array<std::uint8_t, 32> k;
    std::copy(checks[i].public_key.begin(), checks[i].public_key.end(), k.begin());
    auto [at, fresh] = key_index.try_emplace(k, b.keys.size());
    if (fresh) b.keys.push_back(decode_edwards(checks[i].public_key));
    b.key_of[i] = at->second;
  }
  b.prepared.resize(checks.size());
  tbb::parallel_for(std::size_t{0}, checks.size(), [&](std::size_t i) {
    if (b.keys[b.key_of[i]]) b.prepared[i] = prepare(checks[i]);
  });
  return b;
}

// sum_i z_i ([s_i]B - R_i - [h_i]A_i) = 0 with random z_i, over the
// signatures in [lo, hi) that were prepared: one MSM over every R_i, each
// distinct A and the base.
bool combination_holds(const Batch& b, std::size_t lo, std::size_t hi) {
  // Each signature's weight and products, on every core (10^5 of them in a
  // month); then the sums per key and for the base, in order.
  struct Term {
    Scalar z, zs, zh;
  };
  std::vector<Term> terms(hi - lo);
  tbb::parallel_for(lo, hi, [&](std::size_t i) {
    if (!b.prepared[i]) return;
    const Scalar z = random_weight();
    terms[i - lo] = {z, z * b.prepared[i]->s, z * b.prepared[i]->h};
  });
  std::vector<Scalar> scalars;
  std::vector<Point> points;
  scalars.reserve(hi - lo + b.keys.size() + 1);
  points.reserve(hi - lo + b.keys.size() + 1);
  std::vector<Scalar> key_sums(b.keys.size());
  Scalar base_sum;
  for (std::size_t i = lo; i < hi; ++i) {
    if (!b.prepared[i]) continue;
    const Term& t = terms[i - lo];
    base_sum += t.zs;
    key_sums[b.key_of[i]] += t.zh;
    scalars.push_back(-t.z);
    points.push_back(b.prepared[i]->r);
  }
  if (points.empty()) return true;
  for (std::size_t k = 0; k < b.keys.size(); ++k) {
    if (!b.keys[k]) continue;
    scalars.push_back(-key_sums[k]);
    points.push_back(*b.keys[k]);
  }
  scalars.push_back(base_sum + base_sum);  // [s]B = [2s]G
  points.push_back(Point::base());
  return parallel_msm(scalars, points).is_identity();
}

void check_singly(const Batch& b, std::size_t lo, std::size_t hi, std::vector<char>& bad) {
  tbb::parallel_for(lo, hi, [&](std::size_t i) {
    if (b.prepared[i] && !equation_holds(*b.prepared[i], *b.keys[b.key_of[i]])) bad[i] = 1;
  });
}

}  // namespace

std::vector<std::size_t> ed25519_verify_batch(std::span<const Ed25519Check> checks) {
  common::ensure_sodium();
  const Batch b = prepare_batch(checks);
  std::vector<char> bad(checks.size(), 0);
  for (std::size_t i = 0; i < checks.size(); ++i) bad[i] = b.prepared[i] ? 0 : 1;
  if (!combination_holds(b, 0, checks.size()))
    detail::narrow_failure(
        0, checks.size(),
        [&](std::size_t lo, std::size_t hi) { return combination_holds(b, lo, hi); },
        [&](std::size_t lo, std::size_t hi) { check_singly(b, lo, hi, bad); });
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < checks.size(); ++i)
    if (bad[i]) out.push_back(i);
  return out;
}

namespace detail {
bool ed25519_combination_holds(std::span<const Ed25519Check> checks) {
  common::ensure_sodium();
  const Batch b = prepare_batch(checks);
  for (const auto& p : b.prepared)
    if (!p) return false;
  return combination_holds(b, 0, checks.size());
}
}  // namespace detail

}  // namespace basin::crypto
