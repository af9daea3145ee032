#include "basin/books/exchange.hpp"

#include <sodium.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <optional>

#include "basin/books/integrity.hpp"
#include "basin/books/openings.hpp"
#include "basin/books/period_items.hpp"
#include "basin/books/replica_evidence.hpp"
#include "basin/tlog/signed_note.hpp"

namespace basin::books {
namespace {

std::array<std::uint8_t, 32> hex32(const std::string& hex) {
  const auto key = receipts::parse_ed25519_hex(hex);
  std::array<std::uint8_t, 32> out{};
  std::copy(key.begin(), key.end(), out.begin());
  return out;
}

// The note text (checkpoint body) of a signed note.
std::string note_text(const std::string& note) {
  return tlog::split_note(note).text;
}

// The line of `note` that is a valid cosignature by `key`, or "" (checked
// line by line: a line with the witness's name but another key is not kept).
std::string cosignature_line(const std::string& note, const tlog::CosignerKey& key) {
  const auto parts = tlog::split_note(note);
  for (const auto& line : parts.lines) {
    try {
      tlog::verify_cosignature(parts.text + "\n" + line + "\n", key);
      return line + "\n";
    } catch (const tlog::NoteError&) {
    }
  }
  return "";
}

// Every valid cosignature on `note` by a pool witness other than the log's
// own site: the witnessing sites.
std::vector<std::string> cosigners(const std::string& note, const federation::Pool& pool,
                                   const std::string& log_site) {
  std::vector<std::string> out;
  for (const auto& [site, key] : witnesses_of(pool)) {
    if (site == log_site) continue;  // a log cannot witness itself
    try {
      tlog::verify_cosignature(note, key);
      out.push_back(site);
    } catch (const tlog::NoteError&) {
    }
  }
  return out;
}

// Decodes and verifies the receipts of leaves [skip, end) of the bundle:
// "leaf N: why" for each bad one. They must be receipts of the log's site.
std::vector<std::string> check_receipts(const Bundle& b, std::size_t skip,
                                        const receipts::Trust& trust, const std::string& site) {
  // Decoded on every core: a bundle holds 10^5 receipts.
  const std::size_t n = b.leaves.size() > skip ? b.leaves.size() - skip : 0;
  std::vector<std::optional<receipts::Receipt>> parsed(n);
  std::vector<std::string> why(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
    const auto leaf = std::to_string(b.from_size + skip + i);
    try {
      auto r = receipts::decode(b.leaves[skip + i]);
      if (r.provider_site != site)
        why[i] =
            "leaf " + leaf + ": a receipt of site " + r.provider_site + " in the log of " + site;
      else
        parsed[i] = std::move(r);
    } catch (const std::exception& e) {
      why[i] = "leaf " + leaf + ": not a receipt: " + e.what();
    }
  });
  std::vector<std::string> bad;
  std::vector<receipts::Receipt> decoded;
  std::vector<std::uint64_t> index;
  decoded.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!parsed[i]) {
      bad.push_back(std::move(why[i]));
      continue;
    }
    decoded.push_back(std::move(*parsed[i]));
    index.push_back(b.from_size + skip + i);
  }
  for (const auto& f : receipts::verify_batch(decoded, trust))
    bad.push_back("leaf " + std::to_string(index[f.index]) + ": " + f.reason);
  return bad;
}

// Checks the bundle's replica evidence against its leaves (now mirrored)
// and stores what holds; the rest is reported, never used.
void store_evidence(ledger::Ledger& ledger, const Bundle& b, const federation::Pool& pool,
                    const std::string& site, ImportReport& report) {
  if (b.evidence.empty()) return;
  const auto keys = node_keys_of(pool);
  std::vector<ledger::ReplicaEvidence> good;
  for (const auto& e : b.evidence) {
    const auto why = [&]() -> std::optional<std::string> {
      if (e.leaf < b.from_size || e.leaf - b.from_size >= b.leaves.size())
        return std::string("it names a leaf outside the bundle");
      records::UsageRecord record;
      receipts::Receipt receipt;
      return check_evidence(e, b.leaves[e.leaf - b.from_size], pool, site, keys, record, receipt);
    }();
    if (why)
      report.refused_evidence.push_back("leaf " + std::to_string(e.leaf) + ": " + *why);
    else
      good.push_back(e);
  }
  ledger.store_evidence(b.origin, good);
  report.evidence = good.size();
}

// Verifies and stores the bundle's openings that cover the mirrored log.
void store_openings(ledger::Ledger& ledger, const Bundle& b, const federation::Pool& pool,
                    const std::string& site, ImportReport& report) {
  if (b.openings.empty()) return;
  const auto hashes = ledger.log_leaf_hashes(b.origin);
  for (const auto& note : b.openings) {
    try {
      const auto o = verify_opening(note, pool);
      if (o.opening.provider != site)
        throw OpeningError("an opening by " + o.opening.provider + " in the bundle of " + site);
      if (o.size > hashes.size() || tlog::root(std::span(hashes).first(o.size)) != o.root)
        throw OpeningError("it names a checkpoint of size " + std::to_string(o.size) +
                           " that is not in the log this site holds");
      ledger.store_opening(o.period, o.opening.provider, o.opening.consumer, note);
      ++report.openings;
    } catch (const std::exception& e) {
      report.refused_openings.push_back(e.what());
    }
  }
}

}  // namespace

OpeningsReport make_openings(ledger::Ledger& ledger, const federation::Pool& pool,
                             const receipts::Trust& trust, const std::string& site,
                             const records::NodeKey& key, const receipts::BlindingKey& blinding,
                             const std::string& period) {
  OpeningsReport report;
  const auto origin = log_origin(pool.name, site);
  const auto cp = ledger.latest_checkpoint(origin);
  const auto checked = checked_records(ledger, node_keys_of(pool));
  for (const auto& t : checked.tampered)
    report.problems.push_back("record " + t.identity + " (record_tampered): " + t.reason);
  // Replica groups that span sites: judged from every site's evidence, as
  // every settling site will judge them (replica_evidence.hpp).
  const auto foreign = foreign_evidence(ledger, pool, origin);
  for (const auto& why : foreign.refused) report.problems.push_back("evidence refused: " + why);
  auto items = period_items(ledger, pool, period, {site}, checked, &foreign);
  std::erase_if(items, [&](const settlement::Item& it) { return it.log != origin; });
  const auto st = settlement::settle(items, trust, {{site, &blinding}}, {}, period);
  for (const auto& f : st.failed)
    report.problems.push_back("leaf " + std::to_string(f.leaf) + " (" + f.record +
                              "): " + f.reason);
  auto seed = key.seed();
  for (const auto& p : st.pairs) {
    if (!p.opened) {
      report.problems.push_back("pair " + p.provider + " -> " + p.consumer + ": " + p.problem);
      continue;
    }
    SignedOpening o{pool.name, period,
                    origin,    cp.size,
                    cp.root,   {p.provider, p.consumer, p.leaves, p.micro_credits, p.blinding}};
    auto note = sign_opening(o, seed);
    ledger.store_opening(period, p.provider, p.consumer, note);
    report.notes.push_back(std::move(note));
  }
  sodium_memzero(seed.data(), seed.size());
  return report;
}

void order_for_log(std::vector<ledger::NewReceipt>& receipts) {
  std::vector<std::pair<tlog::Hash, std::size_t>> keyed;
  keyed.reserve(receipts.size());
  for (std::size_t i = 0; i < receipts.size(); ++i)
    keyed.emplace_back(tlog::leaf_hash(receipts[i].bytes), i);
  std::sort(keyed.begin(), keyed.end());
  std::vector<ledger::NewReceipt> out;
  out.reserve(receipts.size());
  for (const auto& [hash, i] : keyed) out.push_back(std::move(receipts[i]));
  receipts = std::move(out);
}

std::string log_origin(const std::string& pool, const std::string& site) {
  return pool + "/" + site + "/receipts";
}

const federation::Site* site_of_origin(const federation::Pool& pool, const std::string& origin) {
  for (const auto& s : pool.sites)
    if (log_origin(pool.name, s.name) == origin) return &s;
  return nullptr;
}

std::string witness_name(const std::string& pool, const std::string& site) {
  return pool + "/" + site + "/witness";
}

std::vector<tlog::NoteVerifier> checkpoint_keys(const federation::Pool& pool,
                                                const std::string& site) {
  const auto& s = federation::site_named(pool, site);
  const auto origin = log_origin(pool.name, site);
  std::vector<tlog::NoteVerifier> out{tlog::make_verifier(origin, hex32(s.signing_key))};
  for (const auto& k : s.previous_keys)
    if (k.revoked_from.empty()) out.push_back(tlog::make_verifier(origin, hex32(k.public_key)));
  return out;
}

std::vector<std::pair<std::string, tlog::CosignerKey>> witnesses_of(const federation::Pool& pool) {
  std::vector<std::pair<std::string, tlog::CosignerKey>> out;
  for (const auto& s : pool.sites)
    if (!s.witness_key.empty())
      out.push_back({s.name, {witness_name(pool.name, s.name), hex32(s.witness_key)}});
  return out;
}

Bundle make_bundle(const ledger::Ledger& ledger, const federation::Pool& pool,
                   const std::string& site, std::optional<std::uint64_t> from,
                   const receipts::BlindingKey& blinding) {
  federation::site_named(pool, site);
  Bundle b;
  b.pool = pool.name;
  b.origin = log_origin(pool.name, site);
  const auto cp = ledger.latest_checkpoint(b.origin);
  if (cp.note.empty())
    throw std::runtime_error("log " + b.origin +
                             " has no signed checkpoint yet: run `basin ledger issue` first");
  const auto hashes = ledger.log_leaf_hashes(b.origin);
  if (hashes.size() < cp.size || tlog::root(std::span(hashes).first(cp.size)) != cp.root)
    throw std::runtime_error("log " + b.origin +
                             " no longer matches its signed checkpoint of size " +
                             std::to_string(cp.size) +
                             ": the ledger was altered; see `basin "
                             "ledger verify`");
  b.from_size = from.value_or(ledger.last_export(b.origin));
  if (b.from_size > cp.size)
    throw std::runtime_error("--from " + std::to_string(b.from_size) + " is beyond the log's " +
                             std::to_string(cp.size) + " leaves");
  b.checkpoint_note = cp.note;
  for (const auto& line : ledger.cosignatures(b.origin, cp.size))
    b.checkpoint_note = tlog::add_cosignature(b.checkpoint_note, line);
  if (b.from_size > 0 && b.from_size < cp.size)
    b.consistency = tlog::consistency_proof(std::span(hashes).first(cp.size), b.from_size);
  b.leaves = ledger.log_leaves(b.origin, b.from_size, cp.size);
  b.evidence = own_evidence(ledger, pool, b.origin, blinding, b.from_size, cp.size);
  return b;
}

void record_export(ledger::Ledger& ledger, const Bundle& bundle) {
  ledger.store_evidence(bundle.origin, bundle.evidence);
  ledger.record_export(bundle.origin, bundle.from_size + bundle.leaves.size());
}

ImportReport import_bundle(ledger::Ledger& ledger, const Bundle& b, const federation::Pool& pool,
                           const receipts::Trust& trust, const std::string& own_site,
                           const tlog::Cosigner& witness, std::uint64_t now) {
  using Kind = BundleVerdict::Kind;
  ImportReport report;
  auto bad = [&](std::string why) {
    report.verdict.kind = Kind::bad;
    report.verdict.reason = std::move(why);
    return report;
  };
  if (b.pool != pool.name) return bad("a bundle of pool " + b.pool + ", not of " + pool.name);
  const auto* site = site_of_origin(pool, b.origin);
  if (!site) return bad("log " + b.origin + " is no site's log in pool " + pool.name);
  report.site = site->name;
  if (site->name == own_site)
    return bad("this is this site's own log: import other sites' bundles");

  const auto log_keys = checkpoint_keys(pool, site->name);
  MirroredLog mirror{ledger.log_leaf_hashes(b.origin), ledger.latest_checkpoint(b.origin).note};
  report.verdict = check_bundle(b, mirror, log_keys);
  switch (report.verdict.kind) {
    case Kind::bad:
      return report;
    case Kind::fork:
      ledger.record_fork({b.origin, mirror.note, b.checkpoint_note, report.verdict.reason, 0});
      return report;
    case Kind::replay:
      if (report.verdict.checkpoint.size != mirror.leaf_hashes.size()) {
        report.witnesses = cosigners(b.checkpoint_note, pool, site->name);
        return report;  // an older tree: nothing to cosign anew
      }
      break;
    case Kind::extends: {
      report.bad_receipts = check_receipts(b, report.verdict.skip, trust, site->name);
      if (!report.bad_receipts.empty()) return bad("the bundle holds receipts that do not verify");
      const std::vector<std::vector<std::uint8_t>> fresh(
          b.leaves.begin() + static_cast<std::ptrdiff_t>(report.verdict.skip), b.leaves.end());
      const auto& cp = report.verdict.checkpoint;
      ledger.mirror_append(b.origin, report.verdict.first_new, fresh,
                           {cp.size, cp.root, b.checkpoint_note});
      report.appended = fresh.size();
      break;
    }
  }
  store_evidence(ledger, b, pool, site->name, report);
  store_openings(ledger, b, pool, site->name, report);
  // Consistent with everything this site saw: cosign it as a witness.
  const auto& cp = report.verdict.checkpoint;
  report.cosignature = witness.cosign(note_text(b.checkpoint_note), now);
  ledger.add_cosignature(b.origin, cp.size, witness.key().name, report.cosignature);
  const auto cosigned = tlog::add_cosignature(b.checkpoint_note, report.cosignature);
  report.witnesses = cosigners(cosigned, pool, site->name);
  // Keep the other witnesses' cosignatures too: settlement counts them.
  for (const auto& [wsite, key] : witnesses_of(pool)) {
    if (wsite == own_site || wsite == site->name) continue;
    if (const auto line = cosignature_line(b.checkpoint_note, key); !line.empty())
      ledger.add_cosignature(b.origin, cp.size, key.name, line);
  }
  return report;
}

CosignatureReport add_cosignatures(ledger::Ledger& ledger, const federation::Pool& pool,
                                   const std::string& own_site,
                                   const std::vector<std::string>& notes) {
  CosignatureReport report;
  const auto origin = log_origin(pool.name, own_site);
  for (const auto& note : notes) {
    tlog::Checkpoint cp;
    try {
      cp = tlog::parse_checkpoint(note_text(note));
    } catch (const std::exception& e) {
      report.refused.push_back(std::string("not a cosigned checkpoint: ") + e.what());
      continue;
    }
    const auto mine = ledger.checkpoint_at(origin, cp.size);
    if (cp.origin != origin || !mine || mine->root != cp.root) {
      report.refused.push_back("a checkpoint of " + cp.origin + " at size " +
                               std::to_string(cp.size) + " that this site did not sign");
      continue;
    }
    bool any = false;
    for (const auto& [wsite, key] : witnesses_of(pool)) {
      if (wsite == own_site) continue;
      if (const auto line = cosignature_line(note, key); !line.empty()) {
        ledger.add_cosignature(origin, cp.size, key.name, line);
        ++report.added;
        any = true;
      }
    }
    if (!any)
      report.refused.push_back("the checkpoint of size " + std::to_string(cp.size) +
                               " carries no valid cosignature by a witness of pool.toml");
  }
  return report;
}

}  // namespace basin::books
