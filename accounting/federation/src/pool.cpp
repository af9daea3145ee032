#include "basin/federation/pool.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace basin::federation {
namespace {

[[noreturn]] void fail(std::string_view file, const toml::source_region& where,
                       const std::string& message) {
  std::ostringstream s;
  s << file << ':' << where.begin.line << ':' << where.begin.column << ": " << message;
  throw PoolError(s.str());
}

bool is_hex_key(std::string_view k) {
  return k.size() == 64 && std::all_of(k.begin(), k.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

}  // namespace

bool is_unix_user_name(std::string_view n) {
  if (n.empty() || n.size() > 32) return false;
  if (!((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

namespace {

// Reads one table with a fixed set of keys; anything else is an error.
class Fields {
 public:
  Fields(std::string_view file, const toml::table& t, std::string what,
         std::vector<std::string> allowed)
      : file_(file), t_(t), what_(std::move(what)), allowed_(std::move(allowed)) {
    for (auto&& [k, v] : t_) {
      if (std::find(allowed_.begin(), allowed_.end(), k.str()) == allowed_.end()) {
        std::string list;
        for (const auto& a : allowed_) list += (list.empty() ? "" : ", ") + a;
        fail(file_, k.source(),
             "unknown key '" + std::string(k.str()) + "' in " + what_ + "; allowed: " + list);
      }
    }
  }
  const toml::node& need(const char* key) const {
    const toml::node* n = t_.get(key);
    if (n == nullptr) fail(file_, t_.source(), what_ + " lacks '" + key + "'");
    return *n;
  }
  std::string text(const char* key) const {
    const auto& n = need(key);
    if (!n.is_string()) fail(file_, n.source(), std::string("'") + key + "' must be a string");
    return std::string(*n.value<std::string_view>());
  }
  std::string name(const char* key) const {
    auto s = text(key);
    if (!is_name(s)) {
      fail(file_, need(key).source(),
           std::string("'") + key + "' = \"" + s + "\" must be 1-64 letters, digits, - or _");
    }
    return s;
  }
  std::string period(const char* key) const {
    auto s = text(key);
    const bool ok =
        s.size() == 7 && s[4] == '-' &&
        std::all_of(s.begin(), s.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
        s[5] >= '0' && s[5] <= '1' && s[6] >= '0' && s[6] <= '9' && s.substr(5) >= "01" &&
        s.substr(5) <= "12";
    if (!ok)
      fail(file_, need(key).source(),
           std::string("'") + key + "' = \"" + s + "\" must be a month, YYYY-MM (e.g. 2026-11)");
    return s;
  }
  std::string key(const char* key) const {
    auto s = text(key);
    if (!is_hex_key(s)) {
      fail(file_, need(key).source(),
           std::string("'") + key + "' must be a 32-byte public key as 64 lowercase hex digits");
    }
    return s;
  }
  std::int64_t integer(const char* key, std::int64_t lo, std::int64_t hi) const {
    const auto& n = need(key);
    if (!n.is_integer()) fail(file_, n.source(), std::string("'") + key + "' must be an integer");
    const auto v = *n.value<std::int64_t>();
    if (v < lo || v > hi) {
      fail(file_, n.source(),
           std::string("'") + key + "' = " + std::to_string(v) + " is outside " +
               std::to_string(lo) + ".." + std::to_string(hi));
    }
    return v;
  }
  bool has(const char* key) const { return t_.get(key) != nullptr; }
  // An optional array of Unix user names, each once.
  std::vector<std::string> users(const char* key) const {
    std::vector<std::string> out;
    const toml::node* n = t_.get(key);
    if (n == nullptr) return out;
    if (!n->is_array()) {
      fail(file_, n->source(), std::string("'") + key + "' must be an array of user names");
    }
    for (const auto& e : *n->as_array()) {
      if (!e.is_string()) {
        fail(file_, e.source(), std::string("'") + key + "' must hold only strings (user names)");
      }
      std::string u(*e.value<std::string_view>());
      if (!is_unix_user_name(u)) {
        fail(file_, e.source(),
             "'" + std::string(key) + "' entry \"" + u +
                 "\" is not a Unix user name (a lower-case letter or _, then up to 31 "
                 "lower-case letters, digits, _ or -)");
      }
      if (std::find(out.begin(), out.end(), u) != out.end()) {
        fail(file_, e.source(),
             "user '" + u + "' is listed twice in '" + std::string(key) + "' of " + what_);
      }
      out.push_back(std::move(u));
    }
    return out;
  }
  const toml::table& table(const char* key) const {
    const auto& n = need(key);
    if (!n.is_table()) fail(file_, n.source(), std::string("'") + key + "' must be a table");
    return *n.as_table();
  }

 private:
  std::string_view file_;
  const toml::table& t_;
  std::string what_;
  std::vector<std::string> allowed_;
};

const toml::array* array_of_tables(std::string_view file, const toml::table& root,
                                   const char* key) {
  const toml::node* n = root.get(key);
  if (n == nullptr) return nullptr;
  if (!n->is_array_of_tables()) {
    fail(file, n->source(), std::string("'") + key + "' must be written as [[" + key + "]]");
  }
  return n->as_array();
}

constexpr std::int64_t kMaxRate = std::numeric_limits<std::int32_t>::max();

// A [site.rates] or [[site.previous_rates]] table as the site's rate card.
receipts::RateCard rate_card(const Fields& f, const std::string& site) {
  receipts::RateCard card{site, {}};
  for (std::size_t i = 0; i < receipts::kQuantities; ++i)
    card.micro_credits[i] = static_cast<std::uint64_t>(f.integer(kRateNames[i], 0, kMaxRate));
  return card;
}

void write_rates(std::ostream& o, const receipts::RateCard& card) {
  for (std::size_t i = 0; i < receipts::kQuantities; ++i)
    o << kRateNames[i] << " = " << card.micro_credits[i] << "\n";
}

}  // namespace

Pool parse_pool(std::string_view text, std::string_view file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    fail(file, e.source(), std::string(e.description()));
  }
  Fields top(file, root, "the file", {"pool", "policy", "site", "node", "account"});
  Pool pool;
  {
    Fields p(file, top.table("pool"), "[pool]", {"name", "cluster", "enrolments"});
    pool.name = p.name("name");
    pool.cluster = p.name("cluster");
    if (p.has("enrolments")) {
      pool.enrolments = p.text("enrolments");
      const auto& e = pool.enrolments;
      if (e.empty() || e.size() > 1024 || std::any_of(e.begin(), e.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
          }))
        fail(file, p.need("enrolments").source(),
             "'enrolments' must name a directory (1-1024 characters, no control characters), "
             "relative to this file's directory or absolute, e.g. \"enrolled\"");
    }
  }
  if (top.has("policy")) {
    Fields p(file, top.table("policy"), "[policy]",
             {"replica_quorum", "witness_quorum", "min_pair_receipts"});
    if (p.has("replica_quorum"))
      pool.replica_quorum =
          static_cast<unsigned>(p.integer("replica_quorum", 1, kMaxReplicaQuorum));
    if (p.has("witness_quorum"))
      pool.witness_quorum =
          static_cast<unsigned>(p.integer("witness_quorum", 1, kMaxWitnessQuorum));
    if (p.has("min_pair_receipts"))
      pool.min_pair_receipts =
          static_cast<unsigned>(p.integer("min_pair_receipts", 1, kMaxMinPairReceipts));
  }
  std::map<std::string, const toml::node*> seen;
  auto unique = [&](const std::string& kind, const std::string& name, const toml::node& at) {
    if (auto [it, fresh] = seen.emplace(kind + ":" + name, &at); !fresh) {
      fail(file, at.source(),
           kind + " '" + name + "' is defined twice (first at line " +
               std::to_string(it->second->source().begin.line) + ")");
    }
  };
  if (const auto* sites = array_of_tables(file, root, "site")) {
    for (const auto& n : *sites) {
      Fields s(file, *n.as_table(), "[[site]]",
               {"name", "tier", "signing_key", "witness_key", "enrolment_key", "rates",
                "previous_rates", "previous_keys"});
      Site site;
      site.name = s.name("name");
      unique("site", site.name, n);
      const auto tier = s.text("tier");
      if (const auto t = records::parse_tier(tier)) {
        site.tier = *t;
      } else {
        fail(file, s.need("tier").source(),
             "tier \"" + tier + "\" is neither \"institutional\" nor \"volunteer\"");
      }
      site.signing_key = s.key("signing_key");
      // Earlier signing keys, each with the last period it signed.
      if (const auto* prev = array_of_tables(file, *n.as_table(), "previous_keys")) {
        for (const auto& pn : *prev) {
          Fields pk(file, *pn.as_table(), "[[site.previous_keys]] of '" + site.name + "'",
                    {"public_key", "until", "revoked_from"});
          PreviousKey k{pk.key("public_key"), pk.period("until"), ""};
          if (pk.has("revoked_from")) k.revoked_from = pk.period("revoked_from");
          if (k.public_key == site.signing_key)
            fail(file, pk.need("public_key").source(),
                 "site '" + site.name + "' lists its current signing key as a previous key");
          site.previous_keys.push_back(std::move(k));
        }
      }
      if (s.has("witness_key")) site.witness_key = s.key("witness_key");
      if (s.has("enrolment_key")) {
        // Its own key: a certificate must never verify as a receipt, a
        // checkpoint or a cosignature, nor one of those as a certificate,
        // and a leaked signing key must not also enrol machines.
        site.enrolment_key = s.key("enrolment_key");
        bool reused =
            site.enrolment_key == site.signing_key || site.enrolment_key == site.witness_key;
        for (const auto& k : site.previous_keys)
          reused = reused || k.public_key == site.enrolment_key;
        for (const auto& other : pool.sites)
          reused = reused || other.enrolment_key == site.enrolment_key ||
                   other.signing_key == site.enrolment_key ||
                   other.witness_key == site.enrolment_key;
        if (reused)
          fail(file, s.need("enrolment_key").source(),
               "site '" + site.name +
                   "': enrolment_key is also a signing or witness key of this or another site; "
                   "make a key of its own with `basin pool enrolment-keygen`");
      }
      Fields r(file, s.table("rates"), "[site.rates] of '" + site.name + "'",
               std::vector<std::string>(std::begin(kRateNames), std::end(kRateNames)));
      site.rates = rate_card(r, site.name);
      // Earlier cards: receipts priced with them keep verifying.
      if (const auto* prev = array_of_tables(file, *n.as_table(), "previous_rates")) {
        for (const auto& pn : *prev) {
          Fields pr(file, *pn.as_table(), "[[site.previous_rates]] of '" + site.name + "'",
                    std::vector<std::string>(std::begin(kRateNames), std::end(kRateNames)));
          site.previous_rates.push_back(rate_card(pr, site.name));
        }
      }
      pool.sites.push_back(std::move(site));
    }
  }
  auto site_exists = [&](const std::string& s) {
    return std::any_of(pool.sites.begin(), pool.sites.end(),
                       [&](const Site& x) { return x.name == s; });
  };
  if (const auto* nodes = array_of_tables(file, root, "node")) {
    for (const auto& n : *nodes) {
      Fields f(file, *n.as_table(), "[[node]]",
               {"name", "site", "public_key", "cpus", "memory_mb", "gpus"});
      Node node;
      node.name = f.name("name");
      unique("node", node.name, n);
      node.site = f.name("site");
      if (!site_exists(node.site)) {
        fail(file, f.need("site").source(),
             "node '" + node.name + "' names site '" + node.site +
                 "', which no [[site]] defines; add that [[site]] first or fix the name");
      }
      node.public_key = f.key("public_key");
      node.cpus = static_cast<std::uint32_t>(f.integer("cpus", 1, 1 << 20));
      node.memory_mb = static_cast<std::uint64_t>(f.integer("memory_mb", 1, INT64_C(1) << 40));
      if (f.has("gpus")) node.gpus = static_cast<std::uint32_t>(f.integer("gpus", 0, kMaxNodeGpus));
      pool.nodes.push_back(std::move(node));
    }
  }
  if (const auto* accounts = array_of_tables(file, root, "account")) {
    for (const auto& n : *accounts) {
      Fields f(file, *n.as_table(), "[[account]]",
               {"name", "home_site", "public_key", "replica_quorum", "members"});
      Account a;
      a.name = f.name("name");
      unique("account", a.name, n);
      a.home_site = f.name("home_site");
      if (!site_exists(a.home_site)) {
        fail(file, f.need("home_site").source(),
             "account '" + a.name + "' names home site '" + a.home_site +
                 "', which no [[site]] defines");
      }
      a.public_key = f.key("public_key");
      if (f.has("replica_quorum"))
        a.replica_quorum = static_cast<unsigned>(f.integer("replica_quorum", 1, kMaxReplicaQuorum));
      a.members = f.users("members");
      pool.accounts.push_back(std::move(a));
    }
  }
  return pool;
}

void validate_pool(const Pool& pool) {
  parse_pool(render_pool(pool), "(pool being written)");
}

std::string render_pool(const Pool& pool) {
  auto q = [](const std::string& s) { return toml::value<std::string>(s); };
  std::ostringstream o;
  o << "# Basin federation pool: sites, nodes and accounts. Managed by `basin pool`;\n"
       "# rates are integer micro-credits per unit.\n\n";
  o << "[pool]\nname = " << q(pool.name) << "\ncluster = " << q(pool.cluster) << "\n";
  if (!pool.enrolments.empty())
    o << "# Enrolment certificates and revocation lists of volunteer nodes.\n"
      << "enrolments = " << q(pool.enrolments) << "\n";
  o << "\n[policy]\n# Agreeing replicas that make a result canonical (accounts may override).\n"
    << "replica_quorum = " << pool.replica_quorum << "\n";
  if (pool.witness_quorum != 0)
    o << "# Other sites' cosignatures a checkpoint needs before settlement trusts it.\n"
      << "witness_quorum = " << pool.witness_quorum << "\n";
  if (pool.min_pair_receipts > 1)
    o << "# Receipts a site pair needs before it is opened; fewer carry into the next month.\n"
      << "min_pair_receipts = " << pool.min_pair_receipts << "\n";
  for (const Site& s : pool.sites) {
    o << "\n[[site]]\nname = " << q(s.name) << "\ntier = " << q(to_string(s.tier))
      << "\nsigning_key = " << q(s.signing_key);
    if (!s.witness_key.empty()) o << "\nwitness_key = " << q(s.witness_key);
    if (!s.enrolment_key.empty()) o << "\nenrolment_key = " << q(s.enrolment_key);
    o << "\n[site.rates]\n";
    write_rates(o, s.rates);
    for (const auto& r : s.previous_rates) {
      o << "\n[[site.previous_rates]]\n";
      write_rates(o, r);
    }
    for (const auto& k : s.previous_keys) {
      o << "\n[[site.previous_keys]]\npublic_key = " << q(k.public_key)
        << "\nuntil = " << q(k.until) << "\n";
      if (!k.revoked_from.empty()) o << "revoked_from = " << q(k.revoked_from) << "\n";
    }
  }
  for (const Node& n : pool.nodes) {
    if (n.enrolled()) continue;  // its certificate is its entry
    o << "\n[[node]]\nname = " << q(n.name) << "\nsite = " << q(n.site)
      << "\npublic_key = " << q(n.public_key) << "\ncpus = " << n.cpus
      << "\nmemory_mb = " << n.memory_mb << "\n";
    if (n.gpus > 0) o << "gpus = " << n.gpus << "\n";
  }
  for (const Account& a : pool.accounts) {
    o << "\n[[account]]\nname = " << q(a.name) << "\nhome_site = " << q(a.home_site)
      << "\npublic_key = " << q(a.public_key) << "\n";
    if (a.replica_quorum != 0) o << "replica_quorum = " << a.replica_quorum << "\n";
    if (!a.members.empty()) {
      o << "members = [";
      for (std::size_t i = 0; i < a.members.size(); ++i) {
        o << (i == 0 ? "" : ", ") << q(a.members[i]);
      }
      o << "]\n";
    }
  }
  return o.str();
}

const Site& site_named(const Pool& pool, const std::string& name) {
  const auto s = std::find_if(pool.sites.begin(), pool.sites.end(),
                              [&](const Site& x) { return x.name == name; });
  if (s == pool.sites.end()) {
    std::string known;
    for (const auto& x : pool.sites) known += (known.empty() ? "" : ", ") + x.name;
    throw PoolError("no site '" + name + "' in pool '" + pool.name + "' (its sites: " +
                    (known.empty() ? "none yet; add one with `basin pool add-site`" : known) + ")");
  }
  return *s;
}

Site& site_named(Pool& pool, const std::string& name) {
  return const_cast<Site&>(site_named(std::as_const(pool), name));
}

std::optional<CertificateRevocation> revocation_of(const Pool& pool, const std::string& node,
                                                   const std::string& site, std::uint64_t serial) {
  for (const Node& n : pool.nodes) {
    if (n.name != node || n.site != site) continue;
    for (const Enrolment& e : n.enrolments)
      if (e.serial == serial && e.revoked_at)
        return CertificateRevocation{*e.revoked_at, e.revocation_reason};
  }
  return std::nullopt;
}

BillingWeights billing_weights(const Pool& pool, const std::vector<std::string>& partition_nodes) {
  BillingWeights w;
  for (const auto& name : partition_nodes) {
    const auto node = std::find_if(pool.nodes.begin(), pool.nodes.end(),
                                   [&](const Node& n) { return n.name == name; });
    if (node == pool.nodes.end()) throw PoolError("node '" + name + "' is not in pool.toml");
    const auto& r = site_named(pool, node->site).rates.micro_credits;
    // Prices are at most kMaxRate (checked at parse): they fit an int64.
    w.cpu = std::max(w.cpu, static_cast<std::int64_t>(r[receipts::core_seconds]));
    w.mem_mb = std::max(w.mem_mb, static_cast<std::int64_t>(r[receipts::mem_mb_seconds]));
    w.gpu = std::max(w.gpu, static_cast<std::int64_t>(r[receipts::gpu_seconds]));
    w.node = std::max(w.node, static_cast<std::int64_t>(r[receipts::wall_seconds]));
  }
  return w;
}

std::string tres_billing_weights(const BillingWeights& w) {
  return "CPU=" + std::to_string(w.cpu) + ",Mem=" + std::to_string(w.mem_mb) +
         ",GRES/gpu=" + std::to_string(w.gpu) + ",Node=" + std::to_string(w.node);
}

std::string render_slurm_nodes(const Pool& pool) {
  std::map<std::string, const Site*> sites;
  for (const Site& s : pool.sites) sites[s.name] = &s;
  std::ostringstream o;
  std::map<std::string, std::vector<std::string>> by_tier;
  std::vector<std::string> all;
  if (std::any_of(pool.nodes.begin(), pool.nodes.end(),
                  [](const Node& n) { return n.gpus > 0 && !n.enrolled(); }))
    o << "GresTypes=gpu\n"
         "# With slurmdbd, also AccountingStorageTRES=gres/gpu: then sacct's AllocTRES and\n"
         "# jobcomp's Tres= carry gres/gpu=N for reconciliation (without slurmdbd\n"
         "# slurmctld refuses to start with it).\n";
  for (const Node& n : pool.nodes) {
    if (n.enrolled()) continue;  // a dynamic node: its slurmd registers it (basin pool join)
    const Site& s = *sites.at(n.site);
    // Slurm allocates lower Weight first; the price is the weight, so the
    // cheapest capacity fills first. Weight 0 is not allowed, hence +1.
    const auto weight = std::min<std::int64_t>(
        static_cast<std::int64_t>(s.rates.micro_credits[receipts::core_seconds]) + 1, kMaxRate);
    o << "NodeName=" << n.name << " CPUs=" << n.cpus << " RealMemory=" << n.memory_mb
      << " Features=tier_" << to_string(s.tier) << ",site_" << s.name << " Weight=" << weight;
    if (n.gpus > 0) o << " Gres=gpu:" << n.gpus;
    o << "\n";
    by_tier[to_string(s.tier)].push_back(n.name);
    all.push_back(n.name);
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string r;
    for (const auto& x : v) r += (r.empty() ? "" : ",") + x;
    return r;
  };
  // A default time limit, so that every job's worst case (time limit x
  // billing) is bounded for budgets; jobs may ask for more with --time.
  static_assert(kDefaultTimeLimitSeconds % 60 == 0);
  auto billing = [&](const std::vector<std::string>& nodes) {
    return " DefaultTime=" + std::to_string(kDefaultTimeLimitSeconds / 60) +
           " MaxTime=INFINITE State=UP TRESBillingWeights=" +
           tres_billing_weights(billing_weights(pool, nodes));
  };
  for (const auto& [tier, nodes] : by_tier) {
    o << "PartitionName=" << tier << " Nodes=" << join(nodes) << billing(nodes) << "\n";
  }
  if (!all.empty()) {
    o << "PartitionName=pool Nodes=" << join(all) << " Default=YES" << billing(all) << "\n";
  }
  return o.str();
}

std::string render_gres_conf(const Pool& pool, const std::string& device_dir) {
  std::ostringstream o;
  for (const Node& n : pool.nodes) {
    if (n.gpus == 0 || n.enrolled()) continue;
    o << "NodeName=" << n.name << " Name=gpu File=" << device_dir << "/" << n.name << "-gpu";
    if (n.gpus == 1)
      o << "0\n";
    else
      o << "[0-" << (n.gpus - 1) << "]\n";
  }
  return o.str();
}

std::string render_plugstack_line(const Pool& pool, const Node& node,
                                  const SlurmRenderOptions& opt) {
  const Site* site = &site_named(pool, node.site);
  return "required " + opt.plugin_path + " tier=" + to_string(site->tier) + " site=" + site->name +
         " node_key=" + opt.key_dir + "/" + node.name + ".key spool=" + opt.spool +
         " scratch=" + opt.scratch + " cluster=" + pool.cluster + " node=" + node.name +
         (node.gpus > 0 ? " gpus=" + std::to_string(node.gpus) : "") + "\n";
}

}  // namespace basin::federation
