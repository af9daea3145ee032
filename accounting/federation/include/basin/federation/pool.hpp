// pool.toml: the federation's membership: sites with their tier and rate
// card, nodes with their keys and sizes, and accounts. Parsed strictly: every
// mistake names its line and the fix, since a wrong key or rate here means
// wrong money later.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "basin/receipts/receipt.hpp"
#include "basin/records/tier.hpp"

namespace basin::federation {

// A site's tier is the records' Tier (one definition, shared with the plugin).
using records::Tier;
// records::tier_name as a C string, for printf-style output.
inline const char* to_string(Tier tier) {
  return records::tier_name(tier).data();
}

// A site's rate card is receipts::RateCard, the one definition: integer
// micro-credits per unit of each quantity (no floating point in prices), the
// site it belongs to, and its id. pool.toml names the four prices so, in the
// receipts' quantity order:
inline constexpr const char* kRateNames[receipts::kQuantities] = {"core_second", "mem_mb_second",
                                                                  "gpu_second", "wall_second"};

// A site's earlier signing key ([[site.previous_keys]]). Receipts of periods
// up to `until` (YYYY-MM) signed with it keep verifying; a receipt of a later
// period signed with it is refused (expired). `revoked_from` (YYYY-MM, for a
// key that leaked) refuses its receipts of that period and later too.
struct PreviousKey {
  std::string public_key;  // Ed25519, 64 hex digits
  std::string until;
  std::string revoked_from;  // empty: not revoked
};

struct Site {
  std::string name;
  Tier tier = Tier::volunteer;
  std::string signing_key;   // Ed25519 public key, 64 hex digits
  receipts::RateCard rates;  // rates.site == name
  // Ed25519 public key (64 hex digits) with which the site cosigns the other
  // sites' checkpoints as a witness; empty for a site that does not witness.
  // A key of its own: a cosignature must never be mistaken for the site's
  // own signature (C2SP tlog-cosignature).
  std::string witness_key;
  // Earlier rate cards, oldest first ([[site.previous_rates]]): receipts
  // priced with one keep verifying and settle at its prices.
  std::vector<receipts::RateCard> previous_rates;
  // Earlier signing keys, oldest first ([[site.previous_keys]]).
  std::vector<PreviousKey> previous_keys;
  // Ed25519 public key (64 hex digits) with which the site signs enrolment
  // certificates and revocation lists of its volunteer nodes
  // (enrolment.hpp); empty: the site enrols none. A key of its own, like the
  // witness key, refused if equal to another of its keys.
  std::string enrolment_key{};
};

// A node's enrolment by its site: one verified certificate (enrolment.hpp),
// with its revocation if the site's revocation list names it.
struct Enrolment {
  std::uint64_t serial = 0;
  std::int64_t not_before = 0;  // Unix seconds
  std::int64_t not_after = 0;
  std::uint32_t cpus = 0;  // the node's size as this certificate states it
  std::uint64_t memory_mb = 0;
  std::uint32_t gpus = 0;
  std::optional<std::int64_t> revoked_at;
  std::string revocation_reason;
  std::string file;  // the certificate file, for messages
};

struct Node {
  std::string name;
  std::string site;
  std::string public_key;  // Ed25519 public key, 64 hex digits
  std::uint32_t cpus = 0;
  std::uint64_t memory_mb = 0;
  std::uint32_t gpus = 0;  // 0..kMaxNodeGpus; optional in pool.toml (default 0)
  // Empty for a node listed in pool.toml. For a node enrolled by its site:
  // its certificates (renewals share the key), by serial; cpus, memory_mb
  // and gpus above are then the latest certificate's. Enrolled nodes come
  // from load_pool, are never written to pool.toml, and are dynamic nodes
  // for Slurm.
  std::vector<Enrolment> enrolments{};
  bool enrolled() const { return !enrolments.empty(); }
};

inline constexpr std::uint32_t kMaxNodeGpus = 64;

struct Account {
  std::string name;
  std::string home_site;
  std::string public_key;  // X25519 (crypto_box) public key, 64 hex digits
  // Replicas that must agree before a result of this account's jobs is
  // canonical; 0: the pool's [policy] replica_quorum.
  unsigned replica_quorum = 0;
  // Unix user names that may charge this account in Slurm (its user
  // associations; `basin pool sync-accounts`). No duplicates.
  std::vector<std::string> members;
};

inline constexpr unsigned kDefaultReplicaQuorum = 2;
inline constexpr unsigned kMaxWitnessQuorum = 64;
inline constexpr unsigned kMaxMinPairReceipts = 1000;
inline constexpr unsigned kMaxReplicaQuorum = 5;  // --basin-replicas allows 1..5

// A Unix user name as useradd accepts by default: a lower-case letter or _,
// then up to 31 lower-case letters, digits, _ or -.
bool is_unix_user_name(std::string_view name);

struct Pool {
  std::string name;
  std::string cluster;
  std::vector<Site> sites;
  std::vector<Node> nodes;
  std::vector<Account> accounts;
  // [pool] enrolments: the directory of enrolment certificates and
  // revocation lists, relative to pool.toml's directory; empty: "enrolled"
  // beside pool.toml if that directory exists (pool_files.hpp).
  std::string enrolments{};
  // [policy]: the pool's rules, which no job option overrides.
  unsigned replica_quorum = kDefaultReplicaQuorum;
  // Witnesses (other sites) whose cosignatures a site's checkpoint needs
  // before settlement trusts it; 0: a majority of the other sites
  // (witness_quorum_of()).
  unsigned witness_quorum = 0;
  // A (provider, consumer) pair is opened only once it holds at least this
  // many receipts; fewer are carried into the next period, so an opening never
  // reveals one receipt's credit. 1: every pair, every period.
  unsigned min_pair_receipts = 1;
};

// "pool.toml:12:3: unknown key 'cpu' in [[node]]; allowed: ..." style.
struct PoolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The site called `name`; PoolError naming the pool's sites if there is none.
Site& site_named(Pool& pool, const std::string& name);
const Site& site_named(const Pool& pool, const std::string& name);

// The revocation of certificate `serial` of `node` by `site`, if the pool's
// enrolments (load_pool: the site's verified revocation list) hold one.
struct CertificateRevocation {
  std::int64_t at = 0;  // Unix seconds
  std::string reason;
};
std::optional<CertificateRevocation> revocation_of(const Pool& pool, const std::string& node,
                                                   const std::string& site, std::uint64_t serial);

// Parses and validates; throws PoolError naming file, line and the fix.
Pool parse_pool(std::string_view toml_text, std::string_view file_name = "pool.toml");

// Checks what the parser checks, for a Pool built in code (e.g. after
// `basin pool add-node`): names, references, keys, rates.
void validate_pool(const Pool& pool);

// Canonical pool.toml text for `pool`; parse_pool(render_pool(p)) == p but
// for enrolled nodes, which stay in their certificate files.
std::string render_pool(const Pool& pool);

// Slurm's billing TRES priced like Basin: per-unit weights of a partition,
// micro-credits per second per unit (CPU, MB of memory, GPU, node), so that a
// job's billing is its price per second and one billing-minute is 60
// micro-credits (see basin/books/budget.hpp). A partition with nodes of
// several sites takes the highest rate of each kind.
struct BillingWeights {
  std::int64_t cpu = 0, mem_mb = 0, gpu = 0, node = 0;
};
// The time limit of a job that asks for none (the rendered partitions'
// DefaultTime): every job's worst case is then bounded for budgets.
inline constexpr std::int64_t kDefaultTimeLimitSeconds = 3600;

// Throws PoolError for a node that is not in the pool.
BillingWeights billing_weights(const Pool& pool, const std::vector<std::string>& partition_nodes);
// "CPU=40,Mem=1,GRES/gpu=900,Node=1" for slurm.conf's TRESBillingWeights.
std::string tres_billing_weights(const BillingWeights& weights);

struct SlurmRenderOptions {
  std::string plugin_path = "/usr/lib/basin/basin_spank.so";
  std::string key_dir = "/etc/basin";  // node_key=<key_dir>/<node>.key
  std::string spool = "/var/spool/basin";
  std::string scratch = "/tmp";
};

// slurm.conf lines: one NodeName per static node (enrolled nodes are
// dynamic nodes that register themselves: basin pool join) (Features=tier_*,site_*; Weight
// from the site's core_second price so cheaper nodes are allocated first;
// Gres=gpu:N on nodes with GPUs, after a GresTypes=gpu line if any has, and
// a comment on AccountingStorageTRES=gres/gpu, which needs slurmdbd), one
// partition per tier and a default partition with every node, each with
// TRESBillingWeights from the rate cards of its nodes' sites.
std::string render_slurm_nodes(const Pool& pool);
// gres.conf for the static nodes with GPUs: `NodeName=X Name=gpu File=DIR/X-gpu[0-(N-1)]`
// (File=DIR/X-gpu0 for one GPU). Slurm counts a gpu gres by its device
// files: a count-only line is reported as 0 and the node goes INVAL. Empty
// (no lines) when no node has GPUs. slurmd reads gres.conf from the
// directory of its slurm.conf.
std::string render_gres_conf(const Pool& pool, const std::string& device_dir);

// plugstack.conf line for one node.
std::string render_plugstack_line(const Pool& pool, const Node& node,
                                  const SlurmRenderOptions& options = {});

}  // namespace basin::federation
