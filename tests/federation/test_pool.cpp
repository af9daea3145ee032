#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "basin/federation/pool.hpp"

using namespace basin::federation;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kExample = slurp(std::string(BASIN_SOURCE_DIR) + "/examples/pool.toml");
const std::string kKey(64, 'a');

// Error message of parsing `text`, or "" if it parses.
std::string error_of(const std::string& text) {
  try {
    parse_pool(text);
    return "";
  } catch (const PoolError& e) {
    return e.what();
  }
}

std::string minimal(const std::string& extra) {
  return "[pool]\nname = \"p\"\ncluster = \"c\"\n\n[[site]]\nname = \"s\"\ntier = "
         "\"volunteer\"\nsigning_key = \"" +
         kKey +
         "\"\n[site.rates]\ncore_second = 1\nmem_mb_second = 0\ngpu_second = 0\n"
         "wall_second = 0\n" +
         extra;
}

}  // namespace

TEST(Pool, ExampleDescribesTheLocalPool) {
  const Pool p = parse_pool(kExample);
  EXPECT_EQ(p.cluster, "basin");
  ASSERT_EQ(p.nodes.size(), 3u);
  EXPECT_EQ(p.sites[0].tier, Tier::institutional);
  EXPECT_EQ(p.nodes[1].site, "home");
  EXPECT_EQ(p.sites[0].rates.micro_credits[basin::receipts::core_seconds], 40u);
  EXPECT_EQ(p.sites[0].rates.site, p.sites[0].name);
}

TEST(Pool, RenderedNodeLinesMatchLocalPoolScript) {
  // The resource part of each NodeName line that scripts/local-pool writes.
  const std::string script = slurp(std::string(BASIN_SOURCE_DIR) + "/scripts/local-pool");
  const std::string ours = render_slurm_nodes(parse_pool(kExample));
  const std::regex node_line(R"(NodeName=(\w+) .*(CPUs=\d+ RealMemory=\d+ Features=\S+))");
  int checked = 0;
  for (std::sregex_iterator it(script.begin(), script.end(), node_line), end; it != end; ++it) {
    const std::string expect = "NodeName=" + (*it)[1].str() + " " + (*it)[2].str() + " Weight=";
    EXPECT_NE(ours.find(expect), std::string::npos) << expect << "\nnot in\n" << ours;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST(Pool, CheaperNodesWeighLessAndPartitionsPerTier) {
  const std::string out = render_slurm_nodes(parse_pool(kExample));
  EXPECT_NE(out.find("NodeName=inst1 CPUs=2 RealMemory=2000 "
                     "Features=tier_institutional,site_campus Weight=41"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Features=tier_volunteer,site_home Weight=11"), std::string::npos);
  EXPECT_NE(out.find("PartitionName=volunteer Nodes=vol1,vol2 "), std::string::npos);
  EXPECT_NE(out.find("PartitionName=institutional Nodes=inst1 "), std::string::npos);
  EXPECT_NE(out.find("PartitionName=pool Nodes=inst1,vol1,vol2 Default=YES"), std::string::npos);
  // Slurm's billing priced like Basin: the highest rate of the partition's sites.
  EXPECT_NE(out.find("PartitionName=volunteer Nodes=vol1,vol2 DefaultTime=60 MaxTime=INFINITE "
                     "State=UP TRESBillingWeights=CPU=10,Mem=0,GRES/gpu=0,Node=0\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Default=YES DefaultTime=60 MaxTime=INFINITE State=UP "
                     "TRESBillingWeights=CPU=40,Mem=0,GRES/gpu=0,Node=1\n"),
            std::string::npos)
      << out;
}

TEST(Pool, PlugstackLineCarriesTheNodeArguments) {
  const Pool p = parse_pool(kExample);
  EXPECT_EQ(
      render_plugstack_line(p, p.nodes[1]),
      "required /usr/lib/basin/basin_spank.so tier=volunteer site=home "
      "node_key=/etc/basin/vol1.key spool=/var/spool/basin scratch=/tmp cluster=basin node=vol1\n");
}

TEST(Pool, RenderRoundTrips) {
  const Pool p = parse_pool(kExample);
  const Pool q = parse_pool(render_pool(p));
  EXPECT_EQ(render_pool(q), render_pool(p));
  EXPECT_EQ(q.accounts.at(0).public_key, p.accounts.at(0).public_key);
  EXPECT_NO_THROW(validate_pool(p));
}

TEST(Pool, NodesDeclareGpusRenderedAsGres) {
  const Pool p = parse_pool(kExample);
  EXPECT_EQ(p.nodes.at(0).name, "inst1");
  EXPECT_EQ(p.nodes.at(0).gpus, 2u);
  EXPECT_EQ(p.nodes.at(1).gpus, 0u);  // gpus is optional, default 0
  const std::string out = render_slurm_nodes(p);
  EXPECT_EQ(out.rfind("GresTypes=gpu\n# With slurmdbd, also AccountingStorageTRES=gres/gpu", 0), 0u)
      << out;
  EXPECT_NE(out.find("Features=tier_institutional,site_campus Weight=41 Gres=gpu:2\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("Gres=gpu:0"), std::string::npos);
  EXPECT_NE(render_plugstack_line(p, p.nodes[0]).find(" cluster=basin node=inst1 gpus=2\n"),
            std::string::npos);
  EXPECT_EQ(render_gres_conf(p, "/dev/basin"),
            "NodeName=inst1 Name=gpu File=/dev/basin/inst1-gpu[0-1]\n");
  Pool one = p;
  one.nodes[0].gpus = 1;
  EXPECT_EQ(render_gres_conf(one, "/d"), "NodeName=inst1 Name=gpu File=/d/inst1-gpu0\n");
  // Round trip keeps the count; a pool without GPUs renders no Gres at all.
  EXPECT_EQ(parse_pool(render_pool(p)).nodes.at(0).gpus, 2u);
  Pool none = p;
  for (auto& n : none.nodes) n.gpus = 0;
  EXPECT_EQ(render_pool(none).find("gpus"), std::string::npos);
  EXPECT_EQ(render_slurm_nodes(none).find("Gres"), std::string::npos);
  EXPECT_EQ(render_gres_conf(none, "/d"), "");
}

TEST(Pool, GpuCountIsValidatedStrictly) {
  const std::string node = "\n[[node]]\nname = \"n\"\nsite = \"s\"\npublic_key = \"" + kKey +
                           "\"\ncpus = 2\nmemory_mb = 10\n";
  EXPECT_EQ(error_of(minimal(node + "gpus = 0\n")), "");
  EXPECT_EQ(error_of(minimal(node + "gpus = 64\n")), "");
  EXPECT_NE(error_of(minimal(node + "gpus = 65\n")).find(":21:8: 'gpus' = 65 is outside 0..64"),
            std::string::npos)
      << error_of(minimal(node + "gpus = 65\n"));
  EXPECT_NE(error_of(minimal(node + "gpus = -1\n")).find("outside 0..64"), std::string::npos);
  EXPECT_NE(error_of(minimal(node + "gpus = \"2\"\n")).find("'gpus' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of(minimal(node + "gpus = 1.5\n")).find("'gpus' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of(minimal(node + "gpu = 1\n")).find("unknown key 'gpu'"), std::string::npos);
}

TEST(Pool, ErrorsPointAtTheLine) {
  EXPECT_EQ(error_of(minimal("")), "");
  // Line 14 follows the 13 lines of minimal(), still inside [site.rates].
  EXPECT_NE(error_of(minimal("cpu = 3\n")).find("pool.toml:14:1: unknown key 'cpu'"),
            std::string::npos)
      << error_of(minimal("cpu = 3\n"));
  const std::string node = "\n[[node]]\nname = \"n\"\nsite = \"nowhere\"\npublic_key = \"" + kKey +
                           "\"\ncpus = 2\nmemory_mb = 10\n";
  EXPECT_NE(error_of(minimal(node)).find(":17:8: node 'n' names site 'nowhere'"), std::string::npos)
      << error_of(minimal(node));
  auto dup = minimal(node);
  dup = std::regex_replace(dup, std::regex("nowhere"), "s");
  EXPECT_EQ(error_of(dup), "");
  EXPECT_NE(error_of(dup + dup.substr(dup.find("\n[[node]]"))).find("node 'n' is defined twice"),
            std::string::npos);
  EXPECT_NE(
      error_of(std::regex_replace(minimal(""), std::regex("core_second = 1"), "core_second = -5"))
          .find("outside 0.."),
      std::string::npos);
  EXPECT_NE(error_of(std::regex_replace(minimal(""), std::regex(kKey), "abc")).find("64"),
            std::string::npos);
  EXPECT_NE(
      error_of(std::regex_replace(minimal(""), std::regex("volunteer"), "gold")).find("neither"),
      std::string::npos);
  EXPECT_NE(error_of("[pool]\nname = \"p\"\nname = \"q\"\n").find("pool.toml:3"), std::string::npos)
      << error_of("[pool]\nname = \"p\"\nname = \"q\"\n");
  EXPECT_NE(error_of("[pool]\nname = \"p\"\n").find("lacks 'cluster'"), std::string::npos);
}

TEST(Pool, AccountMembersRoundTripAndAreChecked) {
  const std::string acct =
      "\n[[account]]\nname = \"physics\"\nhome_site = \"s\"\npublic_key = \"" + kKey + "\"\n";
  EXPECT_TRUE(parse_pool(minimal(acct)).accounts.at(0).members.empty());
  const Pool p = parse_pool(minimal(acct + "members = [\"alice\", \"basin-bob\", \"_svc\"]\n"));
  ASSERT_EQ(p.accounts.at(0).members, (std::vector<std::string>{"alice", "basin-bob", "_svc"}));
  EXPECT_NE(render_pool(p).find("members = ['alice', 'basin-bob', '_svc']"), std::string::npos)
      << render_pool(p);
  EXPECT_EQ(parse_pool(render_pool(p)).accounts.at(0).members, p.accounts.at(0).members);
  // Accounts without members render without the key, as before.
  EXPECT_EQ(render_pool(parse_pool(minimal(acct))).find("members"), std::string::npos);
  EXPECT_NE(error_of(minimal(acct + "members = [\"alice\", \"alice\"]\n"))
                .find("user 'alice' is listed twice"),
            std::string::npos);
  EXPECT_NE(error_of(minimal(acct + "members = [\"Alice\"]\n")).find("not a Unix user name"),
            std::string::npos);
  EXPECT_NE(error_of(minimal(acct + "members = [\"a b\"]\n")).find("not a Unix user name"),
            std::string::npos);
  EXPECT_NE(error_of(minimal(acct + "members = [\"" + std::string(33, 'a') + "\"]\n"))
                .find("not a Unix user name"),
            std::string::npos);
  EXPECT_NE(error_of(minimal(acct + "members = [1]\n")).find("only strings"), std::string::npos);
  EXPECT_NE(error_of(minimal(acct + "members = \"alice\"\n")).find("must be an array"),
            std::string::npos);
  Pool bad = p;
  bad.accounts[0].members.push_back("alice");
  EXPECT_THROW(validate_pool(bad), PoolError);
  EXPECT_TRUE(is_unix_user_name("root"));
  EXPECT_FALSE(is_unix_user_name("-x"));
  EXPECT_FALSE(is_unix_user_name("1x"));
  EXPECT_FALSE(is_unix_user_name(""));
}

TEST(Pool, SiteNamedFindsOrNamesTheSites) {
  Pool p = parse_pool(minimal(""));
  EXPECT_EQ(site_named(p, "s").name, "s");
  site_named(p, "s").rates.micro_credits[basin::receipts::core_seconds] =
      7;  // the mutable overload edits the pool's site
  EXPECT_EQ(p.sites[0].rates.micro_credits[basin::receipts::core_seconds], 7u);
  try {
    site_named(std::as_const(p), "campus");
    FAIL() << "no site 'campus' was found";
  } catch (const PoolError& e) {
    EXPECT_STREQ(e.what(), "no site 'campus' in pool 'p' (its sites: s)");
  }
}

// join asks the pool whether a certificate was revoked: only the serial the
// site's list names, of that node and site.
TEST(Pool, RevocationOfNamesOnlyTheRevokedSerial) {
  basin::federation::Pool pool;
  basin::federation::Node n;
  n.name = "vol3", n.site = "home";
  basin::federation::Enrolment first, second;
  first.serial = 1, first.revoked_at = 1764028800, first.revocation_reason = "lost laptop";
  second.serial = 4;
  n.enrolments = {first, second};
  pool.nodes.push_back(n);
  const auto r = basin::federation::revocation_of(pool, "vol3", "home", 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->at, 1764028800);
  EXPECT_EQ(r->reason, "lost laptop");
  EXPECT_FALSE(basin::federation::revocation_of(pool, "vol3", "home", 4));
  EXPECT_FALSE(basin::federation::revocation_of(pool, "vol3", "away", 1));
  EXPECT_FALSE(basin::federation::revocation_of(pool, "vol9", "home", 1));
}
