// The ledger: idempotent ingestion, conflicts kept and flagged, bad records
// refused, migrations, and two processes ingesting at once.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <sqlite3.h>

#include "basin/common/durable_file.hpp"
#include "basin/ledger/ledger.hpp"

using namespace basin;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  records::NodeKey key = records::NodeKey::generate();
  records::KeyRing ring;
  Fixture() {
    char tmpl[] = "/tmp/basin-ledger-test.XXXXXX";
    dir = mkdtemp(tmpl);
    fs::create_directory(dir / "spool");
    ring.add("vol1", key.public_key());
  }
  ~Fixture() { fs::remove_all(dir); }
  std::string db() const { return (dir / "ledger.sqlite").string(); }
  std::string spool() const { return (dir / "spool").string(); }
  void write(const std::string& name, std::uint32_t job, std::uint64_t cpu = 1000) {
    records::UsageRecord r;
    r.cluster = "c";
    r.job_id = job;
    r.step_id = 0;
    r.node = "vol1";
    r.site = "home";
    r.account = "lab";
    r.cpu_user_us = cpu;
    r.start_time = 1;
    r.end_time = 2;
    common::write_file_durably(spool(), name, records::sign_record(r, key));
  }
};

}  // namespace

TEST(Ledger, MigratesOnceAndReopens) {
  Fixture f;
  {
    ledger::Ledger l(f.db(), ledger::OpenMode::create);
    EXPECT_EQ(l.schema_version(), 6);
  }
  ledger::Ledger again(f.db(), ledger::OpenMode::existing);
  EXPECT_EQ(again.schema_version(), 6);
}

// Only ingest creates a ledger: a mistyped --db for any other command must
// not become a new, empty ledger that verifies and settles "all good".
TEST(Ledger, AMissingFileIsAnErrorUnlessCreating) {
  Fixture f;
  try {
    ledger::Ledger l(f.db(), ledger::OpenMode::existing);
    ADD_FAILURE() << "opened a ledger that does not exist";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(f.db() + " does not exist"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(f.db()));
}

TEST(Ledger, IngestingTwiceStoresOnce) {
  Fixture f;
  for (std::uint32_t j = 1; j <= 5; ++j) f.write(std::to_string(j) + ".0.r0.vol1.basinrec", j);
  ledger::Ledger l(f.db(), ledger::OpenMode::create);
  auto r1 = l.ingest({f.spool()}, f.ring);
  EXPECT_EQ(r1.added, 5u);
  auto r2 = l.ingest({f.spool()}, f.ring);
  EXPECT_EQ(r2.added, 0u);
  EXPECT_EQ(r2.duplicate, 5u);
  EXPECT_EQ(l.record_count(), 5u);
}

TEST(Ledger, TwoRecordsForOneIdentityAreBothKeptAndFlagged) {
  Fixture f;
  f.write("7.0.r0.vol1.basinrec", 7, 1000);
  f.write("7.0.r0.vol1.basinrec.1", 7, 999999);  // same step, other numbers
  ledger::Ledger l(f.db(), ledger::OpenMode::create);
  const auto rep = l.ingest({(fs::path(f.spool()) / "7.0.r0.vol1.basinrec").string(),
                             (fs::path(f.spool()) / "7.0.r0.vol1.basinrec.1").string()},
                            f.ring);
  EXPECT_EQ(rep.added, 2u);
  EXPECT_EQ(rep.conflicts, 1u);
  const auto c = l.records(/*conflicts_only=*/true);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].identity, "c/7.0/r0/vol1");
  EXPECT_TRUE(c[0].conflict && c[1].conflict);
}

TEST(Ledger, ForgedAndCorruptRecordsAreRejectedNotStored) {
  Fixture f;
  f.write("1.0.r0.vol1.basinrec", 1);
  const auto other = records::NodeKey::generate();  // not vol1's key
  records::UsageRecord r;
  r.cluster = "c";
  r.job_id = 2;
  r.node = "vol1";
  common::write_file_durably(f.spool(), "2.0.r0.vol1.basinrec", records::sign_record(r, other));
  const std::vector<std::uint8_t> junk{1, 2, 3};
  common::write_file_durably(f.spool(), "3.0.r0.vol1.basinrec", junk);
  ledger::Ledger l(f.db(), ledger::OpenMode::create);
  const auto rep = l.ingest({f.spool()}, f.ring);
  EXPECT_EQ(rep.added, 1u);
  ASSERT_EQ(rep.rejected.size(), 2u);
  EXPECT_NE(rep.rejected[0].reason.find("bad signature"), std::string::npos);
  EXPECT_EQ(l.record_count(), 1u);
}

// A record its check refuses is kept in the quarantine with the reason, is
// not among the records (so never issued), and does not stop the others.
TEST(Ledger, RefusedRecordsAreQuarantinedAndTheOthersStored) {
  Fixture f;
  for (std::uint32_t j = 1; j <= 3; ++j) f.write(std::to_string(j) + ".0.r0.vol1.basinrec", j);
  f.write("9.0.r0.vol1.basinrec", 9, 5000000);
  const ledger::RecordCheck check =
      [](const records::UsageRecord& r) -> std::optional<std::string> {
    if (r.cpu_user_us > 1000000) return "too much CPU";
    return std::nullopt;
  };
  ledger::Ledger l(f.db(), ledger::OpenMode::create);
  const auto rep = l.ingest({f.spool()}, f.ring, check);
  EXPECT_EQ(rep.added, 3u);
  ASSERT_EQ(rep.quarantined.size(), 1u);
  EXPECT_EQ(rep.quarantined[0].identity, "c/9.0/r0/vol1");
  EXPECT_EQ(rep.quarantined[0].reason, "too much CPU");
  EXPECT_EQ(l.record_count(), 3u);
  EXPECT_EQ(l.records_without_receipt().size(), 3u);
  // A rerun names it again but stores it once.
  EXPECT_EQ(l.ingest({f.spool()}, f.ring, check).quarantined.size(), 1u);
  const auto q = l.quarantined();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].reason, "too much CPU");
  EXPECT_NE(q[0].source.find("9.0.r0.vol1.basinrec"), std::string::npos);
}

namespace {

// Runs `sql` on the ledger file the way a disk fault or a hand edit would.
void damage(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

}  // namespace

// A row that does not read is named with the reason and left out; every
// other record is still returned.
TEST(Ledger, UnreadableRowsAreSetAsideByName) {
  Fixture f;
  for (std::uint32_t j = 1; j <= 4; ++j) f.write(std::to_string(j) + ".0.r0.vol1.basinrec", j);
  {
    ledger::Ledger l(f.db(), ledger::OpenMode::create);
    ASSERT_EQ(l.ingest({f.spool()}, f.ring).added, 4u);
  }
  // Job 1: bytes altered. Job 2: bytes replaced consistently with the hash,
  // but no record. Job 3: the identity column edited.
  std::uint8_t h[crypto_hash_sha256_BYTES];
  const std::uint8_t zero = 0;
  crypto_hash_sha256(h, &zero, 1);
  char hex[2 * sizeof h + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  damage(f.db(),
         "UPDATE records SET signed_record = x'00' WHERE identity = 'c/1.0/r0/vol1';"
         "UPDATE records SET signed_record = x'00', content_hash = x'" +
             std::string(hex) +
             "' WHERE identity = 'c/2.0/r0/vol1';"
             "UPDATE records SET identity = 'c/9.0/r0/vol1' WHERE identity = "
             "'c/3.0/r0/vol1';");
  ledger::Ledger l(f.db(), ledger::OpenMode::create);
  std::vector<ledger::RecordProblem> aside;
  const auto good = l.records(false, &aside);
  ASSERT_EQ(good.size(), 1u);
  EXPECT_EQ(good[0].identity, "c/4.0/r0/vol1");
  ASSERT_EQ(aside.size(), 3u);
  EXPECT_EQ(aside[0].identity, "c/1.0/r0/vol1");
  EXPECT_NE(aside[0].reason.find("do not hash to its content_hash"), std::string::npos);
  EXPECT_EQ(aside[1].identity, "c/2.0/r0/vol1");
  EXPECT_NE(aside[1].reason.find("do not decode"), std::string::npos);
  EXPECT_EQ(aside[2].identity, "c/9.0/r0/vol1");
  EXPECT_NE(aside[2].reason.find("another identity (c/3.0/r0/vol1)"), std::string::npos);
  EXPECT_EQ(l.records_without_receipt().size(), 1u);  // without the vector: skipped
}

TEST(Ledger, TwoProcessesIngestingAtOnceBothSucceed) {
  Fixture f;
  for (std::uint32_t j = 1; j <= 200; ++j) f.write(std::to_string(j) + ".0.r0.vol1.basinrec", j);
  { ledger::Ledger create(f.db(), ledger::OpenMode::create); }
  pid_t kids[2];
  for (auto& pid : kids) {
    pid = fork();
    if (pid == 0) {
      try {
        ledger::Ledger l(f.db(), ledger::OpenMode::create);
        l.ingest({f.spool()}, f.ring);
        _exit(0);
      } catch (...) {
        _exit(1);
      }
    }
  }
  for (auto pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ledger::Ledger l(f.db(), ledger::OpenMode::create);
  EXPECT_EQ(l.record_count(), 200u);
}

// Receipts are opaque bytes to the ledger: each becomes the next leaf of its
// site's log, once per record, and every append ends in a signed checkpoint
// whose root is the RFC 6962 root of the stored leaves.
TEST(Ledger, ReceiptsAreLeavesOfASignedLogOncePerRecord) {
  Fixture f;
  for (std::uint32_t j = 1; j <= 4; ++j) f.write(std::to_string(j) + ".0.r0.vol1.basinrec", j);
  ledger::Ledger l(f.db(), ledger::OpenMode::create);
  l.ingest({f.spool()}, f.ring);
  const auto todo = l.records_without_receipt();
  ASSERT_EQ(todo.size(), 4u);
  const auto signer = tlog::NoteSigner::generate("p/home/receipts");
  std::vector<ledger::NewReceipt> batch;
  for (const auto& r : todo)
    batch.push_back({r.id, "home", "lab", "1970-01", {std::uint8_t(r.id), 0xaa}});
  auto first = batch;
  first.resize(3);
  const auto a = l.append_receipts(first, signer, "p/home/receipts");
  EXPECT_EQ(a.appended, 3u);
  EXPECT_EQ(a.checkpoint.size, 3u);
  const auto b = l.append_receipts(batch, signer, "p/home/receipts");
  EXPECT_EQ(b.appended, 1u);
  EXPECT_EQ(b.already, 3u);
  EXPECT_TRUE(l.records_without_receipt().empty());

  const auto hashes = l.log_leaf_hashes("p/home/receipts");
  ASSERT_EQ(hashes.size(), 4u);
  const auto cp = l.latest_checkpoint("p/home/receipts");
  EXPECT_EQ(cp.size, 4u);
  EXPECT_EQ(cp.root, tlog::root(hashes));
  const auto parsed = tlog::parse_checkpoint(tlog::open_note(cp.note, signer.verifier()));
  EXPECT_EQ(parsed.root, cp.root);
  // The old tree is a prefix of the new one.
  EXPECT_TRUE(tlog::verify_consistency(3, 4, a.checkpoint.root, cp.root,
                                       tlog::consistency_proof(hashes, 3)));
  const auto stored = l.receipts();
  ASSERT_EQ(stored.size(), 4u);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].leaf_index, i);
    EXPECT_EQ(stored[i].leaf_hash, tlog::leaf_hash(stored[i].bytes));
  }
  EXPECT_EQ(l.log_origins(), std::vector<std::string>{"p/home/receipts"});
  EXPECT_EQ(l.latest_checkpoint("other").size, 0u);
}

// The site never signs a fork: once a log no longer extends its newest signed
// checkpoint (a leaf deleted or changed), append_receipts refuses and signs
// nothing, and log_problem says how (sizes and roots).
TEST(Ledger, ALogThatNoLongerExtendsItsCheckpointIsNeverSignedAgain) {
  Fixture f;
  for (std::uint32_t j = 1; j <= 3; ++j) f.write(std::to_string(j) + ".0.r0.vol1.basinrec", j);
  const std::string origin = "p/home/receipts";
  const auto signer = tlog::NoteSigner::generate(origin);
  std::vector<ledger::NewReceipt> batch;
  {
    ledger::Ledger l(f.db(), ledger::OpenMode::create);
    l.ingest({f.spool()}, f.ring);
    for (const auto& r : l.records_without_receipt())
      batch.push_back({r.id, "home", "lab", "1970-01", {std::uint8_t(r.id), 0xaa}});
    l.append_receipts(batch, signer, origin);
    EXPECT_FALSE(l.log_problem(origin, signer.verifier()));
    const auto stranger = tlog::NoteSigner::generate(origin);
    const auto why = l.log_problem(origin, stranger.verifier());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("does not verify"), std::string::npos) << *why;
  }
  auto sql = [&](const char* statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(f.db().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, statement, nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  };
  ledger::Ledger l(f.db(), ledger::OpenMode::existing);
  const auto signed_before = l.latest_checkpoint(origin);
  // A leaf's data changed but not its stored hash: named.
  sql("UPDATE log_leaves SET data = x'0102' WHERE leaf_index = 0");
  auto why = l.log_problem(origin, signer.verifier());
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("leaf 0's data does not hash"), std::string::npos) << *why;
  // And with its stored hash recomputed: the first leaves' root differs.
  const std::vector<std::uint8_t> data{0x01, 0x02};
  sql(("UPDATE log_leaves SET leaf_hash = x'" + tlog::to_hex(tlog::leaf_hash(data)) +
       "' WHERE leaf_index = 0")
          .c_str());
  why = l.log_problem(origin, signer.verifier());
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("differs from what its site signed"), std::string::npos) << *why;
  EXPECT_THROW(l.append_receipts({batch[2]}, signer, origin), std::runtime_error);
  // The last leaf (and its receipt row) deleted: shorter than signed.
  sql(("UPDATE log_leaves SET data = x'01aa', leaf_hash = x'" +
       tlog::to_hex(tlog::leaf_hash(std::vector<std::uint8_t>{0x01, 0xaa})) +
       "' WHERE leaf_index = 0")
          .c_str());
  sql("DELETE FROM receipts WHERE leaf_index = 2; DELETE FROM log_leaves WHERE leaf_index = 2");
  why = l.log_problem(origin, signer.verifier());
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("the log has 2 leaves"), std::string::npos) << *why;
  EXPECT_NE(why->find("covers 3 (root " + tlog::to_hex(signed_before.root) + ")"),
            std::string::npos)
      << *why;
  EXPECT_THROW(l.append_receipts({batch[2]}, signer, origin), std::runtime_error);
  const auto after = l.latest_checkpoint(origin);
  EXPECT_EQ(after.note, signed_before.note);
  EXPECT_EQ(l.log_leaf_hashes(origin).size(), 2u);
}
