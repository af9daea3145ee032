// `basin pool`: the federation's membership file, pool.toml, and what Slurm
// needs from it.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "basin/federation/pool_files.hpp"
#include "commands.hpp"

namespace {

using namespace basin::federation;

struct PoolArgs {
  std::string file = "pool.toml";
  std::string name, cluster = "basin", tier, site, key_out;
  std::int64_t core_second = 0, mem_mb_second = 0, gpu_second = 0, wall_second = 0;
  std::uint32_t cpus = 0;
  std::uint64_t memory_mb = 0;
  std::uint32_t gpus = 0;
  std::string gres_conf, gpu_device_dir = "/dev";
  SlurmRenderOptions render;
};

// `scontrol show node -o`: one line per node, `NodeName=x ... State=IDLE ...`.
std::map<std::string, std::string> slurm_states() {
  std::map<std::string, std::string> out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen("scontrol show node -o 2>/dev/null", "r"), pclose);
  if (!p) return out;
  char buf[8192];
  while (std::fgets(buf, sizeof buf, p.get()) != nullptr) {
    const std::string line(buf);
    auto field = [&](const std::string& key) {
      const auto at = line.find(key + "=");
      if (at == std::string::npos || (at > 0 && line[at - 1] != ' ')) return std::string();
      const auto from = at + key.size() + 1;
      return line.substr(from, line.find_first_of(" \n", from) - from);
    };
    if (auto n = field("NodeName"); !n.empty()) out[n] = field("State");
  }
  return out;
}

std::string default_key_path(const std::string& file, const std::string& name, const char* suffix) {
  const auto dir = std::filesystem::path(file).parent_path();
  return (dir / "keys" / (name + suffix)).string();
}

void add_pool_group(CLI::App& app, basin::cli::CommandContext& ctx) {
  auto args = std::make_shared<PoolArgs>();
  auto* pool = app.add_subcommand(
      "pool",
      "Manage pool.toml, the federation's sites, nodes and accounts, and render Slurm config.\n"
      "Example: basin pool init --name local --cluster basin && "
      "basin pool add-site --name home --tier volunteer --core-second 10");
  pool->require_subcommand(1);
  pool->add_option("--file", args->file, "The pool file")->capture_default_str();
  (void)ctx;

  auto* init = pool->add_subcommand("init", "Create an empty pool.toml (refuses to overwrite).");
  init->add_option("--name", args->name, "Pool name (letters, digits, - or _)")->required();
  init->add_option("--cluster", args->cluster, "Slurm ClusterName")->capture_default_str();
  init->callback([args] {
    if (std::filesystem::exists(args->file)) {
      throw std::runtime_error(args->file + " already exists; use --file for another path");
    }
    Pool p;
    p.name = args->name;
    p.cluster = args->cluster;
    save_pool(args->file, p);
    std::cout << "wrote " << args->file << "\n";
  });

  auto* site = pool->add_subcommand(
      "add-site",
      "Add a site with its tier and rate card (integer micro-credits per unit, default 0).\n"
      "Generates the site's Ed25519 signing key pair; the secret key goes to --key-out\n"
      "(default keys/<site>.sign.key next to pool.toml, mode 0600).\n"
      "Example: basin pool add-site --name campus --tier institutional --core-second 40");
  site->add_option("--name", args->name, "Site name")->required();
  site->add_option("--tier", args->tier, "institutional or volunteer")
      ->required()
      ->check(CLI::IsMember({"institutional", "volunteer"}));
  site->add_option("--core-second", args->core_second, "micro-credits per core-second");
  site->add_option("--mem-mb-second", args->mem_mb_second, "micro-credits per MB-second");
  site->add_option("--gpu-second", args->gpu_second, "micro-credits per GPU-second");
  site->add_option("--wall-second", args->wall_second, "micro-credits per wall-second");
  site->add_option("--key-out", args->key_out, "Where to write the secret signing key");
  site->callback([args] {
    Pool p = load_pool(args->file);
    Site s;
    s.name = args->name;
    s.tier = args->tier == "institutional" ? Tier::institutional : Tier::volunteer;
    s.rates = {args->core_second, args->mem_mb_second, args->gpu_second, args->wall_second};
    s.signing_key = std::string(64, '0');
    p.sites.push_back(s);
    validate_pool(p);  // before a key is made for a site that cannot be added
    const auto out =
        args->key_out.empty() ? default_key_path(args->file, s.name, ".sign.key") : args->key_out;
    std::filesystem::create_directories(std::filesystem::path(out).parent_path().empty()
                                            ? "."
                                            : std::filesystem::path(out).parent_path());
    p.sites.back().signing_key = generate_signing_key_file(out);
    save_pool(args->file, p);
    std::cout << "added site " << s.name << "; secret signing key in " << out
              << " (mode 0600): keep it with the site's ledger operator only\n";
  });

  auto* node = pool->add_subcommand(
      "add-node",
      "Add a node and generate its Ed25519 key pair. The secret key is written to --key-out\n"
      "(default keys/<node>.key next to pool.toml, mode 0600) and must be copied to the node\n"
      "as /etc/basin/<node>.key, owned by root, mode 0600 (the plugstack node_key= path).\n"
      "Example: basin pool add-node --name vol1 --site home --cpus 2 --memory-mb 2000");
  node->add_option("--name", args->name, "Node name as in slurm.conf")->required();
  node->add_option("--site", args->site, "Site the node belongs to")->required();
  node->add_option("--cpus", args->cpus, "CPUs Slurm may allocate")->required();
  node->add_option("--memory-mb", args->memory_mb, "RealMemory in MB")->required();
  node->add_option("--gpus", args->gpus, "GPUs of the node (0..64; Slurm's Gres=gpu:N)")
      ->capture_default_str();
  node->add_option("--key-out", args->key_out, "Where to write the secret node key");
  node->callback([args] {
    Pool p = load_pool(args->file);
    p.nodes.push_back(
        {args->name, args->site, std::string(64, '0'), args->cpus, args->memory_mb, args->gpus});
    validate_pool(p);
    const auto out =
        args->key_out.empty() ? default_key_path(args->file, args->name, ".key") : args->key_out;
    if (auto d = std::filesystem::path(out).parent_path(); !d.empty()) {
      std::filesystem::create_directories(d);
    }
    p.nodes.back().public_key = generate_signing_key_file(out);
    save_pool(args->file, p);
    std::cout << "added node " << args->name << "; its secret key is in " << out
              << " (mode 0600).\nCopy it to the node as /etc/basin/" << args->name
              << ".key (root:root, mode 0600), then delete it here.\n";
  });

  auto* account = pool->add_subcommand(
      "add-account",
      "Add an account and generate its X25519 key pair for sealed openings. The secret key\n"
      "goes to --key-out (default keys/<account>.box.key, mode 0600); give it to the account\n"
      "holder only. Example: basin pool add-account --name alice --home-site campus");
  account->add_option("--name", args->name, "Account name as in Slurm")->required();
  account->add_option("--home-site", args->site, "The account's home site")->required();
  account->add_option("--key-out", args->key_out, "Where to write the secret key");
  account->callback([args] {
    Pool p = load_pool(args->file);
    p.accounts.push_back({args->name, args->site, std::string(64, '0')});
    validate_pool(p);
    const auto out = args->key_out.empty() ? default_key_path(args->file, args->name, ".box.key")
                                           : args->key_out;
    if (auto d = std::filesystem::path(out).parent_path(); !d.empty()) {
      std::filesystem::create_directories(d);
    }
    p.accounts.back().public_key = generate_box_key_file(out);
    save_pool(args->file, p);
    std::cout << "added account " << args->name << "; secret key in " << out << " (mode 0600)\n";
  });

  auto* check = pool->add_subcommand("check", "Validate pool.toml; errors name the line.");
  check->callback([args] {
    const Pool p = load_pool(args->file);
    std::cout << args->file << ": ok (" << p.sites.size() << " sites, " << p.nodes.size()
              << " nodes, " << p.accounts.size() << " accounts)\n";
  });

  auto* render = pool->add_subcommand(
      "render-slurm",
      "Print slurm.conf node and partition lines (Weight = site's core_second price + 1, so\n"
      "cheaper nodes are allocated first) and each node's plugstack.conf line.\n"
      "Example: basin pool render-slurm --spool /var/spool/basin");
  render->add_option("--plugin", args->render.plugin_path, "Path of basin_spank.so on nodes")
      ->capture_default_str();
  render->add_option("--key-dir", args->render.key_dir, "Directory of node keys on nodes")
      ->capture_default_str();
  render->add_option("--spool", args->render.spool, "Spool directory for usage records")
      ->capture_default_str();
  render->add_option("--scratch", args->render.scratch, "Scratch directory for jobs")
      ->capture_default_str();
  render->add_option("--gres-conf", args->gres_conf,
                     "Also write gres.conf for the nodes with GPUs to this file (put it next "
                     "to slurm.conf: slurmd reads it from there)");
  render
      ->add_option("--gpu-device-dir", args->gpu_device_dir,
                   "Directory of the GPU device files on the nodes (File=DIR/<node>-gpuN)")
      ->capture_default_str();
  render->callback([args] {
    const Pool p = load_pool(args->file);
    std::cout << "# slurm.conf (add NodeAddr/Port as your network needs)\n"
              << "ClusterName=" << p.cluster << "\n"
              << render_slurm_nodes(p);
    if (!args->gres_conf.empty()) {
      std::ofstream g(args->gres_conf, std::ios::trunc);
      g << "# gres.conf (basin pool render-slurm): one device file per GPU\n"
        << render_gres_conf(p, args->gpu_device_dir);
      if (!g.flush()) throw std::runtime_error("cannot write " + args->gres_conf);
    }
    for (const Node& n : p.nodes) {
      std::cout << "# plugstack.conf on " << n.name << "\n"
                << render_plugstack_line(p, n, args->render);
    }
  });

  auto* node_keys = pool->add_subcommand(
      "node-keys",
      "Print the nodes' public keys as a key ring ('<node> ed25519:<hex>' per line), the\n"
      "file `basin records verify --keys` and `basin ledger ingest --keys` read.\n"
      "Example: basin pool node-keys > node-keys");
  node_keys->callback([args] {
    const Pool p = load_pool(args->file);
    std::cout << "# node keys of pool " << p.name << " (from " << args->file << ")\n";
    for (const Node& n : p.nodes) std::cout << n.name << " ed25519:" << n.public_key << "\n";
  });

  auto* status = pool->add_subcommand(
      "status", "List nodes with tier, site and Slurm state (from `scontrol show node -o`).");
  status->callback([args] {
    const Pool p = load_pool(args->file);
    const auto states = slurm_states();
    std::map<std::string, const Site*> sites;
    for (const Site& s : p.sites) sites[s.name] = &s;
    std::printf("%-16s %-14s %-16s %s\n", "NODE", "TIER", "SITE", "SLURM STATE");
    for (const Node& n : p.nodes) {
      const auto it = states.find(n.name);
      std::printf("%-16s %-14s %-16s %s\n", n.name.c_str(), to_string(sites.at(n.site)->tier),
                  n.site.c_str(), it == states.end() ? "not in Slurm" : it->second.c_str());
    }
  });
}

}  // namespace

BASIN_COMMAND_GROUP(pool, 60, add_pool_group);
