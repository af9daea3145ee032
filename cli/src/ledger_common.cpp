#include "ledger_common.hpp"

#include <sodium.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "basin/books/exchange.hpp"
#include "basin/books/trust.hpp"
#include "basin/federation/enrolment.hpp"
#include "basin/federation/jobcomp.hpp"
#include "basin/records/record_checks.hpp"

namespace basin::cli {

receipts::Trust trust_of(const federation::Pool& pool) {
  return books::trust_of(pool);
}

std::string log_origin(const std::string& pool, const std::string& site) {
  return books::log_origin(pool, site);
}

const federation::Site& site_of_key(const federation::Pool& pool, const records::NodeKey& key,
                                    const std::string& key_path) {
  const auto pub = records::public_key_text(key.public_key()).substr(8);  // hex
  for (const auto& s : pool.sites)
    if (s.signing_key == pub) return s;
  throw std::runtime_error("the key in " + key_path +
                           " is no site's signing_key in the pool file (is it a node key?)");
}

receipts::BlindingKey load_blinding_key(const std::string& path, const std::string& key_path) {
  if (!path.empty()) return receipts::BlindingKey::load(path);
  constexpr std::string_view kSign = ".sign.key";
  if (!key_path.ends_with(kSign))
    throw std::runtime_error("give --blinding-key: the site key " + key_path +
                             " is not named <site>.sign.key, so its <site>.blind.key cannot be "
                             "found beside it");
  return receipts::BlindingKey::load(key_path.substr(0, key_path.size() - kSign.size()) +
                                     ".blind.key");
}

void add_blinding_option(CLI::App& cmd, std::string& path) {
  cmd.add_option("--blinding-key", path,
                 "This site's blinding secrets (mode 0600), from which every receipt's\n"
                 "blindings and job reference are derived [<site>.blind.key beside --site-key]");
}

void check_period(const std::string& period) {
  if (!std::regex_match(period, std::regex("[0-9]{4}-(0[1-9]|1[0-2])")))
    throw std::runtime_error("--period must be a month as YYYY-MM (UTC), e.g. 2026-11; got '" +
                             period + "'");
}

federation::SacctExport read_slurm_accounting(const std::string& sacct_file,
                                              const std::string& jobcomp_file,
                                              std::optional<std::int64_t> utc_offset) {
  if (sacct_file.empty() == jobcomp_file.empty())
    throw std::runtime_error(
        "give exactly one of --sacct FILE (sacct -P --duplicates export) or --jobcomp FILE\n"
        "(the jobcomp/filetxt log, JobCompLoc in slurm.conf)");
  const auto& path = sacct_file.empty() ? jobcomp_file : sacct_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": check the path and permissions");
  std::ostringstream text;
  text << in.rdbuf();
  federation::SacctOptions so;
  if (utc_offset) {
    so.utc_offset_seconds = *utc_offset;
  } else {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    so.utc_offset_seconds = tm.tm_gmtoff;
  }
  return sacct_file.empty() ? federation::parse_jobcomp(text.str(), so)
                            : federation::parse_sacct(text.str(), so);
}

ledger::RecordCheck record_check_of(const federation::Pool& pool, std::int64_t now) {
  std::map<std::string, federation::Node> nodes;
  for (const auto& n : pool.nodes) nodes[n.name] = n;
  records::TimeLimits times;
  times.now = now;
  return [nodes = std::move(nodes),
          times](const records::UsageRecord& r) -> std::optional<std::string> {
    const auto node = nodes.find(r.node);
    if (node == nodes.end()) {
      if (auto why = records::check_record_strings(r)) return why;
      return "node " + records::printable(r.node) +
             " is not in pool.toml nor enrolled: nothing bounds its figures (add it with basin "
             "pool add-node or enrol it with basin pool enrol, then ingest its records again)";
    }
    const auto& n = node->second;
    records::NodeLimits limits{n.cpus, n.memory_mb, n.gpus};
    // An enrolled node's record counts only within a certificate that covers
    // its end time, and is bounded by that certificate's size.
    const auto decision = federation::decide_enrolment(n, r.end_time);
    if (!decision.accepted()) return decision.reason;
    if (decision.enrolment != nullptr)
      limits = {decision.enrolment->cpus, decision.enrolment->memory_mb, decision.enrolment->gpus};
    return records::check_record_bounds(r, limits, times);
  };
}

records::KeyRing ingest_keys(const federation::Pool& pool, const std::string& keys_path) {
  if (keys_path.empty()) return books::node_keys_of(pool);
  auto keys = records::KeyRing::load(keys_path);
  for (const auto& n : pool.nodes) {
    if (!n.enrolled()) continue;
    const auto key = receipts::parse_ed25519_hex(n.public_key);
    if (const auto* k = keys.find(n.name); k != nullptr && *k != key)
      throw std::runtime_error(keys_path + " gives node " + n.name +
                               " another key than its enrolment certificate " +
                               n.enrolments.front().file +
                               "; remove the node's line from the keys file (ingest takes an "
                               "enrolled node's key from its certificate)");
    keys.add(n.name, key);
  }
  return keys;
}

std::size_t report_enrolment_findings(const federation::Pool& pool,
                                      std::span<const ledger::StoredRecord> stored,
                                      bool as_findings) {
  std::map<std::string, const federation::Node*> enrolled;
  for (const auto& n : pool.nodes)
    if (n.enrolled()) enrolled[n.name] = &n;
  std::size_t outside = 0;
  for (const auto& s : stored) {
    const auto it = enrolled.find(s.record.node);
    if (it == enrolled.end()) continue;
    const auto d = federation::decide_enrolment(*it->second, s.record.end_time);
    if (d.status == federation::EnrolmentStatus::covered_before_revocation) {
      std::printf("%s %s: %s\n", as_findings ? "finding made_before_revocation" : "flagged",
                  records::printable(s.identity).c_str(), d.reason.c_str());
    } else if (!d.accepted()) {
      // Ingested before the site published the revocation (revoked_at
      // may be earlier than the list).
      std::printf("%s %s: %s (ingested before the enrolment said so)\n",
                  as_findings ? "finding outside_enrolment" : "flagged",
                  records::printable(s.identity).c_str(), d.reason.c_str());
      ++outside;
    }
  }
  return outside;
}

bool report_set_aside(const std::vector<ledger::RecordProblem>& problems) {
  for (const auto& p : problems)
    std::printf("set aside %s (ledger row %lld): %s\n", p.identity.c_str(),
                static_cast<long long>(p.id), p.reason.c_str());
  return !problems.empty();
}

books::CheckedRecords checked_records(const ledger::Ledger& ledger, const federation::Pool& pool,
                                      CommandContext& ctx) {
  auto checked = books::checked_records(ledger, books::node_keys_of(pool));
  for (const auto& t : checked.tampered)
    std::printf("finding record_tampered %s: %s; not used (restore the ledger from a backup)\n",
                t.identity.c_str(), t.reason.c_str());
  if (!checked.tampered.empty()) ctx.exit_code = 1;
  return checked;
}

}  // namespace basin::cli
