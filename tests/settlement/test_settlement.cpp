// The settlement library: the charging rule for nested steps, and settle()
// over real receipts (sums, openings, exclusions, netting, determinism,
// the statement's signature).
#include "basin/settlement/settlement.hpp"

#include <gtest/gtest.h>

#include "basin/crypto/pedersen.hpp"

namespace {

using namespace basin;
using settlement::StepSpan;

TEST(StepCoverage, StepsInsideTheBatchStepAreNotCharged) {
  const std::vector<StepSpan> s{
      {"c/1/r0", "n1", records::kBatchStep, 0, 100, 2},  // batch: charged
      {"c/1/r0", "n1", 0, 10, 50, 2},                    // inside batch
      {"c/1/r0", "n1", 1, 10, 50, 4},                    // more cores than batch
      {"c/1/r0", "n2", 2, 10, 50, 2},                    // another node
      {"c/1/r1", "n1", 3, 10, 50, 2},                    // another run (requeue)
      {"c/1/r0", "n1", 4, 90, 120, 1},                   // overlaps the batch step
  };
  const auto c = settlement::covering_steps(s);
  EXPECT_FALSE(c[0]);
  ASSERT_TRUE(c[1]);
  EXPECT_EQ(*c[1], 0u);
  EXPECT_FALSE(c[2]);
  EXPECT_FALSE(c[3]);
  EXPECT_FALSE(c[4]);
  // Within the allocation the batch step holds on n1, on cores it holds.
  ASSERT_TRUE(c[5]);
  EXPECT_EQ(*c[5], 0u);
}

// scancel: slurmstepd ends the job's steps in no fixed order, so an srun step
// may end a second after the batch step. It ran on the batch step's cores all
// the same and is charged once, through the batch step, in either order.
TEST(StepCoverage, AStepEndingAfterTheBatchStepIsChargedOnce) {
  for (std::int64_t step_end : {99, 100, 101}) {
    const std::vector<StepSpan> s{
        {"c/9/r0", "n1", 0, 5, step_end, 2},
        {"c/9/r0", "n1", records::kBatchStep, 0, 100, 2},
    };
    const auto c = settlement::covering_steps(s);
    ASSERT_TRUE(c[0]) << "step ending at " << step_end;
    EXPECT_EQ(*c[0], 1u);
    EXPECT_FALSE(c[1]) << "the batch step is charged";
  }
}

TEST(StepCoverage, AStepOnMoreCoresThanTheBatchStepIsNotCoveredByIt) {
  // The step holds more cores than the batch step: charged. When it also
  // contains the batch step's interval it covers the batch step instead, and
  // exactly one of the two is charged.
  const std::vector<StepSpan> s{
      {"r", "n", records::kBatchStep, 10, 100, 2},
      {"r", "n", 0, 0, 200, 4},
  };
  const auto c = settlement::covering_steps(s);
  ASSERT_TRUE(c[0]);
  EXPECT_EQ(*c[0], 1u);
  EXPECT_FALSE(c[1]);
}

TEST(StepCoverage, OverlappingStepsWithoutABatchStepAreBothCharged) {
  // Two srun steps on one node that overlap without nesting ran on
  // different cores (a job on two nodes has no batch step on the second).
  const std::vector<StepSpan> s{{"r", "n2", 0, 0, 50, 2}, {"r", "n2", 1, 40, 90, 2}};
  const auto c = settlement::covering_steps(s);
  EXPECT_FALSE(c[0]);
  EXPECT_FALSE(c[1]);
}

TEST(StepCoverage, AStepAfterTheBatchStepEndedIsCharged) {
  const std::vector<StepSpan> s{{"r", "n", records::kBatchStep, 0, 100, 2},
                                {"r", "n", 0, 101, 150, 2}};
  const auto c = settlement::covering_steps(s);
  EXPECT_FALSE(c[0]);
  EXPECT_FALSE(c[1]);
}

TEST(StepCoverage, OfTwoIdenticalStepsExactlyOneIsCharged) {
  const std::vector<StepSpan> s{{"r", "n", 7, 0, 10, 2}, {"r", "n", 3, 0, 10, 2}};
  const auto c = settlement::covering_steps(s);
  ASSERT_TRUE(c[0]);  // step 7 yields to step 3
  EXPECT_EQ(*c[0], 1u);
  EXPECT_FALSE(c[1]);
}

// Two sites; each runs jobs for its own and the other's account.
struct Fixture : ::testing::Test {
  records::NodeKey campus_key = records::NodeKey::generate();
  records::NodeKey home_key = records::NodeKey::generate();
  receipts::BlindingKey campus_blind = receipts::BlindingKey::generate();
  receipts::BlindingKey home_blind = receipts::BlindingKey::generate();
  receipts::AccountKey alice = receipts::AccountKey::generate();  // home site campus
  receipts::AccountKey bob = receipts::AccountKey::generate();    // home site home
  receipts::Trust trust;
  std::vector<settlement::Item> items;

  void SetUp() override {
    trust.pool = "p";
    trust.site_keys = {{"campus", campus_key.public_key()}, {"home", home_key.public_key()}};
    trust.rate_cards = {{"campus", {"campus", {40, 0, 0, 1}}}, {"home", {"home", {10, 1, 0, 0}}}};
    add("campus", "alice", 1, 100);  // internal
    add("campus", "bob", 2, 200);    // home owes campus 200*2*40 + 200 = 16200
    add("campus", "bob", 3, 50);     // and 50*81 = 4050
    add("home", "alice", 4, 30);     // campus owes home 30*2*10 + 1000*30 = 30600
  }
  void add(const std::string& site, const std::string& account, std::uint32_t job,
           std::int64_t wall, std::uint32_t gpus = 0) {
    records::UsageRecord r;
    r.cluster = "c";
    r.job_id = job;
    r.step_id = records::kBatchStep;
    r.start_time = 1795000000;
    r.end_time = r.start_time + wall;
    r.account = account;
    r.node = site == "campus" ? "inst1" : "vol1";
    r.site = site;
    r.tier = "volunteer";
    r.requested_tier = "any";
    r.alloc_cores = 2;
    r.alloc_mem_mb = 1000;
    r.alloc_gpus = gpus;
    r.step_state = "completed";
    const auto& key = site == "campus" ? campus_key : home_key;
    const auto& blind = site == "campus" ? campus_blind : home_blind;
    const auto& acct = account == "alice" ? alice : bob;
    settlement::Item it;
    it.log = "p/" + site + "/receipts";
    it.leaf = items.size();
    it.record = records::identity(r);
    it.receipt = receipts::issue_receipt(r, r.account, "p", trust.rate_cards.at(site),
                                         acct.public_key(), key, blind, {});
    it.consumer_site = account == "alice" ? "campus" : "home";
    it.quantities = receipts::quantities_of(r);
    items.push_back(it);
  }
  settlement::ProviderKeys both() { return {{"campus", &campus_blind}, {"home", &home_blind}}; }
};

const settlement::PairTotal* pair(const settlement::Statement& st, const std::string& p,
                                  const std::string& c) {
  for (const auto& x : st.pairs)
    if (x.provider == p && x.consumer == c) return &x;
  return nullptr;
}

TEST_F(Fixture, TotalsAreOpenedCheckedAndNetted) {
  const auto st = settlement::settle(items, trust, both(), {}, "2026-11");
  EXPECT_EQ(st.charged, 4u);
  EXPECT_TRUE(st.failed.empty());
  ASSERT_EQ(st.pairs.size(), 3u);
  const auto* cb = pair(st, "campus", "home");
  ASSERT_TRUE(cb && cb->opened) << (cb ? cb->problem : "missing");
  EXPECT_EQ(cb->micro_credits, 16200 + 4050);
  EXPECT_EQ(cb->receipts, 2u);
  const auto* hc = pair(st, "home", "campus");
  ASSERT_TRUE(hc && hc->opened);
  EXPECT_EQ(hc->micro_credits, 30600);
  const auto* cc = pair(st, "campus", "campus");
  ASSERT_TRUE(cc && cc->opened);
  EXPECT_EQ(cc->micro_credits, 100 * 81);
  // Anyone can check an opening against the published commitment.
  const auto blinding = crypto::Scalar::from_canonical(hc->blinding);
  ASSERT_TRUE(blinding);
  EXPECT_EQ(crypto::pedersen_gens().commit(crypto::Scalar::from_u64(30600), *blinding).encode(),
            hc->credit_commitment);
  ASSERT_EQ(st.transfers.size(), 1u);
  EXPECT_EQ(st.transfers[0], (federation::Transfer{"campus", "home", 30600 - 20250}));
  EXPECT_EQ(st.balance.at("home"), 30600 - 20250);
  // The same input gives the same bytes.
  EXPECT_EQ(settlement::to_json(st),
            settlement::to_json(settlement::settle(items, trust, both(), {}, "2026-11")));
}

TEST_F(Fixture, GpuSecondsArePricedByTheRateCard) {
  items.clear();
  trust.rate_cards["campus"] = {"campus", {40, 0, 500, 1}};
  add("campus", "bob", 5, 100, 2);  // 100*2*40 + 2*100*500 + 100 = 108100
  add("campus", "bob", 6, 10);      // no GPUs: 10*2*40 + 10 = 810
  const auto st = settlement::settle(items, trust, both(), {}, "2026-11");
  EXPECT_TRUE(st.failed.empty());
  const auto* cb = pair(st, "campus", "home");
  ASSERT_TRUE(cb && cb->opened) << (cb ? cb->problem : "missing");
  EXPECT_EQ(cb->micro_credits, 108100 + 810);
}

TEST_F(Fixture, ATamperedReceiptIsExcludedByNameNeverCounted) {
  items[2].receipt.proof[100] ^= 1;
  const auto st = settlement::settle(items, trust, both(), {}, "2026-11");
  ASSERT_EQ(st.failed.size(), 1u);
  EXPECT_EQ(st.failed[0].record, items[2].record);
  // The site signed the proof, so the signature check names it first.
  EXPECT_NE(st.failed[0].reason.find("signature"), std::string::npos) << st.failed[0].reason;
  EXPECT_EQ(pair(st, "campus", "home")->micro_credits, 16200);
}

TEST_F(Fixture, AReplayedReceiptIsExcluded) {
  auto copy = items[1];
  copy.leaf = 99;
  items.push_back(copy);
  const auto st = settlement::settle(items, trust, both(), {}, "2026-11");
  ASSERT_EQ(st.failed.size(), 1u);
  EXPECT_EQ(st.failed[0].leaf, 99u);
  EXPECT_NE(st.failed[0].reason.find("replayed"), std::string::npos);
  EXPECT_EQ(pair(st, "campus", "home")->micro_credits, 16200 + 4050);
}

TEST_F(Fixture, AProviderThatMisstatesItsQuantitiesCannotOpen) {
  (*items[1].quantities)[0] += 1;  // one core-second more than committed
  const auto st = settlement::settle(items, trust, both(), {}, "2026-11");
  const auto* cb = pair(st, "campus", "home");
  EXPECT_FALSE(cb->opened);
  EXPECT_NE(cb->problem.find("does not match"), std::string::npos);
  // Not opened, so not netted: only home's claim remains.
  ASSERT_EQ(st.transfers.size(), 1u);
  EXPECT_EQ(st.transfers[0].amount, 30600);
}

TEST_F(Fixture, WithoutAProvidersSecretItsPairsStayUnopened) {
  const auto st = settlement::settle(items, trust, {{"campus", &campus_blind}}, {}, "2026-11");
  EXPECT_FALSE(pair(st, "home", "campus")->opened);
  EXPECT_NE(pair(st, "home", "campus")->problem.find("site home published no opening"),
            std::string::npos);
  // Another site's secret opens nothing either.
  const auto wrong = settlement::settle(items, trust, {{"home", &campus_blind}}, {}, "2026-11");
  EXPECT_FALSE(pair(wrong, "home", "campus")->opened);
}

TEST_F(Fixture, NotChargedAndOtherPeriodsAreListed) {
  items[3].not_charged = "replica INVALID";
  items[0].receipt.period = "2026-10";  // also breaks its signature
  const auto st = settlement::settle(items, trust, both(), {}, "2026-11");
  ASSERT_EQ(st.not_charged.size(), 1u);
  EXPECT_EQ(st.not_charged[0].reason, "replica INVALID");
  ASSERT_EQ(st.failed.size(), 1u);
  EXPECT_NE(st.failed[0].reason.find("period"), std::string::npos);
  EXPECT_EQ(pair(st, "home", "campus"), nullptr);
  EXPECT_EQ(st.charged, 2u);
}

TEST_F(Fixture, TheStatementSignatureCoversEveryByte) {
  const auto json = settlement::to_json(settlement::settle(items, trust, both(), {}, "2026-11"));
  const auto sig = settlement::sign_statement(json, "campus", campus_key);
  EXPECT_FALSE(settlement::check_statement_signature(json, sig, trust.site_keys));
  auto changed = json;
  changed[changed.find("16200") == std::string::npos ? 10 : changed.find("20250")] ^= 1;
  EXPECT_TRUE(settlement::check_statement_signature(changed, sig, trust.site_keys));
  auto lying = sig;
  lying.replace(lying.find("campus"), 6, "home");
  EXPECT_TRUE(settlement::check_statement_signature(json, lying, trust.site_keys));
  EXPECT_TRUE(settlement::check_statement_signature(json, "junk", trust.site_keys));
}

}  // namespace

// with_carry: a pair below k receipts is carried into the next period and
// opened where its batch reaches k; batches opened earlier are left out.
TEST(Carry, SmallPairsWaitForKReceipts) {
  auto item = [](const std::string& period, const std::string& provider,
                 const std::string& consumer, std::uint64_t leaf) {
    settlement::Item it;
    it.log = "p/" + provider + "/receipts";
    it.leaf = leaf;
    it.receipt.period = period;
    it.receipt.provider_site = provider;
    it.consumer_site = consumer;
    return it;
  };
  // campus -> home: 1 in 09, 2 in 10 (batch 09+10 = 3 reaches k = 3 in 10),
  // 1 in 11 (alone: carried); home -> campus: 3 in 11 (opened alone).
  std::vector<settlement::Item> items = {
      item("2026-09", "campus", "home", 0), item("2026-10", "campus", "home", 1),
      item("2026-10", "campus", "home", 2), item("2026-11", "campus", "home", 3),
      item("2026-11", "home", "campus", 0), item("2026-11", "home", "campus", 1),
      item("2026-11", "home", "campus", 2), item("2026-12", "campus", "home", 4)};
  items.push_back(item("2026-11", "campus", "home", 9));
  items.back().not_charged = "replica INVALID";  // never counts, listed in its period
  items.push_back(item("2026-10", "campus", "home", 8));
  items.back().problem = "bad";  // an earlier failure is not listed again

  auto leaves = [](const std::vector<settlement::Item>& v, bool charged) {
    std::vector<std::uint64_t> out;
    for (const auto& it : v)
      if (it.receipt.provider_site == "campus" && it.problem.empty() &&
          it.not_charged.empty() == charged)
        out.push_back(it.leaf);
    return out;
  };
  const auto oct = settlement::with_carry(items, "2026-10", 3);
  EXPECT_EQ(leaves(oct, true), (std::vector<std::uint64_t>{0, 1, 2}));
  EXPECT_TRUE(oct[0].carried) << "leaf 0 of 2026-09 is carried into 2026-10";
  const auto sep = settlement::with_carry(items, "2026-09", 3);
  EXPECT_TRUE(leaves(sep, true).empty());
  ASSERT_EQ(leaves(sep, false), (std::vector<std::uint64_t>{0}));
  EXPECT_NE(sep[0].not_charged.find("carried into the next period: pair campus -> home has 1"),
            std::string::npos)
      << sep[0].not_charged;

  const auto nov = settlement::with_carry(items, "2026-11", 3);
  EXPECT_EQ(leaves(nov, false), (std::vector<std::uint64_t>{3, 9}));  // carried, and INVALID
  std::size_t home_charged = 0;
  for (const auto& it : nov)
    if (it.receipt.provider_site == "home" && it.not_charged.empty()) ++home_charged;
  EXPECT_EQ(home_charged, 3u);
  for (const auto& it : nov) EXPECT_NE(it.problem, "bad");

  // December: leaf 3 (Nov) and 4 (Dec) are still 2 < 3; with k = 2 they open.
  EXPECT_EQ(leaves(settlement::with_carry(items, "2026-12", 3), false),
            (std::vector<std::uint64_t>{3, 4}));
  // With k = 2: 09 + 10 open in October; November's leaf 3 alone waits and
  // opens with leaf 4 in December.
  EXPECT_EQ(leaves(settlement::with_carry(items, "2026-12", 2), true),
            (std::vector<std::uint64_t>{3, 4}));
  // k = 1: each period's own receipts, nothing carried.
  EXPECT_EQ(leaves(settlement::with_carry(items, "2026-11", 1), true),
            (std::vector<std::uint64_t>{3}));
}
