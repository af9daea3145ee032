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
