#include "envs/vector_env.hpp"

#include <gtest/gtest.h>

#include "core/rng.hpp"

namespace lantern::envs {
namespace {

class VectorEnv : public ::testing::Test {
 protected:
  VectorEnv() {
    register_builtin_envs(reg);
    reg.add_options(schema);
  }
  vector_env make(const std::string& name, size_t n, uint64_t seed, std::vector<std::string> sets = {}) {
    auto cfg = core::config::load(schema, "", sets);
    EXPECT_TRUE(cfg);
    auto v = vector_env::create(reg, name, *cfg, n, seed);
    EXPECT_TRUE(v) << v.error().message;
    return std::move(v.value());
  }
  env_registry reg;
  core::schema schema;
};

TEST_F(VectorEnv, EachEnvHasItsOwnSeedAndEpisodesAreReproducible) {
  auto v = make("textworld", 4, 9);
  const auto& obs = v.reset();
  EXPECT_NE(obs.text[0], obs.text[1]);
  EXPECT_EQ(v.env_seed(2), core::derive_seed(9, 2));
  auto again = make("textworld", 4, 9);
  EXPECT_EQ(again.reset().text, obs.text);
}

TEST_F(VectorEnv, FinishedEpisodesResetAtOnceKeepingTheLastOutcome) {
  auto v = make("corridor", 2, 1, {"env.corridor.length=3", "env.corridor.max_steps=5"});
  v.reset();
  std::vector<episode_record> eps;
  for (int step = 0; step < 20; ++step) {
    const auto& obs = v.step(std::vector<int32_t>{1, 0});  // env 0 walks to the lamp, env 1 bumps the wall
    if (obs.terminated[0]) {
      EXPECT_EQ(obs.caption[0], "You reach the lamp at the end of the corridor.");
      EXPECT_EQ(obs.reward[0], 1.0f);
      EXPECT_EQ(obs.episode_step[0], 0);  // the slot already holds the next episode
      EXPECT_EQ(obs.text[0], "You stand in a long, dim corridor.");
    }
    for (auto& e : v.drain_finished()) eps.push_back(e);
  }
  ASSERT_FALSE(eps.empty());
  bool saw_win = false, saw_truncation = false;
  for (const auto& e : eps) {
    if (e.env == 0) {
      saw_win = true;
      EXPECT_TRUE(e.success);
      EXPECT_EQ(e.episode_return, 1.0f);
    } else {
      saw_truncation = true;
      EXPECT_TRUE(e.truncated);
      EXPECT_EQ(e.length, 5);
    }
  }
  EXPECT_TRUE(saw_win && saw_truncation);
  EXPECT_EQ(v.total_steps(), 40u);
}

TEST_F(VectorEnv, ATruncatedEpisodeKeepsItsFinalObservationForTheBootstrap) {
  auto v = make("corridor", 2, 1, {"env.corridor.length=3", "env.corridor.max_steps=5"});
  v.reset();
  for (int step = 0; step < 5; ++step) v.step(std::vector<int32_t>{0, 0});  // both bump the wall until cut
  const auto& obs = v.batch();
  ASSERT_TRUE(obs.truncated[1]);
  EXPECT_EQ(obs.text[1], "You stand in a long, dim corridor.") << "the slot holds the next episode";
  EXPECT_FLOAT_EQ(obs.array<float>(0, 1)[1], 0.0f);
  const auto& last = v.final_observations();
  EXPECT_EQ(last.text[1], "You bump into the wall.") << "what the cut episode saw last";
  EXPECT_FLOAT_EQ(last.array<float>(0, 1)[1], 1.0f) << "it had just bumped into the wall";
}

TEST_F(VectorEnv, EpisodeSeedsAdvanceSoEveryEpisodeDiffers) {
  auto v = make("textworld", 1, 3, {"env.textworld.max_steps=1"});
  std::string first = v.reset().text[0];
  v.step(std::vector<int32_t>{0});
  auto eps = v.drain_finished();
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].seed, core::derive_seed(core::derive_seed(3, 0), 0));
  EXPECT_NE(v.batch().text[0], first);
}

TEST_F(VectorEnv, WrongNumberOfActionsIsRefused) {
  auto v = make("corridor", 2, 1);
  v.reset();
  EXPECT_THROW(v.step(std::vector<int32_t>{1}), std::invalid_argument);
}

}  // namespace
}  // namespace lantern::envs
