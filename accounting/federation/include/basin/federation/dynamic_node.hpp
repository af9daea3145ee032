// A volunteer machine joining the pool as a Slurm dynamic node (slurmd -Z):
// the files `basin pool join` writes on the volunteer and the arguments it
// gives slurmd, as pure functions of the pool's slurm.conf and the node's
// verified enrolment, so the rules are unit-tested without a Slurm.
//
// Why a node-local copy of slurm.conf: every node of a pool reads the same
// slurm.conf except for the lines that are the node's own (its plugstack with
// its tier, site and key; its spool, pid and log files; its munge socket).
// The controller does not compare those (the pool runs with
// DebugFlags=NO_CONF_HASH).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "basin/federation/enrolment.hpp"
#include "basin/federation/pool.hpp"

namespace basin::federation {

// Where the joining node keeps its own files: STATE/slurm.conf,
// STATE/plugstack.conf, STATE/<node>.key (the record-signing key, made by
// `basin records keygen --secret`), STATE/spool, STATE/scratch,
// STATE/slurmd/ (slurmd's spool), STATE/tmp/ (TmpFS), STATE/slurmd.pid,
// STATE/slurmd.log.
struct JoinPlaces {
  std::string state_dir;     // absolute
  std::string plugin;        // basin_spank.so, absolute
  std::string munge_socket;  // empty: the pool's AuthInfo as it is
};

// The Feature every dynamic node carries: the pool's partitions take dynamic
// nodes through `NodeSet=dynamic Feature=dynamic`.
inline constexpr const char* kDynamicFeature = "dynamic";

// The node's slurm.conf: `pool_conf` with PlugStackConfig, SlurmdSpoolDir,
// SlurmdPidFile, SlurmdLogFile and TmpFS (and AuthInfo when a munge socket is given)
// pointing into `places`, and without CliFilterPlugins (a submit-side
// filter whose script lives on the submit hosts). Throws PoolError if `pool_conf` has no
// SlurmctldHost line or no NodeSet with Feature=dynamic (a pool that takes no
// dynamic nodes: the admin must add one, see docs/admin-guide.md).
std::string joined_node_slurm_conf(std::string_view pool_conf, const JoinPlaces& places);

// slurmd's --conf for the node: its address and size from the certificate,
// Features=dynamic,tier_<tier>,site_<site> (what jobs' -C constraints and
// the pool's NodeSet match). Gres is not given: a dynamic node with GPUs
// would need a gres.conf of its own (not supported yet: refused).
std::string dynamic_node_conf(const EnrolmentTerms& terms, std::string_view address);

// The controller's address and port from slurm.conf (SlurmctldHost=name(addr)
// or SlurmctldHost=addr, SlurmctldPort, default 6817), for finding which of
// the volunteer's addresses the controller can reach.
struct ControllerAddress {
  std::string host;
  std::uint16_t port = 6817;
};
ControllerAddress controller_address(std::string_view pool_conf);

}  // namespace basin::federation
