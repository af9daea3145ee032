#include "basin/federation/quorum.hpp"

#include <gtest/gtest.h>

using namespace basin::federation;

TEST(Quorum, MajorityOfQuorumBecomesCanonical) {
  const std::vector<Replica> r{
      {"wu1", "vol1", "aa"}, {"wu1", "vol2", "aa"}, {"wu1", "inst1", "bb"}};
  const auto v = validate_replicas(r, 3);
  ASSERT_EQ(v.groups.size(), 1u);
  EXPECT_EQ(v.groups[0].state, GroupState::canonical);
  EXPECT_EQ(v.groups[0].canonical_result, "aa");
  EXPECT_EQ(v.verdicts, (std::vector<ReplicaVerdict>{ReplicaVerdict::valid, ReplicaVerdict::valid,
                                                     ReplicaVerdict::invalid}));
  EXPECT_EQ(v.nodes.at("inst1"), (NodeReliability{0, 1, 0}));
  EXPECT_EQ(v.nodes.at("vol1"), (NodeReliability{1, 0, 0}));
}

TEST(Quorum, TooFewReplicasStayPending) {
  const auto v = validate_replicas({{"wu", "vol1", "aa"}}, 2);
  EXPECT_EQ(v.groups[0].state, GroupState::pending);
  EXPECT_EQ(v.verdicts[0], ReplicaVerdict::pending);
  EXPECT_EQ(v.nodes.at("vol1").pending, 1u);
}

TEST(Quorum, DisagreementWithoutMajorityStaysPending) {
  const auto v = validate_replicas({{"wu", "vol1", "aa"}, {"wu", "vol2", "bb"}}, 2);
  EXPECT_EQ(v.groups[0].state, GroupState::pending);
  // A third replica settles it.
  const auto w =
      validate_replicas({{"wu", "vol1", "aa"}, {"wu", "vol2", "bb"}, {"wu", "inst1", "bb"}}, 2);
  EXPECT_EQ(w.groups[0].state, GroupState::canonical);
  EXPECT_EQ(w.groups[0].canonical_result, "bb");
  EXPECT_EQ(w.verdicts[0], ReplicaVerdict::invalid);
}

TEST(Quorum, TiedResultsStayPending) {
  const auto v = validate_replicas(
      {{"wu", "a", "x"}, {"wu", "b", "x"}, {"wu", "c", "y"}, {"wu", "d", "y"}}, 2);
  EXPECT_EQ(v.groups[0].state, GroupState::pending);
}

TEST(Quorum, OneNodeCannotOutvoteOthers) {
  // vol1 reports "evil" twice; only its first replica votes.
  const std::vector<Replica> r{{"wu", "vol1", "evil"},
                               {"wu", "vol1", "evil"},
                               {"wu", "vol2", "good"},
                               {"wu", "inst1", "good"}};
  const auto v = validate_replicas(r, 3);
  EXPECT_EQ(v.groups[0].canonical_result, "good");
  EXPECT_EQ(v.nodes.at("vol1"), (NodeReliability{0, 2, 0}));
  const auto w = validate_replicas({r[0], r[1]}, 2);
  EXPECT_EQ(w.groups[0].state, GroupState::pending);
}

TEST(Quorum, GroupsAreIndependentAndSorted) {
  const std::vector<Replica> r{
      {"b", "n1", "1"}, {"a", "n1", "2"}, {"a", "n2", "2"}, {"b", "n2", "1"}};
  const auto v = validate_replicas(r, 2);
  ASSERT_EQ(v.groups.size(), 2u);
  EXPECT_EQ(v.groups[0].group, "a");
  EXPECT_EQ(v.groups[1].canonical_result, "1");
  EXPECT_EQ(v.nodes.at("n1"), (NodeReliability{2, 0, 0}));
}

TEST(Quorum, ZeroQuorumIsRejected) {
  EXPECT_THROW(validate_replicas({}, 0), std::invalid_argument);
}
