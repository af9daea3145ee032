// ristretto255 point decoding, eight at a time (Point::decode_many: AVX-512
// IFMA where the CPU has it), reads every proof's and commitment's points
// from machines Basin does not trust: for any bytes, in any lane, it must
// give exactly libdecaf's verdict and point. Input: a flag byte (bit 0:
// allow the identity), then the encodings (a short tail is padded with zeros).
#include <optional>
#include <vector>

#include "basin/crypto/group.hpp"
#include "fuzz_target.hpp"

using basin::crypto::Bytes32;
using basin::crypto::Point;

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  // Nine valid points (one more than a vector's lanes), the identity, a
  // negative and a non-canonical s.
  std::vector<std::uint8_t> points{0};
  Point p = Point::base();
  for (int k = 0; k < 9; ++k, p += Point::base()) {
    const Bytes32 e = p.encode();
    points.insert(points.end(), e.begin(), e.end());
  }
  std::vector<std::uint8_t> edges{1};
  edges.resize(1 + 32, 0);  // the identity (allowed by the flag)
  edges.push_back(1);       // s = 1: negative
  edges.resize(edges.size() + 31, 0);
  edges.push_back(0xed);  // s = p: not canonical
  edges.resize(edges.size() + 30, 0xff);
  edges.push_back(0x7f);
  return {points, edges, {0}};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool allow_identity = data[0] & 1;
  data++;
  size--;
  std::vector<Bytes32> in((size + 31) / 32);
  for (std::size_t i = 0; i < size; ++i) in[i / 32][i % 32] = data[i];
  std::vector<std::optional<Point>> out(in.size());
  Point::decode_many(in, allow_identity, out);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto ref = Point::decode(in[i], allow_identity);
    BASIN_FUZZ_CHECK(ref.has_value() == out[i].has_value());
    if (ref) BASIN_FUZZ_CHECK(*ref == *out[i] && out[i]->encode() == in[i]);
  }
  return 0;
}
