// Internal pieces shared by the range-proof prover and verifier.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "basin/crypto/group.hpp"
#include "basin/crypto/pedersen.hpp"
#include "basin/crypto/rangeproof.hpp"
#include "basin/crypto/transcript.hpp"

namespace basin::crypto::detail {

inline constexpr std::uint64_t kRangeProofVersion = 1;

inline bool allowed_m(std::size_t m) {
  return m >= 1 && m <= kMaxAggregation && (m & (m - 1)) == 0;
}

inline std::size_t log2_exact(std::size_t v) {
  std::size_t k = 0;
  while ((std::size_t{1} << k) < v) ++k;
  return k;
}

// Binds everything the statement depends on before the prover's first message
// (the Frozen Heart lesson): domain and version, n, m, generator set, every V,
// and the caller's context.
inline Transcript statement_transcript(std::span<const Bytes32> commitments,
                                       std::span<const std::uint8_t> context) {
  Transcript t("basin.rangeproof");
  t.append_u64("version", kRangeProofVersion);
  t.append_u64("n", kRangeBits);
  t.append_u64("m", commitments.size());
  t.append("generators",
           {reinterpret_cast<const std::uint8_t*>(kGeneratorSetId.data()), kGeneratorSetId.size()});
  for (const auto& v : commitments) t.append_point("V", v);
  t.append("context", context);
  return t;
}

inline std::vector<Scalar> powers(const Scalar& x, std::size_t count) {
  std::vector<Scalar> out(count);
  Scalar acc = Scalar::from_u64(1);
  for (auto& p : out) {
    p = acc;
    acc = acc * x;
  }
  return out;
}

inline Scalar sum_of_powers(const Scalar& x, std::size_t count) {
  if (count > 0 && (count & (count - 1)) == 0) {
    // A power of two (n*m always is): sum_{i<2k} x^i = (1 + x^k) sum_{i<k} x^i,
    // 2 log2(count) products instead of count.
    Scalar sum = Scalar::from_u64(1), xk = x;
    for (std::size_t k = 1; k < count; k *= 2) {
      sum = sum + sum * xk;
      xk = xk * xk;
    }
    return sum;
  }
  Scalar acc, p = Scalar::from_u64(1);
  for (std::size_t i = 0; i < count; ++i) {
    acc = acc + p;
    p = p * x;
  }
  return acc;
}

// delta(y, z) = (z - z^2) * <1, y^{nm}> - sum_j z^{3+j} * <1, 2^n>
inline Scalar delta(const Scalar& y, const Scalar& z, std::size_t m) {
  const Scalar zz = z * z;
  const Scalar sum_y = sum_of_powers(y, kRangeBits * m);
  // <1, 2^64> = 2^64 - 1
  const Scalar sum_2 = Scalar::from_u64(~std::uint64_t{0});
  Scalar sum_z = sum_of_powers(z, m) * zz * z;
  return (z - zz) * sum_y - sum_z * sum_2;
}

}  // namespace basin::crypto::detail
