// The canonical receipt encoding (docs/receipt-format.md) and its JSON view.
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "basin/common/hex.hpp"
#include "basin/crypto/rangeproof.hpp"
#include "basin/receipts/receipt.hpp"
#include "byte_io.hpp"
#include "envelope_bytes.hpp"

namespace basin::receipts {
namespace {

constexpr char kMagic[8] = {'B', 'A', 'S', 'I', 'N', 'R', 'C', 'T'};
constexpr std::string_view kContextDomain = "basin/receipt-context/v1\n";
constexpr std::string_view kSignatureDomain = "basin/receipt/v1\n";

void check_period(const std::string& p) {
  // "YYYY-MM", month 01..12: one period has one spelling.
  const bool shape =
      p.size() == 7 && p[4] == '-' &&
      std::all_of(p.begin(), p.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
      p[5] >= '0' && p[5] <= '1' && p[6] >= '0' && p[6] <= '9';
  const int month = shape ? (p[5] - '0') * 10 + (p[6] - '0') : 0;
  if (!shape || month < 1 || month > 12)
    throw ReceiptError("period '" + p + "' is not YYYY-MM (month 01..12)");
}

void check_nonempty(const std::string& s, const char* field) {
  if (s.empty()) throw ReceiptError(std::string(field) + " is empty");
}

// The public header: everything up to and including n and m.
void put_header(detail::Writer& w, const Receipt& r) {
  check_nonempty(r.pool, "pool");
  check_nonempty(r.provider_site, "provider_site");
  check_nonempty(r.account, "account");
  check_nonempty(r.rate_card_id, "rate_card_id");
  check_period(r.period);
  if (r.version != kReceiptVersion)
    throw ReceiptError("receipt version " + std::to_string(r.version) + " is not supported");
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(kMagic), sizeof kMagic});
  w.put<std::uint8_t>(r.version);
  w.put_string(r.pool, "pool");
  w.put_string(r.provider_site, "provider_site");
  w.put_string(r.account, "account");
  w.put_string(r.period, "period");
  w.put_bytes(r.job_ref);
  w.put_string(r.rate_card_id, "rate_card_id");
  w.put<std::uint8_t>(static_cast<std::uint8_t>(kRangeBits));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(kQuantities));
}

void put_unsigned(detail::Writer& w, const Receipt& r) {
  put_header(w, r);
  for (const auto& c : r.commitments) w.put_bytes(c);
  if (r.proof.size() != crypto::range_proof_size(kQuantities))
    throw ReceiptError("proof has " + std::to_string(r.proof.size()) + " bytes, expected " +
                       std::to_string(crypto::range_proof_size(kQuantities)));
  w.put<std::uint16_t>(static_cast<std::uint16_t>(r.proof.size()));
  w.put_bytes(r.proof);
  if (r.sealed_opening.size() < crypto_box_SEALBYTES || r.sealed_opening.size() > kMaxSealedOpening)
    throw ReceiptError("sealed opening has a bad length");
  w.put<std::uint16_t>(static_cast<std::uint16_t>(r.sealed_opening.size()));
  w.put_bytes(r.sealed_opening);
}

// The proof's scalars (detail::proof_chunk_is_scalar) are checked
// here (a comparison); whether each point is a valid ristretto255 encoding
// costs an inverse square root, so it is checked once, where the proof is
// verified (verify_receipt, verify_batch name a bad one).
void check_proof_scalars(std::span<const std::uint8_t> proof) {
  const std::size_t chunks = proof.size() / 32;
  for (std::size_t k = 0; k < chunks; ++k) {
    if (detail::proof_chunk_is_scalar(k, chunks) &&
        !crypto::Scalar::from_canonical(proof.subspan(32 * k, 32)))
      throw ReceiptError("proof: scalar at offset " + std::to_string(32 * k) +
                         " is not canonical (>= group order)");
  }
}

}  // namespace

const char* quantity_name(std::size_t i) {
  static constexpr const char* kNames[kQuantities] = {"core_seconds", "mem_mb_seconds",
                                                      "gpu_seconds", "wall_seconds"};
  return i < kQuantities ? kNames[i] : "?";
}

std::vector<std::uint8_t> proof_context(const Receipt& receipt) {
  detail::Writer w;
  w.put_bytes(
      {reinterpret_cast<const std::uint8_t*>(kContextDomain.data()), kContextDomain.size()});
  put_header(w, receipt);
  return w.take();
}

std::vector<std::uint8_t> signed_message(const Receipt& receipt) {
  detail::Writer w;
  w.put_bytes(
      {reinterpret_cast<const std::uint8_t*>(kSignatureDomain.data()), kSignatureDomain.size()});
  put_unsigned(w, receipt);
  return w.take();
}

std::vector<std::uint8_t> encode(const Receipt& receipt) {
  detail::Writer w;
  put_unsigned(w, receipt);
  w.put_bytes(receipt.signature);
  return w.take();
}

namespace {

// The public fields, up to and including n and m: shared by decode() and
// the cheap envelope check on raw bytes.
void read_header(detail::Reader& in, Receipt& r, std::size_t size) {
  if (size > kMaxReceiptBytes)
    throw ReceiptError("receipt is " + std::to_string(size) + " bytes; at most " +
                       std::to_string(kMaxReceiptBytes) + " allowed");
  if (std::memcmp(in.get_bytes(sizeof kMagic, "magic").data(), kMagic, sizeof kMagic) != 0)
    throw ReceiptError("not a receipt (magic is not BASINRCT)");
  r.version = in.get<std::uint8_t>("version");
  if (r.version != kReceiptVersion)
    throw ReceiptError("receipt version " + std::to_string(r.version) +
                       " is not supported (expected " + std::to_string(kReceiptVersion) + ")");
  r.pool = in.get_string("pool");
  r.provider_site = in.get_string("provider_site");
  r.account = in.get_string("account");
  r.period = in.get_string("period");
  check_nonempty(r.pool, "pool");
  check_nonempty(r.provider_site, "provider_site");
  check_nonempty(r.account, "account");
  check_period(r.period);
  const auto ref = in.get_bytes(32, "job_ref");
  std::copy(ref.begin(), ref.end(), r.job_ref.begin());
  r.rate_card_id = in.get_string("rate_card_id");
  check_nonempty(r.rate_card_id, "rate_card_id");
  const auto n = in.get<std::uint8_t>("n");
  const auto m = in.get<std::uint8_t>("m");
  if (n != kRangeBits || m != kQuantities)
    throw ReceiptError("n = " + std::to_string(n) + ", m = " + std::to_string(m) +
                       "; version 1 receipts have n = 64, m = 4");
}

}  // namespace

Receipt decode(std::span<const std::uint8_t> bytes) {
  detail::Reader in(bytes);
  Receipt r;
  read_header(in, r, bytes.size());
  for (std::size_t i = 0; i < kQuantities; ++i) {
    const auto c = in.get_bytes(32, "commitment");
    std::copy(c.begin(), c.end(), r.commitments[i].begin());
  }
  const auto proof_len = in.get<std::uint16_t>("proof length");
  if (proof_len != crypto::range_proof_size(kQuantities))
    throw ReceiptError("proof length " + std::to_string(proof_len) + ", expected " +
                       std::to_string(crypto::range_proof_size(kQuantities)));
  const auto proof = in.get_bytes(proof_len, "proof");
  check_proof_scalars(proof);
  r.proof.assign(proof.begin(), proof.end());
  const auto sealed_len = in.get<std::uint16_t>("sealed opening length");
  if (sealed_len < crypto_box_SEALBYTES || sealed_len > kMaxSealedOpening)
    throw ReceiptError("sealed opening length " + std::to_string(sealed_len) + " out of range");
  const auto sealed = in.get_bytes(sealed_len, "sealed opening");
  r.sealed_opening.assign(sealed.begin(), sealed.end());
  const auto sig = in.get_bytes(records::kSignatureBytes, "signature");
  std::copy(sig.begin(), sig.end(), r.signature.begin());
  if (in.remaining() != 0)
    throw ReceiptError(std::to_string(in.remaining()) + " trailing bytes after the signature");
  return r;
}

std::string to_json(const Receipt& r, int indent) {
  nlohmann::ordered_json j;
  j["version"] = r.version;
  j["pool"] = r.pool;
  j["provider_site"] = r.provider_site;
  j["account"] = r.account;
  j["period"] = r.period;
  j["job_ref"] = common::to_hex(r.job_ref);
  j["rate_card_id"] = r.rate_card_id;
  j["n"] = kRangeBits;
  j["m"] = kQuantities;
  auto& c = j["commitments"];
  for (std::size_t i = 0; i < kQuantities; ++i)
    c[quantity_name(i)] = common::to_hex(r.commitments[i]);
  j["proof"] = common::to_hex(r.proof);
  j["sealed_opening"] = common::to_hex(r.sealed_opening);
  j["signature"] = common::to_hex(r.signature);
  return j.dump(indent);
}

namespace detail {

Receipt signed_header(std::span<const std::uint8_t> bytes) {
  detail::Reader in(bytes);
  Receipt r;
  read_header(in, r, bytes.size());
  if (bytes.size() < records::kSignatureBytes + 1)
    throw ReceiptError("receipt too short to carry a signature");
  const auto sig = bytes.subspan(bytes.size() - records::kSignatureBytes);
  std::copy(sig.begin(), sig.end(), r.signature.begin());
  return r;
}

std::vector<std::uint8_t> signed_message(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> msg(kSignatureDomain.begin(), kSignatureDomain.end());
  msg.insert(msg.end(), bytes.begin(), bytes.end() - records::kSignatureBytes);
  return msg;
}

}  // namespace detail

}  // namespace basin::receipts
