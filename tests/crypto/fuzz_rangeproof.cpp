// libFuzzer target for the range-proof parser and verifier (BASIN_FUZZ=ON, clang).
// Input: 1 byte m selector, then m 32-byte commitments, then the proof bytes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "basin/crypto/rangeproof.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t m = data[0] % 72;  // includes invalid counts on purpose
  data++;
  size--;
  std::vector<basin::crypto::Bytes32> V(m);
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t b = 0; b < 32; ++b) V[j][b] = (32 * j + b < size) ? data[32 * j + b] : 0;
  const std::size_t used = std::min(size, 32 * m);
  (void)basin::crypto::verify_range(V, {data + used, size - used}, {});
  return 0;
}
