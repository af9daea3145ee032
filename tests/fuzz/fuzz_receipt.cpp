// Receipt decoder: anything it accepts must re-encode to the same bytes, and
// verification of an accepted receipt must not crash.
#include "basin/receipts/receipt.hpp"
#include "fuzz_target.hpp"

namespace {

struct Keys {
  basin::records::NodeKey site = basin::records::NodeKey::generate();
  basin::receipts::BlindingKey blinding = basin::receipts::BlindingKey::generate();
  basin::receipts::AccountKey account = basin::receipts::AccountKey::generate();
  basin::receipts::RateCard card{"uni", {3, 1, 100, 2}};
  basin::receipts::Trust trust;
  Keys() {
    trust.pool = "demo";
    trust.site_keys["uni"] = site.public_key();
    trust.rate_cards["uni"] = card;
  }
};

Keys& keys() {
  static Keys k;
  return k;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  std::vector<std::vector<std::uint8_t>> out;
  for (std::uint32_t job = 1; job <= 2; ++job) {
    basin::records::UsageRecord r;
    r.cluster = "basin";
    r.job_id = job;
    r.start_time = 1795000000;
    r.end_time = 1795000000 + 60 * job;
    r.account = "lab";
    r.node = "n1";
    r.site = "uni";
    r.alloc_cores = job;
    r.alloc_mem_mb = 100;
    out.push_back(basin::receipts::encode(basin::receipts::issue_receipt(
        r, r.account, "demo", keys().card, keys().account.public_key(), keys().site,
        keys().blinding, {})));
  }
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  basin::receipts::Receipt r;
  try {
    r = basin::receipts::decode({data, size});
  } catch (const basin::receipts::ReceiptError&) {
    return 0;
  }
  const auto again = basin::receipts::encode(r);
  BASIN_FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  (void)basin::receipts::to_json(r);
  (void)basin::receipts::verify_receipt(r, keys().trust);
  try {
    (void)basin::receipts::open_receipt(r, keys().account);
  } catch (const basin::receipts::ReceiptError&) {
  }
  return 0;
}
