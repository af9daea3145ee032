#include "basin/federation/dynamic_node.hpp"

#include <strings.h>

#include <charconv>
#include <sstream>
#include <vector>

namespace basin::federation {
namespace {

// The key of a slurm.conf line "Key=value ..." (Slurm's keys are
// case-insensitive); empty for comments and blank lines.
std::string_view line_key(std::string_view line) {
  const auto start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos || line[start] == '#') return {};
  line.remove_prefix(start);
  const auto eq = line.find('=');
  return eq == std::string_view::npos ? std::string_view{} : line.substr(0, eq);
}

bool same_key(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// The value of a single-keyword line, or nothing.
std::string value_of(std::string_view conf, std::string_view key) {
  for (auto line : lines_of(conf)) {
    if (!same_key(line_key(line), key)) continue;
    line.remove_prefix(line.find('=') + 1);
    const auto end = line.find_first_of(" \t#");
    return std::string(line.substr(0, end));
  }
  return {};
}

}  // namespace

std::string joined_node_slurm_conf(std::string_view pool_conf, const JoinPlaces& places) {
  if (value_of(pool_conf, "SlurmctldHost").empty())
    throw PoolError(
        "the pool's slurm.conf has no SlurmctldHost line: give join the pool's own slurm.conf "
        "(--slurm-conf), as its admin publishes it");
  bool takes_dynamic = false;
  for (auto line : lines_of(pool_conf))
    if (same_key(line_key(line), "NodeSet") &&
        line.find(std::string("Feature=") + kDynamicFeature) != std::string_view::npos)
      takes_dynamic = true;
  if (!takes_dynamic)
    throw PoolError(
        "the pool's slurm.conf takes no dynamic nodes (no 'NodeSet=... Feature=dynamic' line "
        "in a partition): ask the pool's admin to add one and MaxNodeCount (docs/admin-guide.md, "
        "\"Volunteers\")");
  const std::string& s = places.state_dir;
  std::vector<std::pair<std::string, std::string>> own = {
      {"PlugStackConfig", s + "/plugstack.conf"},
      {"SlurmdSpoolDir", s + "/slurmd"},
      {"SlurmdPidFile", s + "/slurmd.pid"},
      {"SlurmdLogFile", s + "/slurmd.log"},
      // The node's own temporary space (Slurm's and PMIx's per-step
      // directories): a node that was killed leaves its steps' directories
      // behind, and they must not collide with another node's.
      {"TmpFS", s + "/tmp"},
  };
  if (!places.munge_socket.empty()) own.emplace_back("AuthInfo", "socket=" + places.munge_socket);
  std::ostringstream out;
  out << "# The pool's slurm.conf with this node's own files (basin pool join).\n";
  std::vector<bool> written(own.size(), false);
  for (auto line : lines_of(pool_conf)) {
    const auto key = line_key(line);
    // The submit-side filter (Basin's budget warning) runs on the submit
    // hosts, where its script and budget file live; a job step started on a
    // volunteer needs none, and would fail to find the script here.
    if (same_key(key, "CliFilterPlugins")) continue;
    bool replaced = false;
    for (std::size_t i = 0; i < own.size(); ++i) {
      if (!same_key(key, own[i].first)) continue;
      if (!written[i]) out << own[i].first << "=" << own[i].second << "\n";
      written[i] = replaced = true;
    }
    if (!replaced) out << line << "\n";
  }
  for (std::size_t i = 0; i < own.size(); ++i)
    if (!written[i]) out << own[i].first << "=" << own[i].second << "\n";
  return out.str();
}

std::string dynamic_node_conf(const EnrolmentTerms& terms, std::string_view address) {
  if (terms.gpus > 0)
    throw PoolError("node " + terms.node + " is enrolled with " + std::to_string(terms.gpus) +
                    " GPUs; a volunteer joins without GPUs for now (enrol it with --gpus 0)");
  if (address.empty() || address.find_first_of(" \t=,") != std::string_view::npos)
    throw PoolError("'" + std::string(address) + "' is not a node address");
  return "NodeAddr=" + std::string(address) + " CPUs=" + std::to_string(terms.cpus) +
         " RealMemory=" + std::to_string(terms.memory_mb) + " Features=" + kDynamicFeature +
         ",tier_" + std::string(records::tier_name(terms.tier)) + ",site_" + terms.site;
}

ControllerAddress controller_address(std::string_view pool_conf) {
  ControllerAddress a;
  const std::string host = value_of(pool_conf, "SlurmctldHost");
  if (host.empty()) throw PoolError("the pool's slurm.conf has no SlurmctldHost line");
  const auto open = host.find('(');
  a.host = open == std::string::npos ? host : host.substr(open + 1, host.find(')') - open - 1);
  const std::string port = value_of(pool_conf, "SlurmctldPort");
  if (!port.empty()) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || end != port.data() + port.size() || v == 0 || v > 65535)
      throw PoolError("SlurmctldPort=" + port + " in the pool's slurm.conf is not a port");
    a.port = static_cast<std::uint16_t>(v);
  }
  return a;
}

}  // namespace basin::federation
