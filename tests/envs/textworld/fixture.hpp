// A hand-built game for rule tests: a hall with a table, a chest and a locked door east to a
// study (where the gold coin lies), and a cellar south of the hall.
#pragma once

#include <gtest/gtest.h>

#include <sstream>

#include "envs/textworld/engine.hpp"
#include "envs/textworld/world.hpp"

namespace lantern::envs::textworld::testing {

enum : int16_t { oak_door, oak_key, table, chest, apple, coin, iron_key, cup };

inline int16_t add(game& g, kind k, const std::string& adj, const std::string& noun, place p, uint8_t flags = 0) {
  entity e;
  e.k = k;
  e.adjective = adj;
  e.noun = noun;
  e.name = adj + " " + noun;
  e.description = "A " + e.name + ".";
  std::istringstream in(e.name);
  for (std::string w; in >> w;) e.words.push_back(w);
  e.edible = k == kind::food;
  g.entities.push_back(e);
  g.initial.loc.push_back(p);
  g.initial.flags.push_back(flags);
  return static_cast<int16_t>(g.entities.size() - 1);
}

inline game two_rooms() {
  game g;
  g.family = "fixture";
  g.rooms.resize(3);
  g.rooms[0].name = "hall";
  g.rooms[0].intro = "This is the hall.";
  g.rooms[1].name = "study";
  g.rooms[1].intro = "This is the study.";
  g.rooms[2].name = "cellar";
  g.rooms[2].intro = "This is the cellar.";
  g.rooms[0].exit[east] = 1;
  g.rooms[1].exit[west] = 0;
  g.rooms[0].exit[south] = 2;
  g.rooms[2].exit[north] = 0;
  add(g, kind::door, "oak", "door", place::room(0), is_locked);
  g.entities[oak_door].room_a = 0;
  g.entities[oak_door].room_b = 1;
  g.rooms[0].door[east] = oak_door;
  g.rooms[1].door[west] = oak_door;
  add(g, kind::key, "oak", "key", place::on(table));
  g.entities[oak_key].opens = oak_door;
  add(g, kind::supporter, "pine", "table", place::room(0));
  add(g, kind::container, "iron", "chest", place::room(0), is_closed);
  add(g, kind::food, "red", "apple", place::in(chest));
  add(g, kind::item, "gold", "coin", place::room(1));
  add(g, kind::key, "iron", "key", place::room(0));
  g.entities[iron_key].opens = chest;
  add(g, kind::item, "blue", "cup", place::held());
  g.win = {{fact_kind::held, coin}};
  g.score_events = g.win;
  g.walkthrough = {{verb::take_from, oak_key, table}, {verb::unlock, oak_door, oak_key}, {verb::open, oak_door},
                   {verb::go, east}, {verb::take, coin}};
  g.objective = "Take the gold coin.";
  return g;
}

/// A test fixture holding the two-rooms game, its engine and a state at the start.
class two_rooms_test : public ::testing::Test {
 protected:
  game g = two_rooms();
  engine eng{g};
  state s = g.initial;
};

}  // namespace lantern::envs::textworld::testing
