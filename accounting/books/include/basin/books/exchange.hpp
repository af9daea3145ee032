// The exchange between sites: a site exports its receipt log as bundles; the
// other sites import them, mirror the log, catch forks and cosign what they
// checked as witnesses. Each function here is what one CLI verb calls.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "basin/books/bundle.hpp"
#include "basin/books/log_exchange.hpp"
#include "basin/federation/pool.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"
#include "basin/tlog/cosignature.hpp"

namespace basin::books {

// Orders one issue run's receipts for the log by their leaf hashes: a log
// ordered by record identity (the ledger's order) would let anyone holding
// the job list link leaves to jobs; leaf hashes of receipts with secret
// blindings reveal nothing.
void order_for_log(std::vector<ledger::NewReceipt>& receipts);

// The name of a site's receipt log (its checkpoints' origin and key name).
std::string log_origin(const std::string& pool, const std::string& site);
// The site whose receipt log `origin` is; nullptr if none of the pool's.
const federation::Site* site_of_origin(const federation::Pool& pool, const std::string& origin);
// The name under which a site cosigns other sites' checkpoints.
std::string witness_name(const std::string& pool, const std::string& site);

// The keys a checkpoint of `site`'s log may carry: its current signing key,
// then its previous keys that are not revoked (a checkpoint signed before a
// rotation stays the site's).
std::vector<tlog::NoteVerifier> checkpoint_keys(const federation::Pool& pool,
                                                const std::string& site);

// The witnesses pool.toml names (sites with a witness_key), by site.
std::vector<std::pair<std::string, tlog::CosignerKey>> witnesses_of(const federation::Pool& pool);

// The bundle of `site`'s log from tree size `from` (default: where its last
// export ended) to its newest checkpoint, with every cosignature the site has
// collected for that checkpoint, and the replica evidence of its receipts
// of replicated jobs (salts from `blinding`). Throws when the log has no
// checkpoint or does not match it. The caller writes it out, then calls
// record_export.
Bundle make_bundle(const ledger::Ledger& ledger, const federation::Pool& pool,
                   const std::string& site, std::optional<std::uint64_t> from,
                   const receipts::BlindingKey& blinding);
// After the bundle is written: where the next export starts, and this
// site's own evidence kept as the others will hold it.
void record_export(ledger::Ledger& ledger, const Bundle& bundle);

struct OpeningsReport {
  std::vector<std::string> notes;     // signed openings, one per opened pair
  std::vector<std::string> problems;  // pairs that could not be opened, and why
};

// This site's signed openings of its pairs' totals for a closed `period`:
// its own receipts of the period in its log (charging rule applied), each
// pair's credits and blinding from its records and its blinding secret,
// signed with its key; stored in the
// ledger too, so this site's public settlement uses what it published.
OpeningsReport make_openings(ledger::Ledger& ledger, const federation::Pool& pool,
                             const receipts::Trust& trust, const std::string& site,
                             const records::NodeKey& key, const receipts::BlindingKey& blinding,
                             const std::string& period);

struct ImportReport {
  std::string site;                       // whose log
  BundleVerdict verdict;                  // extends / replay / fork / bad
  std::size_t appended = 0;               // leaves added to the mirror
  std::vector<std::string> bad_receipts;  // "leaf N: why" (then nothing is stored)
  std::string cosignature;             // this site's cosignature line ("" when it did not cosign)
  std::vector<std::string> witnesses;  // sites whose valid cosignature the checkpoint carries
  std::size_t openings = 0;            // signed openings verified and stored
  std::vector<std::string> refused_openings;  // and why the others were not
  std::size_t evidence = 0;                   // replica evidence items checked and stored
  std::vector<std::string> refused_evidence;  // "leaf N: why" for the others
};

// Checks `bundle` against this site's mirror of the log and, when it extends
// it, every new receipt (site signature, rate card, range proof); stores the
// new leaves and checkpoint, or the fork evidence; cosigns the checkpoint as
// `witness` (at `now`) when it is consistent with everything seen. Stores
// nothing for a bad bundle.
ImportReport import_bundle(ledger::Ledger& ledger, const Bundle& bundle,
                           const federation::Pool& pool, const receipts::Trust& trust,
                           const std::string& own_site, const tlog::Cosigner& witness,
                           std::uint64_t now);

struct CosignatureReport {
  std::size_t added = 0;
  std::vector<std::string> refused;  // why each refused line was refused
};

// Cosigned checkpoints (notes) other sites' witnesses returned for this
// site's log: each cosignature is kept only if it verifies, under a witness
// key of pool.toml, on a checkpoint this site signed (same size and root).
CosignatureReport add_cosignatures(ledger::Ledger& ledger, const federation::Pool& pool,
                                   const std::string& own_site,
                                   const std::vector<std::string>& notes);

}  // namespace basin::books
