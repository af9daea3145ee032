#include "basin/books/period_items.hpp"

#include <tbb/parallel_for.h>

#include <map>

#include "basin/books/charging.hpp"
#include "basin/books/replica_evidence.hpp"
#include "basin/tlog/merkle.hpp"

namespace basin::books {

std::vector<settlement::Item> period_items(const ledger::Ledger& ledger,
                                           const federation::Pool& pool, const std::string& period,
                                           const std::set<std::string>& sites_with_records,
                                           const CheckedRecords& checked,
                                           const CheckedEvidence* foreign) {
  const auto& records = checked.records;
  std::set<std::int64_t> tampered;
  for (const auto& t : checked.tampered) tampered.insert(t.record_id);
  std::map<std::int64_t, const ledger::StoredRecord*> by_id;
  for (const auto& s : records) by_id[s.id] = &s;
  std::map<std::string, std::string> home;
  for (const auto& acct : pool.accounts) home[acct.name] = acct.home_site;

  // Which record has a receipt (and its account): the whole index, without
  // bytes; the bytes only of the receipts this period's statement reads.
  const auto index = ledger.receipt_index();
  auto entries = entries_of(records, index);
  if (foreign) {
    // Records this ledger holds itself (a shared ledger) are not doubled.
    std::set<std::string> local;
    for (const auto& s : records) local.insert(s.identity);
    for (std::size_t i = 0; i < foreign->records.size(); ++i)
      if (!local.count(foreign->records[i].identity))
        entries.push_back({&foreign->records[i], foreign->accounts[i], true});
  }
  // With a minimum pair size, earlier periods' receipts may be carried in.
  const bool carry = pool.min_pair_receipts > 1;
  const auto stored = ledger.receipts_of_period(period, carry);
  const auto decisions = decide_charges(entries, replica_policy_of(pool));
  std::map<std::int64_t, const Decision*> decision_of;
  for (std::size_t i = 0; i < records.size(); ++i) decision_of[records[i].id] = &decisions[i];
  std::vector<settlement::Item> items(stored.size());
  tbb::parallel_for(std::size_t{0}, stored.size(), [&](std::size_t k) {
    const auto& s = stored[k];
    auto& it = items[k];
    it.log = s.origin;
    it.leaf = s.leaf_index;
    it.record = s.identity;
    try {
      if (tlog::leaf_hash(s.bytes) != s.leaf_hash)
        throw std::runtime_error("its bytes are not the log's leaf (altered after it was logged)");
      it.receipt = receipts::decode(s.bytes);
      if (it.receipt.account != s.account || it.receipt.provider_site != s.provider_site)
        throw std::runtime_error("its fields differ from the ledger's index of it");
    } catch (const std::exception& e) {
      it.problem = e.what();
      it.receipt.period = s.period;  // the index's: it places the failure in its period
      return;
    }
    // A receipt stands for its record: one whose signed bytes were edited
    // decides nothing, so the receipt is excluded by name, never counted.
    if (tampered.count(s.record_id)) {
      it.problem = "its record fails its signature check (record_tampered); not counted";
      return;
    }
    if (auto h = home.find(it.receipt.account); h != home.end()) it.consumer_site = h->second;
    if (auto d = decision_of.find(s.record_id); d != decision_of.end()) {
      if (d->second->charged)
        it.flag = d->second->note;
      else
        it.not_charged = d->second->note;
    }
    if (auto r = by_id.find(s.record_id);
        r != by_id.end() && sites_with_records.count(r->second->record.site))
      it.quantities = receipts::quantities_of(r->second->record);
  });
  return settlement::with_carry(std::move(items), period, pool.min_pair_receipts);
}

}  // namespace basin::books
