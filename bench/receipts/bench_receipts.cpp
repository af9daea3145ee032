// Receipts (m = 4 quantities, n = 64 bits): issue (prove), verify one,
// batch-verify many on 1 and 2 threads, and, in the same run, the
// straightforward libsodium-only verifier as the peer (report the ratio).
//   bench_receipts --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <tbb/global_control.h>

#include "basin/crypto/detail/reference_verifier.hpp"
#include "basin/receipts/receipt.hpp"

using namespace basin;

namespace {

struct Setup {
  records::NodeKey site = records::NodeKey::generate();
  receipts::BlindingKey blinding = receipts::BlindingKey::generate();
  receipts::AccountKey account = receipts::AccountKey::generate();
  receipts::RateCard card{"uni", {40, 1, 1000, 2}};
  receipts::Trust trust;
  std::vector<receipts::Receipt> receipts;
  Setup() {
    trust.pool = "bench";
    trust.site_keys["uni"] = site.public_key();
    trust.rate_cards["uni"] = card;
  }
  records::UsageRecord record(std::uint32_t job) const {
    records::UsageRecord r;
    r.cluster = "basin";
    r.job_id = job;
    r.start_time = 1795000000;
    r.end_time = 1795000000 + 3600 + job;
    r.account = "lab";
    r.node = "n1";
    r.site = "uni";
    r.alloc_cores = 16;
    r.alloc_mem_mb = 64000;
    return r;
  }
  receipts::Receipt issue(std::uint32_t job) const {
    return receipts::issue_receipt(record(job), record(job).account, "bench", card,
                                   account.public_key(), site, blinding, {});
  }
  const std::vector<receipts::Receipt>& many(std::size_t n) {
    while (receipts.size() < n)
      receipts.push_back(issue(static_cast<std::uint32_t>(receipts.size())));
    return receipts;
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

void BM_ReceiptProve(benchmark::State& state) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 1);
  std::uint32_t job = 0;
  for (auto _ : state) benchmark::DoNotOptimize(setup().issue(++job));
}

void BM_ReceiptVerify(benchmark::State& state) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 1);
  const auto r = setup().issue(1);
  for (auto _ : state) {
    auto bad = receipts::verify_receipt(r, setup().trust);
    if (bad) state.SkipWithError("receipt did not verify");
  }
}

// The peer: the same checks, the range proof evaluated term by term with
// libsodium's crypto_scalarmult_ristretto255 only.
void BM_ReceiptVerifySodiumOnly(benchmark::State& state) {
  const auto r = setup().issue(1);
  const auto pk = setup().site.public_key();
  for (auto _ : state) {
    const auto msg = receipts::signed_message(r);
    bool ok =
        crypto_sign_verify_detached(r.signature.data(), msg.data(), msg.size(), pk.data()) == 0;
    ok = ok && crypto::detail::verify_range_sodium_reference(r.commitments, r.proof,
                                                             receipts::proof_context(r));
    if (!ok) state.SkipWithError("receipt did not verify");
  }
}

void BM_ReceiptBatchVerify(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& rs = setup().many(n);
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) {
    if (!receipts::verify_batch(std::span(rs).first(n), setup().trust).empty())
      state.SkipWithError("batch did not verify");
  }
  state.counters["receipts/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_ReceiptProve)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ReceiptVerify)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ReceiptVerifySodiumOnly)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ReceiptBatchVerify)
    ->Args({256, 1})
    ->Args({256, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3);

BENCHMARK_MAIN();
