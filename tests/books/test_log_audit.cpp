// books::audit_logs on a real ledger file holding another site's mirrored log
// (real RFC 6962 leaves and real signed checkpoints).
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>

#include "basin/books/exchange.hpp"
#include "basin/books/log_audit.hpp"
#include "basin/tlog/merkle.hpp"
#include "basin/tlog/signed_note.hpp"

namespace {

using namespace basin;

std::string hex(const std::array<std::uint8_t, 32>& b) {
  char out[65];
  sodium_bin2hex(out, sizeof out, b.data(), b.size());
  return out;
}

class LogAudit : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    dir = std::filesystem::temp_directory_path() /
          ("basin-log-audit-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    pool.name = "demo";
    pool.sites.push_back({});
    pool.sites[0].name = "campus";
    std::array<std::uint8_t, 32> pk{};
    std::array<std::uint8_t, 64> sk{};
    crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
    pool.sites[0].signing_key = hex(pk);
    for (int i = 0; i < 3; ++i) {
      const std::string s = "receipt " + std::to_string(i);
      leaves.emplace_back(s.begin(), s.end());
      hashes.push_back(tlog::leaf_hash(leaves.back()));
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // A checkpoint of `size` leaves with `root`, signed with `key_seed`.
  ledger::StoredCheckpoint checkpoint(std::uint64_t size, const tlog::Hash& root,
                                      const std::array<std::uint8_t, 32>& key_seed) const {
    const auto signer = tlog::NoteSigner::from_seed(origin, key_seed);
    return {size, root, tlog::sign_note(tlog::checkpoint_text({origin, size, root}), signer)};
  }
  std::vector<std::string> audit(const ledger::StoredCheckpoint& cp) {
    ledger::Ledger l((dir / "ledger.sqlite").string(), ledger::OpenMode::create);
    l.mirror_append(origin, 0, leaves, cp);
    return books::audit_logs(l, l.receipts(), pool);
  }

  std::filesystem::path dir;
  federation::Pool pool;
  std::array<std::uint8_t, 32> seed{7};
  const std::string origin = books::log_origin("demo", "campus");
  std::vector<std::vector<std::uint8_t>> leaves;
  std::vector<tlog::Hash> hashes;
};

}  // namespace

TEST_F(LogAudit, AMirroredLogSignedByItsSiteAndMatchingItsTreeIsGood) {
  EXPECT_TRUE(audit(checkpoint(3, tlog::root(hashes), seed)).empty());
}

TEST_F(LogAudit, ACheckpointOfAnotherKeyIsNamed) {
  const auto bad = audit(checkpoint(3, tlog::root(hashes), {8}));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].rfind("log demo/campus/receipts: checkpoint: ", 0), 0u) << bad[0];
}

TEST_F(LogAudit, ACheckpointOfOtherLeavesOrAnotherSizeIsNamed) {
  auto other = hashes;
  other[1] = tlog::leaf_hash(std::vector<std::uint8_t>{'x'});
  auto bad = audit(checkpoint(3, tlog::root(other), seed));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0],
            "log demo/campus/receipts: its root is not the signed checkpoint's root (leaves "
            "changed)");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  bad = audit(checkpoint(2, tlog::root(std::span(hashes).first(2)), seed));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], "log demo/campus/receipts: newest checkpoint covers 2 leaves, the log has 3");
}

TEST_F(LogAudit, ALogOfNoSiteOfThePoolIsNamed) {
  pool.sites[0].name = "elsewhere";
  const auto bad = audit(checkpoint(3, tlog::root(hashes), seed));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], "log demo/campus/receipts is not the receipt log of a site of pool demo");
}
