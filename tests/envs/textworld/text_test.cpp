// The parser and the text of the engine.
#include <gtest/gtest.h>

#include "core/rng.hpp"
#include "envs/textworld/engine.hpp"
#include "envs/textworld/generator.hpp"
#include "envs/textworld/textworld_env.hpp"
#include "envs/textworld/fixture.hpp"

namespace lantern::envs::textworld {
namespace {

using namespace testing;

class Parser : public two_rooms_test {
 protected:
  act parse_ok(const std::string& text) {
    parsed p = eng.parse(s, text);
    EXPECT_TRUE(p.ok) << text << ": " << p.message;
    return p.a;
  }
  std::string parse_fail(const std::string& text) {
    parsed p = eng.parse(s, text);
    EXPECT_FALSE(p.ok) << text;
    return p.message;
  }
};

TEST_F(Parser, VerbSynonymsAndArticles) {
  EXPECT_EQ(parse_ok("look"), (act{verb::look}));
  EXPECT_EQ(parse_ok("L"), (act{verb::look}));
  EXPECT_EQ(parse_ok("i"), (act{verb::inventory}));
  EXPECT_EQ(parse_ok("n"), (act{verb::go, north}));
  EXPECT_EQ(parse_ok("Go East"), (act{verb::go, east}));
  EXPECT_EQ(parse_ok("walk south"), (act{verb::go, south}));
  EXPECT_EQ(parse_ok("x the pine table"), (act{verb::examine, table}));
  EXPECT_EQ(parse_ok("look at table"), (act{verb::examine, table}));
  EXPECT_EQ(parse_ok("get the oak key from the pine table"), (act{verb::take_from, oak_key, table}));
  EXPECT_EQ(parse_ok("pick up iron key"), (act{verb::take, iron_key}));
  EXPECT_EQ(parse_ok("take oak key off table"), (act{verb::take_from, oak_key, table}));
  EXPECT_EQ(parse_ok("drop cup"), (act{verb::drop, cup}));
  EXPECT_EQ(parse_ok("put down the blue cup"), (act{verb::drop, cup}));
  EXPECT_EQ(parse_ok("put cup on table"), (act{verb::put_on, cup, table}));
  EXPECT_EQ(parse_ok("put cup in chest"), (act{verb::insert_into, cup, chest}));
  EXPECT_EQ(parse_ok("insert blue cup into iron chest"), (act{verb::insert_into, cup, chest}));
  EXPECT_EQ(parse_ok("unlock door with iron key"), (act{verb::unlock, oak_door, iron_key}));
  EXPECT_EQ(parse_ok("shut chest"), (act{verb::close, chest}));
}

TEST_F(Parser, AmbiguousAndUnknownNamesGetAMessage) {
  EXPECT_EQ(parse_fail("take key"), "Which do you mean, the oak key or the iron key?");
  EXPECT_EQ(parse_fail("take dragon"), "You can't see any such thing here.");
  EXPECT_EQ(parse_fail("take apple"), "You can't see any such thing here.");  // it is in the closed chest
  EXPECT_EQ(parse_fail("xyzzy"),
            "I don't understand 'xyzzy'. Try look, go, take, drop, open, close, unlock, lock, put, insert, eat or examine.");
  EXPECT_EQ(parse_fail(""), "Please type a command.");
  EXPECT_EQ(parse_fail("   ...  "), "Please type a command.");
  EXPECT_EQ(parse_fail("go up"), "Which way? Try north, east, south or west.");
  EXPECT_EQ(parse_fail("unlock door"), "That command needs two things: try 'unlock X with Y'.");
  EXPECT_EQ(parse_fail("open"), "You need to say what.");
}

TEST_F(Parser, PartialNameResolvesWhenUnique) {
  EXPECT_EQ(parse_ok("examine pine"), (act{verb::examine, table}));
  EXPECT_EQ(parse_ok("take iron key"), (act{verb::take, iron_key}));
  EXPECT_EQ(parse_ok("open chest"), (act{verb::open, chest}));
}

// Every admissible command string parses back to its own action, in every state reached.
TEST(ParserOnGeneratedGames, EveryAdmissibleCommandParsesToItsAction) {
  for (const char* family : {"custom", "coin", "cooking"}) {
    for (uint64_t seed = 0; seed < 40; ++seed) {
      options opt;
      opt.family = family;
      opt.objects = 15;
      auto g = generate(opt, seed);
      ASSERT_TRUE(g);
      engine eng(*g);
      state s = g->initial;
      core::pcg32 rng(seed);
      std::vector<act> adm;
      for (int step = 0; step < 40; ++step) {
        eng.admissible(s, adm);
        for (const act& a : adm) {
          parsed p = eng.parse(s, eng.command(a));
          ASSERT_TRUE(p.ok) << eng.command(a) << ": " << p.message;
          ASSERT_EQ(p.a, a) << eng.command(a) << " parsed as " << eng.command(p.a);
        }
        eng.apply(s, adm[rng.below(static_cast<uint32_t>(adm.size()))]);
      }
    }
  }
}

// Random bytes never crash the parser or the env; every answer is a non-empty message and an
// unparsed command changes nothing.
TEST(ParserFuzz, RandomBytesGetAMessageNeverACrash) {
  core::schema schema;
  textworld_env::add_options(schema, "env.textworld");
  auto cfg = core::config::load(schema, "", {"env.textworld.family=cooking", "env.textworld.max_steps=1000000"});
  ASSERT_TRUE(cfg);
  auto env = textworld_env::create(core::config_view(*cfg, "env.textworld"));
  ASSERT_TRUE(env);
  auto& tw = dynamic_cast<textworld_env&>(*env.value());
  core::obs_batch batch(tw.spec().layout, 1);
  tw.reset(3, slot(batch, 0));
  core::pcg32 rng(99);
  const std::vector<std::string> words = {"take", "open", "the", "key", "from", "with", "into", "on", "n", "fridge",
                                          "put", "eat", "counter", "knife", "slice", "cook", "meal", "prepare"};
  std::string text;
  for (int i = 0; i < 100000; ++i) {
    text.clear();
    if (i % 2 == 0) {
      size_t len = rng.below(40);
      for (size_t k = 0; k < len; ++k) text += static_cast<char>(rng.below(256));
    } else {  // word salad from the game's own vocabulary reaches deeper into the parser
      for (size_t k = rng.below(6); k > 0; --k) text += core::pick(words, rng) + " ";
    }
    state before = tw.now();
    parsed p = tw.rules().parse(before, text);
    if (!p.ok) {
      ASSERT_FALSE(p.message.empty());
    }
    tw.step(action::say(text), slot(batch, 0));
    ASSERT_FALSE(batch.caption[0].empty()) << "input: " << text;
    if (!p.ok) {
      ASSERT_TRUE(tw.now() == before);
    }
    if (batch.terminated[0]) tw.reset(static_cast<uint64_t>(i), slot(batch, 0));
  }
}

}  // namespace
}  // namespace lantern::envs::textworld
