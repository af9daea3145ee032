// From a verified usage record to a signed receipt.
#include <sodium.h>

#include <cstdio>
#include <ctime>

#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"
#include "basin/crypto/pedersen.hpp"
#include "basin/crypto/rangeproof.hpp"
#include "basin/receipts/receipt.hpp"
#include "byte_io.hpp"
#include "opening_codec.hpp"

namespace basin::receipts {

namespace {
std::array<std::uint8_t, crypto_hash_sha256_BYTES> card_hash(const RateCard& c) {
  detail::Writer w;
  const std::string_view domain = "basin/rate-card/v1\n";
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()});
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(c.site.data()), c.site.size()});
  w.put<std::uint8_t>('\n');
  for (auto rate : c.micro_credits) w.put<std::uint64_t>(rate);
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> h{};
  crypto_hash_sha256(h.data(), w.bytes().data(), w.bytes().size());
  return h;
}
}  // namespace

std::string RateCard::id() const {
  const auto h = card_hash(*this);
  return site + ":" + common::to_hex(std::span(h.data(), h.size()));
}

std::string RateCard::legacy_id() const {
  const auto h = card_hash(*this);
  return site + ":" + common::to_hex(std::span(h.data(), 8));
}

const RateCard* find_card(const Trust& trust, const std::string& site, const std::string& id) {
  auto matches = [&](const RateCard& c) { return c.id() == id || c.legacy_id() == id; };
  if (const auto cur = trust.rate_cards.find(site);
      cur != trust.rate_cards.end() && matches(cur->second))
    return &cur->second;
  if (const auto prev = trust.previous_cards.find(site); prev != trust.previous_cards.end())
    for (const auto& c : prev->second)
      if (matches(c)) return &c;
  return nullptr;
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

std::string next_period(const std::string& period) {
  const auto digits = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (period[i] < '0' || period[i] > '9') return -1;
      v = v * 10 + (period[i] - '0');
    }
    return v;
  };
  const int year = period.size() == 7 && period[4] == '-' ? digits(0, 4) : -1;
  const int month = year >= 0 ? digits(5, 2) : -1;
  if (year < 1970 || year >= 9999 || month < 1 || month > 12)
    throw ReceiptError("'" + period + "' is not a period YYYY-MM");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", month == 12 ? year + 1 : year, month % 12 + 1);
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

crypto::Bytes32 job_salt(const std::string& job_identity, const std::string& period,
                         const BlindingKey& blinding) {
  crypto::Bytes32 salt{};
  blinding.derive(period, "basin/job-salt/v2\n",
                  {reinterpret_cast<const std::uint8_t*>(job_identity.data()), job_identity.size()},
                  salt);
  return salt;
}

crypto::Bytes32 expected_job_ref(const std::string& job_identity, const std::string& period,
                                 const BlindingKey& blinding) {
  return job_reference(job_identity, job_salt(job_identity, period, blinding));
}

std::array<crypto::Scalar, kQuantities> receipt_blindings(const crypto::Bytes32& job_ref,
                                                          const std::string& period,
                                                          const BlindingKey& blinding) {
  std::array<crypto::Scalar, kQuantities> out;
  for (std::size_t i = 0; i < kQuantities; ++i) {
    std::array<std::uint8_t, 33> msg{};
    std::copy(job_ref.begin(), job_ref.end(), msg.begin());
    msg[32] = static_cast<std::uint8_t>(i);
    std::array<std::uint8_t, 64> wide{};
    blinding.derive(period, "basin/receipt-blinding/v2\n", msg, wide);
    out[i] = crypto::Scalar::from_wide(wide);
    sodium_memzero(wide.data(), wide.size());
  }
  return out;
}

crypto::Scalar credit_blinding(const Receipt& receipt, const RateCard& rates,
                               const BlindingKey& blinding) {
  const auto r = receipt_blindings(receipt.job_ref, receipt.period, blinding);
  crypto::Scalar sum;
  for (std::size_t i = 0; i < kQuantities; ++i)
    sum += r[i] * crypto::Scalar::from_u64(rates.micro_credits[i]);
  return sum;
}

Receipt issue_receipt(const records::UsageRecord& record, const std::string& account,
                      const std::string& pool, const RateCard& rates, const X25519Key& account_key,
                      const records::NodeKey& site_key, const BlindingKey& blinding,
                      const crypto::Bytes32& record_hash) {
  common::ensure_sodium();
  if (rates.site != record.site)
    throw ReceiptError("rate card of site '" + rates.site + "' given for a record of site '" +
                       record.site + "'");
  Opening opening;
  opening.values = quantities_of(record);
  opening.job_identity = records::identity(record);
  // Derived, not random: the same record (or another claiming its identity)
  // always gets the same job_ref, so a second receipt for it is recognisable.
  const auto period = period_of(record.end_time);
  opening.salt = job_salt(opening.job_identity, period, blinding);
  opening.result_digest = record.result_digest;
  opening.record_hash = record_hash;
  const crypto::Bytes32 job_ref = job_reference(opening.job_identity, opening.salt);
  const auto blindings = receipt_blindings(job_ref, period, blinding);
  for (std::size_t i = 0; i < kQuantities; ++i) opening.blindings[i] = blindings[i].encode();

  Receipt r;
  r.pool = pool;
  r.provider_site = record.site;
  r.account = account;
  r.period = period;
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
