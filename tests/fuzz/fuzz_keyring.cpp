// The node keys file ("<node> ed25519:<hex>" lines).
#include "basin/records/signing.hpp"
#include "fuzz_target.hpp"

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  const auto k = basin::records::NodeKey::generate();
  const auto line = basin::records::public_key_text(k.public_key());
  return {fuzz_bytes("# keys\nvol1 " + line + "\ninst1 " + line + "\n"), fuzz_bytes("vol1 " + line),
          fuzz_bytes("\n\n# only a comment\n")};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto ring = basin::records::KeyRing::parse(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)ring.find("vol1");
  } catch (const basin::records::RecordError&) {
  }
  return 0;
}
