// The node's plugstack.conf arguments, strictly parsed.
//
//   required /usr/lib/basin/basin_spank.so tier=volunteer site=home
//       cluster=mycluster node=vol1 node_key=/etc/basin/node.key
//       spool=/var/spool/basin scratch=/var/tmp/basin default_tier=any
//
// cluster= and node= are required on a node: a usage record names its node
// and cluster from the admin's configuration, never from the job's
// environment (SLURMD_NODENAME and SLURM_CLUSTER_NAME are the user's to set
// in an srun step). `basin pool render-slurm` writes both.
//
// Every argument is key=value; an unknown key, a repeated key or a bad value
// is an error naming it (logged by slurmd; the node then refuses jobs in
// task_init rather than running them unaccounted).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "basin/plugin/options.hpp"

namespace basin::plugin {

struct NodeConfig {
  std::optional<Tier> tier;  // tier=institutional|volunteer: this node's tier
  std::string site;          // site=NAME
  std::string cluster;       // cluster=NAME: Slurm's ClusterName (required on a node)
  std::string node;          // node=NAME: this node's Slurm name (required on a node)
  std::string node_key;      // node_key=PATH: Ed25519 secret key, root-only
  std::string spool;         // spool=DIR: where usage records go (root-owned)
  std::string scratch;       // scratch=DIR: default checkpoint root
  TierRequest default_tier = TierRequest::any;  // default_tier=...: when a job names none
  bool records = true;                          // records=yes|no
  std::uint32_t gpus = 0;  // gpus=N (0..64): the GPUs this node has (pool.toml gpus)
};

struct NodeConfigResult {
  NodeConfig config;
  std::vector<std::string> errors;  // empty when the arguments are valid
  // For a node that runs jobs (remote context), tier, site, cluster, node,
  // node_key and spool are required; clients only need default_tier.
  bool complete_for_node() const;
  std::vector<std::string> missing_for_node() const;
};

NodeConfigResult parse_node_config(const std::vector<std::string>& args);

}  // namespace basin::plugin
