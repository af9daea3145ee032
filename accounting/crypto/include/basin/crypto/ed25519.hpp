// Ed25519 verification that a batch and a single check agree on, for
// signatures every site must judge alike (receipts, checked by each site that
// settles).
//
// The rule (ZIP 215's cofactored equation with libsodium's strict encodings):
//   - s is canonical (s < l);
//   - A and R are canonical encodings (y < p) of points that are not of small
//     order (the identity and the other seven points of order dividing 8 are
//     refused, in every encoding);
//   - [8][s]B = [8]R + [8][h]A with h = SHA-512(R || A || M) mod l.
// libsodium's crypto_sign_verify_detached checks [s]B = R + [h]A instead
// (cofactorless); the two differ only on signatures whose R or A carries a
// torsion component, which only the holder of the secret key can make, and
// which libsodium's signer never makes. The cofactored equation is the one a
// random linear combination can check for many signatures at once, so the
// batch and the single check below accept exactly the same signatures
// (the batch errs with probability at most 2^-128, and only by failing, after
// which every signature is checked on its own).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace basin::crypto {

struct Ed25519Check {
  std::span<const std::uint8_t, 64> signature;
  std::span<const std::uint8_t> message;
  std::span<const std::uint8_t, 32> public_key;
};

// Whether `c.signature` is a valid signature of `c.message` by `c.public_key`.
bool ed25519_verify(const Ed25519Check& c);

// The indices (ascending) of the checks that fail, as ed25519_verify would
// say one by one. Many signatures share one multi-scalar multiplication;
// work is spread over the cores.
std::vector<std::size_t> ed25519_verify_batch(std::span<const Ed25519Check> checks);

namespace detail {
// For tests: every encoding passes and the random combination alone holds
// (no per-signature fallback), so a test sees the batch equation itself.
bool ed25519_combination_holds(std::span<const Ed25519Check> checks);
}  // namespace detail

}  // namespace basin::crypto
