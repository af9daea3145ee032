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

}  // namespace basin::receipts::detail
