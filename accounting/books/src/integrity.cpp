#include "basin/books/integrity.hpp"

#include <sodium.h>
#include <tbb/parallel_for.h>

#include <map>
#include <optional>
#include <set>

#include "basin/crypto/ed25519.hpp"

namespace basin::books {

records::KeyRing node_keys_of(const federation::Pool& pool) {
  records::KeyRing keys;
  for (const auto& n : pool.nodes) keys.add(n.name, receipts::parse_ed25519_hex(n.public_key));
  return keys;
}

std::vector<Tampered> recheck_records(std::span<const ledger::SignedRow> rows,
                                      const records::KeyRing& keys) {
  // A month of a busy pool is 10^5 records, re-checked by every command:
  // parsed on every core, their signatures checked in one batch
  // (crypto::ed25519_verify_batch, the cofactored rule: every signature
  // ingest accepted with libsodium's passes it; an edited row fails both).
  std::vector<std::string> why(rows.size());
  std::vector<std::optional<records::SignatureClaim>> claims(rows.size());
  tbb::parallel_for(std::size_t{0}, rows.size(), [&](std::size_t i) {
    const auto& row = rows[i];
    tlog::Hash h{};
    crypto_hash_sha256(h.data(), row.bytes.data(), row.bytes.size());
    if (h != row.content_hash) {
      why[i] = "its signed bytes are not the ones it was stored under (edited in the database)";
      return;
    }
    try {
      claims[i] = records::signature_claim(row.bytes, keys);
    } catch (const std::exception& e) {
      why[i] = std::string("its signature does not verify with its node's key in pool.toml: ") +
               e.what();
    }
  });
  std::vector<crypto::Ed25519Check> checks;
  std::vector<std::size_t> row_of;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!claims[i]) continue;
    checks.push_back({claims[i]->signature, claims[i]->message, claims[i]->key});
    row_of.push_back(i);
  }
  std::vector<char> unsigned_row(rows.size(), 0);
  for (auto k : crypto::ed25519_verify_batch(checks)) unsigned_row[row_of[k]] = 1;
  std::vector<Tampered> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (claims[i]) {
      if (unsigned_row[i])
        why[i] = "its signature does not verify with its node's key in pool.toml: " +
                 records::bad_signature_reason(claims[i]->record);
      else if (const auto id = records::identity(claims[i]->record); id != rows[i].identity)
        why[i] = "it is indexed as " + rows[i].identity + " but signed as " + id;
    }
    if (!why[i].empty()) out.push_back({rows[i].id, rows[i].identity, why[i]});
  }
  return out;
}

CheckedRecords checked_records(const ledger::Ledger& ledger, const records::KeyRing& keys) {
  CheckedRecords out;
  out.tampered = recheck_records(ledger.signed_rows(), keys);
  std::set<std::int64_t> bad;
  for (const auto& t : out.tampered) bad.insert(t.record_id);
  // records() also leaves out rows it cannot use (e.g. a string a newer
  // ingest would quarantine): name those the re-check did not.
  std::vector<ledger::RecordProblem> unreadable;
  for (auto& r : ledger.records(false, &unreadable))
    if (!bad.count(r.id)) out.records.push_back(std::move(r));
  for (auto& p : unreadable)
    if (!bad.count(p.id))
      out.tampered.push_back({p.id, std::move(p.identity), std::move(p.reason)});
  return out;
}

std::vector<ConflictFinding> conflicts_with_receipts(
    std::span<const ledger::StoredRecord> records,
    std::span<const ledger::StoredReceipt> receipts) {
  std::map<std::string, const ledger::StoredReceipt*> by_identity;
  std::set<std::int64_t> receipted;
  for (const auto& r : receipts) {
    by_identity[r.identity] = &r;
    receipted.insert(r.record_id);
  }
  std::vector<ConflictFinding> out;
  for (const auto& s : records) {
    if (!s.conflict || receipted.count(s.id)) continue;
    if (const auto it = by_identity.find(s.identity); it != by_identity.end())
      out.push_back({&s, it->second});
  }
  return out;
}

LogMatch match_log(std::span<const ledger::LogLeaf> leaves,
                   std::span<const ledger::StoredRecord* const> pending,
                   const receipts::BlindingKey& blinding, const receipts::Trust& trust) {
  LogMatch out;
  std::map<crypto::Bytes32, std::size_t> by_ref;  // job_ref -> leaf position
  // One signature check a leaf, on every issue: all of them together.
  std::vector<std::span<const std::uint8_t>> bytes;
  bytes.reserve(leaves.size());
  for (const auto& l : leaves) bytes.emplace_back(l.data);
  std::vector<receipts::Receipt> headers;
  const auto bad = receipts::check_envelopes_bytes(bytes, trust, headers);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (bad[i])
      out.problems.push_back("leaf " + std::to_string(leaves[i].index) + ": " + *bad[i]);
    else
      by_ref.emplace(headers[i].job_ref, i);
  }
  std::set<std::size_t> matched;
  for (std::size_t p = 0; p < pending.size(); ++p) {
    crypto::Bytes32 ref{};
    try {
      ref = receipts::expected_job_ref(pending[p]->identity,
                                       receipts::period_of(pending[p]->record.end_time), blinding);
    } catch (const receipts::ReceiptError&) {
      continue;  // no period (absurd end time) or no secret for it: never issued, so not in the log
    }
    const auto at = by_ref.find(ref);
    if (at == by_ref.end()) continue;
    const auto& leaf = leaves[at->second];
    out.in_log.push_back({p, leaf.index, leaf.indexed, headers[at->second]});
    matched.insert(at->second);
  }
  for (std::size_t i = 0; i < leaves.size(); ++i)
    if (!leaves[i].indexed && !matched.count(i)) out.orphans.push_back(leaves[i].index);
  return out;
}

}  // namespace basin::books
