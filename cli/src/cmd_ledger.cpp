// basin ledger: the accounting ledger of usage records and the receipts
// issued for them (kept as the leaves of an RFC 6962 log).
#include <sodium.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "basin/books/account_receipts.hpp"
#include "basin/books/exchange.hpp"
#include "basin/books/integrity.hpp"
#include "basin/books/issuing.hpp"
#include "basin/books/log_audit.hpp"
#include "basin/books/slurm_accounts.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/ledger/ledger.hpp"
#include "basin/receipts/receipt.hpp"
#include "basin/records/record_checks.hpp"
#include "basin/tlog/signed_note.hpp"
#include "commands.hpp"
#include "ledger_common.hpp"

namespace basin::cli {
namespace {

constexpr const char* kDefaultDb = "basin-ledger.sqlite";

void print_u128(unsigned __int128 v) {
  char buf[48];
  int i = sizeof buf - 1;
  buf[i] = '\0';
  do {
    buf[--i] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  std::fputs(buf + i, stdout);
}

// Takes out of `pending` every record whose receipt is already a leaf of the
// log (books::drop_logged) and says so; nullopt (after saying why) when the
// log holds leaves that issue cannot attribute, so it must not run.
std::optional<std::size_t> drop_logged(basin::ledger::Ledger& ledger, const std::string& origin,
                                       std::vector<const basin::ledger::StoredRecord*>& pending,
                                       const receipts::BlindingKey& blinding,
                                       const receipts::Trust& trust) {
  const auto r = books::drop_logged(ledger, origin, pending, blinding, trust);
  for (const auto& p : r.problems)
    std::printf("refused: log %s %s; nothing issued\n", origin.c_str(), p.c_str());
  for (auto leaf : r.orphans)
    std::printf(
        "refused: leaf %llu of log %s has no receipt row and is no pending record's receipt; it "
        "may be one issued before job references were derived, so nothing is issued (restore "
        "the ledger's receipts table from a backup)\n",
        static_cast<unsigned long long>(leaf), origin.c_str());
  if (!r.problems.empty() || !r.orphans.empty()) return std::nullopt;
  for (const auto& [identity, leaf] : r.already_issued)
    std::printf(
        "finding already_issued %s: leaf %llu of log %s already holds a receipt for this step; "
        "not issued again\n",
        identity.c_str(), static_cast<unsigned long long>(leaf), origin.c_str());
  for (const auto& [identity, leaf] : r.restored)
    std::printf(
        "finding receipt_unindexed %s: leaf %llu of log %s holds its receipt but the ledger had "
        "lost its receipt row; row restored, not issued again\n",
        identity.c_str(), static_cast<unsigned long long>(leaf), origin.c_str());
  return r.already_issued.size() + r.restored.size();
}

struct IssueArgs {
  std::string pool, site_key, blinding_key, sacct, jobcomp;
  std::optional<std::int64_t> utc_offset;
};

void add_issue(CLI::App& led, std::shared_ptr<std::string> db, CommandContext& ctx) {
  auto a = std::make_shared<IssueArgs>();
  auto* issue = led.add_subcommand(
      "issue",
      "Issue a receipt for every ingested record of this site that has none yet: Pedersen\n"
      "commitments to core-seconds, MB-seconds, GPU-seconds and wall seconds, one range proof,\n"
      "the opening sealed to the account's key, signed with the site key; each receipt is\n"
      "appended to the ledger's transparency log and a new checkpoint is signed.\n"
      "The account charged is the one Slurm holds for the job (from --sacct or --jobcomp),\n"
      "never the account a record claims: the job's environment is the user's.");
  issue->add_option("--pool", a->pool, "pool.toml (site keys, rate cards, account keys)")
      ->required();
  issue->add_option("--sacct", a->sacct,
                    "Slurm's accounting as an export of\n"
                    "  sacct -P --duplicates -a -X -o JobIDRaw,Cluster,Account,Submit,Start,End,\n"
                    "    State,AllocCPUS,ElapsedRaw\n"
                    "covering the records' jobs");
  issue->add_option("--jobcomp", a->jobcomp,
                    "Or Slurm's jobcomp/filetxt log (JobCompLoc), for a site without slurmdbd");
  issue->add_option("--utc-offset", a->utc_offset,
                    "Seconds east of UTC of the times in the Slurm file [this machine's]");
  issue
      ->add_option("--site-key", a->site_key,
                   "This site's secret signing key ('ed25519-secret:<hex>', mode 0600); its\n"
                   "public half must be a site's signing_key in pool.toml")
      ->required();
  add_blinding_option(*issue, a->blinding_key);
  issue->footer(
      "Records of other sites are left for them; records in conflict are skipped; records\n"
      "whose job Slurm's accounting does not show yet are held for the next run. A record\n"
      "that claims another account than Slurm's is a finding (charged to Slurm's). Safe to\n"
      "rerun: a record gets one receipt, recognised in the log leaves themselves (a lost\n"
      "receipt row is restored, never issued again). Records are re-checked against the node\n"
      "keys in pool.toml (finding record_tampered); issue refuses, and signs nothing, when the\n"
      "site's log no longer extends its last signed checkpoint. Exit status: 0 all issued or\n"
      "held, 1 some records could not be issued, disagree with Slurm, or a finding (named on\n"
      "stdout).\n"
      "Example: sacct -P --duplicates -a -X -o JobIDRaw,Cluster,Account,Submit,Start,End,\\\n"
      "           State,AllocCPUS,ElapsedRaw > jobs.txt\n"
      "         basin ledger --db ledger.sqlite issue --pool pool.toml --site-key uni.key \\\n"
      "           --sacct jobs.txt");
  issue->callback([a, db, &ctx] {
    const auto pool = federation::load_pool(a->pool);
    const auto slurm = read_slurm_accounting(a->sacct, a->jobcomp, a->utc_offset);
    const books::SlurmAccounts slurm_accounts(slurm.rows, pool.cluster);
    const auto key = records::NodeKey::load(a->site_key, false);
    const federation::Site* site = &site_of_key(pool, key, a->site_key);
    const auto blinding = load_blinding_key(a->blinding_key, a->site_key);
    const auto trust = trust_of(pool);
    const auto& card = trust.rate_cards.at(site->name);

    basin::ledger::Ledger ledger(*db, basin::ledger::OpenMode::existing);
    const auto origin = log_origin(pool.name, site->name);
    auto seed = key.seed();
    const auto signer = tlog::NoteSigner::from_seed(origin, seed);
    sodium_memzero(seed.data(), seed.size());
    // The site never signs a tree that does not extend the last one it signed.
    // Checkpoints signed before a key rotation carry the site's earlier keys.
    const auto keys = books::checkpoint_keys(pool, site->name);
    const std::span<const tlog::NoteVerifier> earlier(keys.data() + 1, keys.size() - 1);
    if (const auto why = ledger.log_problem(origin, signer.verifier(), earlier)) {
      std::printf(
          "refused: %s. Nothing issued or signed: restore the ledger from a backup (basin ledger "
          "verify names the damage)\n",
          why->c_str());
      ctx.exit_code = 1;
      return;
    }
    const auto checked = checked_records(ledger, pool, ctx);
    const auto receipts_now = ledger.receipts();  // the findings point into it
    auto pending = books::pending_of_site(checked.records, receipts_now, site->name);
    for (const auto& c : pending.conflicts)
      std::printf(
          "finding conflicting_record %s: record %.16s claims a step whose receipt is leaf %llu "
          "of %s; not issued, never charged (compare them with basin ledger show --conflicts)\n",
          c.record->identity.c_str(), c.record->content_hash.c_str(),
          static_cast<unsigned long long>(c.receipt->leaf_index), c.receipt->origin.c_str());
    const auto logged = drop_logged(ledger, origin, pending.mine, blinding, trust);
    if (!logged) {
      ctx.exit_code = 1;
      return;
    }
    const auto plan = books::plan_issue(pending.mine, pool, slurm_accounts);
    for (const auto& note : plan.notes) std::printf("%s\n", note.line().c_str());
    using Kind = books::IssueNote::Kind;
    std::size_t other_sites = pending.other_sites, refused = plan.count(Kind::not_issued),
                held = plan.count(Kind::held),
                mismatched = pending.conflicts.size() + *logged +
                             plan.count(Kind::account_mismatch) +
                             plan.count(Kind::restart_mismatch);
    const auto& todo = plan.todo;
    // Proving dominates (about 27 ms a receipt): spread it over the cores.
    // Each receipt is independent. One record that cannot be issued is
    // named and left; the others are.
    std::vector<basin::ledger::NewReceipt> fresh(todo.size());
    std::vector<std::string> failed(todo.size());
    tbb::parallel_for(std::size_t{0}, todo.size(), [&](std::size_t i) {
      try {
        const auto receipt = receipts::issue_receipt(
            todo[i].record->record, todo[i].account, pool.name, card, todo[i].account_key, key,
            blinding,
            receipts::parse_hex32(todo[i].record->content_hash, "the record's content hash"));
        fresh[i] = {todo[i].record->id, receipt.provider_site, receipt.account, receipt.period,
                    receipts::encode(receipt)};
      } catch (const std::exception& e) {
        failed[i] = e.what();
      }
    });
    std::vector<basin::ledger::NewReceipt> issued;
    for (std::size_t i = 0; i < todo.size(); ++i) {
      if (failed[i].empty()) {
        issued.push_back(std::move(fresh[i]));
        continue;
      }
      std::printf("not issued %s: %s\n", records::printable(todo[i].record->identity).c_str(),
                  failed[i].c_str());
      ++refused;
    }
    // Log order: issue time, and within one run the order of the receipts'
    // leaf hashes, never the records' identities: a log ordered by job would
    // let anyone holding the job list link leaves to jobs.
    books::order_for_log(issued);
    const auto report = ledger.append_receipts(issued, signer, origin, earlier);
    std::printf(
        "%zu receipts issued for site %s, %zu not issued, %zu held for Slurm's accounting, %zu "
        "findings, %zu records of other sites left; log %s: size %llu, root %s\n",
        report.appended, site->name.c_str(), refused, held, mismatched, other_sites, origin.c_str(),
        static_cast<unsigned long long>(report.checkpoint.size),
        tlog::to_hex(report.checkpoint.root).c_str());
    if (refused > 0 || mismatched > 0) ctx.exit_code = 1;
  });
}

void add_verify(CLI::App& led, std::shared_ptr<std::string> db, CommandContext& ctx) {
  auto pool_path = std::make_shared<std::string>();
  auto batch = std::make_shared<bool>(false);
  auto* verify = led.add_subcommand(
      "verify",
      "Check every receipt in the ledger (site signature, rate card, range proof bound to the\n"
      "public fields) and the transparency log (leaf hashes, signed checkpoint, root).");
  verify->add_option("--pool", *pool_path, "pool.toml (site keys and rate cards)")->required();
  verify->add_flag("--batch", *batch,
                   "Verify all range proofs together with random weights (one multi-scalar\n"
                   "multiplication over both cores), falling back to single checks to name the\n"
                   "bad ones; default: one by one");
  verify->footer(
      "Each bad receipt is named with its record identity and log index; records whose\n"
      "signed bytes no longer verify with pool.toml's node keys are named (record_tampered),\n"
      "and so are log leaves without a receipt row. Exit status: 0 all good, 1 anything bad.\n"
      "Example: basin ledger --db ledger.sqlite verify --pool pool.toml --batch");
  verify->callback([=, &ctx] {
    const auto pool = federation::load_pool(*pool_path);
    const auto trust = trust_of(pool);
    basin::ledger::Ledger ledger(*db, basin::ledger::OpenMode::existing);
    // The records the receipts stand for must still be the nodes' signed ones.
    const auto tampered = checked_records(ledger, pool, ctx).tampered.size();
    const auto stored = ledger.receipts();
    std::vector<std::string> bad = books::audit_logs(ledger, stored, pool);
    std::vector<receipts::Receipt> decoded;
    std::vector<const basin::ledger::StoredReceipt*> origin;
    for (const auto& s : stored) {
      const auto name = "receipt " + std::to_string(s.leaf_index) + " (" + s.identity + "): ";
      try {
        auto r = receipts::decode(s.bytes);
        if (r.account != s.account || r.provider_site != s.provider_site || r.period != s.period)
          bad.push_back(name + "fields differ from the ledger's index of it");
        decoded.push_back(std::move(r));
        origin.push_back(&s);
      } catch (const std::exception& e) {
        bad.push_back(name + "malformed: " + e.what());
      }
    }
    auto name_of = [&](std::size_t i) {
      return "receipt " + std::to_string(origin[i]->leaf_index) + " (" + origin[i]->identity +
             "): ";
    };
    if (*batch) {
      for (const auto& f : receipts::verify_batch(decoded, trust))
        bad.push_back(name_of(f.index) + f.reason);
    } else {
      for (std::size_t i = 0; i < decoded.size(); ++i)
        if (auto why = receipts::verify_receipt(decoded[i], trust))
          bad.push_back(name_of(i) + *why);
    }
    for (const auto& b : bad) std::printf("BAD %s\n", b.c_str());
    const auto problems = bad.size() + tampered;
    std::printf("%zu receipts checked%s in %zu logs: %s\n", stored.size(), *batch ? " (batch)" : "",
                ledger.log_origins().size(),
                problems == 0 ? "all good" : (std::to_string(problems) + " problems").c_str());
    if (problems > 0) ctx.exit_code = 1;
  });
}

void add_open(CLI::App& led, std::shared_ptr<std::string> db, CommandContext& ctx) {
  auto key_path = std::make_shared<std::string>();
  auto pool_path = std::make_shared<std::string>();
  auto* open = led.add_subcommand(
      "open",
      "For an account holder: open the sealed openings of this account's receipts and show the\n"
      "quantities (checked against the public commitments) and, with --pool, the credits.");
  open->add_option("--account-key", *key_path,
                   "The account's secret key file ('basin-x25519-secret <hex>', from\n"
                   "basin pool add-account)")
      ->required();
  open->add_option("--pool", *pool_path, "pool.toml, to price the quantities with the rate cards");
  open->footer(
      "Units: core-seconds, MB-seconds, GPU-seconds, seconds; credits in micro-credits.\n"
      "Receipts of other accounts are not shown (they do not open with this key).\n"
      "Exit status: 0, or 1 if a receipt opens but does not match its commitments.\n"
      "Example: basin ledger --db ledger.sqlite open --account-key climate-lab.key --pool "
      "pool.toml");
  open->callback([=, &ctx] {
    const auto key = receipts::AccountKey::load(*key_path);
    std::optional<receipts::Trust> trust;
    if (!pool_path->empty()) trust = trust_of(federation::load_pool(*pool_path));
    basin::ledger::Ledger ledger(*db, basin::ledger::OpenMode::existing);
    std::printf("%-5s %-36s %-7s %12s %14s %8s %8s %s\n", "LEAF", "JOB", "PERIOD", "CORE_S",
                "MEM_MB_S", "GPU_S", "WALL_S", trust ? "CREDIT_UC" : "");
    const auto mine = books::account_receipts(ledger, key, trust ? &*trust : nullptr);
    for (const auto& a : mine) {
      if (!a.problem.empty()) {
        std::printf("BAD receipt %llu (%s): %s\n", static_cast<unsigned long long>(a.leaf_index),
                    records::printable(a.identity).c_str(), a.problem.c_str());
        ctx.exit_code = 1;
        continue;
      }
      const auto& o = a.opening;
      std::printf("%-5llu %-36s %-7s %12llu %14llu %8llu %8llu ",
                  static_cast<unsigned long long>(a.leaf_index),
                  records::printable(o.job_identity).c_str(), a.period.c_str(),
                  static_cast<unsigned long long>(o.values[0]),
                  static_cast<unsigned long long>(o.values[1]),
                  static_cast<unsigned long long>(o.values[2]),
                  static_cast<unsigned long long>(o.values[3]));
      if (a.credit) print_u128(*a.credit);
      std::printf("\n");
    }
    std::printf("%zu receipts of this account\n", mine.size());
  });
}

struct IngestArgs {
  std::vector<std::string> paths;
  std::string keys, pool;
};

void print_ingest_report(const basin::ledger::IngestReport& report) {
  for (const auto& bad : report.rejected)
    std::printf("rejected %s: %s\n", records::printable(bad.path).c_str(), bad.reason.c_str());
  for (const auto& q : report.quarantined)
    std::printf("quarantined %s (%s): %s\n", records::printable(q.path).c_str(), q.identity.c_str(),
                q.reason.c_str());
  for (const auto& c : report.copies)
    std::printf("duplicate %s: the same record (%s) as %s; stored once\n",
                records::printable(c.path).c_str(), c.identity.c_str(),
                records::printable(c.first).c_str());
}

void add_ingest(CLI::App& led, std::shared_ptr<std::string> db, CommandContext& ctx) {
  auto a = std::make_shared<IngestArgs>();
  auto* ingest = led.add_subcommand(
      "ingest",
      "Verify record files (or spool directories) against the node keys and store each once;\n"
      "records with bad signatures are listed and not stored. A validly signed record whose\n"
      "figures its node cannot have given (pool.toml's cores, memory and GPUs; times before\n"
      "2020, in the future or longer than 366 days) or whose strings are not printable UTF-8\n"
      "is quarantined with the reason: kept, listed by show --quarantined, never issued.\n"
      "Safe to rerun, to run twice at once, and to interrupt: each run is one transaction.");
  ingest->add_option("SPOOL", a->paths, "Record files or spool directories")->required();
  ingest->add_option("--keys", a->keys,
                     "Keys file: '<node> ed25519:<hex>' per line; the enrolled nodes' keys are\n"
                     "added from their certificates [the pool's node keys: pool.toml's and the\n"
                     "enrolled nodes']");
  ingest
      ->add_option("--pool", a->pool,
                   "pool.toml: each node's cores, memory and GPUs, and the enrolled nodes'\n"
                   "certificates (a record of one counts only if made within its validity\n"
                   "and before its revocation)")
      ->required();
  ingest->footer(
      "Exit status: 0 all stored, 1 some records rejected, quarantined or in conflict (each\n"
      "named; every other record is stored).\n"
      "Example: basin ledger --db ledger.sqlite ingest /var/spool/basin --keys node-keys \\\n"
      "           --pool pool.toml");
  ingest->callback([a, db, &ctx] {
    const auto pool = federation::load_pool(a->pool);
    const auto check = record_check_of(pool, std::time(nullptr));
    const auto keys = ingest_keys(pool, a->keys);
    basin::ledger::Ledger ledger(*db, basin::ledger::OpenMode::create);
    const auto report = ledger.ingest(a->paths, keys, check);
    print_ingest_report(report);
    std::printf(
        "%zu added, %zu already in the ledger, %zu in conflict, %zu rejected, %zu quarantined; "
        "%zu records in %s\n",
        report.added, report.duplicate, report.conflicts, report.rejected.size(),
        report.quarantined.size(), ledger.record_count(), db->c_str());
    if (!report.rejected.empty() || !report.quarantined.empty() || report.conflicts > 0)
      ctx.exit_code = 1;
  });
}

// Strings from nodes are printed through records::printable: a job name
// with ESC or CR must not reach the terminal raw.
void show_records(const std::vector<basin::ledger::StoredRecord>& stored) {
  std::printf("%-36s %-13s %-8s %10s %-9s %s\n", "IDENTITY", "ACCOUNT", "SITE", "CPU_S", "CONFLICT",
              "HASH");
  for (const auto& s : stored)
    std::printf("%-36s %-13s %-8s %10.2f %-9s %.16s\n", records::printable(s.identity).c_str(),
                records::printable(s.record.account).c_str(),
                records::printable(s.record.site).c_str(),
                (s.record.cpu_user_us + s.record.cpu_system_us) / 1e6,
                s.conflict ? "CONFLICT" : "-", s.content_hash.c_str());
}

void show_quarantine(const basin::ledger::Ledger& ledger) {
  const auto q = ledger.quarantined();
  for (const auto& r : q)
    std::printf("quarantined %s (hash %.16s, from %s): %s\n", r.identity.c_str(),
                r.content_hash.c_str(), records::printable(r.source).c_str(), r.reason.c_str());
  std::printf("%zu records in the quarantine (never issued or charged)\n", q.size());
}

void add_ledger(CLI::App& app, CommandContext& ctx) {
  auto* led = app.add_subcommand(
      "ledger",
      "The accounting ledger (one SQLite file): records, receipts, replica validation,\n"
      "settlement and reconciliation");
  led->require_subcommand(1);
  auto db = std::make_shared<std::string>(kDefaultDb);
  led->add_option("--db", *db,
                  "Ledger file (made by ingest, import or budget grant; every other command\n"
                  "refuses a path with no file)")
      ->capture_default_str();

  add_ingest(*led, db, ctx);
  add_issue(*led, db, ctx);
  add_verify(*led, db, ctx);
  add_open(*led, db, ctx);

  auto conflicts_only = std::make_shared<bool>(false);
  auto show_receipts = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  auto show_quarantined = std::make_shared<bool>(false);
  auto show_pool = std::make_shared<std::string>();
  auto* show = led->add_subcommand("show", "List the records (or receipts) in the ledger");
  show->add_flag("--conflicts", *conflicts_only,
                 "Only records whose identity is claimed by another record");
  show->add_flag("--receipts", *show_receipts,
                 "List the receipts (log order) with their public fields and the newest\n"
                 "signed checkpoint");
  show->add_flag("--json", *json, "With --receipts: each receipt's full JSON view");
  show->add_flag("--quarantined", *show_quarantined,
                 "The records ingest set aside (impossible figures or unprintable strings),\n"
                 "with the reason and the file each came from");
  show->add_option("--pool", *show_pool,
                   "pool.toml: also list the records of enrolled nodes made before their\n"
                   "revocation ('flagged ... made by node X before its revocation at T')");
  show->footer(
      "Exit status: 0, or 1 when a stored record cannot be read (named as 'set aside').\n"
      "Example: basin ledger --db ledger.sqlite show --receipts");
  show->callback([=, &ctx] {
    basin::ledger::Ledger ledger(*db, basin::ledger::OpenMode::existing);
    if (*show_receipts) {
      const auto stored = ledger.receipts();
      if (!*json)
        std::printf("%-5s %-36s %-10s %-13s %-7s %s\n", "LEAF", "RECORD", "SITE", "ACCOUNT",
                    "PERIOD", "JOB_REF");
      for (const auto& s : stored) {
        try {
          const auto r = receipts::decode(s.bytes);
          if (*json)
            std::printf("%s\n", receipts::to_json(r).c_str());
          else
            std::printf("%-5llu %-36s %-10s %-13s %-7s %.16s\n",
                        static_cast<unsigned long long>(s.leaf_index), s.identity.c_str(),
                        r.provider_site.c_str(), r.account.c_str(), r.period.c_str(),
                        tlog::to_hex(r.job_ref).c_str());
        } catch (const std::exception& e) {
          std::printf("%-5llu %-36s MALFORMED: %s\n", static_cast<unsigned long long>(s.leaf_index),
                      s.identity.c_str(), e.what());
        }
      }
      if (!*json) {
        std::printf("%zu receipts\n", stored.size());
        for (const auto& origin : ledger.log_origins())
          std::printf("checkpoint of log %s:\n%s", origin.c_str(),
                      ledger.latest_checkpoint(origin).note.c_str());
      }
      return;
    }
    if (*show_quarantined) {
      show_quarantine(ledger);
      return;
    }
    std::vector<basin::ledger::RecordProblem> set_aside;
    const auto stored = ledger.records(*conflicts_only, &set_aside);
    show_records(stored);
    if (!show_pool->empty())
      report_enrolment_findings(federation::load_pool(*show_pool), stored, false);
    if (report_set_aside(set_aside)) ctx.exit_code = 1;
  });
}

}  // namespace
}  // namespace basin::cli

BASIN_COMMAND_GROUP(ledger, 40, basin::cli::add_ledger);
