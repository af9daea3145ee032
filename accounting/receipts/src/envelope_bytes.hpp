// Reading a receipt's signed envelope straight from its bytes (for
// check_envelope_bytes): the public fields and the signature, and the exact
// message the site signed. Internal to basin_receipts.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "basin/receipts/receipt.hpp"

namespace basin::receipts::detail {

// Public fields (through n and m) and the trailing signature; throws
// ReceiptError on a malformed header. Commitments and proof are not read.
Receipt signed_header(std::span<const std::uint8_t> bytes);
// "basin/receipt/v1\n" || bytes without the trailing signature.
std::vector<std::uint8_t> signed_message(std::span<const std::uint8_t> bytes);

// The proof's layout (docs/accounting-guide.md): A, S, T1, T2 points; t_hat,
// taux, mu scalars; L_k, R_k points; a, b scalars. True iff 32-byte chunk k
// of a proof of `chunks` chunks is a scalar (otherwise it is a point).
inline bool proof_chunk_is_scalar(std::size_t k, std::size_t chunks) {
  return (k >= 4 && k <= 6) || k + 2 >= chunks;
}

}  // namespace basin::receipts::detail
