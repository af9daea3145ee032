// libFuzzer target (BASIN_FUZZ=ON, clang): Point::decode_many, which reads
// every proof's and commitment's points from machines Basin does not trust,
// must give exactly libdecaf's verdict and point for any 32 bytes, in any
// lane. Input: a flag byte (bit 0: allow the identity), then the encodings
// (a short tail is padded with zeros). Aborts on any disagreement.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "basin/crypto/group.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool allow_identity = data[0] & 1;
  data++;
  size--;
  std::vector<basin::crypto::Bytes32> in((size + 31) / 32);
  for (std::size_t i = 0; i < size; ++i) in[i / 32][i % 32] = data[i];
  std::vector<std::optional<basin::crypto::Point>> out(in.size());
  basin::crypto::Point::decode_many(in, allow_identity, out);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto ref = basin::crypto::Point::decode(in[i], allow_identity);
    if (ref.has_value() != out[i].has_value()) std::abort();
    if (ref && !(*ref == *out[i] && out[i]->encode() == in[i])) std::abort();
  }
  return 0;
}
