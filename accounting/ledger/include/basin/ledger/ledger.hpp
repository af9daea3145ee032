// The ledger: one SQLite file (WAL) holding ingested usage records.
//
// Ingestion is idempotent and crash-safe: each ingest run is one transaction
// (a kill -9 leaves the ledger as it was, and the next run completes it), a
// record is stored once however often it is ingested (keyed by the SHA-256 of
// its signed bytes), and two different records that claim the same identity
// (cluster, job, step, run, node) are both kept and flagged as a conflict.
// Two ingest runs at once serialise on SQLite's write lock (busy timeout).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "basin/records/signing.hpp"

namespace basin::ledger {

struct IngestReport {
  std::size_t added = 0;      // new records stored
  std::size_t duplicate = 0;  // already in the ledger, byte for byte
  std::size_t conflicts = 0;  // stored, but another record claims its identity
  struct Bad {
    std::string path, reason;
  };
  std::vector<Bad> rejected;  // not stored: unreadable, malformed or badly signed
};

struct StoredRecord {
  std::int64_t id = 0;
  std::string identity;
  std::string content_hash;  // hex
  bool conflict = false;
  records::UsageRecord record;
};

class Ledger {
 public:
  // Opens (creating if needed) and migrates the ledger file to the current
  // schema version.
  explicit Ledger(const std::string& path);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  int schema_version() const;

  // Verifies and stores the record files (directories are expanded to their
  // *.basinrec files), all in one transaction.
  IngestReport ingest(const std::vector<std::string>& paths, const records::KeyRing& keys);

  std::vector<StoredRecord> records(bool conflicts_only = false) const;
  std::size_t record_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace basin::ledger
