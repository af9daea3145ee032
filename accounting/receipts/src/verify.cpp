// Checking receipts: signature, rate card, and the range proof bound to the
// receipt's public fields. Many receipts share one weighted multi-scalar
// multiplication for their signatures (crypto::ed25519_verify_batch) and one
// for their proofs (crypto::batch_verify_range); each names bad ones itself.
// Signatures are judged by crypto's cofactored rule, single or batched alike,
// so every site that verifies a receipt reaches the same verdict.
#include <tbb/parallel_for.h>

#include <functional>
#include <map>

#include "basin/common/sodium.hpp"
#include "basin/crypto/ed25519.hpp"
#include "basin/crypto/rangeproof.hpp"
#include "basin/receipts/receipt.hpp"
#include "envelope_bytes.hpp"

namespace basin::receipts {

namespace {

// Verification reports every failure as text and never throws.
bool sodium_ready() {
  try {
    common::ensure_sodium();
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

// Version, pool, site and rate card of the public fields; the site's key.
std::optional<std::string> check_fields(const Receipt& r, const Trust& trust,
                                        const records::PublicKey*& key) {
  if (r.version != kReceiptVersion) return "unsupported version " + std::to_string(r.version);
  if (r.pool != trust.pool) return "pool '" + r.pool + "' is not this pool ('" + trust.pool + "')";
  const auto k = trust.site_keys.find(r.provider_site);
  if (k == trust.site_keys.end()) return "unknown provider site '" + r.provider_site + "'";
  const auto card = trust.rate_cards.find(r.provider_site);
  if (card == trust.rate_cards.end()) return "no rate card for site '" + r.provider_site + "'";
  if (!find_card(trust, r.provider_site, r.rate_card_id))
    return "rate card id " + r.rate_card_id + " is none of site '" + r.provider_site +
           "'s cards in pool.toml (current: " + card->second.id() + ")";
  key = &k->second;
  return std::nullopt;
}

// Whether `msg` carries the receipt's signature by a given key.
using SignedBy = std::function<bool(const records::PublicKey&)>;

SignedBy signed_by_check(const Receipt& r, std::span<const std::uint8_t> msg) {
  return [&r, msg](const records::PublicKey& k) {
    return crypto::ed25519_verify({r.signature, msg, k});
  };
}

// The site's signature, by whichever of its keys made it, and whether that
// key signs receipts of the receipt's period.
std::optional<std::string> check_signature(const Receipt& r, const records::PublicKey& current,
                                           const Trust& trust, const SignedBy& signed_by) {
  const std::string& site = r.provider_site;
  if (signed_by(current)) return std::nullopt;
  if (const auto prev = trust.previous_keys.find(site); prev != trust.previous_keys.end()) {
    for (const auto& k : prev->second) {
      if (!signed_by(k.key)) continue;
      if (!k.revoked_from.empty() && r.period >= k.revoked_from)
        return "signed with a key of site '" + site + "' revoked from " + k.revoked_from +
               " (a receipt of " + r.period + ")";
      if (r.period > k.until)
        return "signed with a key of site '" + site + "' that expired after " + k.until +
               " (a receipt of " + r.period + ")";
      return std::nullopt;
    }
  }
  return "signature does not verify with site '" + site + "'s key";
}

// The signatures of many receipts (those whose bad[i] is unset), in batches:
// under each site's current key together; those that fail, together again
// under each of their site's earlier keys (a period signed before a
// rotation), then judged by the key that signed (check_signature). Sets
// bad[i] for each that fails.
void judge_signatures(std::span<const Receipt> receipts,
                      std::span<const std::vector<std::uint8_t>> messages,
                      std::span<const records::PublicKey* const> key, const Trust& trust,
                      std::vector<std::optional<std::string>>& bad) {
  std::vector<crypto::Ed25519Check> checks;
  std::vector<std::size_t> check_index;
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    if (bad[i]) continue;
    checks.push_back({receipts[i].signature, messages[i], *key[i]});
    check_index.push_back(i);
  }
  std::vector<std::size_t> unsigned_now;
  for (auto k : crypto::ed25519_verify_batch(checks)) unsigned_now.push_back(check_index[k]);
  checks.clear();
  check_index.clear();
  for (auto i : unsigned_now)
    if (const auto prev = trust.previous_keys.find(receipts[i].provider_site);
        prev != trust.previous_keys.end())
      for (const auto& k : prev->second) {
        checks.push_back({receipts[i].signature, messages[i], k.key});
        check_index.push_back(i);
      }
  std::vector<char> failed(checks.size(), 0);
  for (auto k : crypto::ed25519_verify_batch(checks)) failed[k] = 1;
  // Per receipt, the earlier key its signature verified under (none: a
  // stranger's or a broken signature).
  std::map<std::size_t, records::PublicKey> signer;
  for (std::size_t k = 0; k < checks.size(); ++k)
    if (!failed[k]) std::copy_n(checks[k].public_key.begin(), 32, signer[check_index[k]].begin());
  for (auto i : unsigned_now)
    bad[i] = check_signature(receipts[i], *key[i], trust, [&](const records::PublicKey& k) {
      const auto s = signer.find(i);
      return s != signer.end() && s->second == k;
    });
}

// Why a proof that failed to verify failed, when the reason is an encoding:
// the first commitment or proof point that is not a valid non-identity
// ristretto255 encoding (decode leaves this check to verification).
std::string proof_failure(const Receipt& r) {
  for (std::size_t i = 0; i < kQuantities; ++i)
    if (!crypto::Point::decode(r.commitments[i], false))
      return std::string("commitment ") + quantity_name(i) +
             " is not a valid non-identity ristretto255 point";
  const std::size_t chunks = r.proof.size() / 32;
  for (std::size_t k = 0; k < chunks; ++k) {
    if (!detail::proof_chunk_is_scalar(k, chunks) &&
        !crypto::Point::decode(std::span(r.proof).subspan(32 * k, 32), false))
      return "proof: point at offset " + std::to_string(32 * k) +
             " is not a valid non-identity ristretto255 encoding";
  }
  return "range proof does not verify for these commitments and public fields";
}

}  // namespace

std::optional<std::string> check_envelope_bytes(std::span<const std::uint8_t> bytes,
                                                const Trust& trust, Receipt& header) {
  try {
    header = detail::signed_header(bytes);
  } catch (const ReceiptError& e) {
    return std::string("malformed: ") + e.what();
  }
  const records::PublicKey* key = nullptr;
  if (auto bad = check_fields(header, trust, key)) return bad;
  const auto msg = detail::signed_message(bytes);
  return check_signature(header, *key, trust, signed_by_check(header, msg));
}

std::vector<std::optional<std::string>> check_envelopes_bytes(
    std::span<const std::span<const std::uint8_t>> receipts, const Trust& trust,
    std::vector<Receipt>& headers) {
  const std::size_t n = receipts.size();
  headers.assign(n, Receipt{});
  std::vector<std::optional<std::string>> bad(n);
  if (!sodium_ready()) {
    bad.assign(n, "libsodium failed to initialise");
    return bad;
  }
  std::vector<const records::PublicKey*> key(n, nullptr);
  std::vector<std::vector<std::uint8_t>> messages(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    try {
      headers[i] = detail::signed_header(receipts[i]);
    } catch (const ReceiptError& e) {
      bad[i] = std::string("malformed: ") + e.what();
      return;
    }
    if ((bad[i] = check_fields(headers[i], trust, key[i]))) return;
    messages[i] = detail::signed_message(receipts[i]);
  });
  judge_signatures(headers, messages, key, trust, bad);
  return bad;
}

std::optional<std::string> check_envelope(const Receipt& r, const Trust& trust) {
  const records::PublicKey* key = nullptr;
  if (auto bad = check_fields(r, trust, key)) return bad;
  std::vector<std::uint8_t> msg;
  try {
    msg = signed_message(r);
  } catch (const ReceiptError& e) {
    return std::string("malformed: ") + e.what();
  }
  return check_signature(r, *key, trust, signed_by_check(r, msg));
}

std::optional<std::string> verify_receipt(const Receipt& receipt, const Trust& trust) {
  if (!sodium_ready()) return "libsodium failed to initialise";
  if (auto bad = check_envelope(receipt, trust)) return bad;
  if (!crypto::verify_range(receipt.commitments, receipt.proof, proof_context(receipt)))
    return proof_failure(receipt);
  return std::nullopt;
}

std::vector<Failure> verify_batch(std::span<const Receipt> receipts, const Trust& trust) {
  if (!sodium_ready()) return {{0, "libsodium failed to initialise"}};
  const std::size_t n = receipts.size();
  // 1. Each receipt's fields, signed message and proof context.
  std::vector<std::optional<std::string>> bad(n);
  std::vector<const records::PublicKey*> key(n, nullptr);
  std::vector<std::vector<std::uint8_t>> messages(n), contexts(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    if ((bad[i] = check_fields(receipts[i], trust, key[i]))) return;
    try {
      messages[i] = signed_message(receipts[i]);
    } catch (const ReceiptError& e) {
      bad[i] = std::string("malformed: ") + e.what();
      return;
    }
    contexts[i] = proof_context(receipts[i]);
  });
  // 2. Their signatures, together.
  judge_signatures(receipts, messages, key, trust, bad);
  // 3. Range proofs of the receipts whose envelope holds, together.
  std::vector<Failure> failures;
  std::vector<crypto::RangeProofItem> items;
  std::vector<std::size_t> item_index;
  for (std::size_t i = 0; i < n; ++i) {
    if (bad[i]) {
      failures.push_back({i, *bad[i]});
      continue;
    }
    items.push_back({receipts[i].commitments, receipts[i].proof, contexts[i]});
    item_index.push_back(i);
  }
  for (auto k : crypto::batch_verify_range(items))
    failures.push_back({item_index[k], proof_failure(receipts[item_index[k]])});
  std::sort(failures.begin(), failures.end(),
            [](const Failure& a, const Failure& b) { return a.index < b.index; });
  return failures;
}

crypto::Point credit_commitment(const Receipt& receipt, const RateCard& rates) {
  crypto::Point sum;
  for (std::size_t i = 0; i < kQuantities; ++i) {
    const auto c = crypto::Point::decode(receipt.commitments[i], false);
    if (!c) throw ReceiptError(std::string("commitment ") + quantity_name(i) + " is not valid");
    sum += *c * crypto::Scalar::from_u64(rates.micro_credits[i]);
  }
  return sum;
}

}  // namespace basin::receipts
