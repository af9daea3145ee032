#include "basin/ledger/ledger.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <string>

#include "basin/records/durable_file.hpp"
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

std::string to_hex(std::span<const std::uint8_t> b) {
  std::string s(b.size() * 2 + 1, '\0');
  sodium_bin2hex(s.data(), s.size(), b.data(), b.size());
  s.pop_back();
  return s;
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
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  impl_->db.exec("PRAGMA journal_mode=WAL");
  impl_->db.exec("PRAGMA synchronous=FULL");
  migrate(impl_->db);
}

Ledger::~Ledger() = default;

int Ledger::schema_version() const {
  return current_version(impl_->db);
}

IngestReport Ledger::ingest(const std::vector<std::string>& paths, const records::KeyRing& keys) {
  IngestReport report;
  auto& db = impl_->db;
  Transaction tx(db);
  Stmt insert(db,
              "INSERT OR IGNORE INTO records (content_hash, identity, cluster, job_id, step, "
              "restart_count, node, site, account, submit_time, end_time, cpu_us, signed_record, "
              "source, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  Stmt others(db, "SELECT COUNT(*) FROM records WHERE identity = ? AND content_hash != ?");
  Stmt flag(db, "UPDATE records SET conflict = 1 WHERE identity = ?");
  const std::int64_t now = std::time(nullptr);
  std::map<std::string, std::string> added_now;  // content hash -> first file
  for (const auto& path : records::list_record_files(paths)) {
    std::vector<std::uint8_t> bytes;
    records::UsageRecord r;
    try {
      bytes = records::read_file(path, records::kMaxRecordFile);
      r = records::verify_signed_record(bytes, keys);
    } catch (const std::exception& e) {
      report.rejected.push_back({path, e.what()});
      continue;
    }
    std::uint8_t hash[32];
    crypto_hash_sha256(hash, bytes.data(), bytes.size());
    const auto id = records::identity(r);
    insert.reset();
    insert.bind_blob(1, hash)
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
        .bind(15, now);
    insert.step();
    const std::string key(reinterpret_cast<const char*>(hash), sizeof hash);
    if (sqlite3_changes(db.get()) == 0) {
      ++report.duplicate;
      // A second file of this run with the same bytes: a copied spool file.
      if (const auto first = added_now.find(key); first != added_now.end())
        report.copies.push_back({path, first->second, id});
      continue;
    }
    added_now.emplace(key, path);
    ++report.added;
    others.reset();
    others.bind(1, id).bind_blob(2, hash);
    others.step();
    if (others.col_int(0) > 0) {
      ++report.conflicts;
      flag.reset();
      flag.bind(1, id).step();
    }
  }
  tx.commit();
  return report;
}

std::vector<StoredRecord> Ledger::records(bool conflicts_only) const {
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
    s.content_hash = to_hex(q.col_blob(2));
    s.conflict = q.col_int(3) != 0;
    s.record = records::parse_signed_record(q.col_blob(4));
    out.push_back(std::move(s));
  }
  return out;
}

std::size_t Ledger::record_count() const {
  Stmt q(impl_->db, "SELECT COUNT(*) FROM records");
  q.step();
  return static_cast<std::size_t>(q.col_int(0));
}

}  // namespace basin::ledger
