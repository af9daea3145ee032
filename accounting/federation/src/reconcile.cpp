#include "basin/federation/reconcile.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace basin::federation {
namespace {

using JobKey = std::pair<std::string, std::uint64_t>;  // cluster, job id

bool within(std::uint64_t a, std::uint64_t b, const ReconcileOptions& o) {
  const std::uint64_t diff = a > b ? a - b : b - a;
  const double allowed = std::max(static_cast<double>(o.absolute_core_seconds),
                                  o.relative_tolerance * static_cast<double>(std::max(a, b)));
  return static_cast<double>(diff) <= allowed;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace

const char* to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::no_receipt:
      return "no_receipt";
    case FindingKind::no_slurm_job:
      return "no_slurm_job";
    case FindingKind::duplicate_receipt:
      return "duplicate_receipt";
    case FindingKind::duplicate_row:
      return "duplicate_row";
    case FindingKind::requeued_run:
      return "requeued_run";
    case FindingKind::orphan_step:
      return "orphan_step";
    case FindingKind::core_seconds_mismatch:
      return "core_seconds_mismatch";
    case FindingKind::account_mismatch:
      return "account_mismatch";
    case FindingKind::gpu_seconds_mismatch:
      return "gpu_seconds_mismatch";
    case FindingKind::bad_receipt:
      return "bad_receipt";
  }
  return "unknown";
}

ReconcileReport reconcile(const std::vector<ExpectedJob>& expected,
                          const std::vector<SacctRow>& rows, const ReconcileOptions& options) {
  ReconcileReport report;
  auto add = [&](FindingKind kind, const std::string& cluster, std::uint64_t job,
                 std::int64_t submit, std::size_t line, std::uint64_t exp, std::uint64_t got,
                 std::string detail) {
    report.findings.push_back({kind, cluster, job, submit, line, exp, got, std::move(detail)});
  };

  // Final runs per job id; a job id can hold several (id reuse), told apart
  // by submit time.
  std::map<JobKey, std::vector<const SacctRow*>> finals;
  std::map<JobKey, std::vector<const SacctRow*>> requeued;
  std::map<JobKey, std::vector<const SacctRow*>> steps;
  for (const SacctRow& r : rows) {
    const JobKey key{r.cluster, r.job};
    if (r.is_step()) {
      ++report.step_rows;
      steps[key].push_back(&r);
    } else if (r.state == "REQUEUED") {
      requeued[key].push_back(&r);
    } else {
      auto& list = finals[key];
      const auto same = std::find_if(list.begin(), list.end(),
                                     [&](const SacctRow* o) { return o->submit == r.submit; });
      if (same != list.end()) {
        add(FindingKind::duplicate_row, r.cluster, r.job, r.submit.value_or(0), r.line, 0,
            r.core_seconds(),
            "same allocation as line " + std::to_string((*same)->line) + "; counted once");
      } else {
        list.push_back(&r);
      }
    }
  }

  // A run that ended NODE_FAIL and was followed by a later run of the same
  // job was requeued after its node vanished (Slurm requeues batch jobs on a
  // node failure): an earlier run, not a final one. Its node died with it
  // and signed nothing, so no receipt covers it, and none should.
  for (auto& [key, list] : finals) {
    std::vector<const SacctRow*> keep;
    for (const SacctRow* r : list) {
      const bool later_run = r->state == "NODE_FAIL" && r->submit &&
                             std::any_of(list.begin(), list.end(), [&](const SacctRow* o) {
                               return o != r && o->submit && *o->submit > *r->submit;
                             });
      (later_run ? requeued[key] : keep).push_back(r);
    }
    list = std::move(keep);
  }

  report.gpus_compared = std::any_of(rows.begin(), rows.end(),
                                     [](const SacctRow& r) { return r.alloc_gpus.has_value(); });
  std::set<const SacctRow*> claimed;
  std::set<std::tuple<std::string, std::uint64_t, std::int64_t>> seen_receipts;
  for (const ExpectedJob& e : expected) {
    if (!seen_receipts.emplace(e.cluster, e.job, e.submit).second) {
      add(FindingKind::duplicate_receipt, e.cluster, e.job, e.submit, 0, e.core_seconds, 0,
          "a second receipt for the same job; it must not be credited twice");
      continue;
    }
    const JobKey key{e.cluster, e.job};
    const SacctRow* match = nullptr;
    if (auto it = finals.find(key); it != finals.end()) {
      for (const SacctRow* r : it->second) {
        if (r->submit && std::llabs(*r->submit - e.submit) <= options.submit_slack_seconds &&
            !claimed.count(r)) {
          match = r;
          break;
        }
      }
    }
    // A requeue gives the job's final run a new submit time (the requeue's):
    // for a receipt that records requeues, the first final row submitted
    // since the job was.
    if (match == nullptr && e.restarts > 0) {
      if (auto it = finals.find(key); it != finals.end()) {
        for (const SacctRow* r : it->second) {
          if (r->submit && *r->submit >= e.submit - options.submit_slack_seconds &&
              !claimed.count(r) && (match == nullptr || *r->submit < *match->submit))
            match = r;
        }
      }
    }
    if (match == nullptr) {
      std::string why = "no allocation row with this cluster, job id and submit time";
      if (finals.count(key)) why += " (the job id exists with another submit time: id reuse?)";
      add(FindingKind::no_slurm_job, e.cluster, e.job, e.submit, 0, e.core_seconds, 0, why);
      continue;
    }
    claimed.insert(match);
    ++report.matched;
    if (!within(e.core_seconds, match->core_seconds(), options)) {
      add(FindingKind::core_seconds_mismatch, e.cluster, e.job, e.submit, match->line,
          e.core_seconds, match->core_seconds(),
          std::to_string(match->alloc_cpus) + " CPUs x " + std::to_string(match->elapsed_seconds) +
              " s in Slurm");
    }
    if (!e.account.empty() && !match->account.empty() && e.account != match->account) {
      add(FindingKind::account_mismatch, e.cluster, e.job, e.submit, match->line, e.core_seconds,
          match->core_seconds(),
          "receipts charge account '" + e.account + "', Slurm ran the job under '" +
              match->account + "'");
    }
    if (report.gpus_compared && !within(e.gpu_seconds, match->gpu_seconds(), options)) {
      add(FindingKind::gpu_seconds_mismatch, e.cluster, e.job, e.submit, match->line, 0, 0,
          std::to_string(match->alloc_gpus.value_or(0)) + " GPUs x " +
              std::to_string(match->elapsed_seconds) + " s in Slurm");
      report.findings.back().expected_gpu_seconds = e.gpu_seconds;
      report.findings.back().slurm_gpu_seconds = match->gpu_seconds();
    }
    if (auto it = requeued.find(key); it != requeued.end()) {
      for (const SacctRow* r : it->second) {
        claimed.insert(r);
        const std::string run = r->state == "NODE_FAIL"
                                    ? "earlier run ended NODE_FAIL (its node vanished and signed "
                                      "nothing for it)"
                                    : "earlier run";
        add(FindingKind::requeued_run, e.cluster, e.job, e.submit, r->line, 0, r->core_seconds(),
            e.restarts == 0
                ? run + ", but the receipt records no requeue"
                : run + "; receipt records " + std::to_string(e.restarts) + " requeue(s)");
        report.findings.back().accounted = e.restarts > 0;
      }
    }
  }

  for (const auto& [key, list] : finals) {
    for (const SacctRow* r : list) {
      if (claimed.count(r)) continue;
      add(FindingKind::no_receipt, r->cluster, r->job, r->submit.value_or(0), r->line, 0,
          r->core_seconds(),
          "state " + r->state + ", " + std::to_string(r->alloc_cpus) + " CPUs x " +
              std::to_string(r->elapsed_seconds) + " s");
      // A job that never ran (cancelled while pending, held by its budget)
      // used nothing: no receipt is right.
      if (r->elapsed_seconds == 0) {
        report.findings.back().accounted = true;
        report.findings.back().detail += ": never ran, nothing to charge";
      }
    }
  }
  for (const auto& [key, list] : requeued) {
    for (const SacctRow* r : list) {
      if (claimed.count(r)) continue;
      add(FindingKind::requeued_run, r->cluster, r->job, r->submit.value_or(0), r->line, 0,
          r->core_seconds(), "earlier run of a job with no receipt");
    }
  }
  for (const auto& [key, list] : steps) {
    if (finals.count(key) || requeued.count(key)) continue;
    add(FindingKind::orphan_step, key.first, key.second, list.front()->submit.value_or(0),
        list.front()->line, 0, 0,
        std::to_string(list.size()) + " step row(s) without the allocation row; not summed");
  }

  std::sort(report.findings.begin(), report.findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.cluster, a.job, a.submit, a.kind, a.line) <
           std::tie(b.cluster, b.job, b.submit, b.kind, b.line);
  });
  return report;
}

std::size_t ReconcileReport::discrepancies() const {
  return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(),
                                                [](const Finding& f) { return !f.accounted; }));
}

std::string report_csv(const ReconcileReport& report) {
  std::ostringstream out;
  out << "kind,cluster,job,submit,line,expected_core_seconds,slurm_core_seconds,accounted,detail\n";
  for (const Finding& f : report.findings) {
    out << to_string(f.kind) << ',' << csv_field(f.cluster) << ',' << f.job << ',' << f.submit
        << ',' << f.line << ',' << f.expected_core_seconds << ',' << f.slurm_core_seconds << ','
        << (f.accounted ? "yes" : "no") << ',' << csv_field(f.detail) << '\n';
  }
  return out.str();
}

std::string report_text(const ReconcileReport& report) {
  std::map<FindingKind, std::size_t> counts;
  for (const Finding& f : report.findings) ++counts[f.kind];
  std::ostringstream out;
  out << "matched jobs: " << report.matched << "\n"
      << "step rows not summed (they repeat their allocation's time): " << report.step_rows << "\n"
      << "GPU-seconds compared: "
      << (report.gpus_compared ? "yes"
                               : "no (no row names gres/gpu; Slurm lists it with "
                                 "AccountingStorageTRES=gres/gpu, which needs slurmdbd)")
      << "\n";
  for (const auto& [kind, n] : counts) out << to_string(kind) << ": " << n << "\n";
  out << "discrepancies: " << report.discrepancies() << "\n";
  for (const Finding& f : report.findings) {
    out << (f.accounted ? "note " : "") << to_string(f.kind) << "  " << f.cluster << " job "
        << f.job << " submit " << f.submit;
    if (f.line) out << " (line " << f.line << ")";
    if (f.kind == FindingKind::core_seconds_mismatch) {
      out << " receipt " << f.expected_core_seconds << " core-s vs Slurm " << f.slurm_core_seconds;
    }
    if (f.kind == FindingKind::gpu_seconds_mismatch) {
      out << " receipt " << f.expected_gpu_seconds << " GPU-s vs Slurm " << f.slurm_gpu_seconds;
    }
    out << ": " << f.detail << "\n";
  }
  return out.str();
}

}  // namespace basin::federation
