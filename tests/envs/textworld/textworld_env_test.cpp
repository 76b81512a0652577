#include "envs/textworld/textworld_env.hpp"

#include <gtest/gtest.h>

#include "core/rng.hpp"

namespace lantern::envs::textworld {
namespace {

class TextworldEnv : public ::testing::Test {
 protected:
  std::unique_ptr<textworld_env> make(std::vector<std::string> sets) {
    core::schema schema;
    textworld_env::add_options(schema, "env.textworld");
    auto cfg = core::config::load(schema, "", sets);
    EXPECT_TRUE(cfg) << cfg.error().message;
    auto e = textworld_env::create(core::config_view(*cfg, "env.textworld"));
    EXPECT_TRUE(e) << e.error().message;
    return std::unique_ptr<textworld_env>(dynamic_cast<textworld_env*>(e.value().release()));
  }
  core::obs_batch batch{core::obs_layout{{}, true, true, core::action_kind::text, 0}, 1};
  slot out{batch, 0};

  // Plays the game's walkthrough by command index; returns the rewards.
  std::vector<float> play_walkthrough(textworld_env& env) {
    std::vector<float> rewards;
    for (const act& a : env.current().walkthrough) {
      auto it = std::find(env.admissible().begin(), env.admissible().end(), a);
      EXPECT_NE(it, env.admissible().end()) << env.rules().command(a);
      env.step(action::pick(static_cast<int32_t>(it - env.admissible().begin())), out);
      rewards.push_back(batch.reward[0]);
    }
    return rewards;
  }
};

TEST_F(TextworldEnv, ResetShowsObjectiveRoomAndCommands) {
  auto env = make({});
  env->reset(5, out);
  EXPECT_EQ(batch.caption[0], env->current().objective);
  EXPECT_NE(batch.text[0].find("-= "), std::string::npos);
  EXPECT_EQ(batch.candidates[0], env->commands());
  EXPECT_TRUE(std::is_sorted(env->commands().begin(), env->commands().end()));
  EXPECT_EQ(batch.reward[0], 0.0f);
  EXPECT_FALSE(batch.terminated[0] || batch.truncated[0]);
}

TEST_F(TextworldEnv, SparseRewardPaysOnlyOnTheWinningStep) {
  auto env = make({"env.textworld.reward=sparse", "env.textworld.quest_length=4"});
  env->reset(11, out);
  auto r = play_walkthrough(*env);
  for (size_t i = 0; i + 1 < r.size(); ++i) EXPECT_EQ(r[i], 0.0f);
  EXPECT_EQ(r.back(), 1.0f);
  EXPECT_TRUE(batch.terminated[0]);
  EXPECT_TRUE(batch.success[0]);
  EXPECT_NE(batch.text[0].find("*** You won! ***"), std::string::npos);
}

TEST_F(TextworldEnv, DenseRewardPaysEveryUsefulStep) {
  auto env = make({"env.textworld.reward=dense", "env.textworld.quest_length=5"});
  env->reset(12, out);
  auto r = play_walkthrough(*env);
  for (float x : r) EXPECT_EQ(x, 1.0f);
}

TEST_F(TextworldEnv, ScoreRewardPaysEachSubGoalOfTheRecipe) {
  auto env = make({"env.textworld.reward=score", "env.textworld.family=cooking", "env.textworld.recipe=3"});
  env->reset(13, out);
  auto r = play_walkthrough(*env);
  float total = 0;
  for (float x : r) total += x;
  EXPECT_EQ(total, static_cast<float>(env->max_score()));
  EXPECT_EQ(batch.score[0], static_cast<float>(env->max_score()));
  EXPECT_GE(env->max_score(), 3 + 2);  // three ingredients, the meal made, the meal eaten
}

TEST_F(TextworldEnv, BurningAnIngredientLosesTheCookingGame) {
  auto env = make({"env.textworld.reward=dense", "env.textworld.family=cooking", "env.textworld.recipe=1",
                   "env.textworld.slice=false"});
  env->reset(14, out);
  // Follow the walkthrough up to the cooking step, then cook a second time.
  for (const act& a : env->current().walkthrough) {
    env->step(action::say(env->rules().command(a)), out);
    if (a.v == verb::cook) break;
  }
  ASSERT_FALSE(batch.terminated[0]);
  std::string cook_again;
  for (const auto& c : env->commands())
    if (c.rfind("cook ", 0) == 0) cook_again = c;
  ASSERT_FALSE(cook_again.empty());
  env->step(action::say(cook_again), out);
  EXPECT_NE(batch.caption[0].find("burn"), std::string::npos) << batch.caption[0];
  EXPECT_TRUE(batch.terminated[0]);
  EXPECT_FALSE(batch.success[0]);
  EXPECT_EQ(batch.reward[0], -1.0f);
  EXPECT_NE(batch.text[0].find("*** You lost! ***"), std::string::npos);
}

TEST_F(TextworldEnv, StepLimitTruncatesWithoutTerminating) {
  auto env = make({"env.textworld.max_steps=3"});
  env->reset(1, out);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(batch.truncated[0]);
    env->step(action::say("look"), out);
  }
  EXPECT_TRUE(batch.truncated[0]);
  EXPECT_FALSE(batch.terminated[0]);
}

TEST_F(TextworldEnv, AnIndexOutOfRangeIsRefusedWithAMessage) {
  auto env = make({});
  env->reset(1, out);
  state before = env->now();
  env->step(action::pick(9999), out);
  EXPECT_EQ(batch.caption[0], "That is not one of the commands on offer.");
  EXPECT_TRUE(env->now() == before);
}

TEST_F(TextworldEnv, SameSeedSameActionsSameText) {
  auto a = make({"env.textworld.family=cooking"}), b = make({"env.textworld.family=cooking"});
  core::obs_batch other(batch.layout(), 1);
  a->reset(77, out);
  b->reset(77, slot(other, 0));
  core::pcg32 ra(1), rb(1);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(batch.text[0], other.text[0]);
    ASSERT_EQ(batch.candidates[0], other.candidates[0]);
    if (batch.terminated[0] || batch.truncated[0]) break;
    a->step(action::pick(static_cast<int32_t>(ra.below(static_cast<uint32_t>(batch.candidates[0].size())))), out);
    b->step(action::pick(static_cast<int32_t>(rb.below(static_cast<uint32_t>(other.candidates[0].size())))),
            slot(other, 0));
  }
}

TEST_F(TextworldEnv, AFixedPoolReplaysTheSameGames) {
  auto env = make({"env.textworld.games=3"});
  env->reset(0, out);
  std::string first = env->current().id;
  env->reset(3, out);
  EXPECT_EQ(env->current().id, first);
  env->reset(1, out);
  EXPECT_NE(env->current().id, first);
}

TEST_F(TextworldEnv, BadKnobCombinationNamesKeyAndSource) {
  core::schema schema;
  textworld_env::add_options(schema, "env.textworld");
  auto cfg = core::config::parse(schema, "[env.textworld]\nquest_length = 50\n", "tw.toml");
  ASSERT_TRUE(cfg);  // 50 is fine for the coin family...
  auto e = textworld_env::create(core::config_view(*cfg, "env.textworld"));
  ASSERT_FALSE(e);  // ...but not for custom quests
  EXPECT_EQ(e.error().message, "tw.toml: key 'env.textworld.quest_length': must be between 1 and 30 for family custom");
}

}  // namespace
}  // namespace lantern::envs::textworld
