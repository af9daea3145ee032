#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"

using basin::common::ensure_sodium;
using basin::common::from_hex;
using basin::common::to_hex;

TEST(Hex, RoundTripsEveryByteInLowerCase) {
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const auto hex = to_hex(all);
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");
  EXPECT_EQ(hex.find_first_of("ABCDEF"), std::string::npos);
  std::vector<std::uint8_t> back(all.size());
  ASSERT_TRUE(from_hex(hex, back));
  EXPECT_EQ(back, all);
}

TEST(Hex, EmptyIsEmpty) {
  EXPECT_EQ(to_hex({}), "");
  EXPECT_TRUE(from_hex("", {}));
}

TEST(Hex, AcceptsUpperAndMixedCase) {
  std::array<std::uint8_t, 4> out{};
  ASSERT_TRUE(from_hex("DEADBEEF", out));
  EXPECT_EQ(out, (std::array<std::uint8_t, 4>{0xde, 0xad, 0xbe, 0xef}));
  ASSERT_TRUE(from_hex("0aBc0D1e", out));
  EXPECT_EQ(out, (std::array<std::uint8_t, 4>{0x0a, 0xbc, 0x0d, 0x1e}));
  EXPECT_EQ(to_hex(out), "0abc0d1e");
}

TEST(Hex, RefusesWrongLength) {
  std::array<std::uint8_t, 2> out{};
  EXPECT_FALSE(from_hex("abc", out));     // short, odd
  EXPECT_FALSE(from_hex("ab", out));      // short, even
  EXPECT_FALSE(from_hex("abcde", out));   // long, odd
  EXPECT_FALSE(from_hex("abcdef", out));  // long, even
  EXPECT_FALSE(from_hex("", out));
  std::array<std::uint8_t, 0> none{};
  EXPECT_FALSE(from_hex("00", none));
}

TEST(Hex, RefusesNonHexAndLeadingOrTrailingCharacters) {
  std::array<std::uint8_t, 2> out{};
  const std::string_view bad[] = {
      "abcg",   "xbcd",  "ab d",  "ab:d",  "0x12", std::string_view("ab\0d", 4),  // not hex
      "abcd\n", "abcd ", " abcd", "abcd00"};                                      // extra
  for (const auto b : bad) EXPECT_FALSE(from_hex(b, out)) << "'" << b << "'";
  // A view into a longer string ends where the view ends.
  const std::string longer = "abcdzz";
  ASSERT_TRUE(from_hex(std::string_view(longer).substr(0, 4), out));
  EXPECT_EQ(out, (std::array<std::uint8_t, 2>{0xab, 0xcd}));
}

TEST(Sodium, EnsureSodiumMayBeCalledAgain) {
  EXPECT_NO_THROW(ensure_sodium());
  EXPECT_NO_THROW(ensure_sodium());
}
