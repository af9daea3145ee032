// Little-endian writer and bounds-checked reader for the canonical encodings.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "basin/records/usage_record.hpp"

namespace basin::records::detail {

class ByteWriter {
 public:
  template <typename T>
  void put(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
  }
  void put_string(std::string_view s, const char* field) {
    if (s.size() > kMaxString)
      throw RecordError(std::string(field) + " is longer than " + std::to_string(kMaxString) +
                        " bytes");
    if (s.find('\0') != std::string_view::npos)
      throw RecordError(std::string(field) + " contains a NUL byte");
    put<std::uint16_t>(static_cast<std::uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void put_bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) : in_(in) {}

  template <typename T>
  T get(const char* field) {
    need(sizeof(T), field);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t{in_[pos_ + i]} << (8 * i);
    pos_ += sizeof(T);
    return static_cast<T>(v);
  }
  std::string get_string(const char* field) {
    const auto n = get<std::uint16_t>(field);
    if (n > kMaxString)
      throw RecordError(std::string(field) + ": length " + std::to_string(n) + " exceeds " +
                        std::to_string(kMaxString));
    need(n, field);
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    if (s.find('\0') != std::string::npos)
      throw RecordError(std::string(field) + " contains a NUL byte");
    pos_ += n;
    return s;
  }
  std::span<const std::uint8_t> get_bytes(std::size_t n, const char* field) {
    need(n, field);
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  void need(std::size_t n, const char* field) const {
    if (in_.size() - pos_ < n)
      throw RecordError(std::string("truncated at ") + field + " (offset " + std::to_string(pos_) +
                        ")");
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

}  // namespace basin::records::detail
