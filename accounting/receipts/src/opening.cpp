// Sealed openings: the account holder's view of its own receipts.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/crypto/pedersen.hpp"
#include "basin/receipts/receipt.hpp"
#include "byte_io.hpp"
#include "opening_codec.hpp"

namespace basin::receipts {
namespace detail {

// Version 3 is version 1's fields and the record's hash, followed by zeros up
// to kPaddedOpening bytes: every sealed opening has one length, so its size
// no longer tells how long the job identity or result digest is. Versions 2
// (padded, no record hash) and 1 (unpadded) still open.
constexpr std::uint8_t kOpeningVersion = 3;
constexpr std::uint8_t kPaddedV2OpeningVersion = 2;
constexpr std::uint8_t kUnpaddedOpeningVersion = 1;
constexpr std::size_t kPaddedV2Opening =
    1 + 8 * kQuantities + 32 * kQuantities + 2 + kMaxField + 32 + 2 + kMaxField;
constexpr std::size_t kPaddedOpening = kPaddedV2Opening + 32;

std::vector<std::uint8_t> encode_opening(const Opening& o) {
  Writer w;
  w.put<std::uint8_t>(kOpeningVersion);
  for (auto v : o.values) w.put<std::uint64_t>(v);
  for (const auto& b : o.blindings) w.put_bytes(b);
  w.put_string(o.job_identity, "job_identity");
  w.put_bytes(o.salt);
  w.put_string(o.result_digest, "result_digest");
  w.put_bytes(o.record_hash);
  auto out = w.take();
  out.resize(kPaddedOpening, 0);  // fields are bounded: never longer
  return out;
}

Opening decode_opening(std::span<const std::uint8_t> bytes) {
  Reader in(bytes);
  const auto version = in.get<std::uint8_t>("opening version");
  if (version != kOpeningVersion && version != kPaddedV2OpeningVersion &&
      version != kUnpaddedOpeningVersion)
    throw ReceiptError("opening version is not supported");
  const std::size_t padded = version == kOpeningVersion ? kPaddedOpening : kPaddedV2Opening;
  if (version != kUnpaddedOpeningVersion && bytes.size() != padded)
    throw ReceiptError("opening: not padded to " + std::to_string(padded) + " bytes");
  Opening o;
  for (auto& v : o.values) v = in.get<std::uint64_t>("value");
  for (auto& b : o.blindings) {
    const auto s = in.get_bytes(32, "blinding");
    if (!crypto::Scalar::from_canonical(s)) throw ReceiptError("opening: blinding not canonical");
    std::copy(s.begin(), s.end(), b.begin());
  }
  o.job_identity = in.get_string("job_identity");
  const auto salt = in.get_bytes(32, "salt");
  std::copy(salt.begin(), salt.end(), o.salt.begin());
  o.result_digest = in.get_string("result_digest");
  if (version == kOpeningVersion) {
    const auto h = in.get_bytes(32, "record_hash");
    std::copy(h.begin(), h.end(), o.record_hash.begin());
  }
  if (version == kUnpaddedOpeningVersion && in.remaining() != 0)
    throw ReceiptError("opening: trailing bytes");
  for (const auto b : in.get_bytes(in.remaining(), "padding"))
    if (b != 0) throw ReceiptError("opening: padding is not zero");
  return o;
}

}  // namespace detail

AccountKey AccountKey::generate() {
  common::ensure_sodium();
  AccountKey k;
  crypto_box_keypair(k.public_.data(), k.secret_.data());
  return k;
}

AccountKey AccountKey::load(const std::string& path) {
  common::ensure_sodium();
  const records::SecretText file = [&] {
    try {
      return records::read_secret_key_file(path, false, 255, "account key",
                                           "create one with `basin pool add-account`");
    } catch (const records::RecordError& e) {
      throw ReceiptError(e.what());
    }
  }();
  constexpr std::string_view kPrefix = "basin-x25519-secret ";
  const std::string_view text = file.text();
  AccountKey k;
  const bool ok =
      text.starts_with(kPrefix) && common::from_hex(text.substr(kPrefix.size()), k.secret_);
  if (!ok)
    throw ReceiptError("account key " + path +
                       " is not one line 'basin-x25519-secret <64 hex digits>'");
  crypto_scalarmult_base(k.public_.data(), k.secret_.data());
  return k;
}

AccountKey::~AccountKey() {
  sodium_memzero(secret_.data(), secret_.size());
}
AccountKey::AccountKey(AccountKey&& o) noexcept : secret_(o.secret_), public_(o.public_) {
  sodium_memzero(o.secret_.data(), o.secret_.size());
}

Opening open_receipt(const Receipt& receipt, const AccountKey& key) {
  if (receipt.sealed_opening.size() < crypto_box_SEALBYTES)
    throw ReceiptError("sealed opening is too short");
  std::vector<std::uint8_t> plain(receipt.sealed_opening.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(plain.data(), receipt.sealed_opening.data(),
                           receipt.sealed_opening.size(), key.public_key().data(),
                           key.secret_key().data()) != 0)
    throw ReceiptError("the opening is not sealed to this key (not account '" + receipt.account +
                       "'s key, or altered)");
  const Opening o = detail::decode_opening(plain);
  sodium_memzero(plain.data(), plain.size());
  std::vector<crypto::Scalar> blindings;
  for (const auto& b : o.blindings) blindings.push_back(*crypto::Scalar::from_canonical(b));
  const auto c = crypto::commit(o.values, blindings);
  for (std::size_t i = 0; i < kQuantities; ++i)
    if (c[i] != receipt.commitments[i])
      throw ReceiptError(std::string("the opening does not match commitment ") + quantity_name(i));
  if (job_reference(o.job_identity, o.salt) != receipt.job_ref)
    throw ReceiptError("the opening's job identity does not match the job reference");
  return o;
}

unsigned __int128 credit_of(const Opening& opening, const RateCard& rates) {
  unsigned __int128 sum = 0;
  for (std::size_t i = 0; i < kQuantities; ++i)
    sum += static_cast<unsigned __int128>(opening.values[i]) * rates.micro_credits[i];
  return sum;
}

X25519Key parse_x25519_hex(const std::string& hex) {
  X25519Key k{};
  if (!common::from_hex(hex, k)) throw ReceiptError("X25519 key must be 64 hex digits");
  return k;
}

crypto::Bytes32 parse_hex32(const std::string& hex, const std::string& what) {
  crypto::Bytes32 out{};
  if (!common::from_hex(hex, out)) throw ReceiptError(what + " must be 64 hex digits");
  return out;
}

records::PublicKey parse_ed25519_hex(const std::string& hex) {
  records::PublicKey k{};
  if (!common::from_hex(hex, k)) throw ReceiptError("Ed25519 key must be 64 hex digits");
  return k;
}

}  // namespace basin::receipts
