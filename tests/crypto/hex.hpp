#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace basin::crypto::test {
inline std::vector<std::uint8_t> unhex(const std::string& h) {
  if (h.size() % 2) throw std::invalid_argument("odd hex");
  std::vector<std::uint8_t> out(h.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::stoi(h.substr(2 * i, 2), nullptr, 16);
  return out;
}
template <class C>
std::string hex(const C& c) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : c) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}
}  // namespace basin::crypto::test
