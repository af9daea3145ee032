// Signed window digits shared by the multi-scalar multiplications.
#pragma once

#include <vector>

#include "basin/crypto/group.hpp"

namespace basin::crypto::detail {

// Signed base-2^w digits d_j in [-2^(w-1), 2^(w-1)] with k = sum d_j 2^(w j).
// Scalars are canonical (< 2^253), so ceil(256/w) + 1 digits always suffice.
inline std::vector<int> signed_digits(const Scalar& k, int w) {
  const Bytes32 b = k.encode();
  const int count = (256 + w - 1) / w + 1;
  std::vector<int> d(count, 0);
  int carry = 0;
  for (int j = 0; j < count; ++j) {
    int v = 0;
    for (int t = 0; t < w; ++t) {
      const int bit = j * w + t;
      if (bit < 256) v |= ((b[bit / 8] >> (bit % 8)) & 1) << t;
    }
    v += carry;
    if (v > (1 << (w - 1))) {
      v -= 1 << w;
      carry = 1;
    } else {
      carry = 0;
    }
    d[j] = v;
  }
  return d;
}

}  // namespace basin::crypto::detail
