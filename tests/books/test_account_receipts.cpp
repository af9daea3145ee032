// books::account_receipts on a real ledger: signed records ingested, real
// receipts issued into the log, opened with the account's key.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "basin/books/account_receipts.hpp"
#include "basin/books/exchange.hpp"
#include "basin/common/durable_file.hpp"
#include "basin/tlog/signed_note.hpp"
#include "sample_record.hpp"

namespace {

using namespace basin;

using books::test::sample_record;

struct AccountReceipts : ::testing::Test {
  std::filesystem::path dir;
  records::NodeKey node = records::NodeKey::generate(), site = records::NodeKey::generate();
  receipts::BlindingKey blinding = receipts::BlindingKey::generate();
  receipts::AccountKey lab = receipts::AccountKey::generate(),
                       other = receipts::AccountKey::generate();
  receipts::RateCard card{"uni", {3, 1, 0, 0}};
  receipts::Trust trust;

  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("basin-account-receipts-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "spool");
    trust.pool = "demo";
    trust.site_keys["uni"] = site.public_key();
    trust.rate_cards["uni"] = card;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_F(AccountReceipts, OpensItsOwnChecksTheRecordAndSkipsOthers) {
  for (std::uint32_t job : {1u, 2u, 3u})
    common::write_file_durably((dir / "spool").string(), std::to_string(job) + ".basinrec",
                               records::sign_record(sample_record(job), node));
  ledger::Ledger l((dir / "ledger.sqlite").string(), ledger::OpenMode::create);
  records::KeyRing ring;
  ring.add("n1", node.public_key());
  ASSERT_EQ(l.ingest({(dir / "spool").string()}, ring).added, 3u);
  const auto recs = l.records_without_receipt();
  ASSERT_EQ(recs.size(), 3u);
  const auto hash_of = [&](std::size_t i) {
    return receipts::parse_hex32(recs[i].content_hash, "content hash");
  };
  // Job 1: lab's, bound to its record. Job 2: lab's, but bound to job 1's
  // record (a swapped record). Job 3: another account's.
  const std::vector<std::pair<const receipts::AccountKey*, crypto::Bytes32>> how = {
      {&lab, hash_of(0)}, {&lab, hash_of(0)}, {&other, hash_of(2)}};
  std::vector<ledger::NewReceipt> issued;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const auto r =
        receipts::issue_receipt(recs[i].record, "lab", "demo", card, how[i].first->public_key(),
                                site, blinding, how[i].second);
    issued.push_back({recs[i].id, "uni", "lab", r.period, receipts::encode(r)});
  }
  const auto origin = books::log_origin("demo", "uni");
  l.append_receipts(issued, tlog::NoteSigner::generate(origin), origin);

  const auto mine = books::account_receipts(l, lab, &trust);
  ASSERT_EQ(mine.size(), 2u);  // job 3 is sealed to another account
  EXPECT_TRUE(mine[0].problem.empty()) << mine[0].problem;
  EXPECT_EQ(mine[0].identity, recs[0].identity);
  EXPECT_EQ(mine[0].opening.values[receipts::core_seconds], 180u);
  ASSERT_TRUE(mine[0].credit.has_value());
  EXPECT_EQ(static_cast<std::uint64_t>(*mine[0].credit), 3u * 180 + 1u * 9000);
  EXPECT_NE(mine[1].problem.find("(a swapped record)"), std::string::npos) << mine[1].problem;
  // Without a trust: opened, not priced.
  const auto unpriced = books::account_receipts(l, lab, nullptr);
  ASSERT_EQ(unpriced.size(), 2u);
  EXPECT_FALSE(unpriced[0].credit.has_value());
  EXPECT_EQ(books::account_receipts(l, other, &trust).size(), 1u);
}
