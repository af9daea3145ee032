// Little-endian writer and bounds-checked reader for Basin's canonical binary
// encodings (usage records, receipts, openings). Every length is checked
// against what remains before anything is read; strings are u16 length +
// bytes, never longer than MaxString, never holding NUL, and (when Utf8)
// strict UTF-8. Errors are thrown as the encoding's own exception type so
// each format names its failures in its own terms.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace basin::records::codec {

// Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

template <typename Error, bool Utf8>
void check_string(std::string_view s, const char* field) {
  if (s.find('\0') != std::string_view::npos)
    throw Error(std::string(field) + " contains a NUL byte");
  if (Utf8 && !valid_utf8(s)) throw Error(std::string(field) + " is not valid UTF-8");
}

template <typename Error, std::size_t MaxString, bool Utf8>
class Writer {
 public:
  template <typename T>
  void put(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
  }
  void put_string(std::string_view s, const char* field) {
    if (s.size() > MaxString)
      throw Error(std::string(field) + " is longer than " + std::to_string(MaxString) + " bytes");
    check_string<Error, Utf8>(s, field);
    put<std::uint16_t>(static_cast<std::uint16_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void put_bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::vector<std::uint8_t>& bytes() { return out_; }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
};

template <typename Error, std::size_t MaxString, bool Utf8>
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}

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
    if (n > MaxString)
      throw Error(std::string(field) + ": length " + std::to_string(n) + " exceeds " +
                  std::to_string(MaxString));
    need(n, field);
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    check_string<Error, Utf8>(s, field);
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
  std::size_t offset() const { return pos_; }

 private:
  void need(std::size_t n, const char* field) const {
    if (in_.size() - pos_ < n)
      throw Error(std::string("truncated at ") + field + " (offset " + std::to_string(pos_) + ")");
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

}  // namespace basin::records::codec
