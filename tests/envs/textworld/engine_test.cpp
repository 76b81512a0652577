#include "envs/textworld/engine.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/rng.hpp"
#include "envs/textworld/generator.hpp"
#include "envs/textworld/fixture.hpp"

namespace lantern::envs::textworld {
namespace {

using namespace testing;

class Rules : public two_rooms_test {
 protected:

  // Tries an action; returns the feedback line.
  std::string run(act a) {
    failure f = eng.check(s, a);
    if (f == failure::none) eng.apply(s, a);
    std::string out;
    eng.feedback(s, a, f, out);
    return out;
  }
};

TEST_F(Rules, GoFailsWithoutAnExitAndThroughALockedDoor) {
  EXPECT_EQ(run({verb::go, west}), "You can't go that way.");
  EXPECT_EQ(run({verb::go, east}), "The oak door is locked.");
  EXPECT_EQ(s.room, 0);
  EXPECT_EQ(run({verb::go, south}), "You go south into the cellar.");
  EXPECT_EQ(s.room, 2);
}

TEST_F(Rules, UnlockNeedsTheMatchingKeyInHand) {
  EXPECT_EQ(run({verb::open, oak_door}), "The oak door is locked.");
  EXPECT_EQ(run({verb::unlock, oak_door, oak_key}), "You aren't holding the oak key.");
  EXPECT_EQ(run({verb::take, iron_key}), "You pick up the iron key.");
  EXPECT_EQ(run({verb::unlock, oak_door, iron_key}), "The iron key doesn't fit the lock of the oak door.");
  EXPECT_EQ(run({verb::unlock, oak_door, cup}), "The blue cup isn't a key.");
  EXPECT_EQ(run({verb::take_from, oak_key, table}), "You take the oak key from the pine table.");
  EXPECT_EQ(run({verb::unlock, oak_door, oak_key}), "You unlock the oak door with the oak key.");
  EXPECT_EQ(run({verb::unlock, oak_door, oak_key}), "The oak door isn't locked.");
  EXPECT_EQ(run({verb::open, oak_door}), "You open the oak door.");
  EXPECT_EQ(run({verb::open, oak_door}), "The oak door is already open.");
  EXPECT_EQ(run({verb::lock, oak_door, oak_key}), "You need to close the oak door first.");
  EXPECT_EQ(run({verb::go, east}), "You go east into the study.");
  EXPECT_EQ(run({verb::close, oak_door}), "You close the oak door.");
  EXPECT_EQ(run({verb::close, oak_door}), "The oak door is already closed.");
  EXPECT_EQ(run({verb::lock, oak_door, oak_key}), "You lock the oak door with the oak key.");
  EXPECT_EQ(run({verb::lock, oak_door, oak_key}), "The oak door is already locked.");
  EXPECT_EQ(run({verb::go, west}), "The oak door is locked.");
}

TEST_F(Rules, ContainersHideTheirContentsUntilOpened) {
  EXPECT_EQ(run({verb::take, apple}), "You can't see any such thing here.");
  EXPECT_EQ(run({verb::take_from, apple, chest}), "The iron chest is closed.");
  EXPECT_EQ(run({verb::open, chest}), "You open the iron chest. Inside you find a red apple.");
  EXPECT_EQ(run({verb::take, apple}), "The red apple is in the iron chest; take it from there.");
  EXPECT_EQ(run({verb::take_from, apple, chest}), "You take the red apple from the iron chest.");
  EXPECT_EQ(run({verb::take_from, apple, chest}), "You already have the red apple.");
  EXPECT_EQ(run({verb::take_from, cup, chest}), "You already have the blue cup.");
  EXPECT_EQ(run({verb::close, chest}), "You close the iron chest.");
  EXPECT_EQ(run({verb::insert_into, cup, chest}), "The iron chest is closed.");
  EXPECT_EQ(run({verb::open, chest}), "You open the iron chest. It is empty.");
  EXPECT_EQ(run({verb::insert_into, cup, chest}), "You put the blue cup into the iron chest.");
  EXPECT_EQ(run({verb::insert_into, cup, chest}), "You aren't holding the blue cup.");
  EXPECT_EQ(run({verb::insert_into, apple, table}), "You can't put things into or take things from the pine table.");
}

TEST_F(Rules, TakeDropPutEatAndFixedThings) {
  EXPECT_EQ(run({verb::take, table}), "The pine table is fixed in place.");
  EXPECT_EQ(run({verb::take, cup}), "You already have the blue cup.");
  EXPECT_EQ(run({verb::drop, cup}), "You drop the blue cup on the floor.");
  EXPECT_EQ(run({verb::drop, cup}), "You aren't holding the blue cup.");
  EXPECT_EQ(run({verb::take, cup}), "You pick up the blue cup.");
  EXPECT_EQ(run({verb::put_on, cup, chest}), "You can't put things on the iron chest.");
  EXPECT_EQ(run({verb::put_on, cup, table}), "You put the blue cup on the pine table.");
  EXPECT_EQ(run({verb::take_from, coin, table}), "There is no gold coin on the pine table.");
  EXPECT_EQ(run({verb::eat, cup}), "The blue cup is not something you can eat.");
  run({verb::open, chest});
  EXPECT_EQ(run({verb::eat, apple}), "You aren't holding the red apple.");
  run({verb::take_from, apple, chest});
  EXPECT_EQ(run({verb::eat, apple}), "You eat the red apple. It tastes good.");
  EXPECT_EQ(s.loc[apple].w, where::nowhere);
  EXPECT_EQ(run({verb::eat, apple}), "You can't see any such thing here.");
}

TEST_F(Rules, ExamineLookAndInventoryDescribeTheState) {
  EXPECT_EQ(run({verb::inventory}), "You are carrying a blue cup.");
  EXPECT_EQ(run({verb::examine, chest}), "A iron chest. It is closed.");
  std::string room = run({verb::look});
  EXPECT_NE(room.find("-= hall =-"), std::string::npos);
  EXPECT_NE(room.find("There is a closed iron chest here."), std::string::npos) << room;
  EXPECT_NE(room.find("You notice a pine table, and on it an oak key."), std::string::npos) << room;
  EXPECT_NE(room.find("On the floor lies an iron key."), std::string::npos) << room;
  EXPECT_NE(room.find("A locked oak door leads east."), std::string::npos) << room;
  EXPECT_NE(room.find("An exit leads south."), std::string::npos) << room;
  EXPECT_EQ(run({verb::examine, coin}), "You can't see any such thing here.");
  run({verb::drop, cup});
  EXPECT_EQ(run({verb::inventory}), "You are carrying nothing.");
}

TEST_F(Rules, TheWalkthroughWins) {
  for (const act& a : g.walkthrough) {
    ASSERT_EQ(eng.check(s, a), failure::none) << eng.command(a);
    EXPECT_FALSE(eng.won(s));
    eng.apply(s, a);
  }
  EXPECT_TRUE(eng.won(s));
}

// Every action in the space of verbs x things, for a state.
std::vector<act> all_actions(const game& g) {
  std::vector<act> out;
  const auto n = static_cast<int16_t>(g.entities.size());
  out.push_back({verb::look});
  out.push_back({verb::inventory});
  out.push_back({verb::prepare});
  for (int16_t d = 0; d < 4; ++d) out.push_back({verb::go, d});
  for (int16_t a = 0; a < n; ++a) {
    for (verb v : {verb::open, verb::close, verb::take, verb::drop, verb::eat, verb::examine}) out.push_back({v, a});
    for (int16_t b = 0; b < n; ++b)
      for (verb v : {verb::unlock, verb::lock, verb::take_from, verb::put_on, verb::insert_into, verb::cook, verb::slice})
        out.push_back({v, a, b});
  }
  return out;
}

// Admissible commands are exactly the actions the engine accepts, in every state reached by
// random play, for every family.
TEST(Admissible, ExactlyTheAcceptedActionsAlongRandomPlay) {
  for (const char* family : {"custom", "coin", "cooking"}) {
    for (uint64_t seed = 0; seed < 25; ++seed) {
      options opt;
      opt.family = family;
      opt.rooms = 4;
      opt.objects = 8;
      opt.quest_length = family == std::string("coin") ? 3 : 4;
      auto g = generate(opt, seed);
      ASSERT_TRUE(g) << g.error().message;
      engine eng(*g);
      state s = g->initial;
      const std::vector<act> space = all_actions(*g);
      core::pcg32 rng(seed);
      std::vector<act> adm;
      for (int step = 0; step < 30; ++step) {
        eng.admissible(s, adm);
        std::set<std::string> admissible_cmds, accepted_cmds;
        for (const act& a : adm) admissible_cmds.insert(eng.command(a));
        for (const act& a : space)
          if (eng.check(s, a) == failure::none) accepted_cmds.insert(eng.command(a));
        ASSERT_EQ(admissible_cmds, accepted_cmds) << family << " seed " << seed << " step " << step;
        ASSERT_EQ(admissible_cmds.size(), adm.size()) << "duplicate admissible commands";
        eng.apply(s, adm[rng.below(static_cast<uint32_t>(adm.size()))]);
      }
    }
  }
}

}  // namespace
}  // namespace lantern::envs::textworld
