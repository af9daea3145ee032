// `basin pool`: the federation's membership file, pool.toml, and what Slurm
// needs from it.
#include <pwd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "basin/federation/account_sync.hpp"
#include "basin/federation/pool_files.hpp"
#include "commands.hpp"
#include "pool_keys.hpp"
#include "slurm_command.hpp"

namespace {

using namespace basin::federation;

struct PoolArgs {
  std::string file = "pool.toml";
  std::string name, cluster = "basin", tier, site, key_out, account, user;
  std::vector<std::string> members;
  int timeout_s = 30;
  std::int64_t core_second = 0, mem_mb_second = 0, gpu_second = 0, wall_second = 0;
  std::uint32_t cpus = 0;
  std::uint64_t memory_mb = 0;
  std::uint32_t gpus = 0;
  std::string gres_conf, gpu_device_dir = "/dev";
  SlurmRenderOptions render;
};

std::string first_line(const std::string& s) {
  std::string t = s.substr(0, s.find('\n'));
  return t.empty() ? "(no message)" : t;
}

std::string slurm_conf_note() {
  const char* c = std::getenv("SLURM_CONF");
  return std::string("(SLURM_CONF=") + (c != nullptr ? c : "unset: Slurm's default") + ")";
}

// `scontrol show node -o`: one line per node, `NodeName=x ... State=IDLE ...`.
// Throws if the controller does not answer.
std::map<std::string, std::string> slurm_states(int timeout_s) {
  basin::cli::CommandResult r;
  try {
    r = basin::cli::run_command({"scontrol", "show", "node", "-o"},
                                std::chrono::seconds(timeout_s));
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot reach Slurm's controller: ") + e.what() +
                             "; is the pool up? " + slurm_conf_note());
  }
  if (r.status != 0) {
    throw std::runtime_error(
        "cannot reach Slurm's controller: " + first_line(r.err.empty() ? r.out : r.err) +
        "; is the pool up? " + slurm_conf_note());
  }
  std::map<std::string, std::string> out;
  std::size_t from = 0;
  while (from < r.out.size()) {
    auto eol = r.out.find('\n', from);
    if (eol == std::string::npos) eol = r.out.size();
    const std::string line = r.out.substr(from, eol - from);
    from = eol + 1;
    auto field = [&](const std::string& key) {
      const auto at = line.find(key + "=");
      if (at == std::string::npos || (at > 0 && line[at - 1] != ' ')) return std::string();
      const auto start = at + key.size() + 1;
      return line.substr(start, line.find_first_of(" \n", start) - start);
    };
    if (auto n = field("NodeName"); !n.empty()) out[n] = field("State");
  }
  return out;
}

// sacctmgr -n -P ARGS..., output or an error naming the command.
std::string sacctmgr_show(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv = {"sacctmgr", "-n", "-P"};
  argv.insert(argv.end(), args.begin(), args.end());
  try {
    return basin::cli::slurm_output(argv, std::chrono::seconds(timeout_s));
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + "; is slurmdbd up? " + slurm_conf_note());
  }
}

bool is_local_user(const std::string& name) {
  return ::getpwnam(name.c_str()) != nullptr;
}

std::string default_key_path(const std::string& file, const std::string& name, const char* suffix) {
  const auto dir = std::filesystem::path(file).parent_path();
  return (dir / "keys" / (name + suffix)).string();
}

Account& account_named(Pool& p, const std::string& name, const std::string& file) {
  auto a = std::find_if(p.accounts.begin(), p.accounts.end(),
                        [&](const Account& x) { return x.name == name; });
  if (a == p.accounts.end()) throw std::runtime_error("no account '" + name + "' in " + file);
  return *a;
}

// The four prices of a rate card, for add-site and set-rates alike.
void add_rate_options(CLI::App& cmd, PoolArgs& args) {
  cmd.add_option("--core-second", args.core_second, "micro-credits per core-second");
  cmd.add_option("--mem-mb-second", args.mem_mb_second, "micro-credits per MB-second");
  cmd.add_option("--gpu-second", args.gpu_second, "micro-credits per GPU-second");
  cmd.add_option("--wall-second", args.wall_second, "micro-credits per wall-second");
}

// The card add-site and set-rates write for `site`: each price an integer
// number of micro-credits from 0 to 2^31 - 1, what pool.toml accepts.
basin::receipts::RateCard rate_card_of(const PoolArgs& a, const std::string& site) {
  const std::int64_t given[basin::receipts::kQuantities] = {a.core_second, a.mem_mb_second,
                                                            a.gpu_second, a.wall_second};
  basin::receipts::RateCard card{site, {}};
  for (std::size_t k = 0; k < basin::receipts::kQuantities; ++k) {
    if (given[k] < 0 || given[k] > std::numeric_limits<std::int32_t>::max()) {
      std::string option = kRateNames[k];
      std::replace(option.begin(), option.end(), '_', '-');
      throw std::runtime_error("--" + option + " " + std::to_string(given[k]) +
                               ": a price is a whole number of micro-credits from 0 to " +
                               std::to_string(std::numeric_limits<std::int32_t>::max()));
    }
    card.micro_credits[k] = static_cast<std::uint64_t>(given[k]);
  }
  return card;
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
    const PoolLock lock(args->file);
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
      "(default keys/<site>.sign.key next to pool.toml, mode 0600), and its witness key\n"
      "(cosigns the other sites' logs) to <site>.witness.key beside it.\n"
      "Example: basin pool add-site --name campus --tier institutional --core-second 40");
  site->add_option("--name", args->name, "Site name")->required();
  site->add_option("--tier", args->tier, "institutional or volunteer")
      ->required()
      ->check(CLI::IsMember({"institutional", "volunteer"}));
  add_rate_options(*site, *args);
  site->add_option("--key-out", args->key_out, "Where to write the secret signing key");
  site->callback([args] {
    const PoolLock lock(args->file);
    Pool p = load_pool(args->file);
    Site s;
    s.name = args->name;
    s.tier = args->tier == "institutional" ? Tier::institutional : Tier::volunteer;
    s.rates = rate_card_of(*args, s.name);
    s.signing_key = std::string(64, '0');
    p.sites.push_back(s);
    validate_pool(p);  // before a key is made for a site that cannot be added
    const auto out =
        args->key_out.empty() ? default_key_path(args->file, s.name, ".sign.key") : args->key_out;
    std::filesystem::create_directories(std::filesystem::path(out).parent_path().empty()
                                            ? "."
                                            : std::filesystem::path(out).parent_path());
    p.sites.back().signing_key = generate_signing_key_file(out);
    const auto witness_out =
        (std::filesystem::path(out).parent_path() / (s.name + ".witness.key")).string();
    p.sites.back().witness_key = generate_signing_key_file(witness_out);
    const auto blind_out = basin::cli::blinding_key_path(out, s.name);
    if (std::filesystem::exists(blind_out))
      throw std::runtime_error(blind_out + " exists; refusing to overwrite a site's secrets");
    basin::cli::write_blinding_key(blind_out, basin::receipts::BlindingKey::generate());
    save_pool(args->file, p);
    std::cout << "added site " << s.name << "; secret signing key in " << out << ", witness key in "
              << witness_out << ", blinding secrets in " << blind_out
              << " (mode 0600): keep them with the site's ledger operator only\n";
  });

  auto* rates = pool->add_subcommand(
      "set-rates",
      "Change a site's rate card. The current card is kept as [[site.previous_rates]], so\n"
      "receipts priced with it keep verifying and settle at its prices; receipts issued from\n"
      "now on name the new card (full SHA-256 id). Rates not given are 0.\n"
      "Example: basin pool set-rates --site campus --core-second 45 --wall-second 1");
  rates->add_option("--site", args->name, "Site name")->required();
  add_rate_options(*rates, *args);
  rates->callback([args] {
    const PoolLock lock(args->file);
    Pool p = load_pool(args->file);
    Site* s = &site_named(p, args->name);
    const auto fresh = rate_card_of(*args, s->name);
    if (s->rates.micro_credits == fresh.micro_credits) {
      std::cout << "site " << s->name << " already has these rates; nothing changed\n";
      return;
    }
    s->previous_rates.push_back(s->rates);
    s->rates = fresh;
    validate_pool(p);
    save_pool(args->file, p);
    std::cout << "site " << s->name << ": new rate card; " << s->previous_rates.size()
              << " earlier cards kept for the receipts priced with them\n";
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
    const PoolLock lock(args->file);
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
      "holder only. --member (repeatable) names the Unix users who may charge it in Slurm\n"
      "(`basin pool sync-accounts` makes their associations).\n"
      "Example: basin pool add-account --name physics --home-site campus --member alice");
  account->add_option("--name", args->name, "Account name as in Slurm")->required();
  account->add_option("--home-site", args->site, "The account's home site")->required();
  account->add_option("--key-out", args->key_out, "Where to write the secret key");
  account->add_option("--member", args->members,
                      "A Unix user who may charge the account in Slurm (repeatable)");
  account->callback([args] {
    const PoolLock lock(args->file);
    Pool p = load_pool(args->file);
    p.accounts.push_back({args->name, args->site, std::string(64, '0'), 0, args->members});
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

  auto* add_member =
      pool->add_subcommand("add-member",
                           "Add a Unix user to an account's members (then run sync-accounts).\n"
                           "Example: basin pool add-member --account physics --user alice");
  add_member->add_option("--account", args->account, "The account")->required();
  add_member->add_option("--user", args->user, "The Unix user name")->required();
  add_member->callback([args] {
    const PoolLock lock(args->file);
    Pool p = load_pool(args->file);
    Account& a = account_named(p, args->account, args->file);
    if (std::find(a.members.begin(), a.members.end(), args->user) != a.members.end()) {
      throw std::runtime_error(args->user + " is already a member of account " + args->account);
    }
    a.members.push_back(args->user);
    save_pool(args->file, p);
    std::cout << "added member " << args->user << " to account " << args->account << " in "
              << args->file << " (run `basin pool sync-accounts` to apply it in Slurm)\n";
  });

  auto* remove_member = pool->add_subcommand(
      "remove-member",
      "Remove a Unix user from an account's members (then run sync-accounts, which removes\n"
      "the association). Example: basin pool remove-member --account physics --user bob");
  remove_member->add_option("--account", args->account, "The account")->required();
  remove_member->add_option("--user", args->user, "The Unix user name")->required();
  remove_member->callback([args] {
    const PoolLock lock(args->file);
    Pool p = load_pool(args->file);
    Account& a = account_named(p, args->account, args->file);
    auto m = std::find(a.members.begin(), a.members.end(), args->user);
    if (m == a.members.end()) {
      throw std::runtime_error(args->user + " is not a member of account " + args->account);
    }
    a.members.erase(m);
    save_pool(args->file, p);
    std::cout << "removed member " << args->user << " from account " << args->account << " in "
              << args->file << " (run `basin pool sync-accounts` to apply it in Slurm)\n";
  });

  auto* sync = pool->add_subcommand(
      "sync-accounts",
      "Make Slurm's accounting (slurmdbd) match pool.toml: the cluster, each [[account]] and\n"
      "one user association per member; associations of members no longer listed are\n"
      "removed; accounts pool.toml does not name are left alone. Prints each change, or\n"
      "'nothing to change'. Runs sacctmgr -i. Example: basin pool sync-accounts");
  sync->add_option("--timeout", args->timeout_s, "Seconds allowed per sacctmgr call")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sync->callback([args] {
    const Pool p = load_pool(args->file);
    const int t = args->timeout_s;
    const auto now = parse_slurm_accounts(
        sacctmgr_show({"show", "cluster", "format=Cluster"}, t),
        sacctmgr_show({"show", "account", "format=Account"}, t),
        sacctmgr_show({"show", "assoc", "cluster=" + p.cluster, "format=Account,User"}, t),
        sacctmgr_show({"show", "user", "format=User,DefaultAccount"}, t));
    const auto plan = plan_account_sync(p, now, is_local_user);
    if (plan.empty()) {
      std::cout << "nothing to change: Slurm's accounts on cluster " << p.cluster << " match "
                << args->file << "\n";
      return;
    }
    for (const auto& change : plan) {
      std::vector<std::string> argv = {"sacctmgr", "-i"};
      argv.insert(argv.end(), change.args.begin(), change.args.end());
      try {
        basin::cli::slurm_output(argv, std::chrono::seconds(t));
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string(e.what()) + " " + slurm_conf_note());
      }
      std::cout << change.message << "\n" << std::flush;
    }
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
      "cheaper nodes are allocated first) and each node's plugstack.conf line. Enrolled\n"
      "nodes (basin pool enrol) are dynamic nodes: no NodeName line (basin pool join).\n"
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
      if (n.enrolled()) {
        std::cout << "# " << n.name << " is enrolled (" << n.enrolments.back().file
                  << "): a dynamic node, no NodeName line; it joins with basin pool join\n";
        continue;
      }
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
      "status",
      "List nodes with tier, site and Slurm state (from `scontrol show node -o`); fails if\n"
      "Slurm's controller does not answer.");
  status->add_option("--timeout", args->timeout_s, "Seconds to wait for the controller")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  status->callback([args] {
    const Pool p = load_pool(args->file);
    const auto states = slurm_states(args->timeout_s);
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
