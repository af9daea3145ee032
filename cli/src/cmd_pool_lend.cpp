// `basin pool lend`: a site's admin lends nodes of the site's own Slurm
// cluster to the pool for a time window. Run against the site's cluster
// (SLURM_CONF is the site's), by root, with the site's enrolment key.
//
// For each node lent: a fresh record-signing key and an enrolment
// certificate valid for the window (published in the pool's enrolments
// directory, so the books accept that node's records for that window only),
// then a pilot job on the site's cluster: `basin pool join --foreground`,
// exclusive on one of the site's nodes, with the window as its time limit
// and SIGUSR1 `--lead` seconds before its end. The pilot's slurmd joins the
// pool as a dynamic node; when the window is about to close, or the site's
// Slurm preempts or cancels the pilot (SIGTERM), it leaves the pool cleanly
// (pool jobs on it are requeued after checkpointing). If the site kills it
// outright, its slurmd dies with it (a child of the pilot), and the pool
// sees a node vanish: its jobs are requeued after SlurmdTimeout.
#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "basin/federation/enrolment_files.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/records/signing.hpp"
#include "commands.hpp"
#include "slurm_command.hpp"

namespace basin::cli {
namespace {

namespace fs = std::filesystem;

struct LendArgs {
  std::string site, site_secret, window = "1h", pool_slurm_conf, state_root, munge_socket, plugin,
                                 basin, partition;
  unsigned nodes = 1, cpus = 0, lead_s = 60;
  std::uint64_t memory_mb = 0;
};

// A path for the pilot's shell command line: absolute, and nothing a shell
// would read as more than one word or as syntax.
std::string shell_path(const std::string& p, const char* what) {
  if (p.empty() || p[0] != '/' ||
      p.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789/._-%+") != std::string::npos)
    throw std::runtime_error(std::string(what) + " '" + p +
                             "' must be an absolute path of letters, digits and / . _ - + % only");
  return p;
}

// "%n" in the munge socket path is the site node the pilot runs on.
std::string with_node_name(std::string p) {
  for (auto at = p.find("%n"); at != std::string::npos; at = p.find("%n", at + 16))
    p.replace(at, 2, "${SLURMD_NODENAME}");
  return p;
}

void lend(const std::string& pool_file, const LendArgs& a) {
  const federation::Pool pool = federation::load_pool(pool_file);
  const std::int64_t window = federation::parse_validity(a.window);
  if (window < 60)
    throw std::runtime_error("--window " + a.window +
                             " is shorter than a minute, Slurm's "
                             "smallest time limit");
  if (a.lead_s >= window) throw std::runtime_error("--lead must be shorter than the window");
  const std::string basin = shell_path(a.basin, "--basin");
  const std::string plugin = shell_path(a.plugin, "--plugin");
  const std::string conf = shell_path(a.pool_slurm_conf, "--pool-slurm-conf");
  const std::string pool_path = shell_path(fs::absolute(pool_file).string(), "--file");
  const std::string munge = a.munge_socket.empty()
                                ? std::string()
                                : with_node_name(shell_path(a.munge_socket, "--munge-socket"));
  const fs::path root = shell_path(a.state_root, "--state-root");
  // The pool's enrolments directory; a pool without one gets the default,
  // enrolled/ beside pool.toml.
  fs::path enrolled = federation::enrolment_dir(pool_file, pool);
  if (enrolled.empty()) {
    enrolled = fs::absolute(pool_file).parent_path() / "enrolled";
    fs::create_directories(enrolled);
  }
  fs::create_directories(root);
  const std::int64_t now = std::time(nullptr);
  unsigned lent = 0;
  for (unsigned k = 1; lent < a.nodes; ++k) {
    const std::string node = a.site + "-lend" + std::to_string(k);
    if (fs::exists(enrolled / (node + ".cert")) || fs::exists(root / node)) continue;
    const fs::path state = root / node;
    fs::create_directory(state);
    fs::permissions(state, fs::perms::owner_all);
    const auto key = records::NodeKey::generate();
    auto secret = key.secret_file_text();
    federation::write_file_atomic((state / (node + ".key")).string(), secret, 0600);
    sodium_memzero(secret.data(), secret.size());
    federation::EnrolRequest req;
    req.site = a.site;
    req.site_secret = a.site_secret;
    req.node = node;
    req.node_public_key = records::public_key_text(key.public_key()).substr(8);
    req.cpus = a.cpus;
    req.memory_mb = a.memory_mb;
    req.not_before = now;
    // Records of pool jobs end before the pilot does; ten minutes of clock
    // slack between the nodes and the ledger host.
    req.valid_seconds = window + 600;
    req.out = (enrolled / (node + ".cert")).string();
    const auto terms = federation::enrol_node(pool_file, req);
    fs::copy_file(req.out, state / (node + ".cert"), fs::copy_options::overwrite_existing);
    std::string join = "exec " + basin + " pool --file " + pool_path + " join --foreground" +
                       " --cert " + (state / (node + ".cert")).string() + " --state-dir " +
                       state.string() + " --slurm-conf " + conf + " --plugin " + plugin;
    if (!munge.empty()) join += " --munge-socket \"" + munge + "\"";
    std::vector<std::string> argv = {"sbatch",
                                     "--parsable",
                                     "--job-name=basin-lend-" + node,
                                     "--time=" + std::to_string((window + 59) / 60),
                                     "--signal=B:USR1@" + std::to_string(a.lead_s),
                                     "--nodes=1",
                                     "--exclusive",
                                     "--output=" + (state / "pilot.out").string(),
                                     "--wrap",
                                     join};
    if (!a.partition.empty()) argv.insert(argv.begin() + 1, "--partition=" + a.partition);
    const std::string id = slurm_output(argv);
    std::printf(
        "lent %s: pilot job %s on site %s's cluster, window %s (certificate serial %llu, "
        "valid to %s), state %s\n",
        node.c_str(), id.substr(0, id.find_first_of(";\n")).c_str(), a.site.c_str(),
        a.window.c_str(), static_cast<unsigned long long>(terms.serial),
        federation::utc_text(terms.not_after).c_str(), state.c_str());
    ++lent;
  }
}

void add_pool_lend(CLI::App& app, CommandContext&) {
  CLI::App* pool = app.get_subcommand("pool");
  auto file = [pool] { return pool->get_option("--file")->as<std::string>(); };
  auto a = std::make_shared<LendArgs>();
  a->plugin = "/usr/lib/basin/basin_spank.so";
  a->basin = fs::exists("/proc/self/exe") ? fs::read_symlink("/proc/self/exe").string() : "basin";
  auto* l = pool->add_subcommand(
      "lend",
      "Lend nodes of this site's own Slurm cluster to the pool for a window (run by the site's\n"
      "admin, as root, with SLURM_CONF naming the SITE's cluster). For each node: a new key and\n"
      "an enrolment certificate valid for the window (put in the pool's enrolments directory),\n"
      "and a pilot job on the site's cluster (exclusive, time limit = the window, SIGUSR1 --lead\n"
      "seconds before its end) running `basin pool join --foreground`: its slurmd joins the pool\n"
      "as a dynamic node, and leaves it cleanly (pool jobs requeued) when the window closes or\n"
      "the site preempts or cancels the pilot.");
  l->add_option("--site", a->site, "The lending site (it needs an enrolment_key)")->required();
  l->add_option("--site-secret", a->site_secret, "The site's secret enrolment key")->required();
  l->add_option("--nodes", a->nodes, "How many nodes to lend")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  l->add_option("--window", a->window, "How long: Nm, Nh or Nd (at least 1m)")
      ->capture_default_str();
  l->add_option("--lead", a->lead_s,
                "Seconds before the window's end at which the pilot starts leaving (its pool\n"
                "jobs checkpoint and are requeued)")
      ->capture_default_str();
  l->add_option("--cpus", a->cpus, "CPUs of each lent node (as the site's nodes have)")
      ->required()
      ->check(CLI::Range(1, 1 << 20));
  l->add_option("--memory-mb", a->memory_mb, "Memory of each lent node in MB")->required();
  l->add_option("--pool-slurm-conf", a->pool_slurm_conf,
                "The pool's slurm.conf, readable on the site's nodes")
      ->required();
  l->add_option("--state-root", a->state_root,
                "Directory on the site's shared file system for the pilots' state (keys,\n"
                "certificates, slurm.conf, spools); one subdirectory per lent node")
      ->required();
  l->add_option("--munge-socket", a->munge_socket,
                "munged with the POOL's key on the site's nodes; %n: the site node's name");
  l->add_option("--plugin", a->plugin, "Basin's SPANK plugin on the site's nodes")
      ->capture_default_str();
  l->add_option("--basin", a->basin, "The basin executable on the site's nodes")
      ->capture_default_str();
  l->add_option("--partition", a->partition, "The site's partition for the pilots");
  l->footer(
      "Example: SLURM_CONF=/etc/slurm/slurm.conf basin pool --file pool.toml lend --site campus\n"
      "           --site-secret keys/campus.enrol.key --nodes 2 --window 8h --cpus 64 \\\n"
      "           --memory-mb 256000 --pool-slurm-conf /etc/basin/pool-slurm.conf \\\n"
      "           --state-root /shared/basin-lend --munge-socket /run/munge-pool/munge.socket");
  l->callback([a, file] { lend(file(), *a); });
}

}  // namespace
}  // namespace basin::cli

// After `pool` (order 60), which it extends.
BASIN_COMMAND_GROUP(pool_lend, 63, basin::cli::add_pool_lend);
