// The receipt's writer and reader: Basin's canonical codec with ReceiptError,
// kMaxField and strict UTF-8 (text fields are shown as JSON, which must not
// fail on a received receipt).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "basin/receipts/receipt.hpp"
#include "basin/records/byte_codec.hpp"

namespace basin::receipts::detail {

using Writer = records::codec::Writer<ReceiptError, kMaxField, true>;
using Reader = records::codec::Reader<ReceiptError, kMaxField, true>;

std::string to_hex(std::span<const std::uint8_t> bytes);
// Strict: exactly 2*out.size() hex digits; false otherwise.
bool from_hex(std::string_view hex, std::span<std::uint8_t> out);

}  // namespace basin::receipts::detail
