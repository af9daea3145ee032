// The period's receipts against Slurm's accounting (books/reconciliation.hpp).
#include "basin/books/reconciliation.hpp"

#include <tbb/parallel_for.h>

#include <ctime>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "basin/books/charging.hpp"
#include "basin/settlement/settlement.hpp"
#include "basin/tlog/merkle.hpp"

namespace basin::books {

namespace fed = basin::federation;

std::pair<std::int64_t, std::int64_t> period_bounds(const std::string& period) {
  const std::string next = receipts::next_period(period);  // validates `period`
  auto epoch = [](const std::string& p) {
    std::tm tm{};
    tm.tm_year = std::stoi(p.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(p.substr(5, 2)) - 1;
    tm.tm_mday = 1;
    return static_cast<std::int64_t>(timegm(&tm));
  };
  return {epoch(period), epoch(next)};
}

std::vector<fed::SacctRow> slurm_rows_of_period(std::vector<fed::SacctRow> rows,
                                                const std::string& period,
                                                const std::string& pool_cluster) {
  const auto [from, to] = period_bounds(period);
  std::vector<fed::SacctRow> out;
  for (auto& r : rows) {
    if (r.cluster.empty() || r.cluster == "unknown") r.cluster = pool_cluster;
    const auto when = r.end ? r.end : r.start;
    if (!when || (*when >= from && *when < to)) out.push_back(std::move(r));
  }
  return out;
}

ExpectedJobs expected_jobs(std::span<const ReceiptOfJob> receipts) {
  ExpectedJobs out;
  std::vector<settlement::StepSpan> spans;
  std::vector<const ReceiptOfJob*> counted;
  std::set<crypto::Bytes32> refs;
  for (const auto& rc : receipts) {
    if (rc.record == nullptr) {
      out.not_counted.push_back({fed::FindingKind::bad_receipt, "", 0, 0, 0, 0, 0,
                                 rc.where + ": its record fails its signature check "
                                            "(record_tampered); not counted"});
      continue;
    }
    const auto& r = *rc.record;
    if (!rc.problem.empty()) {
      out.not_counted.push_back({fed::FindingKind::bad_receipt, r.cluster, r.job_id, r.submit_time,
                                 0, 0, 0, rc.where + ": " + rc.problem + "; not counted"});
      continue;
    }
    if (!refs.insert(rc.job_ref).second) {  // a replayed receipt
      out.jobs.push_back({r.cluster, r.job_id, r.submit_time, 0, r.restart_count, 0, rc.account});
      continue;
    }
    spans.push_back(span_of(r));
    counted.push_back(&rc);
  }
  const std::vector<fed::ExpectedJob> replays = std::move(out.jobs);
  out.jobs.clear();
  // Per job: the final run's charged core-seconds.
  const auto cover = settlement::covering_steps(spans);
  std::map<std::tuple<std::string, std::uint32_t, std::int64_t>, fed::ExpectedJob> jobs;
  for (std::size_t i = 0; i < counted.size(); ++i) {
    const auto& r = *counted[i]->record;
    auto& e = jobs[{r.cluster, r.job_id, r.submit_time}];
    e.cluster = r.cluster;
    e.job = r.job_id;
    e.submit = r.submit_time;
    e.account = counted[i]->account;
    if (r.restart_count > e.restarts) {  // a later run replaces what was summed
      e.restarts = r.restart_count;
      e.core_seconds = 0;
      e.gpu_seconds = 0;
    }
    if (r.restart_count == e.restarts && !cover[i]) {
      const auto q = receipts::quantities_of(r);
      e.core_seconds += q[receipts::core_seconds];
      e.gpu_seconds += q[receipts::gpu_seconds];
    }
  }
  out.distinct_jobs = jobs.size();
  for (auto& [key, e] : jobs) out.jobs.push_back(std::move(e));
  out.jobs.insert(out.jobs.end(), replays.begin(), replays.end());
  return out;
}

void explain_quarantined(fed::ReconcileReport& report,
                         std::span<const ledger::QuarantinedRecord> quarantined) {
  for (auto& f : report.findings) {
    if (f.kind != fed::FindingKind::no_receipt || f.accounted) continue;
    const std::string prefix = f.cluster + "/" + std::to_string(f.job) + ".";
    for (const auto& q : quarantined) {
      if (q.identity.compare(0, prefix.size(), prefix) != 0) continue;
      f.accounted = true;
      f.detail += ": its records were refused at ingest, not charged (" + q.identity + ": " +
                  q.reason + ")";
      break;
    }
  }
}

PeriodReconciliation reconcile_period(const ledger::Ledger& ledger, const receipts::Trust& trust,
                                      std::span<const ledger::StoredRecord> records,
                                      const std::string& period, const std::string& pool_cluster,
                                      std::vector<fed::SacctRow> slurm_rows,
                                      const fed::ReconcileOptions& options, bool verify_proofs) {
  const auto rows = slurm_rows_of_period(std::move(slurm_rows), period, pool_cluster);
  std::map<std::int64_t, const ledger::StoredRecord*> by_id;
  for (const auto& s : records) by_id[s.id] = &s;
  std::vector<ledger::StoredReceipt> stored;
  for (auto& s : ledger.receipts())
    if (s.period == period) stored.push_back(std::move(s));

  // By default the site's signature over every byte (proofs included) and
  // the log leaf say each receipt is the site's, unaltered; the proofs are
  // `verify`'s and `settle`'s to check. verify_proofs also verifies them.
  std::vector<receipts::Receipt> decoded(stored.size());
  std::vector<std::string> problem(stored.size());
  tbb::parallel_for(std::size_t{0}, stored.size(), [&](std::size_t k) {
    try {
      if (tlog::leaf_hash(stored[k].bytes) != stored[k].leaf_hash)
        throw std::runtime_error("its bytes are not the log's leaf (altered after it was logged)");
      if (verify_proofs) decoded[k] = receipts::decode(stored[k].bytes);
    } catch (const std::exception& e) {
      problem[k] = e.what();
    }
  });
  if (!verify_proofs) {
    // The signatures of the receipts whose leaf holds, together.
    std::vector<std::span<const std::uint8_t>> bytes;
    std::vector<std::size_t> where;
    for (std::size_t k = 0; k < stored.size(); ++k)
      if (problem[k].empty()) {
        bytes.emplace_back(stored[k].bytes);
        where.push_back(k);
      }
    std::vector<receipts::Receipt> headers;
    const auto why = receipts::check_envelopes_bytes(bytes, trust, headers);
    for (std::size_t j = 0; j < where.size(); ++j) {
      if (why[j]) problem[where[j]] = *why[j];
      decoded[where[j]] = std::move(headers[j]);
    }
  }
  if (verify_proofs) {
    std::vector<receipts::Receipt> good;
    std::vector<std::size_t> where;
    for (std::size_t k = 0; k < stored.size(); ++k)
      if (problem[k].empty()) {
        good.push_back(decoded[k]);
        where.push_back(k);
      }
    for (const auto& f : receipts::verify_batch(good, trust)) problem[where[f.index]] = f.reason;
  }

  std::vector<ReceiptOfJob> of_jobs(stored.size());
  for (std::size_t k = 0; k < stored.size(); ++k) {
    const auto it = by_id.find(stored[k].record_id);
    auto& o = of_jobs[k];
    o.record = it == by_id.end() ? nullptr : &it->second->record;
    o.where = stored[k].origin + " leaf " + std::to_string(stored[k].leaf_index) + " (" +
              stored[k].identity + ")";
    o.problem = problem[k];
    o.job_ref = decoded[k].job_ref;
    o.account = decoded[k].account;
  }
  auto expected = expected_jobs(of_jobs);
  PeriodReconciliation out;
  out.report = fed::reconcile(expected.jobs, rows, options);
  out.report.findings.insert(out.report.findings.end(), expected.not_counted.begin(),
                             expected.not_counted.end());
  explain_quarantined(out.report, ledger.quarantined());
  out.receipts = stored.size();
  out.jobs = expected.distinct_jobs;
  out.slurm_rows = rows.size();
  return out;
}

}  // namespace basin::books
