// basin ledger export / import / add-cosignatures / forks: the exchange of
// receipt logs between sites. Each site keeps its own ledger; the others
// mirror its log from bundles, check it only grows, and cosign what they
// checked as witnesses (C2SP tlog-cosignature).
#include <sodium.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "basin/books/exchange.hpp"
#include "basin/common/durable_file.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/ledger/ledger.hpp"
#include "commands.hpp"
#include "ledger_common.hpp"

namespace basin::cli {
namespace {

std::string db_of(CLI::App* led) {
  return led->get_option("--db")->as<std::string>();
}

// The site whose witness key (public half in pool.toml) is in `path`.
const federation::Site& site_of_witness_key(const federation::Pool& pool,
                                            const records::NodeKey& key, const std::string& path) {
  const auto pub = records::public_key_text(key.public_key()).substr(8);  // hex
  for (const auto& s : pool.sites)
    if (s.witness_key == pub) return s;
  throw std::runtime_error("the key in " + path +
                           " is no site's witness_key in the pool file (give the site's "
                           "<site>.witness.key made by basin pool add-site)");
}

// `bytes` as `path` (temporary name, fsync, rename), readable by all: bundles
// and cosigned checkpoints are public.
void write_durably(const std::string& path, std::span<const std::uint8_t> bytes) {
  const std::filesystem::path p(path);
  common::write_file_durably(p.parent_path().empty() ? "." : p.parent_path().string(),
                             p.filename().string(), bytes, 0644);
}

void add_export(CLI::App* led, CommandContext& ctx) {
  struct Args {
    std::string pool, site_key, blinding_key, out;
    std::optional<std::uint64_t> from;
    std::vector<std::string> periods;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = led->add_subcommand(
      "export",
      "Write a bundle of this site's receipt log for the other sites: the receipts added since\n"
      "the last bundle, the newest signed checkpoint with the cosignatures collected for it,\n"
      "a consistency proof from the previous bundle's checkpoint, and for receipts of\n"
      "replicated jobs their replica evidence (signed record and job salt), so every site\n"
      "judges replica groups that span sites alike.");
  cmd->add_option("--pool", a->pool, "pool.toml")->required();
  cmd->add_option("--site-key", a->site_key,
                  "This site's secret signing key (says which site's log to export)")
      ->required();
  add_blinding_option(*cmd, a->blinding_key);
  cmd->add_option("--out", a->out, "Bundle file to write [<site>-<size>.bundle]");
  cmd->add_option("--from", a->from,
                  "Start at this tree size instead of where the last export ended (to resend)");
  cmd->add_option("--period", a->periods,
                  "A closed month (YYYY-MM, repeatable): add this site's signed opening of each\n"
                  "(provider, consumer) pair's total, so any site can settle it");
  cmd->footer(
      "The bundle is public: receipts hide their quantities (the records of replicated jobs\n"
      "are shown, to be compared). Send it to every other site.\n"
      "Exit status: 0 written, 1 the log cannot be exported (said why).\n"
      "Example: basin ledger --db campus.sqlite export --pool pool.toml \\\n"
      "           --site-key keys/campus.sign.key --out campus-12.bundle");
  cmd->callback([a, led, &ctx] {
    const auto pool = federation::load_pool(a->pool);
    const auto key = records::NodeKey::load(a->site_key, false);
    const auto& site = site_of_key(pool, key, a->site_key);
    ledger::Ledger ledger(db_of(led), ledger::OpenMode::existing);
    const auto blinding = load_blinding_key(a->blinding_key, a->site_key);
    auto bundle = books::make_bundle(ledger, pool, site.name, a->from, blinding);
    const auto trust = trust_of(pool);
    for (const auto& period : a->periods) {
      check_period(period);
      auto openings = books::make_openings(ledger, pool, trust, site.name, key, blinding, period);
      for (const auto& why : openings.problems)
        std::printf("not opened (%s): %s\n", period.c_str(), why.c_str());
      if (!openings.problems.empty()) ctx.exit_code = 1;
      std::printf("period %s: %zu pair openings signed\n", period.c_str(), openings.notes.size());
      for (auto& n : openings.notes) bundle.openings.push_back(std::move(n));
    }
    const auto size = bundle.from_size + bundle.leaves.size();
    const auto out = a->out.empty() ? site.name + "-" + std::to_string(size) + ".bundle" : a->out;
    const auto bytes = books::encode_bundle(bundle);
    write_durably(out, bytes);
    books::record_export(ledger, bundle);
    std::printf(
        "exported log %s: leaves %llu..%llu (%zu receipts), checkpoint size %llu with %zu "
        "cosignatures, to %s\n",
        bundle.origin.c_str(), static_cast<unsigned long long>(bundle.from_size),
        static_cast<unsigned long long>(size), bundle.leaves.size(),
        static_cast<unsigned long long>(size), ledger.cosignatures(bundle.origin, size).size(),
        out.c_str());
    if (!bundle.evidence.empty())
      std::printf("with replica evidence of %zu receipts of replicated jobs\n",
                  bundle.evidence.size());
    (void)ctx;
  });
}

void add_import(CLI::App* led, CommandContext& ctx) {
  struct Args {
    std::string pool, witness_key, cosigned_dir = ".";
    std::vector<std::string> bundles;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = led->add_subcommand(
      "import",
      "Import other sites' bundles: check each checkpoint is signed by its site and extends\n"
      "the log this site saw before (consistency proof, every leaf), verify every new receipt,\n"
      "mirror the log, and cosign the checkpoint as this site's witness. A log that does not\n"
      "extend what this site saw is a fork: both signed checkpoints are kept as evidence\n"
      "(basin ledger forks) and nothing of the bundle is stored.");
  cmd->add_option("BUNDLE", a->bundles, "Bundle files, in the order each site exported them")
      ->required();
  cmd->add_option("--pool", a->pool, "pool.toml")->required();
  cmd->add_option("--witness-key", a->witness_key,
                  "This site's secret witness key (<site>.witness.key, from basin pool add-site)")
      ->required();
  cmd->add_option("--cosigned-dir", a->cosigned_dir,
                  "Where to write each cosigned checkpoint (<site>-<size>.cosigned) to send\n"
                  "back to the log's site [.]");
  cmd->footer(
      "Exit status: 0 every bundle extends or repeats what was seen, 1 a bundle is bad or shows\n"
      "a fork (named on stdout).\n"
      "Example: basin ledger --db home.sqlite import --pool pool.toml \\\n"
      "           --witness-key keys/home.witness.key campus-12.bundle lab-40.bundle");
  cmd->callback([a, led, &ctx] {
    const auto pool = federation::load_pool(a->pool);
    const auto trust = trust_of(pool);
    const auto key = records::NodeKey::load(a->witness_key, false);
    const auto& me = site_of_witness_key(pool, key, a->witness_key);
    auto seed = key.seed();
    const tlog::Cosigner witness(books::witness_name(pool.name, me.name), seed);
    sodium_memzero(seed.data(), seed.size());
    // Like ingest, import adds to a ledger: a site may mirror others' logs
    // before it has records of its own.
    ledger::Ledger ledger(db_of(led), ledger::OpenMode::create);
    for (const auto& path : a->bundles) {
      books::Bundle bundle;
      try {
        bundle = books::decode_bundle(common::read_file(path, books::kMaxBundleFile));
      } catch (const std::exception& e) {
        std::printf("BAD %s: %s\n", path.c_str(), e.what());
        ctx.exit_code = 1;
        continue;
      }
      const auto r = books::import_bundle(ledger, bundle, pool, trust, me.name, witness,
                                          static_cast<std::uint64_t>(std::time(nullptr)));
      const auto& cp = r.verdict.checkpoint;
      switch (r.verdict.kind) {
        case books::BundleVerdict::Kind::bad:
          for (const auto& b : r.bad_receipts) std::printf("BAD %s %s\n", path.c_str(), b.c_str());
          std::printf("BAD %s: %s; nothing imported\n", path.c_str(), r.verdict.reason.c_str());
          ctx.exit_code = 1;
          continue;
        case books::BundleVerdict::Kind::fork:
          std::printf(
              "FORK %s: log %s: %s; both signed checkpoints kept as evidence (basin "
              "ledger forks), nothing imported\n",
              path.c_str(), bundle.origin.c_str(), r.verdict.reason.c_str());
          ctx.exit_code = 1;
          continue;
        case books::BundleVerdict::Kind::replay:
        case books::BundleVerdict::Kind::extends:
          break;
      }
      for (const auto& why : r.refused_openings)
        std::printf("opening refused %s: %s\n", path.c_str(), why.c_str());
      if (!r.refused_openings.empty()) ctx.exit_code = 1;
      if (r.openings > 0) std::printf("%s: %zu signed openings stored\n", path.c_str(), r.openings);
      for (const auto& why : r.refused_evidence)
        std::printf("evidence refused %s: %s\n", path.c_str(), why.c_str());
      if (!r.refused_evidence.empty()) ctx.exit_code = 1;
      if (r.evidence > 0)
        std::printf("%s: replica evidence of %zu receipts stored\n", path.c_str(), r.evidence);
      std::string witnesses;
      for (const auto& w : r.witnesses) witnesses += (witnesses.empty() ? "" : ",") + w;
      std::printf("%s %s: log %s size %llu, %zu receipts added; witnessed by %s\n",
                  r.verdict.kind == books::BundleVerdict::Kind::extends ? "imported" : "replay",
                  path.c_str(), bundle.origin.c_str(), static_cast<unsigned long long>(cp.size),
                  r.appended, witnesses.empty() ? "nobody yet" : witnesses.c_str());
      if (!r.cosignature.empty()) {
        const auto out = (std::filesystem::path(a->cosigned_dir) /
                          (r.site + "-" + std::to_string(cp.size) + ".cosigned"))
                             .string();
        const auto note = tlog::add_cosignature(bundle.checkpoint_note, r.cosignature);
        write_durably(out, {reinterpret_cast<const std::uint8_t*>(note.data()), note.size()});
        std::printf("cosigned checkpoint for site %s: %s\n", r.site.c_str(), out.c_str());
      }
    }
  });
}

void add_cosignature_verb(CLI::App* led, CommandContext& ctx) {
  struct Args {
    std::string pool, site_key;
    std::vector<std::string> files;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = led->add_subcommand(
      "add-cosignatures",
      "Keep the cosignatures other sites' witnesses returned (the .cosigned files written by\n"
      "their `ledger import`) on this site's checkpoints; the next export carries them.");
  cmd->add_option("COSIGNED", a->files, "Cosigned checkpoint files")->required();
  cmd->add_option("--pool", a->pool, "pool.toml (witness keys)")->required();
  cmd->add_option("--site-key", a->site_key, "This site's secret signing key")->required();
  cmd->footer("Exit status: 0 all kept, 1 some refused (said why).");
  cmd->callback([a, led, &ctx] {
    const auto pool = federation::load_pool(a->pool);
    const auto key = records::NodeKey::load(a->site_key, false);
    const auto& me = site_of_key(pool, key, a->site_key);
    std::vector<std::string> notes;
    for (const auto& f : a->files) {
      const auto bytes = common::read_file(f, 1 << 20);
      notes.emplace_back(bytes.begin(), bytes.end());
    }
    ledger::Ledger ledger(db_of(led), ledger::OpenMode::existing);
    const auto r = books::add_cosignatures(ledger, pool, me.name, notes);
    for (const auto& why : r.refused) std::printf("refused: %s\n", why.c_str());
    std::printf("%zu cosignatures kept for log %s\n", r.added,
                books::log_origin(pool.name, me.name).c_str());
    if (!r.refused.empty()) ctx.exit_code = 1;
  });
}

void add_forks(CLI::App* led, CommandContext& ctx) {
  auto* cmd = led->add_subcommand(
      "forks",
      "List the forks found by `ledger import`: for each, the checkpoint this site had\n"
      "accepted and the validly signed one that does not extend it (the evidence to show the\n"
      "other sites).");
  cmd->footer("Exit status: 0 no forks, 1 forks listed.");
  cmd->callback([led, &ctx] {
    ledger::Ledger ledger(db_of(led), ledger::OpenMode::existing);
    const auto forks = ledger.forks();
    for (const auto& f : forks)
      std::printf("FORK of log %s (found %lld): %s\n--- accepted before:\n%s--- signed since:\n%s",
                  f.origin.c_str(), static_cast<long long>(f.found_at), f.reason.c_str(),
                  f.seen_note.c_str(), f.new_note.c_str());
    std::printf("%zu forks\n", forks.size());
    if (!forks.empty()) ctx.exit_code = 1;
  });
}

void add_exchange(CLI::App& app, CommandContext& ctx) {
  CLI::App* led = app.get_subcommand("ledger");
  add_export(led, ctx);
  add_import(led, ctx);
  add_cosignature_verb(led, ctx);
  add_forks(led, ctx);
}

}  // namespace
}  // namespace basin::cli

// After `ledger` (order 40), which it extends.
BASIN_COMMAND_GROUP(ledger_exchange, 45, basin::cli::add_exchange);
