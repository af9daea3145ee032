// Eight elements of GF(2^255 - 19) at once, one per 64-bit lane of an
// AVX-512 register, multiplied with the IFMA instructions (vpmadd52luq /
// vpmadd52huq: the low and high 52 bits of a 52 x 52-bit product, added to a
// lane). Used to decode ristretto255 points eight at a time: a decoding is
// one inverse square root, about 255 squarings, and libdecaf's scalar field
// arithmetic spends 7-8 us on it on this machine.
//
// Representation: five limbs of 52 bits, value = sum l[k] * 2^(52k), not
// necessarily reduced. Every function returns limbs below 2^52 (l[4] at most
// 2^47), value below 2 p, which is what the IFMA multiplier needs of its
// inputs (it reads only a lane's low 52 bits). Variable time is not an issue:
// only public data (proofs, commitments) goes through here.
//
// Every function carries the target attribute: the file that includes this
// header is compiled for any x86-64, and the caller checks the CPU first.
#pragma once

#include <immintrin.h>

#include <cstdint>

// The instruction sets of every vector path (a function the caller reaches
// only after cpu_has_ifma()); the helpers below are also always inlined.
#define BASIN_IFMA_TARGET __attribute__((target("avx512f,avx512ifma,avx512dq")))
#define BASIN_IFMA BASIN_IFMA_TARGET __attribute__((always_inline)) inline

namespace basin::crypto::ifma {

// Whether this CPU (and its OS: GCC's check includes the saved AVX-512
// state) runs the vector paths.
inline bool cpu_has_ifma() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma") &&
         __builtin_cpu_supports("avx512dq");
}

struct Fe {
  __m512i l[5];
};

constexpr std::uint64_t kMask52 = (std::uint64_t{1} << 52) - 1;
constexpr std::uint64_t kMask47 = (std::uint64_t{1} << 47) - 1;

BASIN_IFMA __m512i splat(std::uint64_t v) {
  return _mm512_set1_epi64(static_cast<long long>(v));
}

// Logical right shift of each lane (the zero-masked form: GCC 12 warns that
// the unmasked intrinsic's undefined pass-through is used uninitialized).
BASIN_IFMA __m512i shr(__m512i v, unsigned n) {
  return _mm512_maskz_srli_epi64(0xff, v, n);
}

// Broadcast of a field constant given as four little-endian 64-bit words.
BASIN_IFMA Fe constant(std::uint64_t w0, std::uint64_t w1, std::uint64_t w2, std::uint64_t w3) {
  return {{splat(w0 & kMask52), splat(((w0 >> 52) | (w1 << 12)) & kMask52),
           splat(((w1 >> 40) | (w2 << 24)) & kMask52), splat(((w2 >> 28) | (w3 << 36)) & kMask52),
           splat(w3 >> 16)}};
}

BASIN_IFMA Fe small(std::uint64_t v) {
  const __m512i z = _mm512_setzero_si512();
  return {{splat(v), z, z, z, z}};
}

// Moves what lies above bit 52 of each of r[0..3] into the next limb.
BASIN_IFMA void carry_up(__m512i (&r)[5]) {
  const __m512i m52 = splat(kMask52);
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    r[k + 1] = _mm512_add_epi64(r[k + 1], shr(r[k], 52));
    r[k] = _mm512_and_si512(r[k], m52);
  }
}

// Limbs below 2^59 (value below 2^262) -> limbs below 2^52, value below 2p:
// carry upwards, fold what is above bit 255 back as 19 times it, carry again
// (r0 < 2^52 + 2^20 after the fold: the second chain stops at r4 <= 2^47).
BASIN_IFMA Fe normalize(__m512i r0, __m512i r1, __m512i r2, __m512i r3, __m512i r4) {
  __m512i r[5] = {r0, r1, r2, r3, r4};
  carry_up(r);
  r[0] = _mm512_madd52lo_epu64(r[0], splat(19), shr(r[4], 47));
  r[4] = _mm512_and_si512(r[4], splat(kMask47));
  carry_up(r);
  return {{r[0], r[1], r[2], r[3], r[4]}};
}

BASIN_IFMA Fe add(const Fe& a, const Fe& b) {
  return normalize(_mm512_add_epi64(a.l[0], b.l[0]), _mm512_add_epi64(a.l[1], b.l[1]),
                   _mm512_add_epi64(a.l[2], b.l[2]), _mm512_add_epi64(a.l[3], b.l[3]),
                   _mm512_add_epi64(a.l[4], b.l[4]));
}

// a - b + 64 p, limb by limb: every limb of 64 p exceeds the largest limb of b.
BASIN_IFMA Fe sub(const Fe& a, const Fe& b) {
  const __m512i q0 = splat((std::uint64_t{1} << 58) - 1216);
  const __m512i q = splat((std::uint64_t{1} << 58) - 64);
  const __m512i q4 = splat((std::uint64_t{1} << 53) - 64);
  return normalize(_mm512_sub_epi64(_mm512_add_epi64(a.l[0], q0), b.l[0]),
                   _mm512_sub_epi64(_mm512_add_epi64(a.l[1], q), b.l[1]),
                   _mm512_sub_epi64(_mm512_add_epi64(a.l[2], q), b.l[2]),
                   _mm512_sub_epi64(_mm512_add_epi64(a.l[3], q), b.l[3]),
                   _mm512_sub_epi64(_mm512_add_epi64(a.l[4], q4), b.l[4]));
}

BASIN_IFMA Fe neg(const Fe& a) {
  const __m512i z = _mm512_setzero_si512();
  return sub(Fe{{z, z, z, z, z}}, a);
}

// Schoolbook product into ten 52-bit positions (each a sum of at most ten
// 52-bit halves, below 2^56), then positions 5..9 folded back as 2^260 = 608.
BASIN_IFMA Fe mul(const Fe& a, const Fe& b) {
  __m512i z[10];
  for (auto& v : z) v = _mm512_setzero_si512();
#pragma GCC unroll 5
  for (int i = 0; i < 5; ++i) {
#pragma GCC unroll 5
    for (int j = 0; j < 5; ++j) {
      z[i + j] = _mm512_madd52lo_epu64(z[i + j], a.l[i], b.l[j]);
      z[i + j + 1] = _mm512_madd52hi_epu64(z[i + j + 1], a.l[i], b.l[j]);
    }
  }
  // The high half as 52-bit limbs (the multiplier below reads only 52 bits);
  // its carry out of position 9 is position 10 = 2^520 = 608^2.
  const __m512i m52 = splat(kMask52), c608 = splat(608), c608sq = splat(608 * 608);
#pragma GCC unroll 4
  for (int k = 5; k < 9; ++k) {
    z[k + 1] = _mm512_add_epi64(z[k + 1], shr(z[k], 52));
    z[k] = _mm512_and_si512(z[k], m52);
  }
  const __m512i z10 = shr(z[9], 52);
  z[9] = _mm512_and_si512(z[9], m52);
  __m512i r[5] = {z[0], z[1], z[2], z[3], z[4]};
  __m512i r5 = _mm512_setzero_si512();
#pragma GCC unroll 5
  for (int k = 0; k < 5; ++k) {
    r[k] = _mm512_madd52lo_epu64(r[k], c608, z[5 + k]);
    if (k < 4)
      r[k + 1] = _mm512_madd52hi_epu64(r[k + 1], c608, z[5 + k]);
    else
      r5 = _mm512_madd52hi_epu64(r5, c608, z[5 + k]);
  }
  r[0] = _mm512_madd52lo_epu64(r[0], c608, r5);
  r[0] = _mm512_madd52lo_epu64(r[0], c608sq, z10);
  return normalize(r[0], r[1], r[2], r[3], r[4]);
}

BASIN_IFMA Fe sqr(const Fe& a) {
  return mul(a, a);
}

BASIN_IFMA Fe sqr_n(Fe a, int n) {
  for (int i = 0; i < n; ++i) a = sqr(a);
  return a;
}

// The unique representative below p of a normalized element (value < 2p):
// subtract p where a + 19 reaches 2^255.
BASIN_IFMA Fe canonical(const Fe& a) {
  const __m512i m52 = splat(kMask52), m47 = splat(kMask47);
  __m512i t0 = _mm512_add_epi64(a.l[0], splat(19));
  __m512i t1 = _mm512_add_epi64(a.l[1], shr(t0, 52));
  __m512i t2 = _mm512_add_epi64(a.l[2], shr(t1, 52));
  __m512i t3 = _mm512_add_epi64(a.l[3], shr(t2, 52));
  __m512i t4 = _mm512_add_epi64(a.l[4], shr(t3, 52));
  const __mmask8 over =
      _mm512_test_epi64_mask(t4, _mm512_set1_epi64(~static_cast<long long>(kMask47)));
  return {{_mm512_mask_blend_epi64(over, a.l[0], _mm512_and_si512(t0, m52)),
           _mm512_mask_blend_epi64(over, a.l[1], _mm512_and_si512(t1, m52)),
           _mm512_mask_blend_epi64(over, a.l[2], _mm512_and_si512(t2, m52)),
           _mm512_mask_blend_epi64(over, a.l[3], _mm512_and_si512(t3, m52)),
           _mm512_mask_blend_epi64(over, a.l[4], _mm512_and_si512(t4, m47))}};
}

// Lanes where a == 0 (mod p).
BASIN_IFMA __mmask8 is_zero(const Fe& a) {
  const Fe c = canonical(a);
  const __m512i any = _mm512_or_si512(_mm512_or_si512(c.l[0], c.l[1]),
                                      _mm512_or_si512(_mm512_or_si512(c.l[2], c.l[3]), c.l[4]));
  return _mm512_testn_epi64_mask(any, any);
}

BASIN_IFMA __mmask8 equal(const Fe& a, const Fe& b) {
  return is_zero(sub(a, b));
}

// Lanes where the canonical representative is odd ("negative" in RFC 9496).
BASIN_IFMA __mmask8 is_negative(const Fe& a) {
  return _mm512_test_epi64_mask(canonical(a).l[0], splat(1));
}

BASIN_IFMA Fe select(__mmask8 take_b, const Fe& a, const Fe& b) {
  Fe r;
  for (int k = 0; k < 5; ++k) r.l[k] = _mm512_mask_blend_epi64(take_b, a.l[k], b.l[k]);
  return r;
}

// z^(2^252 - 3) = z^((p - 5) / 8), the addition chain of ref10's pow22523.
BASIN_IFMA Fe pow22523(const Fe& z) {
  Fe t0 = sqr(z);
  Fe t1 = sqr_n(t0, 2);
  t1 = mul(z, t1);
  t0 = mul(t0, t1);
  t0 = sqr(t0);
  t0 = mul(t1, t0);
  t1 = sqr_n(t0, 5);
  t0 = mul(t1, t0);
  t1 = sqr_n(t0, 10);
  t1 = mul(t1, t0);
  Fe t2 = sqr_n(t1, 20);
  t1 = mul(t2, t1);
  t1 = sqr_n(t1, 10);
  t0 = mul(t1, t0);
  t1 = sqr_n(t0, 50);
  t1 = mul(t1, t0);
  t2 = sqr_n(t1, 100);
  t1 = mul(t2, t1);
  t1 = sqr_n(t1, 50);
  t0 = mul(t1, t0);
  t0 = sqr_n(t0, 2);
  return mul(t0, z);
}

}  // namespace basin::crypto::ifma
