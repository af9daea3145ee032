#include "basin/books/replica_evidence.hpp"

#include <sodium.h>

#include <algorithm>
#include <set>

#include "basin/books/exchange.hpp"
#include "basin/records/signing.hpp"

namespace basin::books {
namespace {

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), bytes.data(), bytes.size());
  return out;
}

std::string place(const std::string& origin, std::uint64_t leaf) {
  return "log " + origin + " leaf " + std::to_string(leaf);
}

}  // namespace

std::vector<ledger::ReplicaEvidence> own_evidence(const ledger::Ledger& ledger,
                                                  const federation::Pool& pool,
                                                  const std::string& origin,
                                                  const receipts::BlindingKey& blinding,
                                                  std::uint64_t from, std::uint64_t to) {
  std::vector<ledger::ReplicaEvidence> out;
  if (from >= to) return out;
  // Most months have no replicated job: records are only parsed to find
  // out, and signatures checked only for the few that are.
  struct Candidate {
    records::UsageRecord record;
    std::vector<std::uint8_t> bytes;
  };
  std::map<std::int64_t, Candidate> replicated;
  for (auto& row : ledger.signed_rows()) {
    try {
      auto r = records::parse_signed_record(row.bytes);
      if (!r.replica_group.empty()) replicated[row.id] = {std::move(r), std::move(row.bytes)};
    } catch (const std::exception&) {
      // A row that no longer parses gives no evidence (verify names it).
    }
  }
  if (replicated.empty()) return out;
  const auto keys = node_keys_of(pool);
  for (const auto& r : ledger.receipts()) {
    if (r.origin != origin || r.leaf_index < from || r.leaf_index >= to) continue;
    const auto it = replicated.find(r.record_id);
    if (it == replicated.end()) continue;
    try {
      records::verify_signed_record(it->second.bytes, keys);
    } catch (const std::exception&) {
      continue;  // tampered: its receipt is excluded everywhere anyway
    }
    ledger::ReplicaEvidence e;
    e.leaf = r.leaf_index;
    e.salt = receipts::job_salt(records::identity(it->second.record), r.period, blinding);
    e.signed_record = it->second.bytes;
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.leaf < b.leaf; });
  return out;
}

std::optional<std::string> check_evidence(const ledger::ReplicaEvidence& e,
                                          std::span<const std::uint8_t> receipt_bytes,
                                          const federation::Pool& pool, const std::string& site,
                                          const records::KeyRing& node_keys,
                                          records::UsageRecord& record,
                                          receipts::Receipt& receipt) {
  try {
    record = records::verify_signed_record(e.signed_record, node_keys);
  } catch (const std::exception& ex) {
    return std::string("its record does not verify: ") + ex.what();
  }
  const auto node = std::find_if(pool.nodes.begin(), pool.nodes.end(),
                                 [&](const federation::Node& n) { return n.name == record.node; });
  if (node == pool.nodes.end() || node->site != site || record.site != site)
    return "its record is of node " + record.node + " (site " + record.site +
           "), not a node of site " + site + " in pool.toml";
  if (record.replica_group.empty()) return "its record names no replica group";
  try {
    receipt = receipts::decode(receipt_bytes);
  } catch (const std::exception& ex) {
    return std::string("its leaf is not a receipt: ") + ex.what();
  }
  if (receipt.provider_site != site) return "its leaf is a receipt of " + receipt.provider_site;
  if (receipts::job_reference(records::identity(record), e.salt) != receipt.job_ref)
    return "the record's identity " + records::identity(record) +
           " with this salt is not the receipt's job_ref (evidence of another receipt)";
  return std::nullopt;
}

CheckedEvidence check_all_evidence(
    const ledger::Ledger& ledger, const federation::Pool& pool,
    std::span<const std::pair<std::string, ledger::ReplicaEvidence>> evidence) {
  CheckedEvidence out;
  const auto keys = node_keys_of(pool);
  std::set<LeafKey> seen;
  std::vector<std::uint8_t> digest_input;
  for (const auto& [origin, e] : evidence) {
    const LeafKey key{origin, e.leaf};
    if (!seen.insert(key).second) continue;
    const auto* site = site_of_origin(pool, origin);
    const auto leaf = ledger.log_leaves(origin, e.leaf, e.leaf + 1);
    std::optional<std::string> why;
    records::UsageRecord record;
    receipts::Receipt receipt;
    if (!site)
      why = "no site's log in pool.toml";
    else if (leaf.size() != 1)
      why = "this site holds no such leaf";
    else
      why = check_evidence(e, leaf.front(), pool, site->name, keys, record, receipt);
    if (why) {
      out.refused.push_back(place(origin, e.leaf) + ": " + *why);
      continue;
    }
    ledger::StoredRecord s;
    s.id = static_cast<std::int64_t>(out.records.size());
    s.identity = records::identity(record);
    s.record = std::move(record);
    out.records.push_back(std::move(s));
    out.accounts.push_back(receipt.account);
    out.places.push_back(key);
    digest_input.insert(digest_input.end(), origin.begin(), origin.end());
    digest_input.push_back('\n');
    for (int b = 0; b < 8; ++b)
      digest_input.push_back(static_cast<std::uint8_t>(e.leaf >> (8 * b)));
    const auto h = sha256(e.signed_record);
    digest_input.insert(digest_input.end(), h.begin(), h.end());
  }
  out.digest = sha256(digest_input);
  return out;
}

std::map<LeafKey, Decision> judge_evidence(const CheckedEvidence& evidence,
                                           const federation::Pool& pool) {
  // Every evidenced record has a receipt: it is charged to the receipt's
  // account (Slurm's, fixed at issue), whose policy sets the quorum.
  std::vector<Entry> entries;
  entries.reserve(evidence.records.size());
  for (std::size_t i = 0; i < evidence.records.size(); ++i)
    entries.push_back({&evidence.records[i], evidence.accounts[i], true});
  auto decisions = decide_charges(entries, replica_policy_of(pool));
  // A group with fewer evidenced jobs than the replicas its records name: a
  // replica never ran, or a site did not publish one (its receipt then looks
  // unreplicated). Its charged members say so; nothing else changes.
  std::map<std::string, std::set<std::pair<std::string, std::uint32_t>>> jobs;
  std::map<std::string, unsigned> expected;
  for (const auto& s : evidence.records) {
    jobs[s.record.replica_group].insert({s.record.cluster, s.record.job_id});
    auto& e = expected[s.record.replica_group];
    e = std::max<unsigned>(e, s.record.replicas);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& group = evidence.records[i].record.replica_group;
    const auto have = jobs[group].size(), want = std::size_t{expected[group]};
    if (have < want && decisions[i].charged && decisions[i].note.empty())
      decisions[i].note = "charged, flagged: group " + group + " has the evidence of " +
                          std::to_string(have) + " of its " + std::to_string(want) +
                          " replicas (one never ran, or a site did not publish it)";
  }
  std::map<LeafKey, Decision> out;
  for (std::size_t i = 0; i < entries.size(); ++i) out[evidence.places[i]] = decisions[i];
  return out;
}

CheckedEvidence foreign_evidence(const ledger::Ledger& ledger, const federation::Pool& pool,
                                 const std::string& own_origin) {
  auto rows = ledger.replica_evidence();
  std::erase_if(rows, [&](const auto& r) { return r.first == own_origin; });
  return check_all_evidence(ledger, pool, rows);
}

}  // namespace basin::books
