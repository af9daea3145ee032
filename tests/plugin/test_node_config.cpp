#include <gtest/gtest.h>

#include <random>

#include "basin/plugin/node_config.hpp"

using basin::plugin::parse_node_config;
using basin::plugin::Tier;

TEST(NodeConfig, ParsesEveryArgument) {
  const auto r = parse_node_config(
      {"tier=volunteer", "site=home", "cluster=c1", "node=vol1", "node_key=/etc/basin/node.key",
       "spool=/var/spool/basin", "scratch=/scratch", "default_tier=institutional", "records=yes"});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.complete_for_node());
  EXPECT_EQ(r.config.tier, Tier::volunteer);
  EXPECT_EQ(r.config.site, "home");
  EXPECT_EQ(r.config.node_key, "/etc/basin/node.key");
  EXPECT_EQ(r.config.default_tier, basin::plugin::TierRequest::institutional);
}

TEST(NodeConfig, UnknownRepeatedAndMalformedArgumentsAreErrors) {
  auto r = parse_node_config({"tier=volunteer", "colour=blue"});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("unknown plugstack argument 'colour'"), std::string::npos);
  r = parse_node_config({"site=a", "site=b"});
  EXPECT_EQ(r.errors.size(), 1u);
  r = parse_node_config({"tier"});
  EXPECT_EQ(r.errors.size(), 1u);
  r = parse_node_config({"tier=any"});  // a node is one tier or the other
  EXPECT_EQ(r.errors.size(), 1u);
  r = parse_node_config({"spool=relative/dir"});
  EXPECT_EQ(r.errors.size(), 1u);
  r = parse_node_config({"site=a b"});
  EXPECT_EQ(r.errors.size(), 1u);
}

TEST(NodeConfig, GpusIsACount0To64) {
  EXPECT_EQ(parse_node_config({}).config.gpus, 0u);
  EXPECT_EQ(parse_node_config({"gpus=2"}).config.gpus, 2u);
  EXPECT_EQ(parse_node_config({"gpus=64"}).config.gpus, 64u);
  EXPECT_TRUE(parse_node_config({"gpus=0"}).errors.empty());
  for (const char* bad : {"gpus=65", "gpus=-1", "gpus=", "gpus=two", "gpus=100", "gpus=1.0"})
    EXPECT_EQ(parse_node_config({bad}).errors.size(), 1u) << bad;
}

TEST(NodeConfig, ANodeNeedsTierSiteClusterNodeKeyAndSpool) {
  const auto client = parse_node_config({"default_tier=any"});
  EXPECT_TRUE(client.errors.empty());
  EXPECT_FALSE(client.complete_for_node());
  EXPECT_EQ(client.missing_for_node(),
            (std::vector<std::string>{"tier", "site", "cluster", "node", "node_key", "spool"}));
  // Node and cluster name the record: they come from the admin, never the job.
  const auto no_names = parse_node_config({"tier=institutional", "site=campus", "records=no"});
  EXPECT_EQ(no_names.missing_for_node(), (std::vector<std::string>{"cluster", "node"}));
  const auto no_records = parse_node_config(
      {"tier=institutional", "site=campus", "cluster=c", "node=inst1", "records=no"});
  EXPECT_TRUE(no_records.complete_for_node());
}

TEST(NodeConfig, RandomArgumentsNeverCrashTheParser) {
  // Replay fuzzing: random bytes, known keys with random values; the parser
  // must only ever return errors, and an error for every unknown key.
  std::mt19937 rng(7);
  const std::vector<std::string> keys{"tier",     "site",  "cluster", "node",
                                      "node_key", "spool", "scratch", "default_tier",
                                      "records",  "bogus", ""};
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::string> args;
    const int n = static_cast<int>(rng() % 6);
    for (int a = 0; a < n; ++a) {
      std::string v;
      const int len = static_cast<int>(rng() % 12);
      for (int c = 0; c < len; ++c) v += static_cast<char>(rng() % 256);
      args.push_back(keys[rng() % keys.size()] + (rng() % 4 ? "=" : "") + v);
    }
    const auto r = parse_node_config(args);
    for (const auto& a : args) {
      if (a.rfind("bogus=", 0) == 0) {
        EXPECT_FALSE(r.errors.empty());
      }
    }
  }
}
