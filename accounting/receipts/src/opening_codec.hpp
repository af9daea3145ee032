// The plaintext inside a receipt's sealed opening (docs/receipt-format.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "basin/receipts/receipt.hpp"

namespace basin::receipts::detail {

std::vector<std::uint8_t> encode_opening(const Opening& opening);
Opening decode_opening(std::span<const std::uint8_t> bytes);

}  // namespace basin::receipts::detail
