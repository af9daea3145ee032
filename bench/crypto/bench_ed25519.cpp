// Ed25519 verification speed, same run: libsodium's crypto_sign_verify_detached
// one signature at a time (the peer; libsodium has no batch API), Basin's
// single check, and Basin's batch (crypto::ed25519_verify_batch) on 1 and 2
// threads. 4,096 signatures of 1,300-byte messages (a receipt's size) by 2 keys.
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <tbb/global_control.h>

#include <array>
#include <vector>

#include "basin/crypto/ed25519.hpp"

namespace {

struct Signatures {
  std::vector<std::array<std::uint8_t, 32>> keys;
  std::vector<std::vector<std::uint8_t>> messages;
  std::vector<std::array<std::uint8_t, 64>> sigs;
  std::vector<basin::crypto::Ed25519Check> checks;
  explicit Signatures(std::size_t n) : keys(2), messages(n), sigs(n) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium");
    std::array<std::array<std::uint8_t, 64>, 2> sk;
    for (int k = 0; k < 2; ++k) crypto_sign_keypair(keys[k].data(), sk[k].data());
    for (std::size_t i = 0; i < n; ++i) {
      messages[i].resize(1300);
      randombytes_buf(messages[i].data(), messages[i].size());
      crypto_sign_detached(sigs[i].data(), nullptr, messages[i].data(), messages[i].size(),
                           sk[i % 2].data());
      checks.push_back({sigs[i], messages[i], keys[i % 2]});
    }
  }
};

const Signatures& signatures() {
  static const Signatures s(4096);
  return s;
}

void count(benchmark::State& st) {
  st.counters["signatures_per_s"] = benchmark::Counter(
      static_cast<double>(signatures().sigs.size() * st.iterations()), benchmark::Counter::kIsRate);
}

void BM_Libsodium(benchmark::State& st) {
  const auto& s = signatures();
  for (auto _ : st)
    for (std::size_t i = 0; i < s.sigs.size(); ++i)
      if (crypto_sign_verify_detached(s.sigs[i].data(), s.messages[i].data(), s.messages[i].size(),
                                      s.keys[i % 2].data()) != 0)
        st.SkipWithError("libsodium refused a signature");
  count(st);
}

void BM_BasinSingle(benchmark::State& st) {
  const auto& s = signatures();
  for (auto _ : st)
    for (const auto& c : s.checks)
      if (!basin::crypto::ed25519_verify(c)) st.SkipWithError("refused a signature");
  count(st);
}

void BM_BasinBatch(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                         static_cast<std::size_t>(st.range(0)));
  const auto& s = signatures();
  for (auto _ : st)
    if (!basin::crypto::ed25519_verify_batch(s.checks).empty())
      st.SkipWithError("batch refused a signature");
  count(st);
}

}  // namespace

BENCHMARK(BM_Libsodium)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BasinSingle)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BasinBatch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
