// Multiplication modulo the group order l = 2^252 + 2774...8493, on the four
// 64-bit little-endian limbs libdecaf stores a scalar in (fully reduced).
//
// Why not decaf_255_scalar_mul: it runs two looped Montgomery products and a
// call each time; a proof's verification equation needs about 1,300 scalar
// products, which made them a quarter of batch verification. This is the same
// arithmetic (two Montgomery products, R = 2^256), unrolled by the compiler
// with 128-bit intermediates. Like libdecaf's it has no data-dependent
// branch or memory access (the final subtraction is a mask), so the prover's
// secret scalars may go through it too. Checked against decaf_255_scalar_mul
// on random and edge inputs (tests/crypto: ScalarMul.*).
#pragma once

#include <cstdint>

namespace basin::crypto::detail {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

inline constexpr u64 kOrder[4] = {0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0,
                                  0x1000000000000000ULL};
// -l^{-1} mod 2^64 and R^2 mod l.
inline constexpr u64 kOrderInv = 0xd2b51da312547e1bULL;
inline constexpr u64 kR2[4] = {0xa40611e3449c0f01ULL, 0xd00e1ba768859347ULL, 0xceec73d217f5be65ULL,
                               0x0399411b7c309a3dULL};

// out = a * b / 2^256 mod l, for a, b < l (out may alias either). No
// data-dependent branches: the final subtraction is a mask.
inline void montgomery_mul(u64 out[4], const u64 a[4], const u64 b[4]) {
  u64 t[6] = {0, 0, 0, 0, 0, 0};
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    u128 c = 0;
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      c = static_cast<u128>(a[j]) * b[i] + t[j] + (c >> 64);
      t[j] = static_cast<u64>(c);
    }
    c = static_cast<u128>(t[4]) + (c >> 64);
    t[4] = static_cast<u64>(c);
    t[5] = static_cast<u64>(c >> 64);
    const u64 m = t[0] * kOrderInv;
    c = static_cast<u128>(m) * kOrder[0] + t[0];
#pragma GCC unroll 3
    for (int j = 1; j < 4; ++j) {
      c = static_cast<u128>(m) * kOrder[j] + t[j] + (c >> 64);
      t[j - 1] = static_cast<u64>(c);
    }
    c = static_cast<u128>(t[4]) + (c >> 64);
    t[3] = static_cast<u64>(c);
    t[4] = t[5] + static_cast<u64>(c >> 64);
  }
  // t < 2l: subtract l once if t >= l (borrow tells).
  u64 d[4];
  u128 borrow = 0;
  for (int j = 0; j < 4; ++j) {
    const u128 x = static_cast<u128>(t[j]) - kOrder[j] - borrow;
    d[j] = static_cast<u64>(x);
    borrow = (x >> 64) & 1;
  }
  const u64 keep_t = static_cast<u64>(0) - static_cast<u64>(borrow > t[4]);  // t < l
  for (int j = 0; j < 4; ++j) out[j] = (t[j] & keep_t) | (d[j] & ~keep_t);
}

// out = a * b mod l (a, b < l; out may alias either).
inline void scalar_mul_limbs(u64 out[4], const u64 a[4], const u64 b[4]) {
  u64 ab[4];
  montgomery_mul(ab, a, b);      // a b / R
  montgomery_mul(out, ab, kR2);  // a b
}

}  // namespace basin::crypto::detail
