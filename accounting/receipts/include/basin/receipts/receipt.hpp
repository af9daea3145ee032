// Zero-knowledge usage receipts.
//
// A receipt turns one verified usage record into something anyone can check
// without learning what the job used: Pedersen commitments to four integer
// quantities, one aggregated Bulletproofs range proof (m = 4, n = 64) whose
// transcript binds the receipt's public fields, the opening sealed to the
// consuming account's X25519 key, and the provider site's Ed25519 signature.
// The byte format is specified in docs/receipt-format.md.
//
// Dependencies: crypto (proofs) and records (the record, Ed25519 keys). The
// pool's rate card comes in as the small RateCard below, which the federation
// code fills from pool.toml; receipts know nothing of the ledger.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "basin/crypto/group.hpp"
#include "basin/records/signing.hpp"
#include "basin/records/usage_record.hpp"

namespace basin::receipts {

inline constexpr std::uint8_t kReceiptVersion = 1;
inline constexpr std::size_t kQuantities = 4;  // m of the aggregated proof
inline constexpr std::size_t kRangeBits = 64;  // n of the aggregated proof
inline constexpr std::size_t kMaxField = 256;  // longest text field, bytes
inline constexpr std::size_t kMaxSealedOpening = 2048;
inline constexpr std::size_t kMaxReceiptBytes = 8192;

// The order of the committed quantities (commitment i commits quantity i).
enum Quantity : std::size_t {
  core_seconds = 0,
  mem_mb_seconds = 1,
  gpu_seconds = 2,
  wall_seconds = 3
};
const char* quantity_name(std::size_t i);

using Quantities = std::array<std::uint64_t, kQuantities>;
using X25519Key = std::array<std::uint8_t, 32>;

class ReceiptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A site's public prices: integer micro-credits per unit of each quantity.
struct RateCard {
  std::string site;
  Quantities micro_credits{};
  // "<site>:<64 hex>" = site and SHA-256("basin/rate-card/v1\n" || site ||
  // "\n" || u64le(rate_0..3)): the version of the card a receipt names.
  std::string id() const;
  // "<site>:<16 hex>", the first 8 bytes of the same hash: what receipts
  // issued before ids were full-length name (still accepted).
  std::string legacy_id() const;
};

struct Receipt {
  std::uint8_t version = kReceiptVersion;
  std::string pool;
  std::string provider_site;
  std::string account;
  std::string period;         // "YYYY-MM" (UTC) of the step's end
  crypto::Bytes32 job_ref{};  // SHA-256 of the salted job identity
  std::string rate_card_id;   // RateCard::id() of the provider's card
  std::array<crypto::Bytes32, kQuantities> commitments{};
  std::vector<std::uint8_t> proof;           // 800 bytes for m = 4
  std::vector<std::uint8_t> sealed_opening;  // crypto_box_seal to the account key
  std::array<std::uint8_t, records::kSignatureBytes> signature{};

  bool operator==(const Receipt&) const = default;
};

// What only the account holder learns.
struct Opening {
  Quantities values{};
  std::array<crypto::Bytes32, kQuantities> blindings{};  // canonical scalars
  std::string job_identity;                              // records::identity()
  crypto::Bytes32 salt{};
  std::string result_digest;
  // SHA-256 of the node-signed record the receipt was issued for (the
  // ledger's content hash): binds the receipt to those exact signed bytes, so
  // the account holder can prove which record it charges. Zero in openings
  // of version 2 and earlier.
  crypto::Bytes32 record_hash{};
};

// Quantities of a record: wall = end - start (0 if negative), core-seconds =
// allocated cores * wall, MB-seconds = allocated MB * wall, GPU-seconds 0 (the
// record has no GPU field yet). Throws ReceiptError on overflow.
Quantities quantities_of(const records::UsageRecord& record);
std::string period_of(std::int64_t unix_seconds);
// The month after a period "YYYY-MM" ("2026-12" -> "2027-01"); ReceiptError
// if `period` is not one.
std::string next_period(const std::string& period);
crypto::Bytes32 job_reference(const std::string& job_identity, const crypto::Bytes32& salt);
// A site's blinding secrets, kept apart from its signing key: every
// receipt's blindings and job salt come from them through a keyed,
// domain-separated KDF (BLAKE2b keyed with the secret), so the signing key
// can rotate or be revoked while old periods stay openable, and signing
// never needs the secret that opens totals. The file "<site>.blind.key" has
// one line per secret, "basin-blinding-secret <first period YYYY-MM> <64
// hex>", periods increasing: a period's secret is the latest that starts at
// or before it. Loading refuses a file others can read; secrets are wiped on
// destruction.
class BlindingKey {
 public:
  static BlindingKey load(const std::string& path);
  static BlindingKey generate(const std::string& from = "1970-01");
  // Adds a fresh secret for periods from `from` on (later than the newest).
  void rotate(const std::string& from);
  std::string to_text() const;  // the file's contents
  ~BlindingKey();
  BlindingKey(BlindingKey&&) noexcept;
  BlindingKey(const BlindingKey&) = delete;
  BlindingKey& operator=(const BlindingKey&) = delete;
  BlindingKey& operator=(BlindingKey&&) = delete;

  // out = BLAKE2b-|out|(key = secret of `period`, domain || message).
  void derive(const std::string& period, std::string_view domain,
              std::span<const std::uint8_t> message, std::span<std::uint8_t> out) const;

 private:
  BlindingKey() = default;
  const crypto::Bytes32& secret_for(const std::string& period) const;
  std::vector<std::pair<std::string, crypto::Bytes32>> secrets_;  // (first period, secret)
};

// The salt of a job identity's receipt, a PRF of the identity under the
// site's blinding secret of the record's period:
//   salt = BLAKE2b-256(key = secret, "basin/job-salt/v2\n" || identity)
// so it is unpredictable to everyone else, yet the site recomputes every
// receipt's job_ref from a record's identity and finds a record already in
// its log without trusting any index; two receipts for one record share it.
crypto::Bytes32 job_salt(const std::string& job_identity, const std::string& period,
                         const BlindingKey& blinding);
// job_reference(identity, job_salt(identity, period, blinding)).
crypto::Bytes32 expected_job_ref(const std::string& job_identity, const std::string& period,
                                 const BlindingKey& blinding);

// Builds and signs the receipt of one record whose signature the caller has
// already verified, charged to `account`: the account Slurm holds for the
// job (never the record's own claim). `site_key` must be the key of
// record.site.
// `record_hash`: SHA-256 of the record's signed bytes (sealed into the opening).
Receipt issue_receipt(const records::UsageRecord& record, const std::string& account,
                      const std::string& pool, const RateCard& rates, const X25519Key& account_key,
                      const records::NodeKey& site_key, const BlindingKey& blinding,
                      const crypto::Bytes32& record_hash);

// Canonical encoding and strict decoding (throws ReceiptError naming the field).
// decode checks lengths, fields and the proof's scalars; whether the curve
// points (commitments, the proof's points) are valid ristretto255 encodings
// is checked once, by verify_receipt / verify_batch, which name a bad one.
// Nothing may use a receipt's commitments before it has been verified.
std::vector<std::uint8_t> encode(const Receipt& receipt);
Receipt decode(std::span<const std::uint8_t> bytes);
// The bytes bound into the proof's transcript: version, pool, site, account,
// period, job reference, rate card id, n and m.
std::vector<std::uint8_t> proof_context(const Receipt& receipt);
// What the site signs: "basin/receipt/v1\n" || encode() without the signature.
std::vector<std::uint8_t> signed_message(const Receipt& receipt);
std::string to_json(const Receipt& receipt, int indent = 2);

// Whom a verifier trusts: the pool's name, each site's signing key and rate card.
// A site's earlier signing key: it signed receipts of periods up to `until`
// (YYYY-MM); `revoked_from` (a leaked key) refuses its receipts of that
// period and later as well.
struct PreviousKey {
  records::PublicKey key{};
  std::string until;
  std::string revoked_from;  // empty: not revoked
};

struct Trust {
  std::string pool;
  std::map<std::string, records::PublicKey> site_keys;  // each site's current key
  // Each site's earlier keys (pool.toml [[site.previous_keys]]). The current
  // key signs receipts of any period (late records of earlier months too).
  std::map<std::string, std::vector<PreviousKey>> previous_keys;
  std::map<std::string, RateCard> rate_cards;  // by site: the current card
  // Each site's earlier cards (pool.toml [[site.previous_rates]]): receipts
  // priced with them keep verifying and are settled at their prices.
  std::map<std::string, std::vector<RateCard>> previous_cards;
};

// The card of `site` whose id (full or legacy) is `id`, current or earlier;
// nullptr when there is none.
const RateCard* find_card(const Trust& trust, const std::string& site, const std::string& id);

// nullopt when the receipt is good; otherwise why not ("signature ...",
// "range proof ...", "unknown site ...").
std::optional<std::string> verify_receipt(const Receipt& receipt, const Trust& trust);

// Everything verify_receipt() checks but the range proof (version, pool,
// site, rate card, the site's signature over every byte).
std::optional<std::string> check_envelope(const Receipt& receipt, const Trust& trust);
// The same on encoded bytes, without decoding the commitments and proof
// (24 point decodings a receipt): for bookkeeping over many receipts that
// needs to know each is its site's, unaltered, and leaves the proofs to
// verify_receipt()/verify_batch(). On success `header` holds the public
// fields (no commitments, proof or opening).
std::optional<std::string> check_envelope_bytes(std::span<const std::uint8_t> bytes,
                                                const Trust& trust, Receipt& header);
// check_envelope_bytes of many receipts, their signatures checked together
// (crypto::ed25519_verify_batch) and on every core: the verdict of each, and
// in `headers` the public fields of each.
std::vector<std::optional<std::string>> check_envelopes_bytes(
    std::span<const std::span<const std::uint8_t>> receipts, const Trust& trust,
    std::vector<Receipt>& headers);

struct Failure {
  std::size_t index;
  std::string reason;
};
// Checks every receipt; range proofs are verified together with random
// weights and, if the combination fails, one by one. Empty means all good.
std::vector<Failure> verify_batch(std::span<const Receipt> receipts, const Trust& trust);

// The credit commitment sum(rate_i * C_i), derived by anyone from the public
// rate card; it commits to sum(rate_i * v_i) with blinding sum(rate_i * r_i).
crypto::Point credit_commitment(const Receipt& receipt, const RateCard& rates);

// An account's X25519 key pair ("basin-x25519-secret <64 hex>" file, as
// written by `basin pool add-account`). Wiped on destruction.
class AccountKey {
 public:
  static AccountKey load(const std::string& path);
  static AccountKey generate();
  ~AccountKey();
  AccountKey(AccountKey&&) noexcept;
  AccountKey(const AccountKey&) = delete;
  AccountKey& operator=(const AccountKey&) = delete;
  const X25519Key& public_key() const { return public_; }
  const X25519Key& secret_key() const { return secret_; }

 private:
  AccountKey() = default;
  X25519Key secret_{}, public_{};
};

// Opens the sealed opening and checks it: every commitment recomputed from
// (value, blinding), and job_ref from (identity, salt). Throws ReceiptError if
// the key is not the account's or the opening does not match.
Opening open_receipt(const Receipt& receipt, const AccountKey& key);
// The provider's side of settlement. Blindings are not random but derived
// from the site's blinding secret of the receipt's period and the (salted,
// unique) job reference:
//   r_i = BLAKE2b-512(key = secret, "basin/receipt-blinding/v2\n" || job_ref || u8 i) mod l
// so the site can re-derive them later without storing per-receipt secrets,
// and only the secret's holder can (another secret opens nothing).
std::array<crypto::Scalar, kQuantities> receipt_blindings(const crypto::Bytes32& job_ref,
                                                          const std::string& period,
                                                          const BlindingKey& blinding);
// sum(rate_i * r_i): opens credit_commitment() together with credit_of().
crypto::Scalar credit_blinding(const Receipt& receipt, const RateCard& rates,
                               const BlindingKey& blinding);

// Credits in micro-credits (exact, 128-bit) for an opened receipt.
unsigned __int128 credit_of(const Opening& opening, const RateCard& rates);

// Hex helpers for keys in pool.toml.
X25519Key parse_x25519_hex(const std::string& hex);
records::PublicKey parse_ed25519_hex(const std::string& hex);
// 64 hex digits as 32 bytes (a record's content hash); throws naming `what`.
crypto::Bytes32 parse_hex32(const std::string& hex, const std::string& what);

}  // namespace basin::receipts
