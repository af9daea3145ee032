#include <gtest/gtest.h>

#include "basin/plugin/options.hpp"

using basin::plugin::parse_tier_request;
using basin::plugin::TierRequest;

TEST(PluginOptions, ParsesEveryTier) {
  EXPECT_EQ(parse_tier_request("institutional"), TierRequest::institutional);
  EXPECT_EQ(parse_tier_request("volunteer"), TierRequest::volunteer);
  EXPECT_EQ(parse_tier_request("any"), TierRequest::any);
}

TEST(PluginOptions, RefusesAnythingElse) {
  for (const char* bad :
       {"", "bogus", "Any", "VOLUNTEER", "any ", " any", "institutional,volunteer", "volunteer\n"})
    EXPECT_FALSE(parse_tier_request(bad).has_value()) << "accepted '" << bad << "'";
}

TEST(PluginOptions, TierNamesRoundTrip) {
  for (TierRequest t : {TierRequest::institutional, TierRequest::volunteer, TierRequest::any})
    EXPECT_EQ(parse_tier_request(basin::plugin::request_name(t)), t);
  // A node's tier is never "any".
  EXPECT_FALSE(basin::records::parse_tier("any").has_value());
  for (auto t : {basin::records::Tier::institutional, basin::records::Tier::volunteer})
    EXPECT_EQ(basin::records::parse_tier(basin::records::tier_name(t)), t);
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

TEST(PluginOptions, AccountRefusedReplicasAndCheckpointValues) {
  JobOptions o;
  // --basin-account is refused whatever its value, pointing at Slurm's -A.
  for (const char* any : {"climate-lab", "", "a b"}) {
    const auto msg = basin::plugin::refuse_account_option(any, o);
    ASSERT_TRUE(msg) << any;
    EXPECT_NE(msg->find("-A "), std::string::npos) << *msg;
  }

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
  const auto msg = basin::plugin::refuse_account_option("ab\x1b[2Jc", o);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->find('\x1b'), std::string::npos);
  EXPECT_NE(msg->find("--basin-account"), std::string::npos);
}
