// Bundles from other sites (`basin ledger import`): decoding and the check
// against a mirror. Only a bundle signed by the log's key can extend it.
#include "basin/books/bundle.hpp"
#include "basin/books/log_exchange.hpp"
#include "fuzz_target.hpp"

namespace {
const std::string kOrigin = "demo/campus/receipts";

const basin::tlog::NoteSigner& key() {
  static const auto k = basin::tlog::NoteSigner::generate(kOrigin);
  return k;
}

basin::books::Bundle bundle(std::uint64_t from, std::uint64_t size) {
  std::vector<basin::tlog::Hash> hashes;
  basin::books::Bundle b{"demo", kOrigin, from, "", {}, {}, {}, {}};
  for (std::uint64_t i = 0; i < size; ++i) {
    std::vector<std::uint8_t> leaf(40, static_cast<std::uint8_t>(i));
    hashes.push_back(basin::tlog::leaf_hash(leaf));
    if (i >= from) b.leaves.push_back(leaf);
  }
  b.checkpoint_note = basin::tlog::sign_note(
      basin::tlog::checkpoint_text({kOrigin, size, basin::tlog::root(hashes)}), key());
  if (from > 0 && from < size) b.consistency = basin::tlog::consistency_proof(hashes, from);
  return b;
}

const basin::books::MirroredLog& mirror() {
  static const auto m = [] {
    basin::books::MirroredLog m;
    const auto b = bundle(0, 3);
    for (const auto& l : b.leaves) m.leaf_hashes.push_back(basin::tlog::leaf_hash(l));
    m.note = b.checkpoint_note;
    return m;
  }();
  return m;
}
}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  return {basin::books::encode_bundle(bundle(3, 7)), basin::books::encode_bundle(bundle(0, 5)),
          fuzz_bytes("basin-bundle\n")};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  basin::books::Bundle b;
  try {
    b = basin::books::decode_bundle({data, size});
  } catch (const basin::books::BundleError&) {
    return 0;
  }
  const auto v = basin::books::check_bundle(b, mirror(), key().verifier());
  // Extending needs the log key's signature over a checkpoint the leaves make up.
  if (v.kind == basin::books::BundleVerdict::Kind::extends) {
    std::vector<basin::tlog::Hash> all = mirror().leaf_hashes;
    all.resize(b.from_size);
    for (const auto& l : b.leaves) all.push_back(basin::tlog::leaf_hash(l));
    if (basin::tlog::root(all) != v.checkpoint.root) __builtin_trap();
  }
  return 0;
}
