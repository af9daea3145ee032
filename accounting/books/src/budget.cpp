#include "basin/books/budget.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <stdexcept>

#include "basin/books/charging.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::books {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  for (;;) {
    const auto at = s.find(sep, from);
    out.push_back(
        s.substr(from, at == std::string_view::npos ? std::string_view::npos : at - from));
    if (at == std::string_view::npos) return out;
    from = at + 1;
  }
}

template <typename T>
std::optional<T> number(std::string_view s) {
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// a * b + c without overflow, saturating at int64's maximum.
std::int64_t mul_add(std::int64_t a, std::int64_t b, std::int64_t c) {
  std::int64_t m = 0, r = 0;
  if (__builtin_mul_overflow(a, b, &m) || __builtin_add_overflow(m, c, &r))
    return std::numeric_limits<std::int64_t>::max();
  return r;
}

std::uint64_t parse_memory_mb(std::string_view s, std::size_t line) {
  if (s.empty()) return 0;
  std::uint64_t num = 1, den = 1;  // to MB; no unit means MB
  const char unit = s.back();
  if (unit == 'K') den = 1024;
  if (unit == 'G') num = 1024;
  if (unit == 'T') num = 1024 * 1024;
  if (unit == 'K' || unit == 'M' || unit == 'G' || unit == 'T') s.remove_suffix(1);
  const auto v = number<std::uint64_t>(s);
  if (!v)
    throw std::invalid_argument("squeue line " + std::to_string(line) + ": memory '" +
                                std::string(s) + "' is not a number with K/M/G/T");
  return (*v * num + den - 1) / den;
}

// "gres:gpu:2", "gres/gpu:2", "gpu:a100:2", "N/A" -> GPUs per node.
std::uint32_t parse_gpus(std::string_view s) {
  std::uint32_t total = 0;
  for (auto item : split(s, ',')) {
    if (item.find("gpu") == std::string_view::npos) continue;
    const auto colon = item.rfind(':');
    if (colon == std::string_view::npos) continue;
    if (auto n = number<std::uint32_t>(item.substr(colon + 1))) total += *n;
  }
  return total;
}

}  // namespace

std::optional<std::int64_t> parse_squeue_time(std::string_view t) {
  if (t == "UNLIMITED" || t == "INFINITE") return std::nullopt;
  std::int64_t days = 0;
  const bool has_days = t.find('-') != std::string_view::npos;
  if (const auto dash = t.find('-'); dash != std::string_view::npos) {
    const auto d = number<std::int64_t>(t.substr(0, dash));
    if (!d) throw std::invalid_argument("time '" + std::string(t) + "' has a bad day count");
    days = *d;
    t = t.substr(dash + 1);
  }
  const auto parts = split(t, ':');
  if (parts.empty() || parts.size() > 3)
    throw std::invalid_argument("time '" + std::string(t) + "' is not [D-]HH:MM:SS");
  std::int64_t v[3] = {0, 0, 0};  // hours, minutes, seconds
  // MM:SS, HH:MM:SS, or bare minutes; with a day count, D-HH[:MM[:SS]].
  const std::size_t first = has_days || parts.size() == 3 ? 0 : 1;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto n = number<std::int64_t>(parts[i]);
    if (!n || *n < 0) throw std::invalid_argument("time '" + std::string(t) + "' is malformed");
    v[first + i] = *n;
  }
  return ((days * 24 + v[0]) * 60 + v[1]) * 60 + v[2];
}

std::vector<QueuedJob> parse_squeue(std::string_view text) {
  std::vector<QueuedJob> out;
  std::size_t line_no = 0;
  for (auto line : split(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    const auto f = split(line, '|');
    if (f.size() != 10)
      throw std::invalid_argument("squeue line " + std::to_string(line_no) + " has " +
                                  std::to_string(f.size()) + " fields, expected 10 (" +
                                  kSqueueFormat + ")");
    QueuedJob j;
    j.job_id = f[0];
    j.account = f[1];
    j.partition = f[2];
    j.state = f[3];
    try {
      j.time_limit_s = parse_squeue_time(f[4]);
      j.elapsed_s = parse_squeue_time(f[5]).value_or(0);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("squeue line " + std::to_string(line_no) + ": " + e.what());
    }
    const auto cpus = number<std::uint32_t>(f[6]);
    const auto nodes = number<std::uint32_t>(f[9]);
    if (!cpus || !nodes)
      throw std::invalid_argument("squeue line " + std::to_string(line_no) +
                                  ": CPUs and nodes must be numbers");
    j.cpus = *cpus;
    j.nodes = *nodes;
    j.mem_mb = parse_memory_mb(f[7], line_no);
    j.gpus = parse_gpus(f[8]);
    out.push_back(std::move(j));
  }
  return out;
}

std::optional<std::int64_t> worst_case_micro_credits(const QueuedJob& j, const BillingWeights& w) {
  if (!j.time_limit_s) return std::nullopt;
  const std::int64_t left = std::max<std::int64_t>(*j.time_limit_s - j.elapsed_s, 0);
  std::int64_t per_second = mul_add(w.cpu, j.cpus, 0);
  per_second = mul_add(w.mem_mb, static_cast<std::int64_t>(j.mem_mb) * j.nodes, per_second);
  per_second = mul_add(w.gpu, static_cast<std::int64_t>(j.gpus) * j.nodes, per_second);
  per_second = mul_add(w.node, j.nodes, per_second);
  return mul_add(per_second, left, 0);
}

AccountCharges account_charges(const ledger::Ledger& ledger, const federation::Pool& pool) {
  std::set<std::string> settled;
  for (const auto& p : ledger.settled_periods()) settled.insert(p.period);
  AccountCharges out;
  auto checked = checked_records(ledger, node_keys_of(pool));
  out.tampered = std::move(checked.tampered);
  const auto& records = checked.records;
  const auto stored = ledger.receipts();
  std::map<std::int64_t, const ledger::StoredReceipt*> receipt_of;
  for (const auto& s : stored) receipt_of[s.record_id] = &s;
  const auto entries = entries_of(records, stored);
  const auto decisions = decide_charges(entries, replica_policy_of(pool));
  std::map<std::string, const receipts::RateCard*> card;
  for (const auto& s : pool.sites) card[s.name] = &s.rates;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto it = receipt_of.find(records[i].id);
    if (it == receipt_of.end() || !decisions[i].charged) continue;
    const auto& receipt = *it->second;
    const auto c = card.find(receipt.provider_site);
    if (c == card.end()) continue;  // a site no longer in pool.toml: settle names it
    const auto q = receipts::quantities_of(records[i].record);
    const auto& rates = c->second->micro_credits;  // each at most 2^31 - 1 (pool.toml)
    std::int64_t credits = 0;
    for (std::size_t k = 0; k < receipts::kQuantities; ++k)
      credits =
          mul_add(static_cast<std::int64_t>(rates[k]), static_cast<std::int64_t>(q[k]), credits);
    auto& into = settled.count(receipt.period) ? out.settled : out.unsettled;
    into[receipt.account] = mul_add(1, into[receipt.account], credits);
  }
  return out;
}

std::vector<AccountBudget> budgets(const std::vector<ledger::BudgetGrant>& grants,
                                   const AccountCharges& charges,
                                   const std::map<std::string, std::int64_t>& in_flight,
                                   const std::map<std::string, std::size_t>& unbounded) {
  std::map<std::string, AccountBudget> by;
  for (const auto& g : grants) {
    auto& b = by[g.account];
    b.account = g.account;
    b.granted = mul_add(1, b.granted, g.micro_credits);
  }
  auto get = [](const auto& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? typename std::decay_t<decltype(m)>::mapped_type{} : it->second;
  };
  std::vector<AccountBudget> out;
  for (auto& [name, b] : by) {
    b.charged = get(charges.settled, name);
    b.unsettled = get(charges.unsettled, name);
    b.in_flight = get(in_flight, name);
    b.unbounded_jobs = get(unbounded, name);
    out.push_back(b);
  }
  return out;
}

std::optional<AssocBilling> parse_assoc_billing(std::string_view text, const std::string& account) {
  std::optional<AssocBilling> out;
  bool in_assoc = false;
  auto used_of = [](std::string_view line, std::string_view key) -> std::optional<std::int64_t> {
    const auto at = line.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    auto rest = line.substr(at + key.size());
    const auto b = rest.find("billing=");
    if (b == std::string_view::npos) return std::nullopt;
    rest = rest.substr(b + 8);
    const auto open = rest.find('('), close = rest.find(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
      return std::nullopt;
    return number<std::int64_t>(rest.substr(open + 1, close - open - 1));
  };
  for (auto line : split(text, '\n')) {
    if (line.starts_with("ClusterName=")) {
      in_assoc = line.find(" Account=" + account + " ") != std::string_view::npos &&
                 line.find(" UserName= ") != std::string_view::npos;
      if (in_assoc && !out) out = AssocBilling{};
      continue;
    }
    if (!in_assoc) continue;
    const auto trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    if (trimmed.starts_with("GrpTRESMins=")) {
      if (auto u = used_of(trimmed, "GrpTRESMins=")) out->used_minutes = *u;
    } else if (trimmed.starts_with("GrpTRESRunMins=")) {
      if (auto u = used_of(trimmed, "GrpTRESRunMins=")) out->running_minutes = *u;
    }
  }
  return out;
}

std::int64_t billing_minutes_limit(std::int64_t left_micro_credits, const AssocBilling& now) {
  const std::int64_t left_minutes =
      left_micro_credits <= 0 ? 0 : left_micro_credits / kMicroCreditsPerBillingMinute;
  return mul_add(1, now.used_minutes, std::max(left_minutes, now.running_minutes));
}

}  // namespace basin::books
