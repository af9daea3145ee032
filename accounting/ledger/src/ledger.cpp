#include "basin/ledger/ledger.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <map>
#include <string>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/records/durable_file.hpp"
#include "basin/records/record_checks.hpp"
#include "ledger_impl.hpp"
#include "migrations.hpp"
#include "sqlite_handle.hpp"

namespace basin::ledger {

using detail::Db;
using detail::Stmt;
using detail::Transaction;

namespace {

int current_version(Db& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  Stmt q(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  q.step();
  return static_cast<int>(q.col_int(0));
}

void migrate(Db& db) {
  // IMMEDIATE: two processes opening a new ledger at once migrate it once.
  Transaction tx(db);
  int v = current_version(db);
  if (v > static_cast<int>(detail::kMigrations.size()))
    throw std::runtime_error("ledger schema version " + std::to_string(v) +
                             " is newer than this Basin understands (" +
                             std::to_string(detail::kMigrations.size()) + "): upgrade Basin");
  for (; v < static_cast<int>(detail::kMigrations.size()); ++v) {
    db.exec(detail::kMigrations[static_cast<std::size_t>(v)]);
    Stmt ins(db, "INSERT INTO schema_version(version) VALUES (?)");
    ins.bind(1, static_cast<std::int64_t>(v + 1)).step();
  }
  tx.commit();
}

// Only the commands that add to a ledger create one (ingest, import, budget grant): a
// mistyped path given to any other command would otherwise be a new, empty
// ledger that verifies "all good" and settles to an empty (signed) statement. Returns whether
// SQLite may create the file.
bool may_create(const std::string& path, OpenMode mode) {
  struct stat st {};
  if (mode == OpenMode::existing && ::stat(path.c_str(), &st) != 0)
    throw std::runtime_error("ledger " + path +
                             " does not exist: check the path given with --db (a ledger is "
                             "created by `basin ledger ingest`, `import` or `budget grant`)");
  return mode == OpenMode::create;
}

}  // namespace

Ledger::Ledger(const std::string& path, OpenMode mode)
    : impl_(std::make_unique<Impl>(path, may_create(path, mode))) {
  common::ensure_sodium();
  impl_->db.exec("PRAGMA journal_mode=WAL");
  impl_->db.exec("PRAGMA synchronous=FULL");
  migrate(impl_->db);
}

Ledger::~Ledger() = default;

int Ledger::schema_version() const {
  return current_version(impl_->db);
}

namespace {

using Sha256 = std::array<std::uint8_t, crypto_hash_sha256_BYTES>;

Sha256 sha256(std::span<const std::uint8_t> bytes) {
  Sha256 h{};
  crypto_hash_sha256(h.data(), bytes.data(), bytes.size());
  return h;
}

// Stores a record that failed its checks; returns false when the quarantine
// already held it (an earlier run, or a copy in this one).
bool quarantine(Db& db, const Sha256& hash, const std::string& identity, const std::string& reason,
                std::span<const std::uint8_t> bytes, const std::string& path, std::int64_t now) {
  Stmt q(db,
         "INSERT OR IGNORE INTO quarantine (content_hash, identity, reason, signed_record, source, "
         "quarantined_at) VALUES (?,?,?,?,?,?)");
  q.bind_blob(1, hash).bind(2, identity).bind(3, reason).bind_blob(4, bytes).bind(5, path);
  q.bind(6, now).step();
  return sqlite3_changes(db.get()) > 0;
}

constexpr const char* kRestore = "; restore the row from a backup of the ledger";

// Why a stored row cannot be used, or nothing; fills `out` when it can.
std::optional<std::string> read_row(std::span<const std::uint8_t> stored_hash,
                                    std::span<const std::uint8_t> bytes,
                                    const std::string& identity, records::UsageRecord& out) {
  const auto h = sha256(bytes);
  if (!std::equal(h.begin(), h.end(), stored_hash.begin(), stored_hash.end()))
    return std::string("its signed bytes do not hash to its content_hash (the row was altered)") +
           kRestore;
  try {
    out = records::parse_signed_record(bytes);
  } catch (const std::exception& e) {
    return std::string("its signed bytes do not decode: ") + e.what() + kRestore;
  }
  if (records::identity(out) != identity)
    return "it decodes to another identity (" + records::printable(records::identity(out)) + ")" +
           kRestore;
  // Ledgers from before ingest checked strings may hold a control character
  // or invalid UTF-8, which would reach terminals and break JSON statements.
  if (auto why = records::check_record_strings(out))
    return "its " + *why + " (stored before ingest checked strings; it is left out)";
  return std::nullopt;
}

// One ingest run's prepared statements and what it has seen so far.
class IngestRun {
 public:
  IngestRun(Db& db, IngestReport& report)
      : db_(db),
        report_(report),
        insert_(db,
                "INSERT OR IGNORE INTO records (content_hash, identity, cluster, job_id, step, "
                "restart_count, node, site, account, submit_time, end_time, cpu_us, "
                "signed_record, source, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
        others_(db, "SELECT COUNT(*) FROM records WHERE identity = ? AND content_hash != ?"),
        flag_(db, "UPDATE records SET conflict = 1 WHERE identity = ?"),
        stored_(db, "SELECT 1 FROM records WHERE content_hash = ?"),
        release_(db, "DELETE FROM quarantine WHERE content_hash = ?") {}

  bool stored(const Sha256& hash) {
    stored_.reset();
    stored_.bind_blob(1, hash);
    return stored_.step();
  }

  void store(const std::string& path, std::span<const std::uint8_t> bytes,
             const records::UsageRecord& r, const Sha256& hash) {
    const auto id = records::identity(r);
    insert_.reset();
    insert_.bind_blob(1, hash)
        .bind(2, id)
        .bind(3, r.cluster)
        .bind(4, static_cast<std::int64_t>(r.job_id))
        .bind(5, records::step_name(r.step_id))
        .bind(6, static_cast<std::int64_t>(r.restart_count))
        .bind(7, r.node)
        .bind(8, r.site)
        .bind(9, r.account)
        .bind(10, r.submit_time)
        .bind(11, r.end_time)
        .bind(12, static_cast<std::int64_t>(r.cpu_user_us + r.cpu_system_us))
        .bind_blob(13, bytes)
        .bind(14, path)
        .bind(15, now_);
    insert_.step();
    const std::string key(reinterpret_cast<const char*>(hash.data()), hash.size());
    if (sqlite3_changes(db_.get()) == 0) {
      ++report_.duplicate;
      // A second file of this run with the same bytes: a copied spool file.
      if (const auto first = added_now_.find(key); first != added_now_.end())
        report_.copies.push_back({path, first->second, id});
      return;
    }
    added_now_.emplace(key, path);
    ++report_.added;
    // Quarantined by an earlier run, it passed now (pool.toml was fixed):
    // it moves to the records rather than be in both tables.
    release_.reset();
    release_.bind_blob(1, hash).step();
    flag_conflict(id, hash);
  }

  void set_aside(const std::string& path, std::span<const std::uint8_t> bytes,
                 const records::UsageRecord& r, const Sha256& hash, const std::string& why) {
    const auto shown = records::printable(records::identity(r));
    quarantine(db_, hash, shown, why, bytes, path, now_);
    report_.quarantined.push_back({path, shown, why});
  }

 private:
  void flag_conflict(const std::string& id, const Sha256& hash) {
    others_.reset();
    others_.bind(1, id).bind_blob(2, hash);
    others_.step();
    if (others_.col_int(0) == 0) return;
    ++report_.conflicts;
    flag_.reset();
    flag_.bind(1, id).step();
  }

  Db& db_;
  IngestReport& report_;
  Stmt insert_, others_, flag_, stored_, release_;
  const std::int64_t now_ = std::time(nullptr);
  std::map<std::string, std::string> added_now_;  // content hash -> first file
};

}  // namespace

IngestReport Ledger::ingest(const std::vector<std::string>& paths, const records::KeyRing& keys,
                            const RecordCheck& check) {
  IngestReport report;
  Transaction tx(impl_->db);
  IngestRun run(impl_->db, report);
  for (const auto& path : records::list_record_files(paths)) {
    std::vector<std::uint8_t> bytes;
    records::UsageRecord r;
    try {
      bytes = common::read_file(path, records::kMaxRecordFile);
      r = records::verify_signed_record(bytes, keys);
    } catch (const std::exception& e) {
      report.rejected.push_back({path, e.what()});
      continue;
    }
    const auto hash = sha256(bytes);
    // Checked after the signature: the quarantine holds what a known node
    // signed, so the reason is about that node, not about a forger. A record
    // stored before these checks existed stays a record (a duplicate).
    const auto why = check && !run.stored(hash) ? check(r) : std::nullopt;
    if (why)
      run.set_aside(path, bytes, r, hash, *why);
    else
      run.store(path, bytes, r, hash);
  }
  tx.commit();
  return report;
}

std::vector<StoredRecord> Ledger::records(bool conflicts_only,
                                          std::vector<RecordProblem>* set_aside) const {
  Stmt q(impl_->db, conflicts_only
                        ? "SELECT id, identity, content_hash, conflict, signed_record FROM records "
                          "WHERE conflict = 1 ORDER BY identity, id"
                        : "SELECT id, identity, content_hash, conflict, signed_record FROM records "
                          "ORDER BY identity, id");
  std::vector<StoredRecord> out;
  while (q.step()) {
    StoredRecord s;
    s.id = q.col_int(0);
    s.identity = q.col_text(1);
    s.content_hash = common::to_hex(q.col_blob(2));
    s.conflict = q.col_int(3) != 0;
    if (auto why = read_row(q.col_blob(2), q.col_blob(4), s.identity, s.record)) {
      if (set_aside) set_aside->push_back({s.id, records::printable(s.identity), *why});
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<QuarantinedRecord> Ledger::quarantined() const {
  Stmt q(impl_->db,
         "SELECT id, identity, reason, source, content_hash, quarantined_at FROM quarantine "
         "ORDER BY id");
  std::vector<QuarantinedRecord> out;
  while (q.step())
    out.push_back({q.col_int(0), q.col_text(1), q.col_text(2), q.col_text(3),
                   common::to_hex(q.col_blob(4)), q.col_int(5)});
  return out;
}

std::size_t Ledger::record_count() const {
  Stmt q(impl_->db, "SELECT COUNT(*) FROM records");
  q.step();
  return static_cast<std::size_t>(q.col_int(0));
}

}  // namespace basin::ledger
