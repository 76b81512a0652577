// envs/textworld/generator.hpp: seeded generation of TextWorld-style games. Three families:
//   custom  - a random map and a quest built by backward chaining (length and breadth knobs),
//             like `tw-make custom`;
//   coin    - a coin-collector-like chain of rooms with dead ends and a coin at the far end;
//   cooking - a kitchen, a recipe of ingredients to gather, slice and cook, a meal to prepare
//             and eat.
// Every game is verified before it is returned: its walkthrough is replayed and must win.
// The same options and seed give a byte-identical game on every compiler (core/rng.hpp).
//
//   textworld::options opt;  opt.family = "custom";  opt.quest_length = 4;
//   auto g = textworld::generate(opt, /*seed=*/42);   // core::result<game>
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "envs/textworld/world.hpp"

namespace lantern::envs::textworld {

struct options {
  std::string family = "custom";  ///< custom | coin | cooking
  int rooms = 5;                  ///< custom, cooking: rooms in the world
  int objects = 10;               ///< custom, cooking: things in the world (quest + distractors)
  int quest_length = 3;           ///< custom: causal actions per sub-quest; coin: rooms to the coin
  int quest_breadth = 1;          ///< custom: independent sub-quests that must all be done
  double door_rate = 0.5;         ///< chance that a corridor which is the only way between two parts has a door
  bool dead_ends = true;          ///< coin: a dead-end room off each room of the chain
  int recipe = 3;                 ///< cooking: ingredients in the recipe
  bool cook = true;               ///< cooking: some ingredients must be cooked
  bool slice = true;              ///< cooking: some ingredients must be sliced
};

/// Checks the options (ranges and their combinations); the message names the knob.
core::status validate(const options& opt);

/// Generates one verified game.
core::result<game> generate(const options& opt, uint64_t seed);

}  // namespace lantern::envs::textworld
