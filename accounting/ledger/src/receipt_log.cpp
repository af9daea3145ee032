// Receipts in the ledger: each one is a leaf of the ledger's RFC 6962 log,
// and every append ends with a signed checkpoint of the grown tree.
#include <sodium.h>

#include <algorithm>
#include <ctime>

#include "basin/ledger/ledger.hpp"
#include "basin/records/record_checks.hpp"
#include "ledger_impl.hpp"

namespace basin::ledger {

using detail::Stmt;
using detail::Transaction;

namespace {

tlog::Hash to_hash(std::span<const std::uint8_t> b) {
  tlog::Hash h{};
  if (b.size() != h.size()) throw std::runtime_error("ledger: stored hash has a bad length");
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

}  // namespace

std::vector<StoredRecord> Ledger::records_without_receipt(
    std::vector<RecordProblem>* set_aside) const {
  std::vector<StoredRecord> out;
  Stmt q(impl_->db, "SELECT 1 FROM receipts WHERE record_id = ?");
  for (auto& r : records(false, set_aside)) {
    if (r.conflict) continue;
    q.reset();
    q.bind(1, r.id);
    if (!q.step()) out.push_back(std::move(r));
  }
  return out;
}

AppendReport Ledger::append_receipts(const std::vector<NewReceipt>& receipts,
                                     const tlog::NoteSigner& signer, const std::string& origin,
                                     std::span<const tlog::NoteVerifier> earlier) {
  auto& db = impl_->db;
  AppendReport report;
  Transaction tx(db);
  // The site never signs a tree that does not extend what it signed before
  // (a fork): checked inside the transaction that appends.
  if (const auto why = log_problem(origin, signer.verifier(), earlier))
    throw std::runtime_error(*why + "; nothing appended or signed");
  Stmt has(db, "SELECT 1 FROM receipts WHERE record_id = ?");
  Stmt size_q(db, "SELECT COUNT(*) FROM log_leaves WHERE origin = ?");
  size_q.bind(1, origin);
  size_q.step();
  auto size = static_cast<std::uint64_t>(size_q.col_int(0));
  Stmt leaf(db, "INSERT INTO log_leaves (origin, leaf_index, leaf_hash, data) VALUES (?,?,?,?)");
  Stmt rec(db,
           "INSERT INTO receipts (record_id, origin, leaf_index, provider_site, account, period, "
           "issued_at) VALUES (?,?,?,?,?,?,?)");
  const std::int64_t now = std::time(nullptr);
  for (const auto& r : receipts) {
    has.reset();
    has.bind(1, r.record_id);
    if (has.step()) {
      ++report.already;
      continue;
    }
    const auto h = tlog::leaf_hash(r.bytes);
    leaf.reset();
    leaf.bind(1, origin)
        .bind(2, static_cast<std::int64_t>(size))
        .bind_blob(3, h)
        .bind_blob(4, r.bytes)
        .step();
    rec.reset();
    rec.bind(1, r.record_id)
        .bind(2, origin)
        .bind(3, static_cast<std::int64_t>(size))
        .bind(4, r.provider_site)
        .bind(5, r.account)
        .bind(6, r.period)
        .bind(7, now)
        .step();
    ++size;
    ++report.appended;
  }
  report.checkpoint = latest_checkpoint(origin);
  if (report.appended > 0 || report.checkpoint.size != size) {
    const auto hashes = log_leaf_hashes(origin);
    tlog::Checkpoint cp{origin, hashes.size(), tlog::root(hashes)};
    report.checkpoint = {cp.size, cp.root, tlog::sign_note(tlog::checkpoint_text(cp), signer)};
    Stmt ins(db,
             "INSERT OR REPLACE INTO checkpoints (origin, tree_size, root, note, created_at) "
             "VALUES (?,?,?,?,?)");
    ins.bind(1, origin)
        .bind(2, static_cast<std::int64_t>(cp.size))
        .bind_blob(3, cp.root)
        .bind(4, report.checkpoint.note)
        .bind(5, now)
        .step();
  }
  tx.commit();
  return report;
}

namespace {

// The receipts rows matching `where` (a clause on r.period, or "1"), with
// their leaf bytes when `with_bytes`.
std::vector<StoredReceipt> select_receipts(const detail::Db& db, const char* where,
                                           const std::string& period, bool with_bytes) {
  const std::string sql =
      std::string(
          "SELECT r.record_id, rec.identity, r.provider_site, r.account, r.period, "
          "l.leaf_index, l.leaf_hash, ") +
      (with_bytes ? "l.data" : "NULL") +
      ", r.origin FROM receipts r JOIN log_leaves l ON l.origin = r.origin "
      "AND l.leaf_index = r.leaf_index JOIN records rec ON rec.id = r.record_id WHERE " +
      where + " ORDER BY l.origin, l.leaf_index";
  Stmt q(db, sql.c_str());
  if (!period.empty()) q.bind(1, period);
  std::vector<StoredReceipt> out;
  while (q.step()) {
    StoredReceipt s;
    s.record_id = q.col_int(0);
    s.identity = records::printable(q.col_text(1));  // a hand-edited row's is not checked
    s.provider_site = q.col_text(2);
    s.account = q.col_text(3);
    s.period = q.col_text(4);
    s.leaf_index = static_cast<std::uint64_t>(q.col_int(5));
    s.leaf_hash = to_hash(q.col_blob(6));
    if (with_bytes) {
      const auto data = q.col_blob(7);
      s.bytes.assign(data.begin(), data.end());
    }
    s.origin = q.col_text(8);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::vector<StoredReceipt> Ledger::receipts() const {
  return select_receipts(impl_->db, "1", "", true);
}

std::vector<StoredReceipt> Ledger::receipts_of_period(const std::string& period,
                                                      bool earlier_too) const {
  return select_receipts(impl_->db, earlier_too ? "r.period <= ?" : "r.period = ?", period, true);
}

std::vector<StoredReceipt> Ledger::receipt_index() const {
  return select_receipts(impl_->db, "1", "", false);
}

std::vector<std::string> Ledger::log_origins() const {
  Stmt q(impl_->db, "SELECT DISTINCT origin FROM log_leaves ORDER BY origin");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.col_text(0));
  return out;
}

std::vector<tlog::Hash> Ledger::log_leaf_hashes(const std::string& origin) const {
  Stmt q(impl_->db,
         "SELECT leaf_index, leaf_hash FROM log_leaves WHERE origin = ? ORDER BY leaf_index");
  q.bind(1, origin);
  std::vector<tlog::Hash> out;
  while (q.step()) {
    if (static_cast<std::uint64_t>(q.col_int(0)) != out.size())
      throw std::runtime_error("ledger: the log has a gap at leaf " + std::to_string(out.size()));
    out.push_back(to_hash(q.col_blob(1)));
  }
  return out;
}

StoredCheckpoint Ledger::latest_checkpoint(const std::string& origin) const {
  Stmt q(impl_->db,
         "SELECT tree_size, root, note FROM checkpoints WHERE origin = ? ORDER BY tree_size DESC "
         "LIMIT 1");
  q.bind(1, origin);
  if (!q.step()) return {0, tlog::empty_root(), ""};
  return {static_cast<std::uint64_t>(q.col_int(0)), to_hash(q.col_blob(1)), q.col_text(2)};
}

}  // namespace basin::ledger
