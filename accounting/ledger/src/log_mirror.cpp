// The exchange between sites in the ledger: other sites' logs mirrored leaf
// by leaf, witness cosignatures, fork evidence and this site's exports.
#include <algorithm>
#include <ctime>

#include "basin/ledger/ledger.hpp"
#include "ledger_impl.hpp"

namespace basin::ledger {

using detail::Stmt;
using detail::Transaction;

namespace {
std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}
}  // namespace

std::optional<StoredCheckpoint> Ledger::checkpoint_at(const std::string& origin,
                                                      std::uint64_t size) const {
  Stmt q(impl_->db, "SELECT root, note FROM checkpoints WHERE origin = ? AND tree_size = ?");
  q.bind(1, origin).bind(2, static_cast<std::int64_t>(size));
  if (!q.step()) return std::nullopt;
  StoredCheckpoint c;
  c.size = size;
  const auto root = q.col_blob(0);
  if (root.size() != c.root.size())
    throw std::runtime_error("ledger: stored root has a bad length");
  std::copy(root.begin(), root.end(), c.root.begin());
  c.note = q.col_text(1);
  return c;
}

std::vector<std::vector<std::uint8_t>> Ledger::log_leaves(const std::string& origin,
                                                          std::uint64_t from,
                                                          std::uint64_t to) const {
  Stmt q(impl_->db,
         "SELECT leaf_index, data FROM log_leaves WHERE origin = ? AND leaf_index >= ? AND "
         "leaf_index < ? ORDER BY leaf_index");
  q.bind(1, origin).bind(2, static_cast<std::int64_t>(from)).bind(3, static_cast<std::int64_t>(to));
  std::vector<std::vector<std::uint8_t>> out;
  while (q.step()) {
    if (static_cast<std::uint64_t>(q.col_int(0)) != from + out.size())
      throw std::runtime_error("ledger: log " + origin + " has no leaf " +
                               std::to_string(from + out.size()));
    const auto d = q.col_blob(1);
    out.emplace_back(d.begin(), d.end());
  }
  if (out.size() != to - from)
    throw std::runtime_error("ledger: log " + origin + " ends at leaf " +
                             std::to_string(from + out.size()) + ", not " + std::to_string(to));
  return out;
}

void Ledger::mirror_append(const std::string& origin, std::uint64_t first,
                           const std::vector<std::vector<std::uint8_t>>& leaves,
                           const StoredCheckpoint& checkpoint) {
  auto& db = impl_->db;
  Transaction tx(db);
  Stmt size_q(db, "SELECT COUNT(*) FROM log_leaves WHERE origin = ?");
  size_q.bind(1, origin);
  size_q.step();
  if (static_cast<std::uint64_t>(size_q.col_int(0)) != first)
    throw std::runtime_error("ledger: mirror of " + origin + " changed while importing; rerun");
  Stmt leaf(db, "INSERT INTO log_leaves (origin, leaf_index, leaf_hash, data) VALUES (?,?,?,?)");
  const auto hashes = tlog::leaf_hashes(leaves);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    leaf.reset();
    leaf.bind(1, origin)
        .bind(2, static_cast<std::int64_t>(first + i))
        .bind_blob(3, hashes[i])
        .bind_blob(4, leaves[i])
        .step();
  }
  Stmt cp(db,
          "INSERT OR REPLACE INTO checkpoints (origin, tree_size, root, note, created_at) "
          "VALUES (?,?,?,?,?)");
  cp.bind(1, origin)
      .bind(2, static_cast<std::int64_t>(checkpoint.size))
      .bind_blob(3, checkpoint.root)
      .bind(4, checkpoint.note)
      .bind(5, now())
      .step();
  tx.commit();
}

void Ledger::add_cosignature(const std::string& origin, std::uint64_t size,
                             const std::string& witness, const std::string& line) {
  Transaction tx(impl_->db);
  Stmt ins(impl_->db,
           "INSERT OR IGNORE INTO cosignatures (origin, tree_size, witness, line, added_at) "
           "VALUES (?,?,?,?,?)");
  ins.bind(1, origin)
      .bind(2, static_cast<std::int64_t>(size))
      .bind(3, witness)
      .bind(4, line)
      .bind(5, now())
      .step();
  tx.commit();
}

std::vector<std::string> Ledger::cosignatures(const std::string& origin, std::uint64_t size) const {
  Stmt q(impl_->db,
         "SELECT line FROM cosignatures WHERE origin = ? AND tree_size = ? ORDER BY witness");
  q.bind(1, origin).bind(2, static_cast<std::int64_t>(size));
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.col_text(0));
  return out;
}

void Ledger::record_fork(const ForkEvidence& f) {
  Transaction tx(impl_->db);
  Stmt ins(impl_->db,
           "INSERT INTO forks (origin, seen_note, new_note, reason, found_at) VALUES (?,?,?,?,?)");
  ins.bind(1, f.origin)
      .bind(2, f.seen_note)
      .bind(3, f.new_note)
      .bind(4, f.reason)
      .bind(5, f.found_at != 0 ? f.found_at : now())
      .step();
  tx.commit();
}

std::vector<ForkEvidence> Ledger::forks() const {
  Stmt q(impl_->db, "SELECT origin, seen_note, new_note, reason, found_at FROM forks ORDER BY id");
  std::vector<ForkEvidence> out;
  while (q.step())
    out.push_back({q.col_text(0), q.col_text(1), q.col_text(2), q.col_text(3), q.col_int(4)});
  return out;
}

void Ledger::store_opening(const std::string& period, const std::string& provider,
                           const std::string& consumer, const std::string& note) {
  Transaction tx(impl_->db);
  Stmt ins(impl_->db,
           "INSERT OR REPLACE INTO pair_openings (period, provider, consumer, note, added_at) "
           "VALUES (?,?,?,?,?)");
  ins.bind(1, period).bind(2, provider).bind(3, consumer).bind(4, note).bind(5, now()).step();
  tx.commit();
}

std::vector<std::string> Ledger::openings(const std::string& period) const {
  Stmt q(impl_->db, "SELECT note FROM pair_openings WHERE period = ? ORDER BY provider, consumer");
  q.bind(1, period);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.col_text(0));
  return out;
}

std::vector<std::string> Ledger::opened_periods() const {
  Stmt q(impl_->db, "SELECT DISTINCT period FROM pair_openings ORDER BY period");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.col_text(0));
  return out;
}

void Ledger::store_evidence(const std::string& origin, std::span<const ReplicaEvidence> evidence) {
  Transaction tx(impl_->db);
  Stmt ins(impl_->db,
           "INSERT OR IGNORE INTO replica_evidence (origin, leaf_index, salt, signed_record, "
           "added_at) VALUES (?,?,?,?,?)");
  for (const auto& e : evidence) {
    ins.bind(1, origin)
        .bind(2, static_cast<std::int64_t>(e.leaf))
        .bind_blob(3, e.salt)
        .bind_blob(4, e.signed_record)
        .bind(5, now())
        .step();
    ins.reset();
  }
  tx.commit();
}

std::vector<std::pair<std::string, ReplicaEvidence>> Ledger::replica_evidence() const {
  Stmt q(impl_->db,
         "SELECT origin, leaf_index, salt, signed_record FROM replica_evidence "
         "ORDER BY origin, leaf_index");
  std::vector<std::pair<std::string, ReplicaEvidence>> out;
  while (q.step()) {
    ReplicaEvidence e;
    e.leaf = static_cast<std::uint64_t>(q.col_int(1));
    const auto salt = q.col_blob(2);
    if (salt.size() != e.salt.size())
      throw std::runtime_error("ledger: stored replica evidence has a salt of " +
                               std::to_string(salt.size()) + " bytes");
    std::copy(salt.begin(), salt.end(), e.salt.begin());
    const auto rec = q.col_blob(3);
    e.signed_record.assign(rec.begin(), rec.end());
    out.emplace_back(q.col_text(0), std::move(e));
  }
  return out;
}

std::uint64_t Ledger::last_export(const std::string& origin) const {
  Stmt q(impl_->db, "SELECT COALESCE(MAX(tree_size), 0) FROM bundle_exports WHERE origin = ?");
  q.bind(1, origin);
  q.step();
  return static_cast<std::uint64_t>(q.col_int(0));
}

void Ledger::record_export(const std::string& origin, std::uint64_t size) {
  Transaction tx(impl_->db);
  Stmt ins(impl_->db, "INSERT INTO bundle_exports (origin, tree_size, exported_at) VALUES (?,?,?)");
  ins.bind(1, origin).bind(2, static_cast<std::int64_t>(size)).bind(3, now()).step();
  tx.commit();
}

}  // namespace basin::ledger
