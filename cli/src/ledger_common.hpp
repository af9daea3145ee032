// What several `basin ledger` verbs share: the trust a verifier takes from
// pool.toml and the name of each site's receipt log.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "basin/books/integrity.hpp"
#include "basin/federation/pool.hpp"
#include "basin/federation/sacct.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"
#include "basin/records/signing.hpp"
#include "commands.hpp"

namespace basin::cli {

// Site keys and rate cards from pool.toml. Throws on a negative rate.
receipts::Trust trust_of(const federation::Pool& pool);

// The log's origin (and checkpoint key name) for one site of one pool.
std::string log_origin(const std::string& pool, const std::string& site);

// The site of `pool` whose signing key is `key`'s public half; throws naming
// `key_path` when there is none.
const federation::Site& site_of_key(const federation::Pool& pool, const records::NodeKey& key,
                                    const std::string& key_path);

// The site's blinding secrets (receipts::BlindingKey): `path` if given, else
// "<site>.blind.key" beside the signing key `key_path` ("<site>.sign.key"),
// as `basin pool add-site` writes them. Throws saying which file it tried.
receipts::BlindingKey load_blinding_key(const std::string& path, const std::string& key_path);
// The --blinding-key option of the verbs that issue or open receipts.
void add_blinding_option(CLI::App& cmd, std::string& path);

// Throws with the expected form unless `period` is a month "YYYY-MM".
void check_period(const std::string& period);

// Slurm's own accounting from exactly one of an sacct export (`sacct -P
// --duplicates`) or the jobcomp/filetxt log; times are local with
// `utc_offset` seconds east of UTC (default: this machine's). Throws naming
// the option when neither or both are given, or the file cannot be read.
federation::SacctExport read_slurm_accounting(const std::string& sacct_file,
                                              const std::string& jobcomp_file,
                                              std::optional<std::int64_t> utc_offset);

// The check `ledger ingest` runs on each validly signed record: its figures
// within what its node (pool.toml [[node]] cpus, memory_mb, gpus) can have
// given by `now`, its strings printable (records::check_record_bounds). A
// node missing from pool.toml is a reason too: nothing bounds its figures.
// A record of an enrolled node must also be covered by one of its
// certificates (federation::decide_enrolment: made within its validity,
// before its revocation), and is bounded by that certificate's size.
ledger::RecordCheck record_check_of(const federation::Pool& pool, std::int64_t now);

// The keys `ledger ingest` verifies signatures with: the pool's node keys
// (pool.toml's and the enrolled nodes') when `keys_path` is empty, else the
// keys file plus the enrolled nodes' keys. Throws if the keys file gives an
// enrolled node another key than its certificate.
records::KeyRing ingest_keys(const federation::Pool& pool, const std::string& keys_path);

// Prints the stored records of enrolled nodes that their enrolment no longer
// covers as it did: "finding made_before_revocation <identity>: made by node
// X before its revocation at T ...; kept" (or "flagged ..." when not
// `as_findings`), and "... outside_enrolment ..." for records made after a
// revocation that was published after they were ingested. Returns the number
// of the latter.
std::size_t report_enrolment_findings(const federation::Pool& pool,
                                      std::span<const ledger::StoredRecord> stored,
                                      bool as_findings);

// Prints "set aside <identity> (ledger row N): <reason and fix>" for each
// stored record a verb could not read; true when there were any
// (the verb then exits 1, having done its work for the other records).
bool report_set_aside(const std::vector<ledger::RecordProblem>& problems);

// The ledger's records whose signed bytes still verify with pool.toml's node
// keys. Each other one is printed as `finding record_tampered <identity>` and
// left out, and the command's exit status becomes 1.
books::CheckedRecords checked_records(const ledger::Ledger& ledger, const federation::Pool& pool,
                                      CommandContext& ctx);

}  // namespace basin::cli
