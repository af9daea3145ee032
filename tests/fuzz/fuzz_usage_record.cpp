// Usage records: the canonical decoder (accepted bytes re-encode to
// themselves), the signed record file parser, and ingest's checks on any
// decoded record (never throw; what printable() returns always passes
// string_problem, so an escaped string is safe to print).
#include <algorithm>

#include "basin/records/record_checks.hpp"
#include "basin/records/signing.hpp"
#include "fuzz_target.hpp"

namespace {

basin::records::NodeKey& key() {
  static auto k = basin::records::NodeKey::generate();
  return k;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  basin::records::UsageRecord r;
  r.cluster = "basin";
  r.job_id = 7;
  r.step_id = basin::records::kBatchStep;
  r.account = "lab";
  r.node = "vol1";
  r.site = "home";
  r.tier = "volunteer";
  r.requested_tier = "any";
  r.task_exit_status = {0, 256};
  r.replica_group = "g1";
  r.replicas = 2;
  r.step_state = "completed";
  r.result_digest = "sha256:abcd";
  auto v1 = r;  // the version 1 layout, still read
  v1.version = 1;
  r.alloc_gpus = 2;
  return {basin::records::encode(r), basin::records::sign_record(r, key()),
          basin::records::encode(v1), basin::records::sign_record(v1, key())};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto r = basin::records::decode({data, size});
    const auto again = basin::records::encode(r);
    BASIN_FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
    (void)basin::records::identity(r);
    basin::records::TimeLimits t;
    t.now = 1795000000;
    (void)basin::records::check_record_bounds(r, {4, 8000, 1}, t);
  } catch (const basin::records::RecordError&) {
  }
  try {
    (void)basin::records::parse_signed_record({data, size});
  } catch (const basin::records::RecordError&) {
  }
  basin::records::KeyRing ring;
  ring.add("vol1", key().public_key());
  try {
    (void)basin::records::verify_signed_record({data, size}, ring);
  } catch (const basin::records::RecordError&) {
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  BASIN_FUZZ_CHECK(!basin::records::string_problem(basin::records::printable(text)));
  const auto cut = basin::records::fit_string(text, basin::records::kMaxString);
  BASIN_FUZZ_CHECK(cut.size() <= basin::records::kMaxString);
  return 0;
}
