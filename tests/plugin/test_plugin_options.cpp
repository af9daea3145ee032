#include <gtest/gtest.h>

#include "basin/plugin/options.hpp"

using basin::plugin::parse_tier;
using basin::plugin::Tier;

TEST(PluginOptions, ParsesEveryTier) {
  EXPECT_EQ(parse_tier("institutional"), Tier::institutional);
  EXPECT_EQ(parse_tier("volunteer"), Tier::volunteer);
  EXPECT_EQ(parse_tier("any"), Tier::any);
}

TEST(PluginOptions, RefusesAnythingElse) {
  for (const char* bad :
       {"", "bogus", "Any", "VOLUNTEER", "any ", " any", "institutional,volunteer", "volunteer\n"})
    EXPECT_FALSE(parse_tier(bad).has_value()) << "accepted '" << bad << "'";
}

TEST(PluginOptions, TierNamesRoundTrip) {
  for (Tier t : {Tier::institutional, Tier::volunteer, Tier::any})
    EXPECT_EQ(parse_tier(basin::plugin::tier_name(t)), t);
}

TEST(PluginOptions, BadValueMessageNamesOptionValueAndChoices) {
  const std::string msg =
      basin::plugin::bad_value_message("basin-tier", "bogus", "institutional, volunteer, any");
  EXPECT_NE(msg.find("--basin-tier"), std::string::npos);
  EXPECT_NE(msg.find("'bogus'"), std::string::npos);
  EXPECT_NE(msg.find("institutional, volunteer, any"), std::string::npos);
}

// ---- every option -------------------------------------------------------

using basin::plugin::JobOptions;

TEST(PluginOptions, AccountReplicasAndCheckpointValues) {
  JobOptions o;
  EXPECT_FALSE(basin::plugin::apply_account("climate-lab", o));
  EXPECT_EQ(o.account, "climate-lab");
  const std::string too_long(65, 'a');
  for (const std::string& bad : {std::string(""), std::string("-x"), std::string("a b"),
                                 std::string("a/b"), std::string("x;rm"), too_long})
    EXPECT_TRUE(basin::plugin::apply_account(bad, o)) << bad;

  EXPECT_FALSE(basin::plugin::apply_replicas("3", o));
  EXPECT_EQ(o.replicas, 3);
  for (const char* bad : {"0", "6", "", "2x", "-1", "10", " 2"})
    EXPECT_TRUE(basin::plugin::apply_replicas(bad, o)) << bad;

  JobOptions c;
  EXPECT_FALSE(basin::plugin::apply_checkpoint("", c));
  EXPECT_TRUE(c.checkpoint);
  EXPECT_FALSE(c.checkpoint_dir);
  EXPECT_FALSE(basin::plugin::apply_checkpoint("(null)", c));  // Slurm's forwarding quirk
  EXPECT_FALSE(basin::plugin::apply_checkpoint("/scratch/me/run1", c));
  EXPECT_EQ(c.checkpoint_dir, "/scratch/me/run1");
  for (const char* bad : {"relative/dir", "/a/../etc", "/a/..", "/a b", "/a\n"})
    EXPECT_TRUE(basin::plugin::apply_checkpoint(bad, c)) << bad;
}

TEST(PluginOptions, MessagesNeverEchoControlCharacters) {
  JobOptions o;
  const auto msg = basin::plugin::apply_account("ab\x1b[2Jc", o);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->find('\x1b'), std::string::npos);
  EXPECT_NE(msg->find("--basin-account"), std::string::npos);
}
