// `basin pool enrolment-keygen`, `enrol`, `revoke` and `enrolments`: a site
// enrols volunteer machines with signed certificates instead of listing them
// in pool.toml, and revokes them (federation/enrolment.hpp). Each verb parses
// its options, calls one library function and prints the result.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include "basin/common/durable_file.hpp"
#include "basin/federation/enrolment_files.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/records/record_checks.hpp"
#include "commands.hpp"

namespace basin::cli {
namespace {

namespace fed = basin::federation;

struct EnrolArgs {
  std::string site, secret, node, public_key, node_public, tier, valid = "30d", not_before, out,
                                                                 reason, list, at;
  std::uint32_t cpus = 0, gpus = 0;
  std::uint64_t memory_mb = 0, serial = 0;
};

void add_pool_enrol(CLI::App& app, CommandContext& ctx) {
  CLI::App* pool = app.get_subcommand("pool");
  auto file = [pool] { return pool->get_option("--file")->as<std::string>(); };
  auto a = std::make_shared<EnrolArgs>();

  auto* keygen = pool->add_subcommand(
      "enrolment-keygen",
      "Give a site an enrolment key: the Ed25519 key with which it signs its volunteer nodes'\n"
      "enrolment certificates and revocation lists. The secret goes to --secret (mode 0600);\n"
      "the public key becomes the site's enrolment_key in pool.toml (a key of its own, never\n"
      "the signing or witness key). Copy the changed pool.toml to every site, as with any\n"
      "pool change.");
  keygen->add_option("--site", a->site, "Site name")->required();
  keygen
      ->add_option("--secret", a->secret,
                   "Where to write the secret enrolment key (refuses to overwrite)")
      ->required();
  keygen->footer("Example: basin pool enrolment-keygen --site home --secret keys/home.enrol.key");
  keygen->callback([a, file] {
    const auto pub = fed::make_enrolment_key(file(), a->site, a->secret);
    std::cout << "site " << a->site << ": secret enrolment key in " << a->secret
              << " (mode 0600); added to its [[site]] in " << file() << ":\nenrolment_key = \""
              << pub << "\"\n";
  });

  auto* enrol = pool->add_subcommand(
      "enrol",
      "Enrol a volunteer node: sign a certificate with the site's enrolment key naming the\n"
      "node, its record-signing public key (basin records keygen on the node), its size and\n"
      "its validity. Put the certificate in the enrolments directory ([pool] enrolments, or\n"
      "enrolled/ beside pool.toml) of every site's pool: records of the node are then\n"
      "accepted when made within the validity and before any revocation.");
  enrol->add_option("--site", a->site, "The enrolling site")->required();
  enrol->add_option("--site-secret", a->secret, "The site's secret enrolment key")->required();
  enrol->add_option("--node", a->node, "Slurm node name ([a-z0-9_-], 1-64)")->required();
  auto* pk = enrol->add_option("--public-key", a->public_key,
                               "The node's Ed25519 public key, 64 hex digits");
  auto* pf = enrol->add_option("--node-public", a->node_public,
                               "Or a file with it: '<node> ed25519:<hex>' (records keygen "
                               "--public) or 'ed25519:<hex>'");
  pk->excludes(pf);
  enrol->add_option("--cpus", a->cpus, "CPUs Slurm may allocate")->required();
  enrol->add_option("--memory-mb", a->memory_mb, "RealMemory in MB")->required();
  enrol->add_option("--gpus", a->gpus, "GPUs (0..64)")->capture_default_str();
  enrol->add_option("--tier", a->tier, "institutional or volunteer [the site's tier]")
      ->check(CLI::IsMember({"institutional", "volunteer"}));
  enrol->add_option("--valid", a->valid, "Validity: Nd, Nh or Nm, at most 400d")
      ->capture_default_str();
  enrol->add_option("--not-before", a->not_before,
                    "Start of validity, YYYY-MM-DDTHH:MM:SSZ (UTC) [now]");
  enrol->add_option("--out", a->out, "The certificate file to write (never overwritten)")
      ->required();
  enrol->footer(
      "The serial is the next of the site's counter, <site-secret>.serial (the last serial\n"
      "issued; written before the certificate, so a serial is never reused).\n"
      "Example: basin pool enrol --site home --site-secret keys/home.enrol.key --node vol3 \\\n"
      "           --node-public vol3.pub --cpus 4 --memory-mb 8000 --valid 90d \\\n"
      "           --out enrolled/vol3.cert");
  enrol->callback([a, file, pk, pf] {
    if (pk->count() + pf->count() != 1)
      throw std::runtime_error("give the node's key: --public-key HEX or --node-public FILE");
    fed::EnrolRequest r;
    r.site = a->site;
    r.site_secret = a->secret;
    r.node = a->node;
    if (pf->count() > 0) {
      const auto bytes = common::read_file(a->node_public, 64 * 1024);
      r.node_public_key = fed::node_public_key_from(std::string(bytes.begin(), bytes.end()),
                                                    a->node, a->node_public);
    } else {
      r.node_public_key =
          fed::node_public_key_from(a->public_key, a->node, "--public-key " + a->public_key);
    }
    r.cpus = a->cpus;
    r.memory_mb = a->memory_mb;
    r.gpus = a->gpus;
    if (!a->tier.empty()) r.tier = records::parse_tier(a->tier);
    r.not_before = a->not_before.empty() ? std::time(nullptr) : fed::parse_utc(a->not_before);
    r.valid_seconds = fed::parse_validity(a->valid);
    r.out = a->out;
    const auto t = fed::enrol_node(file(), r);
    std::cout << "enrolled node " << t.node << " of site " << t.site << " (serial " << t.serial
              << ", " << fed::to_string(t.tier) << ", " << t.cpus << " CPUs, " << t.memory_mb
              << " MB, " << t.gpus << " GPUs) valid " << fed::utc_text(t.not_before) << " to "
              << fed::utc_text(t.not_after) << ": " << a->out << "\n";
  });

  auto* revoke = pool->add_subcommand(
      "revoke",
      "Revoke a node's enrolment (one certificate, by serial): add it to the site's signed\n"
      "revocation list, with the time from which the node's records are refused and the\n"
      "reason. Records it made before that stay in the ledgers, flagged. Copy the list to the\n"
      "enrolments directory of every site's pool.");
  revoke->add_option("--site", a->site, "The enrolling site")->required();
  revoke->add_option("--site-secret", a->secret, "The site's secret enrolment key")->required();
  revoke->add_option("--node", a->node, "The node")->required();
  revoke->add_option("--serial", a->serial, "The certificate's serial")->required();
  revoke->add_option("--reason", a->reason, "Why (printable, 1-200 bytes)")->required();
  revoke->add_option("--at", a->at,
                     "Refuse the node's records from this time on, YYYY-MM-DDTHH:MM:SSZ "
                     "(UTC; not in the future) [now]");
  revoke
      ->add_option("--list", a->list,
                   "The site's revocation list, <site>.revocations (created if missing; "
                   "else verified, extended, sequence + 1)")
      ->required();
  revoke->footer(
      "Example: basin pool revoke --site home --site-secret keys/home.enrol.key --node vol3 \\\n"
      "           --serial 3 --reason 'lost laptop' --list enrolled/home.revocations");
  revoke->callback([a, file] {
    fed::RevokeRequest r;
    r.site = a->site;
    r.site_secret = a->secret;
    r.node = a->node;
    r.serial = a->serial;
    r.reason = a->reason;
    r.now = std::time(nullptr);
    r.revoked_at = a->at.empty() ? r.now : fed::parse_utc(a->at);
    r.list = a->list;
    const auto t = fed::revoke_node(file(), r);
    std::cout << "revoked node " << a->node << " serial " << a->serial << " of site " << a->site
              << " from " << fed::utc_text(r.revoked_at) << "; " << a->list << ": sequence "
              << t.sequence << ", " << t.entries.size() << " revocations\n";
  });

  auto* list = pool->add_subcommand(
      "enrolments",
      "List the enrolled nodes: one line per certificate with site, tier, serial, validity\n"
      "and whether it is valid now, expired, not yet valid or revoked (with when and why).\n"
      "Example: basin pool enrolments");
  list->callback([file, &ctx] {
    const auto p = fed::load_pool(file());
    const auto now = std::time(nullptr);
    std::printf("%-16s %-12s %-13s %6s %-20s %-20s %s\n", "NODE", "SITE", "TIER", "SERIAL",
                "NOT_BEFORE", "NOT_AFTER", "STATUS");
    std::size_t count = 0;
    for (const auto& n : p.nodes) {
      for (const auto& e : n.enrolments) {
        std::string status = now < e.not_before  ? "not yet valid"
                             : now > e.not_after ? "expired"
                                                 : "valid";
        if (e.revoked_at)
          status = "revoked at " + fed::utc_text(*e.revoked_at) +
                   " (reason: " + records::printable(e.revocation_reason) + ")";
        std::printf("%-16s %-12s %-13s %6llu %-20s %-20s %s\n", n.name.c_str(), n.site.c_str(),
                    fed::to_string(fed::site_named(p, n.site).tier),
                    static_cast<unsigned long long>(e.serial), fed::utc_text(e.not_before).c_str(),
                    fed::utc_text(e.not_after).c_str(), status.c_str());
        ++count;
      }
    }
    std::printf("%zu certificates\n", count);
    (void)ctx;
  });
}

}  // namespace
}  // namespace basin::cli

// After `pool` (order 60), which it extends.
BASIN_COMMAND_GROUP(pool_enrol, 62, basin::cli::add_pool_enrol);
