// Settlement statement signatures (`basin ledger check-statement` reads the
// .sig file a site sends). The input is the signature text; the statement
// is fixed. Only a signature made by the key may pass.
#include <sodium.h>

#include "basin/settlement/settlement.hpp"
#include "fuzz_target.hpp"

namespace {
const std::string kJson = "{\"format\": \"basin-settlement-statement/v1\"}\n";

const basin::records::NodeKey& key() {
  static const auto k = [] {
    if (sodium_init() < 0) __builtin_trap();
    return basin::records::NodeKey::generate();
  }();
  return k;
}
}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  const auto good = basin::settlement::sign_statement(kJson, "campus", key());
  return {fuzz_bytes(good), fuzz_bytes("basin-statement-signature v1\nsigner home\ned25519 00\n"),
          fuzz_bytes(good + "extra\n")};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string sig(reinterpret_cast<const char*>(data), size);
  const std::map<std::string, basin::records::PublicKey> keys{{"campus", key().public_key()}};
  const auto why = basin::settlement::check_statement_signature(kJson, sig, keys);
  // Accepted only if it is the deterministic Ed25519 signature itself.
  if (!why) BASIN_FUZZ_CHECK(sig == basin::settlement::sign_statement(kJson, "campus", key()));
  return 0;
}
