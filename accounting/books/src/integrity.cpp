#include "basin/books/integrity.hpp"

#include <sodium.h>
#include <tbb/parallel_for.h>

#include <map>
#include <optional>
#include <set>

namespace basin::books {

records::KeyRing node_keys_of(const federation::Pool& pool) {
  records::KeyRing keys;
  for (const auto& n : pool.nodes) keys.add(n.name, receipts::parse_ed25519_hex(n.public_key));
  return keys;
}

namespace {

std::string why_bad(const ledger::SignedRow& row, const records::KeyRing& keys) {
  tlog::Hash h{};
  crypto_hash_sha256(h.data(), row.bytes.data(), row.bytes.size());
  if (h != row.content_hash)
    return "its signed bytes are not the ones it was stored under (edited in the database)";
  try {
    const auto r = records::verify_signed_record(row.bytes, keys);
    if (records::identity(r) != row.identity)
      return "it is indexed as " + row.identity + " but signed as " + records::identity(r);
  } catch (const std::exception& e) {
    return std::string("its signature does not verify with its node's key in pool.toml: ") +
           e.what();
  }
  return {};
}

}  // namespace

std::vector<Tampered> recheck_records(std::span<const ledger::SignedRow> rows,
                                      const records::KeyRing& keys) {
  // One Ed25519 verification a record, on every command: spread over the
  // cores (a month of a busy pool is 10^5 records).
  std::vector<std::string> why(rows.size());
  tbb::parallel_for(std::size_t{0}, rows.size(),
                    [&](std::size_t i) { why[i] = why_bad(rows[i], keys); });
  std::vector<Tampered> out;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (!why[i].empty()) out.push_back({rows[i].id, rows[i].identity, why[i]});
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
  std::vector<receipts::Receipt> headers(leaves.size());
  std::vector<std::optional<std::string>> bad(leaves.size());
  // One signature check a leaf, on every issue: spread over the cores.
  tbb::parallel_for(std::size_t{0}, leaves.size(), [&](std::size_t i) {
    bad[i] = receipts::check_envelope_bytes(leaves[i].data, trust, headers[i]);
  });
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
