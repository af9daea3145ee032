// Renderings and the signature of a settlement statement.
#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "basin/common/hex.hpp"
#include "basin/settlement/settlement.hpp"

namespace basin::settlement {
namespace {

constexpr const char* kSignatureDomain = "basin/statement/v1\n";

nlohmann::ordered_json listed(const std::vector<Listed>& v) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& l : v)
    a.push_back({{"log", l.log}, {"leaf", l.leaf}, {"record", l.record}, {"reason", l.reason}});
  return a;
}

std::string csv(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

// "0-4,7,9-12": the leaves of one log, compact for a statement over a month.
std::string leaf_ranges(const std::vector<std::uint64_t>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(v[i]);
    if (j > i) out += '-' + std::to_string(v[j]);
    i = j + 1;
  }
  return out;
}

std::optional<std::vector<std::uint64_t>> parse_leaf_ranges(const std::string& text) {
  std::vector<std::uint64_t> out;
  if (text.empty()) return out;
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  };
  std::string_view rest(text);
  while (true) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    const auto dash = item.find('-');
    const auto lo = number(item.substr(0, dash));
    const auto hi = dash == std::string_view::npos ? lo : number(item.substr(dash + 1));
    if (!lo || !hi || *hi < *lo || (dash != std::string_view::npos && *hi == *lo) ||
        (!out.empty() && *lo <= out.back() + 1) || *hi - *lo > 100000000)
      return std::nullopt;
    for (auto v = *lo;; ++v) {
      out.push_back(v);
      if (v == *hi) break;
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

std::string credits_text(std::int64_t uc) {
  char buf[48];
  const bool neg = uc < 0;
  const auto mag = neg ? -static_cast<unsigned long long>(uc) : static_cast<unsigned long long>(uc);
  std::snprintf(buf, sizeof buf, "%s%llu.%06llu", neg ? "-" : "", mag / 1000000, mag % 1000000);
  return buf;
}

std::string to_json(const Statement& st) {
  // ordered_json in a fixed field order: the bytes are the same every run.
  nlohmann::ordered_json j;
  j["format"] = "basin-settlement-statement/v1";
  j["pool"] = st.pool;
  j["period"] = st.period;
  if (!st.logs.empty()) {
    auto logs = nlohmann::ordered_json::array();
    for (const auto& l : st.logs)
      logs.push_back({{"origin", l.origin}, {"size", l.size}, {"root", common::to_hex(l.root)}});
    j["logs"] = logs;
  }
  if (st.evidence_records > 0)
    j["replica_evidence"] = {{"records", st.evidence_records},
                             {"sha256", common::to_hex(st.evidence_digest)}};
  j["receipts"] = {{"offered", st.receipts},
                   {"charged", st.charged},
                   {"failed", listed(st.failed)},
                   {"not_charged", listed(st.not_charged)},
                   {"charged_flagged", listed(st.flagged)}};
  auto pairs = nlohmann::ordered_json::array();
  for (const auto& p : st.pairs) {
    nlohmann::ordered_json leaves;
    for (const auto& [log, v] : p.leaves) leaves[log] = leaf_ranges(v);
    nlohmann::ordered_json o{{"provider", p.provider},
                             {"consumer", p.consumer},
                             {"receipts", p.receipts},
                             {"leaves", leaves},
                             {"credit_commitment", common::to_hex(p.credit_commitment)},
                             {"opened", p.opened}};
    if (p.opened) {
      o["micro_credits"] = p.micro_credits;
      o["blinding"] = common::to_hex(p.blinding);
    } else {
      o["problem"] = p.problem;
    }
    pairs.push_back(o);
  }
  j["pairs"] = pairs;
  nlohmann::ordered_json bal = nlohmann::ordered_json::object();
  for (const auto& [site, b] : st.balance) bal[site] = b;
  j["balances_micro_credits"] = bal;
  auto tr = nlohmann::ordered_json::array();
  for (const auto& t : st.transfers)
    tr.push_back({{"from", t.from}, {"to", t.to}, {"micro_credits", t.amount}});
  j["transfers"] = tr;
  return j.dump(2) + "\n";
}

std::string to_csv(const Statement& st) {
  std::ostringstream o;
  o << "section,provider_or_from,consumer_or_to,receipts,micro_credits,status\n";
  for (const auto& p : st.pairs)
    o << "pair," << csv(p.provider) << ',' << csv(p.consumer) << ',' << p.receipts << ','
      << (p.opened ? std::to_string(p.micro_credits) : "") << ','
      << (p.opened ? "opened" : csv(p.problem)) << '\n';
  for (const auto& t : st.transfers)
    o << "transfer," << csv(t.from) << ',' << csv(t.to) << ",," << t.amount << ",\n";
  for (const auto& f : st.failed)
    o << "failed," << csv(f.log) << ',' << csv(f.record) << ',' << f.leaf << ",," << csv(f.reason)
      << '\n';
  for (const auto& f : st.not_charged)
    o << "not_charged," << csv(f.log) << ',' << csv(f.record) << ',' << f.leaf << ",,"
      << csv(f.reason) << '\n';
  for (const auto& f : st.flagged)
    o << "charged_flagged," << csv(f.log) << ',' << csv(f.record) << ',' << f.leaf << ",,"
      << csv(f.reason) << '\n';
  return o.str();
}

std::string to_text(const Statement& st) {
  std::ostringstream o;
  char line[256];
  o << "Settlement of pool " << st.pool << ", period " << st.period << "\n"
    << st.receipts << " receipts offered, " << st.charged << " charged, " << st.not_charged.size()
    << " not charged, " << st.failed.size() << " failed verification (excluded)";
  if (!st.flagged.empty()) o << "; " << st.flagged.size() << " charged with a flag";
  o << "\n\n";
  std::snprintf(line, sizeof line, "%-14s %-14s %9s %18s  %s\n", "PROVIDER", "CONSUMER", "RECEIPTS",
                "CREDITS", "OPENING");
  o << line;
  for (const auto& p : st.pairs) {
    std::snprintf(line, sizeof line, "%-14s %-14s %9zu %18s  %s\n", p.provider.c_str(),
                  p.consumer.c_str(), p.receipts,
                  p.opened ? credits_text(p.micro_credits).c_str() : "?",
                  p.opened ? (p.provider == p.consumer ? "checked (internal)" : "checked")
                           : p.problem.c_str());
    o << line;
  }
  o << "\nBalances (credits; positive = owed to the site):\n";
  for (const auto& [site, b] : st.balance) {
    std::snprintf(line, sizeof line, "  %-14s %18s\n", site.c_str(), credits_text(b).c_str());
    o << line;
  }
  o << "\nTransfers (" << st.transfers.size() << "):\n";
  for (const auto& t : st.transfers) {
    std::snprintf(line, sizeof line, "  %-14s pays %-14s %18s credits\n", t.from.c_str(),
                  t.to.c_str(), credits_text(t.amount).c_str());
    o << line;
  }
  for (const auto& f : st.failed)
    o << "EXCLUDED " << f.log << " leaf " << f.leaf << " (" << f.record << "): " << f.reason
      << "\n";
  for (const auto& f : st.not_charged)
    o << "not charged " << f.log << " leaf " << f.leaf << " (" << f.record << "): " << f.reason
      << "\n";
  for (const auto& f : st.flagged)
    o << "flagged " << f.log << " leaf " << f.leaf << " (" << f.record << "): " << f.reason << "\n";
  return o.str();
}

std::string sign_statement(const std::string& json, const std::string& signer_site,
                           const records::NodeKey& key) {
  std::vector<std::uint8_t> msg(kSignatureDomain, kSignatureDomain + std::strlen(kSignatureDomain));
  msg.insert(msg.end(), json.begin(), json.end());
  const auto sig = key.sign(msg);
  return "basin-statement-signature v1\nsigner " + signer_site + "\ned25519 " +
         common::to_hex(sig) + "\n";
}

std::optional<std::string> check_statement_signature(
    const std::string& json, const std::string& signature,
    const std::map<std::string, records::PublicKey>& site_keys) {
  std::istringstream in(signature);
  std::string l1, l2, l3, extra;
  if (!std::getline(in, l1) || l1 != "basin-statement-signature v1" || !std::getline(in, l2) ||
      l2.rfind("signer ", 0) != 0 || !std::getline(in, l3) || l3.rfind("ed25519 ", 0) != 0 ||
      std::getline(in, extra))
    return "not a basin statement signature (expected three lines: header, signer, ed25519)";
  const auto site = l2.substr(7);
  const auto key = site_keys.find(site);
  if (key == site_keys.end()) return "signer '" + site + "' is not a site of the pool";
  std::array<std::uint8_t, crypto_sign_BYTES> sig{};
  if (!common::from_hex(std::string_view(l3).substr(8), sig))
    return "the signature is not 128 hex digits";
  // One signature has one text: no upper-case hex, no missing newline.
  if (signature !=
      "basin-statement-signature v1\nsigner " + site + "\ned25519 " + common::to_hex(sig) + "\n")
    return "the signature file is not in its canonical form (three lines, lower-case hex)";
  std::vector<std::uint8_t> msg(kSignatureDomain, kSignatureDomain + std::strlen(kSignatureDomain));
  msg.insert(msg.end(), json.begin(), json.end());
  if (crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), key->second.data()) != 0)
    return "the signature of site " + site + " does not verify: the statement was changed";
  return std::nullopt;
}

}  // namespace basin::settlement
