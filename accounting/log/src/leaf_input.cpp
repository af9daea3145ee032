#include "basin/tlog/leaf_input.hpp"

#include <cctype>
#include <string>

#include "basin/common/hex.hpp"

namespace basin::tlog {
namespace {

std::string describe(char c) {
  if (c == '\r') return "a carriage return (Windows line ending? convert with dos2unix)";
  const auto byte = static_cast<std::uint8_t>(c);
  if (byte < 0x20 || byte >= 0x7f) return "byte 0x" + common::to_hex(std::span(&byte, 1));
  return std::string("'") + c + "'";
}

// Splits on '\n'; a final newline ends the last line.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t lineno = 1;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    f(text.substr(0, nl), lineno++);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::vector<std::uint8_t> decode_line(std::string_view line, std::size_t lineno) {
  if (line.size() % 2 != 0)
    throw InputError("line " + std::to_string(lineno) + ": odd number of hex digits (" +
                     std::to_string(line.size()) + "); each byte is two digits");
  std::vector<std::uint8_t> out(line.size() / 2);
  if (common::from_hex(line, out)) return out;
  // The length is even, so the codec refused a character: name the first.
  std::size_t i = 0;
  while (i + 1 < line.size() && std::isxdigit(static_cast<unsigned char>(line[i]))) ++i;
  throw InputError("line " + std::to_string(lineno) + ", column " + std::to_string(i + 1) + ": " +
                   describe(line[i]) + " is not a hex digit");
}

}  // namespace

std::vector<std::vector<std::uint8_t>> parse_hex_leaves(std::string_view text) {
  std::vector<std::vector<std::uint8_t>> leaves;
  for_each_line(
      text, [&](std::string_view line, std::size_t n) { leaves.push_back(decode_line(line, n)); });
  return leaves;
}

std::vector<Hash> hash_leaves(const std::vector<std::vector<std::uint8_t>>& leaves) {
  std::vector<Hash> out;
  out.reserve(leaves.size());
  for (const auto& l : leaves) out.push_back(leaf_hash(l));
  return out;
}

std::vector<Hash> parse_proof(std::string_view text) {
  std::vector<Hash> proof;
  for_each_line(text, [&](std::string_view line, std::size_t n) {
    const auto bytes = decode_line(line, n);
    if (bytes.size() != 32)
      throw InputError("line " + std::to_string(n) + ": a proof hash is 64 hex digits, found " +
                       std::to_string(line.size()));
    Hash h;
    std::copy(bytes.begin(), bytes.end(), h.begin());
    proof.push_back(h);
  });
  return proof;
}

}  // namespace basin::tlog
