#include "basin/crypto/pedersen.hpp"

#include <stdexcept>
#include <string>

namespace basin::crypto {

namespace {
Point labelled(std::string_view what, std::uint32_t counter) {
  std::string label(what);
  label.push_back('\0');
  for (int i = 0; i < 4; ++i) label.push_back(static_cast<char>((counter >> (8 * i)) & 0xff));
  return Point::hash_to_group(kGeneratorSetId,
                              {reinterpret_cast<const std::uint8_t*>(label.data()), label.size()});
}
}  // namespace

Point PedersenGens::commit(const Scalar& value, const Scalar& blinding) const {
  return base_mul(value) + B_blinding * blinding;
}

const PedersenGens& pedersen_gens() {
  static const PedersenGens gens{Point::base(), labelled("pedersen.blinding", 0)};
  return gens;
}

const VectorGens& vector_gens() {
  static const VectorGens gens = [] {
    VectorGens g;
    constexpr std::uint32_t kCount = 64 * 64;
    g.G.reserve(kCount);
    g.H.reserve(kCount);
    for (std::uint32_t i = 0; i < kCount; ++i) {
      g.G.push_back(labelled("bulletproofs.G", i));
      g.H.push_back(labelled("bulletproofs.H", i));
    }
    return g;
  }();
  return gens;
}

std::vector<Bytes32> commit(std::span<const std::uint64_t> values,
                            std::span<const Scalar> blindings) {
  if (values.size() != blindings.size())
    throw std::invalid_argument("commit: one blinding per value is needed");
  std::vector<Bytes32> out;
  out.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    out.push_back(pedersen_gens().commit(Scalar::from_u64(values[i]), blindings[i]).encode());
  return out;
}

}  // namespace basin::crypto
