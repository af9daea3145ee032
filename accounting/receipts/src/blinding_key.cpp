// A site's blinding secrets: the keyed, domain-separated KDF behind every
// receipt's blindings and job salt, kept apart from the signing key.
#include <sodium.h>

#include <algorithm>
#include <sstream>

#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::receipts {
namespace {

constexpr std::string_view kPrefix = "basin-blinding-secret ";
constexpr std::size_t kMaxFile = 64 * 1024;

bool is_period(std::string_view p) {
  if (p.size() != 7 || p[4] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6})
    if (p[i] < '0' || p[i] > '9') return false;
  return p.substr(5) >= "01" && p.substr(5) <= "12";
}

}  // namespace

BlindingKey::~BlindingKey() {
  for (auto& [from, secret] : secrets_) sodium_memzero(secret.data(), secret.size());
}

BlindingKey::BlindingKey(BlindingKey&& other) noexcept : secrets_(std::move(other.secrets_)) {
  other.secrets_.clear();
}

BlindingKey BlindingKey::generate(const std::string& from) {
  common::ensure_sodium();
  if (!is_period(from)) throw ReceiptError("'" + from + "' is not a period YYYY-MM");
  BlindingKey k;
  k.secrets_.emplace_back(from, crypto::Bytes32{});
  randombytes_buf(k.secrets_.back().second.data(), k.secrets_.back().second.size());
  return k;
}

void BlindingKey::rotate(const std::string& from) {
  if (!is_period(from)) throw ReceiptError("'" + from + "' is not a period YYYY-MM");
  if (!secrets_.empty() && from <= secrets_.back().first)
    throw ReceiptError("a new blinding secret must start after " + secrets_.back().first +
                       ", the start of the newest one");
  secrets_.emplace_back(from, crypto::Bytes32{});
  randombytes_buf(secrets_.back().second.data(), secrets_.back().second.size());
}

BlindingKey BlindingKey::load(const std::string& path) {
  common::ensure_sodium();
  const records::SecretText file = [&] {
    try {
      return records::read_secret_key_file(
          path, false, kMaxFile, "blinding key",
          "`basin pool add-site` writes <site>.blind.key next to the signing key");
    } catch (const records::RecordError& e) {
      throw ReceiptError(e.what());
    }
  }();
  const std::string_view text = file.text();
  BlindingKey k;
  std::string why;
  std::size_t line_no = 0;
  for (std::size_t at = 0; why.empty() && at < text.size(); ++line_no) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    // "basin-blinding-secret YYYY-MM <64 hex>"
    crypto::Bytes32 secret{};
    if (!line.starts_with(kPrefix) || line.size() != kPrefix.size() + 7 + 1 + 64 ||
        !is_period(line.substr(kPrefix.size(), 7)) || line[kPrefix.size() + 7] != ' ' ||
        !common::from_hex(line.substr(kPrefix.size() + 8), secret)) {
      why = "line " + std::to_string(line_no + 1) +
            " is not 'basin-blinding-secret <first period YYYY-MM> <64 hex digits>'";
    } else {
      std::string from(line.substr(kPrefix.size(), 7));
      if (!k.secrets_.empty() && from <= k.secrets_.back().first)
        why = "line " + std::to_string(line_no + 1) + ": periods must increase";
      else
        k.secrets_.emplace_back(std::move(from), secret);
    }
    sodium_memzero(secret.data(), secret.size());
  }
  if (why.empty() && k.secrets_.empty()) why = "holds no secret";
  if (!why.empty()) throw ReceiptError("blinding key " + path + " " + why);
  return k;
}

std::string BlindingKey::to_text() const {
  std::string out;
  for (const auto& [from, secret] : secrets_)
    out += std::string(kPrefix) + from + " " + common::to_hex(secret) + "\n";
  return out;
}

const crypto::Bytes32& BlindingKey::secret_for(const std::string& period) const {
  const auto it = std::find_if(secrets_.rbegin(), secrets_.rend(),
                               [&](const auto& s) { return s.first <= period; });
  if (it == secrets_.rend())
    throw ReceiptError("no blinding secret for period " + period + " (the first starts " +
                       (secrets_.empty() ? std::string("nowhere") : secrets_.front().first) + ")");
  return it->second;
}

void BlindingKey::derive(const std::string& period, std::string_view domain,
                         std::span<const std::uint8_t> message, std::span<std::uint8_t> out) const {
  const auto& key = secret_for(period);
  crypto_generichash_state st;
  crypto_generichash_init(&st, key.data(), key.size(), out.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  crypto_generichash_update(&st, message.data(), message.size());
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
}

}  // namespace basin::receipts
