// The one hex codec of Basin: keys, hashes, signatures, receipt fields and
// result digests are all written and read through it, so every file and
// message spells bytes the same way.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace basin::common {

// Lower-case hex, two digits a byte: one spelling for one value.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Strict: `hex` must be exactly 2 * out.size() hex digits (upper or lower
// case) and nothing else. Returns false otherwise; `out` is then unspecified.
bool from_hex(std::string_view hex, std::span<std::uint8_t> out);

}  // namespace basin::common
