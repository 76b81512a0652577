#include "envs/textworld/tracker.hpp"

#include <gtest/gtest.h>

#include "envs/textworld/fixture.hpp"

namespace lantern::envs::textworld {
namespace {

using namespace testing;

class Progress : public two_rooms_test {
 protected:
  tracker t{eng};
  void SetUp() override { t.reset(s, g.walkthrough); }
  int run(act a) {
    EXPECT_EQ(eng.check(s, a), failure::none) << eng.command(a);
    eng.apply(s, a);
    return t.update(a, s);
  }
};

TEST_F(Progress, FollowingTheWalkthroughEarnsOneEachStep) {
  for (const act& a : g.walkthrough) EXPECT_EQ(run(a), 1) << eng.command(a);
  EXPECT_TRUE(t.plan().empty());
}

TEST_F(Progress, ADetourCostsOneAndComingBackEarnsIt) {
  EXPECT_EQ(run({verb::go, south}), -1);
  EXPECT_EQ(t.plan().size(), 6u);
  EXPECT_EQ(run({verb::go, north}), 1);
  EXPECT_EQ(t.plan().size(), 5u);
}

TEST_F(Progress, AnActionBesideThePlanEarnsNothing) {
  EXPECT_EQ(run({verb::take, iron_key}), 0);
  EXPECT_EQ(run({verb::drop, cup}), 0);
  EXPECT_EQ(t.plan().size(), 5u);
}

TEST_F(Progress, UndoingProgressCostsOne) {
  EXPECT_EQ(run({verb::take_from, oak_key, table}), 1);
  EXPECT_EQ(run({verb::drop, oak_key}), -1);
  EXPECT_EQ(t.plan().front(), (act{verb::take, oak_key}));
  EXPECT_EQ(run({verb::take, oak_key}), 1);
  EXPECT_EQ(run({verb::unlock, oak_door, oak_key}), 1);
  EXPECT_EQ(run({verb::lock, oak_door, oak_key}), -1);
  EXPECT_EQ(run({verb::unlock, oak_door, oak_key}), 1);
  EXPECT_EQ(t.plan().size(), 3u);
}

TEST_F(Progress, ACompressedPlanDropsActionsThatCancel) {
  // Open and close the chest: neither is on the plan, and the plan stays as it was.
  EXPECT_EQ(run({verb::open, chest}), 0);
  EXPECT_EQ(run({verb::close, chest}), 0);
  // Walk south and north again twice: the plan grows and shrinks back.
  EXPECT_EQ(run({verb::go, south}), -1);
  EXPECT_EQ(run({verb::go, north}), 1);
  EXPECT_EQ(t.plan(), g.walkthrough);
}

TEST_F(Progress, AQuestThatCannotBeFinishedIsLost) {
  // The goal: the apple on the table. Eating it on the way makes that impossible.
  g.win = {{fact_kind::on, apple, table}};
  g.walkthrough = {{verb::open, chest}, {verb::take_from, apple, chest}, {verb::put_on, apple, table}};
  t.reset(s, g.walkthrough);
  EXPECT_EQ(run({verb::open, chest}), 1);
  EXPECT_EQ(run({verb::take_from, apple, chest}), 1);
  EXPECT_FALSE(t.lost());
  EXPECT_EQ(run({verb::eat, apple}), -1);
  EXPECT_TRUE(t.lost());
}

TEST(Reverse, EveryReversibleVerbHasItsInverse) {
  game g = two_rooms();
  engine eng(g);
  EXPECT_EQ(*tracker::reverse(eng, {verb::go, north}), (act{verb::go, south}));
  EXPECT_EQ(*tracker::reverse(eng, {verb::take_from, oak_key, table}), (act{verb::put_on, oak_key, table}));
  EXPECT_EQ(*tracker::reverse(eng, {verb::take_from, apple, chest}), (act{verb::insert_into, apple, chest}));
  EXPECT_EQ(*tracker::reverse(eng, {verb::unlock, oak_door, oak_key}), (act{verb::lock, oak_door, oak_key}));
  EXPECT_FALSE(tracker::reverse(eng, {verb::eat, apple}));
}

}  // namespace
}  // namespace lantern::envs::textworld
