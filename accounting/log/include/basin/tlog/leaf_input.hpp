// Leaves for the `basin log` verbs: hex lines, one leaf per line.
//
// Every line is the hex encoding of one leaf's data; an empty line is the
// empty leaf. The newline after the last line ends that line and does not
// start another leaf, so "aa\nbb\n" is two leaves and "\n" is one empty leaf.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "basin/tlog/merkle.hpp"

namespace basin::tlog {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws InputError naming the line and the problem.
std::vector<std::vector<std::uint8_t>> parse_hex_leaves(std::string_view text);
std::vector<Hash> hash_leaves(const std::vector<std::vector<std::uint8_t>>& leaves);

// A proof as hex lines, one 32-byte hash per line (no empty lines).
std::vector<Hash> parse_proof(std::string_view text);

}  // namespace basin::tlog
