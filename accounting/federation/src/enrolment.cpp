#include "basin/federation/enrolment.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <limits>
#include <tuple>

#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/records/record_checks.hpp"

namespace basin::federation {
namespace {

// Domain separation: the site's enrolment key signs only these two kinds of
// file, and each signature names its kind, so a certificate can never be
// presented as a revocation list (or the other way round), nor either as any
// other Basin signature.
constexpr std::string_view kCertHeader = "basin-enrolment v1";
constexpr std::string_view kCertDomain = "basin/enrolment-certificate/v1\n";
constexpr std::string_view kListHeader = "basin-revocations v1";
constexpr std::string_view kListDomain = "basin/enrolment-revocations/v1\n";

constexpr const char* kCertKeys[] = {"node",      "site", "tier",   "public_key", "cpus",
                                     "memory_mb", "gpus", "serial", "not_before", "not_after"};
constexpr const char* kListKeys[] = {"site", "issued_at", "sequence"};

// Slurm-era bounds: before 2020 is a broken clock (as records::TimeLimits);
// after 9999 is no date a person meant.
constexpr std::int64_t kEarliest = 1577836800;      // 2020-01-01T00:00:00Z
constexpr std::int64_t kLatest = 253402300799;      // 9999-12-31T23:59:59Z
constexpr std::uint64_t kMaxCpus = 1u << 20;        // as pool.toml's [[node]] cpus
constexpr std::uint64_t kMaxMemoryMb = 1ull << 40;  // and memory_mb

[[noreturn]] void fail(std::string_view source, std::size_t line, const std::string& what) {
  throw EnrolmentError(std::string(source) + (line > 0 ? ":" + std::to_string(line) : "") + ": " +
                       what);
}

bool is_lower_hex(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Slurm node names as Basin's plugin reports them (the record's node field
// is matched against this byte for byte), so one spelling only: lower case.
bool is_node_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// As pool.toml's site names.
bool is_site_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// A decimal without sign or leading zero: one spelling per number, so the
// signed bytes have one meaning.
std::optional<std::uint64_t> decimal(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The lines of a file, each without its "\n". Refuses what would give one
// file two readings: NUL and other control characters (a "\r" would hide in
// an editor and change the signed bytes), a missing final newline, a file
// larger than `max`.
std::vector<std::string_view> lines_of(std::string_view text, std::string_view source,
                                       std::size_t max, std::string_view what) {
  if (text.size() > max)
    fail(source, 0,
         "larger than " + std::to_string(max) + " bytes, so not " + std::string(what) +
             "; check that the right file was given");
  if (text.empty()) fail(source, 0, "empty; expected " + std::string(what));
  std::size_t line = 1;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      ++line;
    } else if (u < 0x20 || u == 0x7f) {
      fail(source, line,
           "holds control character 0x" + common::to_hex(std::span(&u, 1)) +
               " (a NUL, CR or tab?); the file must be plain lines ending in \\n: copy it again "
               "without conversion");
    }
  }
  if (text.back() != '\n')
    fail(source, line, "does not end with a newline; the file is truncated: copy it again");
  std::vector<std::string_view> out;
  std::size_t from = 0;
  while (from < text.size()) {
    const auto eol = text.find('\n', from);
    out.push_back(text.substr(from, eol - from));
    from = eol + 1;
  }
  return out;
}

// Reads `key=value` lines in a fixed order.
class KeyLines {
 public:
  KeyLines(std::string_view source, const std::vector<std::string_view>& lines,
           std::span<const char* const> order)
      : source_(source), lines_(lines), order_(order) {}

  // The value of the next key, which must be `order_[k]`.
  std::string_view next(std::size_t k) {
    const char* key = order_[k];
    if (at_ >= lines_.size() || lines_[at_].starts_with("signature=") ||
        lines_[at_].starts_with("revoke="))
      fail(source_, at_ + 1,
           std::string("lacks '") + key + "' (expected here; the keys, in order: " + all() + ")");
    const auto line = lines_[at_];
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      fail(source_, at_ + 1,
           "'" + printable(line) + "' is not key=value; expected '" + key + "=...'");
    const auto name = line.substr(0, eq);
    if (name != key) {
      const auto pos =
          std::find_if(order_.begin(), order_.end(), [&](const char* o) { return name == o; });
      if (pos == order_.end())
        fail(source_, at_ + 1,
             "unknown key '" + printable(name) + "'; the keys, in order: " + all());
      if (static_cast<std::size_t>(pos - order_.begin()) < k)
        fail(source_, at_ + 1,
             "key '" + std::string(name) +
                 "' appears twice; remove the second one (or re-sign "
                 "the file with the tool that made it)");
      const bool later =
          std::any_of(lines_.begin() + static_cast<std::ptrdiff_t>(at_), lines_.end(),
                      [&](std::string_view l) { return l.starts_with(std::string(key) + "="); });
      if (!later)
        fail(source_, at_ + 1,
             std::string("lacks '") + key + "' (expected before '" + std::string(name) +
                 "'; the keys, in order: " + all() + ")");
      fail(source_, at_ + 1,
           "key '" + std::string(name) + "' is out of order: '" + key +
               "' comes first (the keys, in order: " + all() + ")");
    }
    return line.substr(eq + 1);
  }
  std::size_t line_no() const { return at_ + 1; }
  void advance() { ++at_; }
  std::size_t at() const { return at_; }

  static std::string printable(std::string_view s) { return records::printable(s.substr(0, 64)); }

 private:
  std::string all() const {
    std::string s;
    for (const char* o : order_) s += (s.empty() ? "" : ", ") + std::string(o);
    return s + ", then signature";
  }
  std::string_view source_;
  const std::vector<std::string_view>& lines_;
  std::span<const char* const> order_;
  std::size_t at_ = 1;  // after the header
};

void check_header(std::string_view source, std::string_view first, std::string_view header,
                  std::string_view what) {
  if (first == header) return;
  const auto name = header.substr(0, header.find(' '));
  if (first.starts_with(std::string(name) + " "))
    fail(source, 1,
         "format '" + KeyLines::printable(first) + "' is not one this basin reads (it reads '" +
             std::string(header) + "'); upgrade basin or re-make the file with this version");
  fail(source, 1,
       "not " + std::string(what) + ": the first line must be '" + std::string(header) +
           "' (got '" + KeyLines::printable(first) + "')");
}

std::uint64_t number(std::string_view source, std::size_t line, std::string_view key,
                     std::string_view v, std::uint64_t lo, std::uint64_t hi) {
  const auto n = decimal(v);
  if (!n)
    fail(source, line,
         std::string(key) + "=" + KeyLines::printable(v) +
             " is not a decimal number (digits only, no sign, no leading zero)");
  if (*n < lo || *n > hi)
    fail(source, line,
         std::string(key) + "=" + std::to_string(*n) + " is outside " + std::to_string(lo) + ".." +
             std::to_string(hi));
  return *n;
}

std::int64_t unix_time(std::string_view source, std::size_t line, std::string_view key,
                       std::string_view v) {
  return static_cast<std::int64_t>(number(source, line, key, v,
                                          static_cast<std::uint64_t>(kEarliest),
                                          static_cast<std::uint64_t>(kLatest)));
}

std::array<std::uint8_t, records::kSignatureBytes> signature_line(
    std::string_view source, const std::vector<std::string_view>& lines, std::size_t at) {
  if (at >= lines.size())
    fail(source, at + 1, "lacks its signature line (signature=<128 hex>); the file is truncated");
  const auto line = lines[at];
  if (!line.starts_with("signature="))
    fail(source, at + 1,
         "'" + KeyLines::printable(line) +
             "' where the signature line (signature=<128 hex>) belongs: unknown or extra line");
  const auto hex = line.substr(10);
  std::array<std::uint8_t, records::kSignatureBytes> sig{};
  if (!is_lower_hex(hex, 128) || !common::from_hex(hex, sig))
    fail(source, at + 1, "the signature must be 128 lower-case hex digits");
  if (at + 1 != lines.size())
    fail(source, at + 2, "text after the signature line; nothing may follow it");
  return sig;
}

// The signed bytes: everything before the signature line.
std::string body_before(std::string_view text, const std::vector<std::string_view>& lines,
                        std::size_t sig_line) {
  return std::string(
      text.substr(0, static_cast<std::size_t>(lines[sig_line].data() - text.data())));
}

std::string message(std::string_view domain, std::string_view body) {
  return std::string(domain) + std::string(body);
}

std::array<std::uint8_t, records::kSignatureBytes> sign_text(std::string_view domain,
                                                             const std::string& body,
                                                             const records::NodeKey& key) {
  const auto msg = message(domain, body);
  return key.sign(std::span(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()));
}

bool verifies(std::string_view domain, const std::string& body,
              const std::array<std::uint8_t, records::kSignatureBytes>& sig,
              std::string_view key_hex) {
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
  if (!is_lower_hex(key_hex, 64) || !common::from_hex(key_hex, pk)) return false;
  common::ensure_sodium();
  const auto msg = message(domain, body);
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(msg.data()),
                                     msg.size(), pk.data()) == 0;
}

std::string render_certificate_body(const EnrolmentTerms& t) {
  return std::string(kCertHeader) + "\nnode=" + t.node + "\nsite=" + t.site +
         "\ntier=" + std::string(records::tier_name(t.tier)) + "\npublic_key=" + t.node_public_key +
         "\ncpus=" + std::to_string(t.cpus) + "\nmemory_mb=" + std::to_string(t.memory_mb) +
         "\ngpus=" + std::to_string(t.gpus) + "\nserial=" + std::to_string(t.serial) +
         "\nnot_before=" + std::to_string(t.not_before) +
         "\nnot_after=" + std::to_string(t.not_after) + "\n";
}

std::string render_revocations_body(const RevocationTerms& t) {
  std::string s = std::string(kListHeader) + "\nsite=" + t.site +
                  "\nissued_at=" + std::to_string(t.issued_at) +
                  "\nsequence=" + std::to_string(t.sequence) + "\n";
  for (const auto& e : t.entries)
    s += "revoke=" + e.node + " " + std::to_string(e.serial) + " " + std::to_string(e.revoked_at) +
         " " + e.reason + "\n";
  return s;
}

std::string signature_text(const std::array<std::uint8_t, records::kSignatureBytes>& sig) {
  return "signature=" + common::to_hex(sig) + "\n";
}

}  // namespace

std::string utc_text(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

UnverifiedCertificate parse_certificate(std::string_view text, std::string_view source) {
  const auto lines = lines_of(text, source, kMaxCertificateFile, "an enrolment certificate");
  check_header(source, lines[0], kCertHeader, "an enrolment certificate");
  KeyLines keys(source, lines, kCertKeys);
  UnverifiedCertificate c;
  auto& t = c.terms_;
  for (std::size_t k = 0; k < std::size(kCertKeys); ++k, keys.advance()) {
    const auto v = keys.next(k);
    const auto line = keys.line_no();
    const std::string_view key = kCertKeys[k];
    if (key == "node") {
      // The node name Slurm and the plugin use; the record's node field is
      // matched against it byte for byte.
      if (!is_node_name(v))
        fail(source, line,
             "node=" + KeyLines::printable(v) +
                 " is not a Slurm node name: 1-64 lower-case letters, digits, - or _");
      t.node = v;
    } else if (key == "site") {
      if (!is_site_name(v))
        fail(
            source, line,
            "site=" + KeyLines::printable(v) + " is not a site name: 1-64 letters, digits, - or _");
      t.site = v;
    } else if (key == "tier") {
      const auto tier = records::parse_tier(v);
      if (!tier)
        fail(source, line,
             "tier=" + KeyLines::printable(v) + " is neither institutional nor volunteer");
      t.tier = *tier;
    } else if (key == "public_key") {
      // The key the node's plugin signs its records with (basin records
      // keygen); lower case only, so one key has one spelling.
      if (!is_lower_hex(v, 64))
        fail(source, line,
             "public_key must be the node's Ed25519 public key as 64 lower-case hex digits (the "
             "hex after 'ed25519:' in `basin records keygen`'s line)");
      t.node_public_key = v;
    } else if (key == "cpus") {
      t.cpus = static_cast<std::uint32_t>(number(source, line, key, v, 1, kMaxCpus));
    } else if (key == "memory_mb") {
      t.memory_mb = number(source, line, key, v, 1, kMaxMemoryMb);
    } else if (key == "gpus") {
      t.gpus = static_cast<std::uint32_t>(number(source, line, key, v, 0, kMaxNodeGpus));
    } else if (key == "serial") {
      // Unique within the site: the revocation list names a certificate by
      // node and serial, so a renewal can be revoked without its successor.
      t.serial = number(source, line, key, v, 1,
                        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    } else if (key == "not_before") {
      t.not_before = unix_time(source, line, key, v);
    } else {
      t.not_after = unix_time(source, line, key, v);
      // A bounded window: a machine that leaves without a revocation stops
      // being trusted by itself within 400 days.
      if (t.not_after <= t.not_before)
        fail(source, line,
             "not_after (" + utc_text(t.not_after) + ") is not after not_before (" +
                 utc_text(t.not_before) + "); re-enrol with a positive --valid");
      if (t.not_after - t.not_before > kMaxEnrolmentValidity)
        fail(source, line,
             "valid for more than 400 days (" + utc_text(t.not_before) + " to " +
                 utc_text(t.not_after) + "); re-enrol with --valid 400d or less");
    }
  }
  c.signature_ = signature_line(source, lines, keys.at());
  c.body_ = body_before(text, lines, keys.at());
  c.source_ = source;
  return c;
}

std::string sign_certificate(const EnrolmentTerms& terms, const records::NodeKey& site_key) {
  const auto body = render_certificate_body(terms);
  // Signs only what parse_certificate accepts: checked on the text itself
  // (with a placeholder signature).
  parse_certificate(body + "signature=" + std::string(128, '0') + "\n", "(certificate being made)");
  return body + signature_text(sign_text(kCertDomain, body, site_key));
}

EnrolmentCertificate verify_certificate(const UnverifiedCertificate& cert,
                                        std::string_view site_enrolment_key) {
  if (!verifies(kCertDomain, cert.body_, cert.signature_, site_enrolment_key))
    fail(cert.source_, 0,
         "the signature does not verify with site " + cert.terms_.site +
             "'s enrolment_key in pool.toml: the file was altered or signed with another key; "
             "ask site " +
             cert.terms_.site + " for the certificate again (basin pool enrol)");
  return EnrolmentCertificate(cert.terms_);
}

UnverifiedRevocations parse_revocations(std::string_view text, std::string_view source) {
  const auto lines = lines_of(text, source, kMaxRevocationFile, "a revocation list");
  check_header(source, lines[0], kListHeader, "a revocation list");
  KeyLines keys(source, lines, kListKeys);
  UnverifiedRevocations r;
  auto& t = r.terms_;
  for (std::size_t k = 0; k < std::size(kListKeys); ++k, keys.advance()) {
    const auto v = keys.next(k);
    const auto line = keys.line_no();
    if (k == 0) {
      if (!is_site_name(v))
        fail(
            source, line,
            "site=" + KeyLines::printable(v) + " is not a site name: 1-64 letters, digits, - or _");
      t.site = v;
    } else if (k == 1) {
      t.issued_at = unix_time(source, line, "issued_at", v);
    } else {
      // Grows with every re-signing, so an older list cannot pass for the
      // current one where the newer has been seen.
      t.sequence = number(source, line, "sequence", v, 1,
                          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    }
  }
  std::size_t at = keys.at();
  for (; at < lines.size() && lines[at].starts_with("revoke="); ++at) {
    const auto line = at + 1;
    if (t.entries.size() == kMaxRevocations)
      fail(source, line,
           "more than " + std::to_string(kMaxRevocations) +
               " revocations; remove those of certificates long expired");
    auto rest = lines[at].substr(7);
    std::string_view parts[3];
    for (auto& p : parts) {
      const auto sp = rest.find(' ');
      if (sp == std::string_view::npos)
        fail(source, line, "a revocation is 'revoke=<node> <serial> <revoked_at> <reason>'");
      p = rest.substr(0, sp);
      rest.remove_prefix(sp + 1);
    }
    Revocation e;
    if (!is_node_name(parts[0]))
      fail(source, line,
           "'" + KeyLines::printable(parts[0]) +
               "' is not a Slurm node name: 1-64 lower-case letters, digits, - or _");
    e.node = parts[0];
    e.serial = number(source, line, "serial", parts[1], 1,
                      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    e.revoked_at = unix_time(source, line, "revoked_at", parts[2]);
    // A revocation takes effect when published at the latest; a later date
    // would let a lost machine sign on until then.
    if (e.revoked_at > t.issued_at)
      fail(source, line,
           "revoked_at " + utc_text(e.revoked_at) + " is after the list's issued_at " +
               utc_text(t.issued_at) + "; a revocation cannot be scheduled (use not_after)");
    // Shown to people and written into refusal reasons: printable text only.
    if (rest.empty() || rest.size() > kMaxRevocationReason || rest.front() == ' ' ||
        rest.back() == ' ')
      fail(source, line,
           "the reason must be 1-" + std::to_string(kMaxRevocationReason) +
               " bytes without leading or trailing spaces");
    if (const auto why = records::string_problem(rest))
      fail(source, line, "the reason " + *why + "; write it in printable UTF-8");
    e.reason = rest;
    // One order (by node, then serial) and each certificate once: one list
    // has one spelling, and a duplicate cannot carry two dates.
    if (!t.entries.empty() &&
        std::tie(t.entries.back().node, t.entries.back().serial) >= std::tie(e.node, e.serial))
      fail(source, line,
           "revocation of " + e.node + " serial " + std::to_string(e.serial) +
               " is a duplicate or out of order: entries are sorted by node, then serial, each "
               "once");
    t.entries.push_back(std::move(e));
  }
  r.signature_ = signature_line(source, lines, at);
  r.body_ = body_before(text, lines, at);
  r.source_ = source;
  return r;
}

std::string sign_revocations(const RevocationTerms& terms, const records::NodeKey& site_key) {
  const auto body = render_revocations_body(terms);
  parse_revocations(body + "signature=" + std::string(128, '0') + "\n",
                    "(revocation list being made)");
  return body + signature_text(sign_text(kListDomain, body, site_key));
}

RevocationList verify_revocations(const UnverifiedRevocations& list,
                                  std::string_view site_enrolment_key) {
  if (!verifies(kListDomain, list.body_, list.signature_, site_enrolment_key))
    fail(list.source_, 0,
         "the signature does not verify with site " + list.terms_.site +
             "'s enrolment_key in pool.toml: the file was altered or signed with another key; "
             "ask site " +
             list.terms_.site + " for its revocation list again (basin pool revoke)");
  return RevocationList(list.terms_);
}

RevocationTerms add_revocation(const RevocationList* current, const std::string& site,
                               Revocation entry, std::int64_t now) {
  RevocationTerms t;
  if (current != nullptr) {
    t = current->terms();
    if (t.site != site)
      throw EnrolmentError("the revocation list is site " + t.site + "'s, not site " + site +
                           "'s; give the site's own list");
  } else {
    t.site = site;
  }
  if (entry.revoked_at > now)
    throw EnrolmentError("revocation time " + utc_text(entry.revoked_at) +
                         " is in the future; a revocation takes effect now or earlier");
  for (const auto& e : t.entries)
    if (e.node == entry.node && e.serial == entry.serial)
      throw EnrolmentError("node " + e.node + " serial " + std::to_string(e.serial) +
                           " is already revoked (at " + utc_text(e.revoked_at) +
                           ", reason: " + e.reason + ")");
  const auto pos = std::find_if(t.entries.begin(), t.entries.end(), [&](const Revocation& e) {
    return std::tie(e.node, e.serial) > std::tie(entry.node, entry.serial);
  });
  t.entries.insert(pos, std::move(entry));
  t.sequence += 1;
  t.issued_at = std::max(now, current != nullptr ? current->terms().issued_at : now);
  return t;
}

Enrolment enrolment_of(const EnrolmentCertificate& cert, const std::string& file) {
  const auto& t = cert.terms();
  Enrolment e;
  e.serial = t.serial;
  e.not_before = t.not_before;
  e.not_after = t.not_after;
  e.cpus = t.cpus;
  e.memory_mb = t.memory_mb;
  e.gpus = t.gpus;
  e.file = file;
  return e;
}

EnrolmentDecision decide_enrolment(const Node& node, std::int64_t end) {
  EnrolmentDecision d;
  if (!node.enrolled()) return d;
  auto label = [&](const Enrolment& e) {
    return "node " + node.name + "'s enrolment (site " + node.site + ", serial " +
           std::to_string(e.serial) + ")";
  };
  auto in_window = [&](const Enrolment& e) { return e.not_before <= end && end <= e.not_after; };
  // An unrevoked certificate first: a renewal covers what a revoked
  // predecessor also covered without a flag.
  const Enrolment* flagged = nullptr;
  for (const auto& e : node.enrolments) {
    if (!in_window(e)) continue;
    if (!e.revoked_at) {
      d.status = EnrolmentStatus::covered;
      d.enrolment = &e;
      return d;
    }
    if (end < *e.revoked_at && flagged == nullptr) flagged = &e;
  }
  if (flagged != nullptr) {
    d.status = EnrolmentStatus::covered_before_revocation;
    d.enrolment = flagged;
    d.reason = "made by node " + node.name + " before its revocation at " +
               utc_text(*flagged->revoked_at) + " (site " + node.site + ", serial " +
               std::to_string(flagged->serial) + ", reason: " + flagged->revocation_reason +
               "); kept";
    return d;
  }
  for (const auto& e : node.enrolments) {
    if (in_window(e)) {  // revoked at or before the record's end
      d.status = EnrolmentStatus::revoked;
      d.enrolment = &e;
      d.reason = label(e) + " was revoked at " + utc_text(*e.revoked_at) +
                 " (reason: " + e.revocation_reason + "); this record ends at " + utc_text(end) +
                 ", after that: refused";
      return d;
    }
  }
  // Not in any window: before all of them, or after the latest that began.
  const Enrolment* before = nullptr;  // the latest certificate that began by `end`
  const Enrolment* first = &node.enrolments.front();
  for (const auto& e : node.enrolments) {
    if (e.not_before < first->not_before) first = &e;
    if (e.not_before <= end && (before == nullptr || e.not_after > before->not_after)) before = &e;
  }
  if (before == nullptr) {
    d.status = EnrolmentStatus::not_yet_valid;
    d.enrolment = first;
    d.reason = label(*first) + " is valid from " + utc_text(first->not_before) +
               "; this record ends at " + utc_text(end) +
               ", before that: refused (check the "
               "node's clock, or the certificate's --not-before)";
  } else {
    d.status = EnrolmentStatus::expired;
    d.enrolment = before;
    d.reason = label(*before) + " expired at " + utc_text(before->not_after) +
               "; this record ends at " + utc_text(end) +
               ", after that: refused (the site re-enrols the node with basin pool enrol)";
  }
  return d;
}

}  // namespace basin::federation
