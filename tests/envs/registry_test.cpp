#include "envs/registry.hpp"

#include <gtest/gtest.h>

#include "envs/corridor/corridor_env.hpp"

namespace lantern::envs {
namespace {

TEST(Registry, BuiltinEnvsAreRegisteredWithTheirOptions) {
  env_registry reg;
  register_builtin_envs(reg);
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"corridor", "external", "nethack", "textworld"}));
  core::schema s;
  reg.add_options(s);
  EXPECT_NE(s.find("env.textworld.rooms"), nullptr);
  EXPECT_NE(s.find("env.corridor.length"), nullptr);
}

TEST(Registry, CreatesByNameFromTheConfigTable) {
  env_registry reg;
  register_builtin_envs(reg);
  core::schema s;
  reg.add_options(s);
  auto cfg = core::config::load(s, "", {"env.corridor.length=5"});
  ASSERT_TRUE(cfg);
  auto e = reg.create("corridor", *cfg);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e.value()->spec().name, "corridor");
  EXPECT_EQ(e.value()->spec().layout.num_actions, 2);
}

TEST(Registry, UnknownNameListsTheKnownOnes) {
  env_registry reg;
  register_builtin_envs(reg);
  core::schema s;
  auto cfg = core::config::load(s, "");
  auto e = reg.create("chess", *cfg);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, core::errc::not_found);
  EXPECT_EQ(e.error().message, "unknown environment 'chess' (known: corridor, external, nethack, textworld)");
}

TEST(Registry, TheCorridorExampleReachesTheLampByWalkingRight) {
  env_registry reg;
  reg.add<corridor_env>();  // the one registration line of docs/adding-an-environment.md
  core::schema s;
  reg.add_options(s);
  auto cfg = core::config::load(s, "", {"env.corridor.length=4"});
  auto e = reg.create("corridor", *cfg);
  ASSERT_TRUE(e);
  core::obs_batch b(e.value()->spec().layout, 1);
  e.value()->reset(0, slot(b, 0));
  int steps = 0;
  while (!b.terminated[0] && steps < 10) {
    e.value()->step(action::pick(1), slot(b, 0));
    ++steps;
  }
  EXPECT_TRUE(b.success[0]);
  EXPECT_EQ(b.caption[0], "You reach the lamp at the end of the corridor.");
  EXPECT_FLOAT_EQ(b.array<float>(0, 0)[0], 1.0f);
  EXPECT_LE(steps, 3);
}

}  // namespace
}  // namespace lantern::envs
