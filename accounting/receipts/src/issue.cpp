// From a verified usage record to a signed receipt.
#include <sodium.h>

#include <cstdio>
#include <ctime>

#include "basin/crypto/pedersen.hpp"
#include "basin/crypto/rangeproof.hpp"
#include "basin/receipts/receipt.hpp"
#include "byte_io.hpp"
#include "opening_codec.hpp"

namespace basin::receipts {

std::string RateCard::id() const {
  detail::Writer w;
  const std::string_view domain = "basin/rate-card/v1\n";
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()});
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(site.data()), site.size()});
  w.put<std::uint8_t>('\n');
  for (auto rate : micro_credits) w.put<std::uint64_t>(rate);
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> h{};
  crypto_hash_sha256(h.data(), w.bytes().data(), w.bytes().size());
  return site + ":" + detail::to_hex(std::span(h.data(), 8));
}

Quantities quantities_of(const records::UsageRecord& record) {
  const std::uint64_t wall = record.end_time > record.start_time
                                 ? static_cast<std::uint64_t>(record.end_time) -
                                       static_cast<std::uint64_t>(record.start_time)
                                 : 0;
  Quantities q{};
  if (__builtin_mul_overflow(std::uint64_t{record.alloc_cores}, wall, &q[core_seconds]) ||
      __builtin_mul_overflow(record.alloc_mem_mb, wall, &q[mem_mb_seconds]) ||
      __builtin_mul_overflow(std::uint64_t{record.alloc_gpus}, wall, &q[gpu_seconds]))
    throw ReceiptError("usage of " + records::identity(record) + " overflows 64 bits");
  q[wall_seconds] = wall;
  return q;
}

std::string period_of(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm))
    throw ReceiptError("time " + std::to_string(unix_seconds) + " out of range");
  const int year = tm.tm_year + 1900;
  if (year < 1970 || year > 9999)
    throw ReceiptError("end time " + std::to_string(unix_seconds) + " is not in 1970..9999");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year % 10000, (tm.tm_mon + 1) % 100);
  return buf;
}

crypto::Bytes32 job_reference(const std::string& job_identity, const crypto::Bytes32& salt) {
  const std::string_view domain = "basin/job-ref/v1\n";
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  crypto_hash_sha256_update(&st, salt.data(), salt.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(job_identity.data()),
                            job_identity.size());
  crypto::Bytes32 out{};
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

crypto::Bytes32 job_salt(const std::string& job_identity, const records::NodeKey& site_key) {
  const std::string_view domain = "basin/job-salt/v1\n";
  detail::Writer w;
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()});
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(job_identity.data()), job_identity.size()});
  // As for the blindings: a deterministic signature, hashed, is a PRF of the
  // identity under the site key.
  auto sig = site_key.sign(w.bytes());
  crypto::Bytes32 salt{};
  crypto_generichash(salt.data(), salt.size(), sig.data(), sig.size(), nullptr, 0);
  sodium_memzero(sig.data(), sig.size());
  return salt;
}

crypto::Bytes32 expected_job_ref(const std::string& job_identity,
                                 const records::NodeKey& site_key) {
  return job_reference(job_identity, job_salt(job_identity, site_key));
}

std::array<crypto::Scalar, kQuantities> receipt_blindings(const crypto::Bytes32& job_ref,
                                                          const records::NodeKey& site_key) {
  std::array<crypto::Scalar, kQuantities> out;
  const std::string_view domain = "basin/receipt-blinding/v1\n";
  for (std::size_t i = 0; i < kQuantities; ++i) {
    detail::Writer w;
    w.put_bytes({reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()});
    w.put_bytes(job_ref);
    w.put<std::uint8_t>(static_cast<std::uint8_t>(i));
    // Ed25519 signatures are deterministic and need the secret key; hashed,
    // they are a PRF of the message under the site key.
    auto sig = site_key.sign(w.bytes());
    std::array<std::uint8_t, 64> wide{};
    crypto_generichash(wide.data(), wide.size(), sig.data(), sig.size(), nullptr, 0);
    out[i] = crypto::Scalar::from_wide(wide);
    sodium_memzero(sig.data(), sig.size());
    sodium_memzero(wide.data(), wide.size());
  }
  return out;
}

crypto::Scalar credit_blinding(const Receipt& receipt, const RateCard& rates,
                               const records::NodeKey& site_key) {
  const auto r = receipt_blindings(receipt.job_ref, site_key);
  crypto::Scalar sum;
  for (std::size_t i = 0; i < kQuantities; ++i)
    sum += r[i] * crypto::Scalar::from_u64(rates.micro_credits[i]);
  return sum;
}

Receipt issue_receipt(const records::UsageRecord& record, const std::string& account,
                      const std::string& pool, const RateCard& rates, const X25519Key& account_key,
                      const records::NodeKey& site_key) {
  if (sodium_init() < 0) throw ReceiptError("libsodium failed to initialise");
  if (rates.site != record.site)
    throw ReceiptError("rate card of site '" + rates.site + "' given for a record of site '" +
                       record.site + "'");
  Opening opening;
  opening.values = quantities_of(record);
  opening.job_identity = records::identity(record);
  // Derived, not random: the same record (or another claiming its identity)
  // always gets the same job_ref, so a second receipt for it is recognisable.
  opening.salt = job_salt(opening.job_identity, site_key);
  opening.result_digest = record.result_digest;
  const crypto::Bytes32 job_ref = job_reference(opening.job_identity, opening.salt);
  const auto blindings = receipt_blindings(job_ref, site_key);
  for (std::size_t i = 0; i < kQuantities; ++i) opening.blindings[i] = blindings[i].encode();

  Receipt r;
  r.pool = pool;
  r.provider_site = record.site;
  r.account = account;
  r.period = period_of(record.end_time);
  r.job_ref = job_ref;
  r.rate_card_id = rates.id();
  const auto commitments = crypto::commit(opening.values, blindings);
  std::copy(commitments.begin(), commitments.end(), r.commitments.begin());
  r.proof = crypto::prove_range(opening.values, blindings, proof_context(r));

  auto plain = detail::encode_opening(opening);
  r.sealed_opening.resize(plain.size() + crypto_box_SEALBYTES);
  if (crypto_box_seal(r.sealed_opening.data(), plain.data(), plain.size(), account_key.data()) != 0)
    throw ReceiptError("sealing the opening to account '" + account + "' failed");
  sodium_memzero(plain.data(), plain.size());

  r.signature = site_key.sign(signed_message(r));
  return r;
}

}  // namespace basin::receipts
