#include "basin/books/openings.hpp"

#include "basin/books/exchange.hpp"
#include "basin/tlog/signed_note.hpp"

namespace basin::books {
namespace {

constexpr const char* kHeader = "basin-pair-opening/v1";

// 64 lower-case hex digits (the one hex codec of the log, tlog::to_hex).
tlog::Hash hash32(const std::string& s, const char* what) {
  tlog::Hash out{};
  for (char c : s)
    if (c >= 'A' && c <= 'F') throw OpeningError(std::string(what) + " must be lower-case hex");
  if (!tlog::parse_hash(s, out)) throw OpeningError(std::string(what) + " is not 64 hex digits");
  return out;
}

std::uint64_t decimal(const std::string& s, const char* what) {
  std::uint64_t v = 0;
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0'))
    throw OpeningError(std::string(what) + " '" + s + "' is not a canonical decimal");
  for (char c : s) {
    if (c < '0' || c > '9') throw OpeningError(std::string(what) + " '" + s + "' is not decimal");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// The value of line `i`, which must read "<key> <value>".
std::string field(const std::vector<std::string>& lines, std::size_t i, const char* key) {
  const std::string prefix = std::string(key) + " ";
  if (i >= lines.size() || lines[i].rfind(prefix, 0) != 0)
    throw OpeningError("opening line " + std::to_string(i + 1) + " must start with '" + prefix +
                       "'");
  return lines[i].substr(prefix.size());
}

// Names as pool.toml allows them (1-64 letters, digits, - or _), a month as
// YYYY-MM: nothing else may reach a statement or a terminal.
std::string checked_name(const std::string& s, const char* what) {
  bool ok = !s.empty() && s.size() <= 64;
  for (char c : s)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_');
  if (!ok) throw OpeningError(std::string(what) + " is not a name (1-64 letters, digits, - or _)");
  return s;
}

std::string checked_period(const std::string& s) {
  bool ok = s.size() == 7 && s[4] == '-';
  for (std::size_t i = 0; ok && i < s.size(); ++i) ok = i == 4 || (s[i] >= '0' && s[i] <= '9');
  if (!ok || s.substr(5) < "01" || s.substr(5) > "12")
    throw OpeningError("period '" + s + "' is not a month YYYY-MM");
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (auto at = s.find(sep); at != std::string::npos; at = s.find(sep, pos)) {
    out.push_back(s.substr(pos, at - pos));
    pos = at + 1;
  }
  out.push_back(s.substr(pos));
  return out;
}

}  // namespace

std::string opening_key_name(const std::string& pool, const std::string& site) {
  return pool + "/" + site + "/openings";
}

std::string opening_text(const SignedOpening& o) {
  const auto leaves = o.opening.leaves.find(o.origin);
  if (o.opening.leaves.size() > 1 ||
      (leaves == o.opening.leaves.end() && !o.opening.leaves.empty()))
    throw OpeningError("an opening covers receipts of its provider's own log only");
  if (o.opening.micro_credits < 0) throw OpeningError("an opening's total cannot be negative");
  std::string t = std::string(kHeader) + "\n";
  t += "pool " + o.pool + "\n";
  t += "period " + o.period + "\n";
  t += "provider " + o.opening.provider + "\n";
  t += "consumer " + o.opening.consumer + "\n";
  t += "checkpoint " + o.origin + " " + std::to_string(o.size) + " " + tlog::to_hex(o.root) + "\n";
  t +=
      "leaves " +
      (leaves == o.opening.leaves.end() ? std::string() : settlement::leaf_ranges(leaves->second)) +
      "\n";
  t += "micro_credits " + std::to_string(o.opening.micro_credits) + "\n";
  t += "blinding " + tlog::to_hex(o.opening.blinding) + "\n";
  return t;
}

SignedOpening parse_opening_text(const std::string& text) {
  if (text.empty() || text.back() != '\n') throw OpeningError("opening must end with a newline");
  auto lines = split(text.substr(0, text.size() - 1), '\n');
  if (lines.size() != 9 || lines[0] != kHeader)
    throw OpeningError("not a basin-pair-opening/v1 of 9 lines");
  SignedOpening o;
  o.pool = checked_name(field(lines, 1, "pool"), "pool");
  o.period = checked_period(field(lines, 2, "period"));
  o.opening.provider = checked_name(field(lines, 3, "provider"), "provider");
  o.opening.consumer = checked_name(field(lines, 4, "consumer"), "consumer");
  const auto cp = split(field(lines, 5, "checkpoint"), ' ');
  if (cp.size() != 3) throw OpeningError("checkpoint line must be '<origin> <size> <root hex>'");
  o.origin = cp[0];
  o.size = decimal(cp[1], "checkpoint size");
  o.root = hash32(cp[2], "checkpoint root");
  const auto leaves = settlement::parse_leaf_ranges(field(lines, 6, "leaves"));
  if (!leaves) throw OpeningError("leaves must be ascending ranges like 0-4,7,9-12");
  for (auto l : *leaves)
    if (l >= o.size) throw OpeningError("leaf " + std::to_string(l) + " is beyond the checkpoint");
  if (!leaves->empty()) o.opening.leaves[o.origin] = *leaves;
  const auto credits = decimal(field(lines, 7, "micro_credits"), "micro_credits");
  if (credits > static_cast<std::uint64_t>(INT64_MAX)) throw OpeningError("total beyond 2^63");
  o.opening.micro_credits = static_cast<std::int64_t>(credits);
  o.opening.blinding = hash32(field(lines, 8, "blinding"), "blinding");
  if (opening_text(o) != text) throw OpeningError("opening is not in canonical form");
  return o;
}

std::string sign_opening(const SignedOpening& o, const std::array<std::uint8_t, 32>& seed) {
  const auto signer =
      tlog::NoteSigner::from_seed(opening_key_name(o.pool, o.opening.provider), seed);
  return tlog::sign_note(opening_text(o), signer);
}

SignedOpening verify_opening(const std::string& note, const federation::Pool& pool) {
  const auto split_at = note.find("\n\n");
  if (split_at == std::string::npos) throw OpeningError("opening has no signature");
  const auto o = parse_opening_text(note.substr(0, split_at + 1));
  if (o.pool != pool.name) throw OpeningError("an opening of pool " + o.pool);
  const federation::Site* provider = nullptr;
  for (const auto& s : pool.sites)
    if (s.name == o.opening.provider) provider = &s;
  if (!provider) throw OpeningError("provider " + o.opening.provider + " is no site of the pool");
  if (o.origin != log_origin(pool.name, provider->name))
    throw OpeningError("an opening of " + provider->name + " covering log " + o.origin);
  const auto key = receipts::parse_ed25519_hex(provider->signing_key);
  std::array<std::uint8_t, 32> pk{};
  std::copy(key.begin(), key.end(), pk.begin());
  try {
    tlog::open_note(note, tlog::make_verifier(opening_key_name(pool.name, provider->name), pk));
  } catch (const tlog::NoteError& e) {
    throw OpeningError(std::string("opening of ") + provider->name + " -> " + o.opening.consumer +
                       ": " + e.what());
  }
  return o;
}

}  // namespace basin::books
