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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "basin/records/signing.hpp"
#include "basin/tlog/merkle.hpp"
#include "basin/tlog/signed_note.hpp"

namespace basin::ledger {

struct IngestReport {
  std::size_t added = 0;      // new records stored
  std::size_t duplicate = 0;  // already in the ledger, byte for byte
  std::size_t conflicts = 0;  // stored, but another record claims its identity
  struct Bad {
    std::string path, reason;
  };
  std::vector<Bad> rejected;  // not stored: unreadable, malformed or badly signed
  struct Copy {
    std::string path, first, identity;
  };
  // Files of this run holding the same bytes as an earlier file of the run
  // (a copied record): stored once, named so a person can look.
  std::vector<Copy> copies;
  struct Quarantined {
    std::string path, identity, reason;  // identity printable (records::printable)
  };
  // Validly signed records whose figures or strings are impossible: stored
  // in the quarantine (nothing is lost), never issued or charged.
  std::vector<Quarantined> quarantined;
};

// Why a validly signed record must be set aside rather than stored for
// issue, or nothing (see records::check_record_bounds).
using RecordCheck = std::function<std::optional<std::string>(const records::UsageRecord&)>;

// A stored record that cannot be read: its row is named and skipped, so one
// damaged row never stops a verb for the others.
struct RecordProblem {
  std::int64_t id = 0;
  std::string identity;  // as stored, printable
  std::string reason;
};

// A record in the quarantine, with why it was set aside.
struct QuarantinedRecord {
  std::int64_t id = 0;
  std::string identity;  // printable
  std::string reason;
  std::string source;        // the file it was ingested from
  std::string content_hash;  // hex
  std::int64_t quarantined_at = 0;
};

struct StoredRecord {
  std::int64_t id = 0;
  std::string identity;
  std::string content_hash;  // hex
  bool conflict = false;
  records::UsageRecord record;
};

// A receipt to append (its encoding is opaque to the ledger).
struct NewReceipt {
  std::int64_t record_id = 0;
  std::string provider_site, account, period;
  std::vector<std::uint8_t> bytes;
};

struct StoredReceipt {
  std::int64_t record_id = 0;
  std::string origin;    // the log it is a leaf of
  std::string identity;  // of the record it was issued for
  std::string provider_site, account, period;
  std::uint64_t leaf_index = 0;
  tlog::Hash leaf_hash{};  // as stored (an auditor recomputes it from bytes)
  std::vector<std::uint8_t> bytes;
};

struct StoredCheckpoint {
  std::uint64_t size = 0;
  tlog::Hash root{};
  std::string note;  // signed note text
};

struct AppendReport {
  std::size_t appended = 0;
  std::size_t already = 0;  // another run issued these records' receipts first
  StoredCheckpoint checkpoint;
};

// Credits granted to an account (micro-credits; negative corrects a grant).
struct BudgetGrant {
  std::string account;
  std::int64_t micro_credits = 0;
  std::string note;
  std::int64_t granted_at = 0;  // Unix seconds
};

struct SettledPeriod {
  std::string period;            // YYYY-MM
  std::string statement_sha256;  // hex
  std::int64_t settled_at = 0;
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
  // *.basinrec files), all in one transaction. A validly signed record that
  // `check` refuses goes to the quarantine with the reason instead.
  IngestReport ingest(const std::vector<std::string>& paths, const records::KeyRing& keys,
                      const RecordCheck& check = {});

  // The stored records. A row whose bytes do not hash to its content_hash,
  // do not decode, or decode to another identity is left out and, with
  // `set_aside`, named there.
  std::vector<StoredRecord> records(bool conflicts_only = false,
                                    std::vector<RecordProblem>* set_aside = nullptr) const;
  std::size_t record_count() const;

  // Records that have no receipt yet, conflicts excluded (a conflict is
  // settled by people first); unreadable rows as in records().
  std::vector<StoredRecord> records_without_receipt(
      std::vector<RecordProblem>* set_aside = nullptr) const;

  std::vector<QuarantinedRecord> quarantined() const;  // in the order set aside

  // In one transaction: appends each receipt as the next leaf of the RFC
  // 6962 log `origin` (leaf data = the receipt's bytes; one log per provider
  // site), skipping records that already have one, and stores a checkpoint of
  // the grown tree signed by `signer`. A crash leaves the ledger as it was.
  AppendReport append_receipts(const std::vector<NewReceipt>& receipts,
                               const tlog::NoteSigner& signer, const std::string& origin);

  std::vector<StoredReceipt> receipts() const;  // by log, in log order
  std::vector<std::string> log_origins() const;
  std::vector<tlog::Hash> log_leaf_hashes(const std::string& origin) const;
  // The log's newest checkpoint; size 0 and the empty root when none.
  StoredCheckpoint latest_checkpoint(const std::string& origin) const;

  // Budgets (budgets.cpp). Grants are appended, never edited.
  void grant_budget(const BudgetGrant& grant);
  std::vector<BudgetGrant> budget_grants() const;  // in the order granted
  // Marks `period` settled by the statement whose JSON hashes to `sha256_hex`
  // (a later settlement of the same period replaces the hash).
  void record_settlement(const std::string& period, const std::string& sha256_hex);
  std::vector<SettledPeriod> settled_periods() const;  // by period

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace basin::ledger
