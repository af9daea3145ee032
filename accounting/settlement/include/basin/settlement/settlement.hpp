// Settlement: what each member site owes the others for a period.
//
// Receipts hide quantities, but their commitments add up: the sum over a
// (provider site, consuming site) pair of every receipt's credit commitment
// sum_i(rate_i * C_i) commits to the pair's total credits. The provider,
// who can re-derive every blinding from its site key, opens only that total;
// anyone holding the public receipts checks the opening against the sum. The
// totals become debts, the debts are netted into few transfers, and the whole
// is a statement that the settling site signs.
//
// Dependencies: receipts (verification, credit commitments, blindings) and
// federation (netting). The ledger and pool.toml stay in the CLI, which fills
// the Items below.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "basin/federation/netting.hpp"
#include "basin/receipts/receipt.hpp"

namespace basin::settlement {

// ---- Which steps are charged ---------------------------------------------
//
// A node writes one record (and so one receipt) per job step, but steps nest:
// an srun step runs inside the batch step and on the batch step's cores.
// Charging both would bill the same core-seconds twice. The rule, per job
// run and node:
//   - the batch step holds the allocation there: a step that overlaps it in
//     time, on no more cores, is covered by it, whichever ended first (a
//     cancelled job's steps end in no fixed order, a second apart);
//   - otherwise a step is covered by another that holds at least as many
//     cores over an interval that contains it; of two steps with the same
//     interval and cores, the one with the lower step id is charged.
// Steps that overlap without either relation run on different cores and are
// both charged.
struct StepSpan {
  std::string run;   // job run: cluster, job id and restart count
  std::string node;  // the node the step ran on
  std::uint32_t step_id = 0;
  std::int64_t start = 0, end = 0;
  std::uint32_t cores = 0;
};
// For each span, the index of a span that covers it (then it is not
// charged), or nullopt when it is charged.
std::vector<std::optional<std::size_t>> covering_steps(std::span<const StepSpan> spans);

// ---- Settling a period -----------------------------------------------------

// One receipt of the period with what the settling ledger knows about it.
struct Item {
  std::string log;            // the transparency log holding it
  std::uint64_t leaf = 0;     // its index there
  std::string record;         // identity of the usage record (to name failures)
  receipts::Receipt receipt;  // decoded
  std::string consumer_site;  // home site of receipt.account; empty if unknown
  std::string not_charged;    // non-empty: valid, but not charged, and why
  std::string flag;           // non-empty: charged, and listed with this note
  std::string problem;        // non-empty: fails before verification, and why
  bool carried = false;       // of an earlier period, carried into this one (with_carry)
  // The provider's knowledge of the committed quantities (from its records),
  // needed to open the pair's total; nullopt when the provider has none.
  std::optional<receipts::Quantities> quantities;
};

struct Listed {
  std::string log;
  std::uint64_t leaf = 0;
  std::string record;
  std::string reason;
};

struct PairTotal {
  std::string provider, consumer;
  std::size_t receipts = 0;
  std::map<std::string, std::vector<std::uint64_t>> leaves;  // by log, ascending
  crypto::Bytes32 credit_commitment{};  // sum of the receipts' credit commitments
  bool opened = false;                  // the provider's opening matches the sum
  std::int64_t micro_credits = 0;       // the opened total (when opened)
  crypto::Bytes32 blinding{};           // and its blinding (when opened)
  std::string problem;                  // why it is not opened
};

// A log a public settlement read: the checkpoint its receipts were taken
// from (the one the providers' openings name).
struct LogUsed {
  std::string origin;
  std::uint64_t size = 0;
  std::array<std::uint8_t, 32> root{};
};

struct Statement {
  std::string pool, period;
  std::vector<LogUsed> logs;  // public settlement only: the inputs, by origin
  // Public settlement only: the replica evidence judged (items, and their
  // digest, basin/books/replica_evidence.hpp); 0 when there was none.
  std::size_t evidence_records = 0;
  std::array<std::uint8_t, 32> evidence_digest{};
  std::size_t receipts = 0;    // receipts of the period offered
  std::size_t charged = 0;     // verified and charged
  std::vector<Listed> failed;  // excluded: failed verification (never counted)
  std::vector<Listed> not_charged;
  std::vector<Listed> flagged;   // charged, with a note (unvalidated replicas, no digest)
  std::vector<PairTotal> pairs;  // sorted by (provider, consumer)
  std::map<std::string, std::int64_t> balance;  // per site: owed to it minus owed by it
  std::vector<federation::Transfer> transfers;  // netted
};

// Pairs with few receipts are not opened alone (an opening of one receipt
// reveals that receipt's credit). With k > 1, a (provider, consumer) pair's
// chargeable receipts (no problem, charged, consumer known) accumulate period
// by period, oldest first, into a batch that is opened in the period it
// reaches k receipts. `items`: the receipts of every period up to `period`.
// Returns the items of `period`'s statement: its own receipts and the earlier
// ones of batches that reach k now (marked carried); the receipts of a batch
// still below k are listed as not charged ("carried into the next period").
// Receipts of batches opened in earlier periods, and earlier receipts that
// were not chargeable, are left out. Deterministic: every site computes the
// same batches from the same receipts. k <= 1: the items of `period` only.
std::vector<Item> with_carry(std::vector<Item> items, const std::string& period, unsigned k);

// The blinding secrets of the providers whose totals this run may open.
using ProviderKeys = std::map<std::string, const receipts::BlindingKey*>;

// A provider's published opening of one pair's total for the period: the
// receipts it charges (by log and leaf) and their summed credits and
// blinding. Signed by the provider (see basin/books/openings.hpp); anyone
// checks it against the sum of the named receipts' credit commitments.
struct PairOpening {
  std::string provider, consumer;
  std::map<std::string, std::vector<std::uint64_t>> leaves;  // by log, ascending
  std::int64_t micro_credits = 0;
  crypto::Bytes32 blinding{};
};
using PairOpenings = std::map<std::pair<std::string, std::string>, PairOpening>;

// Verifies every item (signature, rate card, range proof; batched with
// random weights, single checks naming the bad ones), refuses duplicates of a
// job reference, sums the charged ones per pair, opens each pair's total and
// checks the opening against its sum, then nets the opened debts between
// different sites. A pair is opened by its provider's blinding secret when it
// is in `keys` (the settling site's own pairs), otherwise by the provider's
// published opening in `openings` (settlement from public data; either may be
// empty). A pair whose opening names other receipts than the pair's verified,
// charged receipts, or whose total and blinding do not open the sum, is not
// settled and the provider is named. Items the caller marks not_charged are
// listed, never summed. Deterministic: the same items give the same
// statement. Throws receipts::ReceiptError only on an internal impossibility
// (a total beyond int64 micro-credits).
Statement settle(std::span<const Item> items, const receipts::Trust& trust,
                 const ProviderKeys& keys, const PairOpenings& openings, const std::string& period);

// Renderings. JSON is canonical (sorted keys, fixed layout), so two runs over
// the same ledger give the same bytes; the signature covers those bytes.
std::string to_json(const Statement& statement);
std::string to_csv(const Statement& statement);
std::string to_text(const Statement& statement);
// The "period" of a statement's JSON; throws std::runtime_error if absent.
std::string statement_period(const std::string& json);
// Where two statements' JSON differ, for a person: "pair campus -> home:
// micro_credits: 4941 vs 5000", "logs: ...", "transfers: ...". Empty when
// they are equal field for field.
std::vector<std::string> compare_statements(const std::string& a, const std::string& b);

// Leaf indices as "0-4,7,9-12" (ascending) and back; the parse is strict
// (ascending, no overlap, canonical decimals) and gives nullopt otherwise.
std::string leaf_ranges(const std::vector<std::uint64_t>& leaves);
std::optional<std::vector<std::uint64_t>> parse_leaf_ranges(const std::string& text);

// Micro-credits as credits with six decimals, e.g. "-0.014661".
std::string credits_text(std::int64_t micro_credits);

// "basin-statement-signature v1\nsigner <site>\ned25519 <128 hex>\n" over
// "basin/statement/v1\n" || json.
std::string sign_statement(const std::string& json, const std::string& signer_site,
                           const records::NodeKey& key);
// nullopt when `signature` is a valid signature of `json` by a site in
// `site_keys`; otherwise why not.
std::optional<std::string> check_statement_signature(
    const std::string& json, const std::string& signature,
    const std::map<std::string, records::PublicKey>& site_keys);

}  // namespace basin::settlement
