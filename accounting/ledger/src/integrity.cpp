// What the ledger offers for checking itself: the records' signed bytes as
// stored, the receipt logs' leaves, and whether a log still extends the
// checkpoint its site signed. Nothing here trusts a stored hash or index
// that it can recompute.
#include <algorithm>
#include <ctime>

#include "basin/ledger/ledger.hpp"
#include "ledger_impl.hpp"

namespace basin::ledger {

using detail::Stmt;

std::vector<SignedRow> Ledger::signed_rows() const {
  Stmt q(impl_->db, "SELECT id, identity, content_hash, signed_record FROM records ORDER BY id");
  std::vector<SignedRow> out;
  while (q.step()) {
    SignedRow r;
    r.id = q.col_int(0);
    r.identity = q.col_text(1);
    const auto hash = q.col_blob(2);
    // A hash of the wrong length stays all-zero, so it matches no bytes.
    if (hash.size() == r.content_hash.size())
      std::copy(hash.begin(), hash.end(), r.content_hash.begin());
    const auto bytes = q.col_blob(3);
    r.bytes.assign(bytes.begin(), bytes.end());
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<LogLeaf> Ledger::log_leaves(const std::string& origin) const {
  Stmt q(impl_->db,
         "SELECT l.leaf_index, l.data, EXISTS (SELECT 1 FROM receipts r WHERE r.origin = l.origin "
         "AND r.leaf_index = l.leaf_index) FROM log_leaves l WHERE l.origin = ? ORDER BY "
         "l.leaf_index");
  q.bind(1, origin);
  std::vector<LogLeaf> out;
  while (q.step()) {
    LogLeaf leaf;
    leaf.index = static_cast<std::uint64_t>(q.col_int(0));
    const auto data = q.col_blob(1);
    leaf.data.assign(data.begin(), data.end());
    leaf.indexed = q.col_int(2) != 0;
    out.push_back(std::move(leaf));
  }
  return out;
}

namespace {

std::string sizes_and_roots(std::uint64_t have, const tlog::Hash& have_root,
                            std::uint64_t signed_size, const tlog::Hash& signed_root) {
  return "the log has " + std::to_string(have) + " leaves (root " + tlog::to_hex(have_root) +
         "), its last signed checkpoint covers " + std::to_string(signed_size) + " (root " +
         tlog::to_hex(signed_root) + ")";
}

}  // namespace

std::optional<std::string> Ledger::log_problem(const std::string& origin,
                                               const tlog::NoteVerifier& verifier,
                                               std::span<const tlog::NoteVerifier> earlier) const {
  const auto leaves = log_leaves(origin);
  const auto stored = log_leaf_hashes(origin);  // throws on a gap
  std::vector<tlog::Hash> hashes;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    hashes.push_back(tlog::leaf_hash(leaves[i].data));
    if (hashes.back() != stored[i])
      return "log " + origin + ": leaf " + std::to_string(i) +
             "'s data does not hash to its stored leaf hash (altered after it was logged)";
  }
  const auto cp = latest_checkpoint(origin);
  if (cp.note.empty())
    return leaves.empty() ? std::nullopt
                          : std::optional<std::string>("log " + origin + " has " +
                                                       std::to_string(leaves.size()) +
                                                       " leaves but no signed checkpoint");
  try {
    // After a key rotation the newest checkpoint may carry an earlier key.
    std::vector<tlog::NoteVerifier> keys{verifier};
    keys.insert(keys.end(), earlier.begin(), earlier.end());
    const auto text = tlog::open_note_any(cp.note, keys);
    const auto signed_cp = tlog::parse_checkpoint(text);
    if (signed_cp.origin != origin || signed_cp.size != cp.size || signed_cp.root != cp.root)
      return "log " + origin +
             ": the newest checkpoint's signed note does not say its stored "
             "size and root";
  } catch (const std::exception& e) {
    return "log " + origin +
           ": the newest checkpoint does not verify with the site's key: " + e.what();
  }
  const auto now_root = tlog::root(hashes);
  if (hashes.size() < cp.size)
    return "log " + origin + " is shorter than what its site signed: " +
           sizes_and_roots(hashes.size(), now_root, cp.size, cp.root) + " (leaves were deleted)";
  const auto prefix = tlog::root(std::span(hashes).first(cp.size));
  if (prefix != cp.root)
    return "log " + origin + " differs from what its site signed: its first " +
           std::to_string(cp.size) + " leaves have root " + tlog::to_hex(prefix) + "; " +
           sizes_and_roots(hashes.size(), now_root, cp.size, cp.root) + " (leaves were changed)";
  return std::nullopt;
}

void Ledger::restore_receipt_row(const NewReceipt& r, const std::string& origin,
                                 std::uint64_t leaf_index) {
  Stmt ins(impl_->db,
           "INSERT INTO receipts (record_id, origin, leaf_index, provider_site, account, period, "
           "issued_at) VALUES (?,?,?,?,?,?,?)");
  ins.bind(1, r.record_id)
      .bind(2, origin)
      .bind(3, static_cast<std::int64_t>(leaf_index))
      .bind(4, r.provider_site)
      .bind(5, r.account)
      .bind(6, r.period)
      .bind(7, static_cast<std::int64_t>(std::time(nullptr)))
      .step();
}

}  // namespace basin::ledger
