// Test seams of Point::decode_many: its vector path called directly, and
// which path the process uses.
#pragma once

#include <optional>
#include <span>

#include "basin/crypto/group.hpp"

namespace basin::crypto::detail {

// The AVX-512 IFMA decoder, whatever the run-time check decided; false (and
// nothing written) when the CPU lacks the instructions.
bool decode_many_vector(std::span<const Bytes32> in, bool allow_identity,
                        std::span<std::optional<Point>> out);

// Whether Point::decode_many uses the vector path in this process.
bool decode_many_uses_vector();

}  // namespace basin::crypto::detail
