// Point::decode_many: ristretto255 decoding eight points at a time with
// AVX-512 IFMA where the CPU has it, libdecaf's decoder one at a time
// elsewhere. A bulletproof carries 24 points and a month's settlement decodes
// 2.4 million of them; libdecaf's scalar inverse square root made that a
// quarter of settlement's time.
//
// The vector path computes exactly libdecaf 1.0's decoding (the RFC 9496
// rules, on libdecaf's internal curve: the "imagine twist" of the curve
// isogenous to Ed25519, -x^2 + y^2 = 1 + 121665 x^2 y^2, with Z = 1 and
// T = XY) and writes the point into libdecaf's point structure, so the points
// it returns are the points libdecaf's own decoder returns. Because that
// writes libdecaf's internal limbs, the layout is checked once at run time
// against libdecaf's decoder (a fixed list of encodings, both verdicts and
// limbs); if it ever differs, only the scalar path is used.
#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "basin/crypto/detail/decode_many.hpp"
#include "basin/crypto/group.hpp"
#include "decaf_limbs.hpp"
#include "field_ifma.hpp"

namespace basin::crypto {

namespace {

// s as 4 little-endian words; canonical means s < p = 2^255 - 19.
struct Words {
  std::uint64_t w[4];
};

Words load(const Bytes32& b) {
  Words out;
  std::memcpy(out.w, b.data(), 32);  // x86-64 is little-endian, like the encoding
  return out;
}

bool canonical_nonnegative(const Words& s) {
  if (s.w[3] >> 63) return false;  // >= 2^255
  const bool top_ones = s.w[3] == 0x7fffffffffffffffULL && s.w[2] == ~0ULL && s.w[1] == ~0ULL;
  if (top_ones && s.w[0] >= 0xffffffffffffffedULL) return false;  // in [p, 2^255)
  return (s.w[0] & 1) == 0;  // RFC 9496: a negative s is refused
}

void decode_scalar(std::span<const Bytes32> in, bool allow_identity,
                   std::span<std::optional<Point>> out) {
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = Point::decode(in[i], allow_identity);
}

// Up to eight encodings, all canonical and non-negative (checked by the
// caller; other lanes hold s = 1 and are ignored). Returns the lanes whose
// decoding succeeds; writes their points.
BASIN_IFMA_TARGET __mmask8 decode8(const std::uint64_t (&s52)[5][8],
                                   decaf_255_point_s* const (&dst)[8]) {
  using namespace ifma;
  Fe s;
  for (int k = 0; k < 5; ++k) s.l[k] = _mm512_loadu_si512(s52[k]);
  const Fe one = small(1);
  const Fe sqrt_m1 =
      constant(0xc4ee1b274a0ea0b0, 0x2f431806ad2fe478, 0x2b4d00993dfbd7a7, 0x2b8324804fc1df0b);
  // libdecaf's RISTRETTO_FACTOR, -sqrt(-121666): chooses the sign of x and
  // the RFC's "t is negative" refusal on this curve.
  const Fe magic =
      constant(0x663702557fa2bf03, 0x62d0e9e8a5be8d41, 0xe93d846e01fe27bf, 0x079376fa3050035d);

  const Fe ss = sqr(s);
  const Fe s2 = neg(ss);                             // -a s^2 with a = -1
  const Fe den = sub(one, s2);                       // 1 + a s^2
  const Fe ynum = add(one, s2);                      // 1 - a s^2
  const Fe den2 = sqr(den);                          // den^2
  const Fe num = add(den2, mul(ss, small(486660)));  // den^2 - 4 d (-a s^2), d = 121665
  const Fe v = mul(num, den2);
  // isr = 1 / sqrt(v): v^((p-5)/8), times sqrt(-1) when that gives -1.
  Fe isr = pow22523(v);
  const Fe check = mul(v, sqr(isr));
  const __mmask8 plus = equal(check, one), minus = equal(check, neg(one));
  isr = select(minus, isr, mul(isr, sqrt_m1));
  __mmask8 ok = plus | minus;

  const Fe tmp = mul(isr, den);
  const Fe y = mul(tmp, ynum);
  const Fe tmp2 = add(mul(tmp, s), mul(tmp, s));  // 2 s isr den
  Fe x = mul(mul(tmp2, isr), num);
  x = select(is_negative(mul(tmp2, magic)), x, neg(x));
  ok &= static_cast<__mmask8>(~is_zero(y));
  ok &= static_cast<__mmask8>(~is_negative(mul(mul(x, y), magic)));

  const Fe X = canonical(mul(x, sqrt_m1));
  const Fe Y = canonical(y);
  const Fe T = canonical(mul(X, Y));
  alignas(64) std::uint64_t xs[5][8], ys[5][8], ts[5][8];
  for (int k = 0; k < 5; ++k) {
    _mm512_store_si512(xs[k], X.l[k]);
    _mm512_store_si512(ys[k], Y.l[k]);
    _mm512_store_si512(ts[k], T.l[k]);
  }
  for (int lane = 0; lane < 8; ++lane) {
    if (!((ok >> lane) & 1) || !dst[lane]) continue;
    std::uint64_t a[5], b[5], c[5];
    for (int k = 0; k < 5; ++k) {
      a[k] = xs[k][lane];
      b[k] = ys[k][lane];
      c[k] = ts[k][lane];
    }
    limbs::to_decaf(a, dst[lane]->x[0]);
    limbs::to_decaf(b, dst[lane]->y[0]);
    std::memset(&dst[lane]->z[0], 0, sizeof(gf_25519_s));
    dst[lane]->z[0].limb[0] = 1;
    limbs::to_decaf(c, dst[lane]->t[0]);
  }
  return ok;
}

// The IFMA path, unconditionally (the caller checks the CPU).
void decode_ifma(std::span<const Bytes32> in, bool allow_identity,
                 std::span<std::optional<Point>> out) {
  for (std::size_t base = 0; base < in.size(); base += 8) {
    const std::size_t n = std::min<std::size_t>(8, in.size() - base);
    alignas(64) std::uint64_t s52[5][8];
    decaf_255_point_s* dst[8] = {};
    for (std::size_t lane = 0; lane < 8; ++lane) {
      Words s{{1, 0, 0, 0}};
      if (lane < n) {
        const Words w = load(in[base + lane]);
        const bool zero = (w.w[0] | w.w[1] | w.w[2] | w.w[3]) == 0;
        out[base + lane].reset();
        if (canonical_nonnegative(w) && (allow_identity || !zero)) {
          s = w;
          out[base + lane].emplace();
          dst[lane] = out[base + lane]->raw();
        }
      }
      std::uint64_t l[5];
      limbs::words_to_52(s.w, l);
      for (int k = 0; k < 5; ++k) s52[k][lane] = l[k];
    }
    const __mmask8 ok = decode8(s52, dst);
    for (std::size_t lane = 0; lane < n; ++lane)
      if (dst[lane] && !((ok >> lane) & 1)) out[base + lane].reset();
  }
}

// Once per process: the vector path's points are libdecaf's points (valid on
// libdecaf's curve, equal as group elements) for the first multiples of the
// base and a few refused encodings; otherwise the layout assumption is wrong
// and only libdecaf's decoder is used.
bool vector_path_agrees() {
  std::vector<Bytes32> probes;
  Point p = Point::base();
  for (int k = 0; k < 16; ++k, p += Point::base()) probes.push_back(p.encode());
  probes.push_back(Bytes32{});  // the identity (refused here: allow_identity is false)
  Bytes32 odd{};
  odd[0] = 1;
  probes.push_back(odd);  // negative s
  Bytes32 p_itself{};
  p_itself.fill(0xff);
  p_itself[0] = 0xed;
  p_itself[31] = 0x7f;
  probes.push_back(p_itself);  // s = p, not canonical
  std::vector<std::optional<Point>> vec(probes.size()), ref(probes.size());
  decode_ifma(probes, false, vec);
  decode_scalar(probes, false, ref);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (vec[i].has_value() != ref[i].has_value()) return false;
    if (!vec[i]) continue;
    if (!decaf_255_point_valid(vec[i]->raw()) || !(*vec[i] == *ref[i])) return false;
  }
  return true;
}

bool use_vector_path() {
  static const bool use = ifma::cpu_has_ifma() && vector_path_agrees();
  return use;
}

}  // namespace

namespace detail {

bool decode_many_vector(std::span<const Bytes32> in, bool allow_identity,
                        std::span<std::optional<Point>> out) {
  if (!ifma::cpu_has_ifma()) return false;
  decode_ifma(in, allow_identity, out);
  return true;
}

bool decode_many_uses_vector() {
  return use_vector_path();
}

}  // namespace detail

void Point::decode_many(std::span<const Bytes32> in, bool allow_identity,
                        std::span<std::optional<Point>> out) {
  if (out.size() != in.size()) throw std::invalid_argument("decode_many: spans differ in size");
  if (use_vector_path())
    decode_ifma(in, allow_identity, out);
  else
    decode_scalar(in, allow_identity, out);
}

}  // namespace basin::crypto
