// Checking receipts: signature, rate card, and the range proof bound to the
// receipt's public fields. Many receipts share one weighted multi-scalar
// multiplication (crypto::batch_verify_range), which names bad proofs itself.
#include <sodium.h>
#include <tbb/parallel_for.h>

#include "basin/common/sodium.hpp"
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

// The site's signature over `msg`, by whichever of its keys made it, and
// whether that key signs receipts of the receipt's period.
std::optional<std::string> check_signature(const Receipt& r, std::span<const std::uint8_t> msg,
                                           const records::PublicKey& current, const Trust& trust) {
  auto signed_by = [&](const records::PublicKey& k) {
    return crypto_sign_verify_detached(r.signature.data(), msg.data(), msg.size(), k.data()) == 0;
  };
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
  return check_signature(header, msg, *key, trust);
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
  return check_signature(r, msg, *key, trust);
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
  std::vector<std::optional<std::string>> envelope(receipts.size());
  std::vector<std::vector<std::uint8_t>> contexts(receipts.size());
  tbb::parallel_for(std::size_t{0}, receipts.size(), [&](std::size_t i) {
    envelope[i] = check_envelope(receipts[i], trust);
    if (!envelope[i]) contexts[i] = proof_context(receipts[i]);
  });
  std::vector<Failure> failures;
  std::vector<crypto::RangeProofItem> items;
  std::vector<std::size_t> item_index;
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    if (envelope[i]) {
      failures.push_back({i, *envelope[i]});
      continue;
    }
    items.push_back({receipts[i].commitments, receipts[i].proof, contexts[i]});
    item_index.push_back(i);
  }
  for (auto bad : crypto::batch_verify_range(items))
    failures.push_back({item_index[bad], proof_failure(receipts[item_index[bad]])});
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
