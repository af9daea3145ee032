#include <gtest/gtest.h>

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
  EXPECT_EQ(r.config.default_tier, Tier::institutional);
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

TEST(NodeConfig, ANodeNeedsTierSiteKeyAndSpool) {
  const auto client = parse_node_config({"default_tier=any"});
  EXPECT_TRUE(client.errors.empty());
  EXPECT_FALSE(client.complete_for_node());
  EXPECT_EQ(client.missing_for_node(),
            (std::vector<std::string>{"tier", "site", "node_key", "spool"}));
  const auto no_records = parse_node_config({"tier=institutional", "site=campus", "records=no"});
  EXPECT_TRUE(no_records.complete_for_node());
}
