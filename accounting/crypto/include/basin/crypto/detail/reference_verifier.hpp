// A deliberately straightforward verifier: the same equation as verify_range,
// evaluated term by term with libsodium's crypto_scalarmult_ristretto255 and
// crypto_core_ristretto255_add only (no MSM, no in-memory points). It exists
// as a cross-check in tests and as the peer in bench/crypto; do not use it in
// production code.
#pragma once

#include <cstdint>
#include <span>

#include "basin/crypto/group.hpp"

namespace basin::crypto::detail {

bool verify_range_sodium_reference(std::span<const Bytes32> commitments,
                                   std::span<const std::uint8_t> proof,
                                   std::span<const std::uint8_t> context);

}  // namespace basin::crypto::detail
