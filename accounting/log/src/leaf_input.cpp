#include "basin/tlog/leaf_input.hpp"

#include <string>

namespace basin::tlog {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string describe(char c) {
  if (c == '\r') return "a carriage return (Windows line ending? convert with dos2unix)";
  if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
    return "byte 0x" + std::string(1, "0123456789abcdef"[(c >> 4) & 15]) +
           "0123456789abcdef"[c & 15];
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
  for (std::size_t i = 0; i < line.size(); ++i) {
    const int v = hex_value(line[i]);
    if (v < 0)
      throw InputError("line " + std::to_string(lineno) + ", column " + std::to_string(i + 1) +
                       ": " + describe(line[i]) + " is not a hex digit");
    out[i / 2] = static_cast<std::uint8_t>(out[i / 2] << 4 | v);
  }
  return out;
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
