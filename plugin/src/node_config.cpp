#include "basin/plugin/node_config.hpp"

#include <set>

#include "basin/records/usage_record.hpp"

namespace basin::plugin {
namespace {

bool valid_name(const std::string& v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

bool valid_abs_path(const std::string& v) {
  if (v.empty() || v[0] != '/' || v.size() > 1024) return false;
  if (v.find("/../") != std::string::npos || v.ends_with("/..")) return false;
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

NodeConfigResult parse_node_config(const std::vector<std::string>& args) {
  NodeConfigResult r;
  std::set<std::string> seen;
  auto& c = r.config;
  for (const auto& arg : args) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      r.errors.push_back("plugstack argument '" + arg + "' is not key=value");
      continue;
    }
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (!seen.insert(key).second) {
      r.errors.push_back("plugstack argument '" + key + "' given twice");
      continue;
    }
    auto bad = [&](const char* allowed) {
      r.errors.push_back("plugstack argument " + key + "='" + value + "': expected " + allowed);
    };
    if (key == "tier") {
      auto t = records::parse_tier(value);
      if (!t)
        bad("institutional or volunteer");
      else
        c.tier = t;
    } else if (key == "default_tier") {
      auto t = parse_tier_request(value);
      if (!t)
        bad("institutional, volunteer or any");
      else
        c.default_tier = *t;
    } else if (key == "site" || key == "cluster" || key == "node") {
      if (!valid_name(value))
        bad("a name of 1-64 characters from a-z A-Z 0-9 . _ -");
      else
        (key == "site" ? c.site : key == "cluster" ? c.cluster : c.node) = value;
    } else if (key == "node_key" || key == "spool" || key == "scratch") {
      if (!valid_abs_path(value))
        bad("an absolute path");
      else
        (key == "node_key" ? c.node_key : key == "spool" ? c.spool : c.scratch) = value;
    } else if (key == "gpus") {
      const bool digits = !value.empty() && value.size() <= 2 &&
                          value.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoul(value) > records::kMaxGpus)
        bad("a GPU count 0..64");
      else
        c.gpus = static_cast<std::uint32_t>(std::stoul(value));
    } else if (key == "records") {
      if (value == "yes")
        c.records = true;
      else if (value == "no")
        c.records = false;
      else
        bad("yes or no");
    } else {
      r.errors.push_back("unknown plugstack argument '" + key +
                         "' (known: tier, site, cluster, node, node_key, spool, scratch, "
                         "default_tier, records, gpus)");
    }
  }
  return r;
}

std::vector<std::string> NodeConfigResult::missing_for_node() const {
  std::vector<std::string> m;
  if (!config.tier) m.push_back("tier");
  if (config.site.empty()) m.push_back("site");
  if (config.cluster.empty()) m.push_back("cluster");
  if (config.node.empty()) m.push_back("node");
  if (config.records && config.node_key.empty()) m.push_back("node_key");
  if (config.records && config.spool.empty()) m.push_back("spool");
  return m;
}

bool NodeConfigResult::complete_for_node() const {
  return errors.empty() && missing_for_node().empty();
}

}  // namespace basin::plugin
