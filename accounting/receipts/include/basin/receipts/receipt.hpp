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
  // "<site>:<16 hex>" = site and the first 8 bytes of
  // SHA-256("basin/rate-card/v1\n" || site || "\n" || u64le(rate_0..3)).
  std::string id() const;
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
};

// Quantities of a record: wall = end - start (0 if negative), core-seconds =
// allocated cores * wall, MB-seconds = allocated MB * wall, GPU-seconds 0 (the
// record has no GPU field yet). Throws ReceiptError on overflow.
Quantities quantities_of(const records::UsageRecord& record);
std::string period_of(std::int64_t unix_seconds);
crypto::Bytes32 job_reference(const std::string& job_identity, const crypto::Bytes32& salt);
// The salt of a job identity's receipt: derived from the site key (like the
// blindings), so it is unpredictable to everyone else yet the site can
// recompute every receipt's job_ref from a record's identity and find a
// record already in its log without trusting any index:
//   salt = BLAKE2b-256(Ed25519-sign(site key, "basin/job-salt/v1\n" || identity))
// Receipts issued before (random salts) verify as before; they just cannot be
// recognised this way.
crypto::Bytes32 job_salt(const std::string& job_identity, const records::NodeKey& site_key);
// job_reference(identity, job_salt(identity, site_key)).
crypto::Bytes32 expected_job_ref(const std::string& job_identity, const records::NodeKey& site_key);

// Builds and signs the receipt of one record whose signature the caller has
// already verified, charged to `account`: the account Slurm holds for the
// job (never the record's own claim). `site_key` must be the key of
// record.site.
Receipt issue_receipt(const records::UsageRecord& record, const std::string& account,
                      const std::string& pool, const RateCard& rates, const X25519Key& account_key,
                      const records::NodeKey& site_key);

// Canonical encoding and strict decoding (throws ReceiptError naming the field).
std::vector<std::uint8_t> encode(const Receipt& receipt);
Receipt decode(std::span<const std::uint8_t> bytes);
// The bytes bound into the proof's transcript: version, pool, site, account,
// period, job reference, rate card id, n and m.
std::vector<std::uint8_t> proof_context(const Receipt& receipt);
// What the site signs: "basin/receipt/v1\n" || encode() without the signature.
std::vector<std::uint8_t> signed_message(const Receipt& receipt);
std::string to_json(const Receipt& receipt, int indent = 2);

// Whom a verifier trusts: the pool's name, each site's signing key and rate card.
struct Trust {
  std::string pool;
  std::map<std::string, records::PublicKey> site_keys;
  std::map<std::string, RateCard> rate_cards;  // by site
};

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
// from the site key and the (salted, unique) job reference:
//   r_i = BLAKE2b-512(Ed25519-sign(site key, "basin/receipt-blinding/v1\n" ||
//         job_ref || u8 i)) mod l
// so the site can re-derive them later without storing secrets, and only the
// site key's holder can (another key gives blindings that open nothing).
std::array<crypto::Scalar, kQuantities> receipt_blindings(const crypto::Bytes32& job_ref,
                                                          const records::NodeKey& site_key);
// sum(rate_i * r_i): opens credit_commitment() together with credit_of().
crypto::Scalar credit_blinding(const Receipt& receipt, const RateCard& rates,
                               const records::NodeKey& site_key);

// Credits in micro-credits (exact, 128-bit) for an opened receipt.
unsigned __int128 credit_of(const Opening& opening, const RateCard& rates);

// Hex helpers for keys in pool.toml.
X25519Key parse_x25519_hex(const std::string& hex);
records::PublicKey parse_ed25519_hex(const std::string& hex);

}  // namespace basin::receipts
