// The ledger: one SQLite file (WAL) holding ingested usage records.
//
// Ingestion is idempotent and crash-safe: each ingest run is one transaction
// (a kill -9 leaves the ledger as it was, and the next run completes it), a
// record is stored once however often it is ingested (keyed by the SHA-256 of
// its signed bytes), and two different records that claim the same identity
// (cluster, job, step, run, node) are both kept and flagged as a conflict.
// Two ingest runs at once serialise on SQLite's write lock (busy timeout).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
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

struct ForkEvidence {
  std::string origin, seen_note, new_note, reason;
  std::int64_t found_at = 0;
};

// A receipt of a replicated job made checkable by anyone: the node-signed
// record it was issued for and its job salt (job_ref = SHA-256 of the salted
// identity), published by the receipt's provider. What it means and how it
// is checked is the books' (basin/books/replica_evidence.hpp).
struct ReplicaEvidence {
  std::uint64_t leaf = 0;  // the receipt's leaf in its provider's log
  std::array<std::uint8_t, 32> salt{};
  std::vector<std::uint8_t> signed_record;
};

struct SettledPeriod {
  std::string period;            // YYYY-MM
  std::string statement_sha256;  // hex
  std::int64_t settled_at = 0;
};

// How a ledger file is opened: `create` makes it when missing (the commands
// that add to a ledger: ingest, import, budget grant); `existing` refuses a path with
// no file (every other command), so a typo is an error and never a new,
// empty ledger.
enum class OpenMode { create, existing };

// A stored record's signed bytes, as the ledger holds them, for re-checking
// against the node keys (books::recheck_records).
struct SignedRow {
  std::int64_t id = 0;
  std::string identity;       // the indexed column
  tlog::Hash content_hash{};  // the stored key: SHA-256 of `bytes` at ingest
  std::vector<std::uint8_t> bytes;
};

// One leaf of a receipt log with whether a receipt row indexes it.
struct LogLeaf {
  std::uint64_t index = 0;
  std::vector<std::uint8_t> data;
  bool indexed = false;
};

class Ledger {
 public:
  // Opens the ledger file (creating it only with OpenMode::create) and
  // migrates it to the current schema version. Throws naming the path when
  // `existing` finds no file.
  Ledger(const std::string& path, OpenMode mode);
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
  // `earlier`: the site's previous checkpoint keys (see log_problem).
  AppendReport append_receipts(const std::vector<NewReceipt>& receipts,
                               const tlog::NoteSigner& signer, const std::string& origin,
                               std::span<const tlog::NoteVerifier> earlier = {});

  std::vector<StoredReceipt> receipts() const;  // by log, in log order
  // The receipts of period `period` (YYYY-MM), or of every period up to it
  // with `earlier_too`, by log in log order: what one month's books read
  // without loading the ledger's whole history.
  std::vector<StoredReceipt> receipts_of_period(const std::string& period, bool earlier_too) const;
  // Every receipt's index entry without its bytes (`bytes` empty), by log in
  // log order: which record has a receipt, charged to which account.
  std::vector<StoredReceipt> receipt_index() const;
  std::vector<std::string> log_origins() const;
  std::vector<tlog::Hash> log_leaf_hashes(const std::string& origin) const;
  // The log's newest checkpoint; size 0 and the empty root when none.
  StoredCheckpoint latest_checkpoint(const std::string& origin) const;

  // Integrity (integrity.cpp).
  std::vector<SignedRow> signed_rows() const;                        // every record, by id
  std::vector<LogLeaf> log_leaves(const std::string& origin) const;  // in log order
  // Why the stored log `origin` does not extend its newest checkpoint (whose
  // note must verify with `verifier`), or nullopt when it does: the log must
  // hold at least the checkpoint's leaves, each leaf's data must hash to its
  // stored hash, and the first N leaves must have the signed root. A log with
  // leaves but no checkpoint does not extend anything. After a key rotation
  // the newest checkpoint may carry one of the site's `earlier` keys instead.
  std::optional<std::string> log_problem(const std::string& origin,
                                         const tlog::NoteVerifier& verifier,
                                         std::span<const tlog::NoteVerifier> earlier = {}) const;
  // Re-links an existing, unindexed leaf to the record it was issued for (the
  // receipt row was lost); the leaf itself is not touched.
  void restore_receipt_row(const NewReceipt& receipt, const std::string& origin,
                           std::uint64_t leaf_index);

  // Budgets (budgets.cpp). Grants are appended, never edited.
  void grant_budget(const BudgetGrant& grant);
  std::vector<BudgetGrant> budget_grants() const;  // in the order granted
  // Marks `period` settled by the statement whose JSON hashes to `sha256_hex`
  // (a later settlement of the same period replaces the hash).
  void record_settlement(const std::string& period, const std::string& sha256_hex);
  std::vector<SettledPeriod> settled_periods() const;  // by period

  // The exchange between sites (log_mirror.cpp).
  // The checkpoint of `origin` at tree size `size`, if one was stored.
  std::optional<StoredCheckpoint> checkpoint_at(const std::string& origin,
                                                std::uint64_t size) const;
  // Leaf data [from, to) of a log, in order.
  std::vector<std::vector<std::uint8_t>> log_leaves(const std::string& origin, std::uint64_t from,
                                                    std::uint64_t to) const;
  // Appends another site's leaves from index `first` (the log's current
  // size) and stores its checkpoint, in one transaction. Throws if `first` is
  // not the mirror's size (the mirror changed since it was read).
  void mirror_append(const std::string& origin, std::uint64_t first,
                     const std::vector<std::vector<std::uint8_t>>& leaves,
                     const StoredCheckpoint& checkpoint);
  // A witness's cosignature line on the checkpoint of `origin` at `size`
  // (one per witness; a second is ignored).
  void add_cosignature(const std::string& origin, std::uint64_t size, const std::string& witness,
                       const std::string& line);
  std::vector<std::string> cosignatures(const std::string& origin, std::uint64_t size) const;
  void record_fork(const ForkEvidence& fork);
  std::vector<ForkEvidence> forks() const;
  // A provider's signed opening of (provider, consumer) for `period`; a
  // newer one replaces it (the provider revised it before settlement).
  void store_opening(const std::string& period, const std::string& provider,
                     const std::string& consumer, const std::string& note);
  std::vector<std::string> openings(const std::string& period) const;  // by provider, consumer
  std::vector<std::string> opened_periods() const;  // periods with openings, ascending
  // Replica evidence of log `origin` (a leaf's first evidence is kept).
  void store_evidence(const std::string& origin, std::span<const ReplicaEvidence> evidence);
  // Every log's, by origin then leaf.
  std::vector<std::pair<std::string, ReplicaEvidence>> replica_evidence() const;
  // The tree size of this site's last export of `origin` (0 if none).
  std::uint64_t last_export(const std::string& origin) const;
  void record_export(const std::string& origin, std::uint64_t size);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace basin::ledger
