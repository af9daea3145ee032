// Enrolment certificates and revocation lists (federation/enrolment.hpp):
// both strict parsers on the same bytes. Whatever parses and verifies with
// the seeds' site key is the one spelling its signer makes: signing its
// terms again gives the same bytes back.
#include <string>

#include "basin/common/hex.hpp"
#include "basin/federation/enrolment.hpp"
#include "fuzz_target.hpp"

namespace {

namespace fed = basin::federation;

// One key per process: in the replay binary the seeds and their mutations
// are signed with it; a libFuzzer run from written seeds exercises the
// parsers (the signatures then fail).
const basin::records::NodeKey& site_key() {
  static const auto key = basin::records::NodeKey::generate();
  return key;
}

std::string site_hex() {
  return basin::common::to_hex(site_key().public_key());
}

}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  fed::EnrolmentTerms t;
  t.node = "vol3";
  t.site = "home";
  t.node_public_key = std::string(64, 'a');
  t.cpus = 4;
  t.memory_mb = 8000;
  t.gpus = 1;
  t.serial = 3;
  t.not_before = 1796000000;
  t.not_after = 1796000000 + 30 * 86400;
  fed::RevocationTerms r{"home",
                         1796100000,
                         2,
                         {{"vol1", 1, 1796000000, "left"}, {"vol3", 3, 1796050000, "lost laptop"}}};
  return {fuzz_bytes(fed::sign_certificate(t, site_key())),
          fuzz_bytes(fed::sign_revocations(r, site_key())),
          fuzz_bytes(fed::sign_revocations({"home", 1796100000, 1, {}}, site_key()))};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto u = fed::parse_certificate(text, "fuzz.cert");
    BASIN_FUZZ_CHECK(size <= fed::kMaxCertificateFile && text.back() == '\n');
    const auto c = fed::verify_certificate(u, site_hex());
    BASIN_FUZZ_CHECK(fed::sign_certificate(c.terms(), site_key()) == text);
  } catch (const fed::EnrolmentError&) {
  }
  try {
    const auto u = fed::parse_revocations(text, "fuzz.revocations");
    BASIN_FUZZ_CHECK(size <= fed::kMaxRevocationFile && text.back() == '\n');
    const auto l = fed::verify_revocations(u, site_hex());
    BASIN_FUZZ_CHECK(fed::sign_revocations(l.terms(), site_key()) == text);
  } catch (const fed::EnrolmentError&) {
  }
  return 0;
}
