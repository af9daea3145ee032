// Field elements between libdecaf's representation (five limbs of 51 bits
// in a 64-byte gf_25519_s, not necessarily reduced: libdecaf reduces
// lazily) and the five 52-bit limbs of field_ifma.hpp. Both are plain
// integers mod p = 2^255 - 19; only the vector paths (decode_batch.cpp,
// msm_ifma.cpp) use this, and they check their results against libdecaf's.
#pragma once

#include <cstdint>

#include "basin/crypto/group.hpp"

namespace basin::crypto::limbs {

static_assert(sizeof(gf_25519_s) == 64 && DECAF_WORD_BITS == 64,
              "libdecaf's field element is expected as 5 limbs of 51 bits in 8 words");

constexpr std::uint64_t kMask51 = (std::uint64_t{1} << 51) - 1;
constexpr std::uint64_t kMask52 = (std::uint64_t{1} << 52) - 1;

// Four little-endian words (value < 2^256) -> five 52-bit limbs.
inline void words_to_52(const std::uint64_t w[4], std::uint64_t l[5]) {
  l[0] = w[0] & kMask52;
  l[1] = ((w[0] >> 52) | (w[1] << 12)) & kMask52;
  l[2] = ((w[1] >> 40) | (w[2] << 24)) & kMask52;
  l[3] = ((w[2] >> 28) | (w[3] << 36)) & kMask52;
  l[4] = w[3] >> 16;
}

// A canonical element (five 52-bit limbs, value < p) into libdecaf's limbs.
inline void to_decaf(const std::uint64_t l[5], gf_25519_s& out) {
  const std::uint64_t w0 = l[0] | (l[1] << 52), w1 = (l[1] >> 12) | (l[2] << 40),
                      w2 = (l[2] >> 24) | (l[3] << 28), w3 = (l[3] >> 36) | (l[4] << 16);
  out.limb[0] = w0 & kMask51;
  out.limb[1] = ((w0 >> 51) | (w1 << 13)) & kMask51;
  out.limb[2] = ((w1 >> 38) | (w2 << 26)) & kMask51;
  out.limb[3] = ((w2 >> 25) | (w3 << 39)) & kMask51;
  out.limb[4] = w3 >> 12;
}

// libdecaf's limbs (any 64-bit values) -> five 52-bit limbs of a value
// below 2^255 congruent to sum limb[k] 2^(51k). Limbs that exceed 51 bits:
// the sum is formed exactly in six words, then what lies above bit 255 is
// folded back as 19 times it (twice: the first fold can carry into bit 255
// once more).
inline void from_decaf(const gf_25519_s& g, std::uint64_t l[5]) {
  // Reduced limbs (what decode_many writes, and most of libdecaf's output):
  // the value is below 2^255 and the limbs only need repacking.
  if (((g.limb[0] | g.limb[1] | g.limb[2] | g.limb[3] | g.limb[4]) >> 51) == 0) {
    const std::uint64_t w4[4] = {
        g.limb[0] | (g.limb[1] << 51), (g.limb[1] >> 13) | (g.limb[2] << 38),
        (g.limb[2] >> 26) | (g.limb[3] << 25), (g.limb[3] >> 39) | (g.limb[4] << 12)};
    words_to_52(w4, l);
    return;
  }
  std::uint64_t w[6] = {0, 0, 0, 0, 0, 0};
  for (int k = 0; k < 5; ++k) {
    const int shift = 51 * k, word = shift / 64, bit = shift % 64;
    const unsigned __int128 v = static_cast<unsigned __int128>(g.limb[k]) << bit;
    unsigned __int128 s = static_cast<unsigned __int128>(w[word]) + static_cast<std::uint64_t>(v);
    w[word] = static_cast<std::uint64_t>(s);
    s = static_cast<unsigned __int128>(w[word + 1]) + static_cast<std::uint64_t>(v >> 64) +
        (s >> 64);
    w[word + 1] = static_cast<std::uint64_t>(s);
    for (int j = word + 2; j < 6 && (s >> 64); ++j) {
      s = static_cast<unsigned __int128>(w[j]) + (s >> 64);
      w[j] = static_cast<std::uint64_t>(s);
    }
  }
  for (int fold = 0; fold < 2; ++fold) {
    const unsigned __int128 top = (w[3] >> 63) | (static_cast<unsigned __int128>(w[4]) << 1) |
                                  (static_cast<unsigned __int128>(w[5]) << 65);
    w[3] &= 0x7fffffffffffffffULL;
    w[4] = w[5] = 0;
    unsigned __int128 carry = top * 19;
    for (int j = 0; j < 4; ++j) {
      const unsigned __int128 s = static_cast<unsigned __int128>(w[j]) + carry;
      w[j] = static_cast<std::uint64_t>(s);
      carry = s >> 64;
    }
  }
  words_to_52(w, l);
}

}  // namespace basin::crypto::limbs
