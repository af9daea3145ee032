// Bulletproofs aggregated range proofs (Buenz et al. 2018) on ristretto255:
// m Pedersen commitments V_j = v_j*B + gamma_j*B_blinding, each v_j in [0, 2^64),
// m a power of two from 1 to 64. The proof is canonical bytes of size
// 32*(9 + 2*log2(64*m)); layout in docs/accounting-guide.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "basin/crypto/group.hpp"

namespace basin::crypto {

inline constexpr std::size_t kRangeBits = 64;
inline constexpr std::size_t kMaxAggregation = 64;

// Proof size in bytes for m aggregated values, or 0 if m is not allowed.
std::size_t range_proof_size(std::size_t m);

// Proves that every value lies in [0, 2^64). blindings[j] opens commitment j
// (see commit() in pedersen.hpp). The context is bound into the transcript:
// the proof verifies only with the same bytes. Throws std::invalid_argument
// on a bad m or mismatched sizes.
std::vector<std::uint8_t> prove_range(std::span<const std::uint64_t> values,
                                      std::span<const Scalar> blindings,
                                      std::span<const std::uint8_t> context);

// True iff proof is a valid, canonically encoded proof for these commitments and context.
bool verify_range(std::span<const Bytes32> commitments, std::span<const std::uint8_t> proof,
                  std::span<const std::uint8_t> context);

struct RangeProofItem {
  std::span<const Bytes32> commitments;
  std::span<const std::uint8_t> proof;
  std::span<const std::uint8_t> context;
};

// Verifies all items with one random linear combination (one MSM, split over
// the available cores). Returns the indices of the items that do not verify,
// found when the combined check fails by halving the set while only one half
// fails and checking the rest singly; empty means all good.
std::vector<std::size_t> batch_verify_range(std::span<const RangeProofItem> items);

}  // namespace basin::crypto
