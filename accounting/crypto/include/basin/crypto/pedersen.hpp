// Pedersen commitments V = v*B + r*B_blinding. B is the ristretto255 base point;
// B_blinding and the Bulletproofs vectors G_i, H_i come from hash-to-group of
// labelled counters, so nobody knows a discrete log between any two of them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "basin/crypto/group.hpp"

namespace basin::crypto {

// Identifies the generator derivation below; bound into every transcript.
inline constexpr std::string_view kGeneratorSetId = "basin.crypto.generators.v1";

struct PedersenGens {
  Point B;
  Point B_blinding;
  Point commit(const Scalar& value, const Scalar& blinding) const;
};

const PedersenGens& pedersen_gens();

// The vector generators G_0..G_{count-1} and H_0..H_{count-1} (count <= 64*64).
struct VectorGens {
  std::vector<Point> G, H;
};
const VectorGens& vector_gens();  // 4096 of each, derived once

// Commitments as 32-byte encodings, one per value.
std::vector<Bytes32> commit(std::span<const std::uint64_t> values,
                            std::span<const Scalar> blindings);

}  // namespace basin::crypto
