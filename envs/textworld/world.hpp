// envs/textworld/world.hpp: the data of a TextWorld-style game. A `game` is the static world
// (rooms, exits, things and their names, key-lock pairs, recipe) plus the initial `state`, the
// quest (win facts, scoring events) and its walkthrough. A `state` is small and copyable:
// resetting an episode is one copy of game.initial.
//
//   const game& g = ...;                 // from generator.hpp
//   state s = g.initial;
//   s.loc[coin] == place::held();        // is the coin in the inventory?
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lantern::envs::textworld {

/// Entity kinds: fixed things (door, container, supporter, cooker) and portable ones.
enum class kind : uint8_t { door, container, supporter, cooker, item, key, food, knife, meal };

inline bool is_portable(kind k) noexcept {
  return k == kind::item || k == kind::key || k == kind::food || k == kind::knife || k == kind::meal;
}
inline bool is_openable(kind k) noexcept { return k == kind::door || k == kind::container; }

/// Compass directions; exits are north, east, south and west only (as in TextWorld).
enum dir : uint8_t { north = 0, east = 1, south = 2, west = 3 };
inline int opposite(int d) noexcept { return (d + 2) % 4; }
const char* dir_name(int d) noexcept;

/// Where a portable thing is (fixed things are always `room`).
enum class where : uint8_t { nowhere, room, held, in, on };

struct place {
  where w = where::nowhere;
  int16_t id = -1;  ///< the room (room), the container (in) or the supporter (on)

  static place nowhere() { return {where::nowhere, -1}; }
  static place held() { return {where::held, -1}; }
  static place room(int r) { return {where::room, static_cast<int16_t>(r)}; }
  static place in(int c) { return {where::in, static_cast<int16_t>(c)}; }
  static place on(int s) { return {where::on, static_cast<int16_t>(s)}; }
  bool operator==(const place& o) const noexcept { return w == o.w && id == o.id; }
  bool operator!=(const place& o) const noexcept { return !(*this == o); }
};

/// Door and container states: exactly one of open, closed, locked.
enum openness : uint8_t { is_open = 0, is_closed = 1, is_locked = 2 };

/// Food flags (bits).
enum food_flag : uint8_t { cooked = 1, sliced = 2, burned = 4, eaten = 8 };

struct entity {
  kind k = kind::item;
  std::string name;       ///< "rusty key": adjective + noun, unique within a game
  std::string adjective;
  std::string noun;
  std::string description;
  std::vector<std::string> words;  ///< name words, for the parser
  int16_t room_a = -1, room_b = -1;  ///< doors: the two rooms it joins
  int16_t opens = -1;                ///< keys: the door or container it locks and unlocks
  bool edible = false;
};

struct room {
  std::string name;
  std::string intro;
  std::array<int16_t, 4> exit{{-1, -1, -1, -1}};  ///< neighbouring room per direction
  std::array<int16_t, 4> door{{-1, -1, -1, -1}};  ///< door entity on that exit, or -1
};

/// Everything that changes while playing.
struct state {
  int16_t room = 0;             ///< the player's room
  std::vector<place> loc;       ///< per entity
  std::vector<uint8_t> flags;   ///< per entity: openness (doors, containers) or food_flag bits
  bool operator==(const state& o) const noexcept { return room == o.room && loc == o.loc && flags == o.flags; }
};

enum class verb : uint8_t {
  look, inventory, go, open, close, unlock, lock, take, take_from, drop, put_on, insert_into, eat, examine,
  cook, slice, prepare
};

/// One action: a verb with up to two entity ids (go: a is a direction).
struct act {
  verb v = verb::look;
  int16_t a = -1;
  int16_t b = -1;
  bool operator==(const act& o) const noexcept { return v == o.v && a == o.a && b == o.b; }
  bool operator!=(const act& o) const noexcept { return !(*this == o); }
};

/// A condition on a state; a quest is won when all its win facts hold.
enum class fact_kind : uint8_t { held, in, on, eaten, cooked, sliced, at };
struct fact {
  fact_kind k = fact_kind::held;
  int16_t a = -1;
  int16_t b = -1;
};

/// A recipe line of the cooking family.
struct ingredient {
  int16_t food = -1;
  bool cook = false;
  bool slice = false;
};

/// A generated game.
struct game {
  std::string family;
  std::string id;          ///< encodes family, knobs and seed
  uint64_t seed = 0;
  std::vector<room> rooms;
  std::vector<entity> entities;
  state initial;
  std::vector<fact> win;           ///< all must hold to win
  std::vector<fact> score_events;  ///< +1 point the first time each holds
  std::vector<act> walkthrough;    ///< a winning action sequence from `initial`
  int quest_steps = 0;             ///< actions of the quest itself (walkthrough minus walking)
  std::string objective;
  int16_t kitchen = -1;            ///< cooking family: where the meal is prepared
  std::vector<ingredient> recipe;  ///< cooking family
  int16_t meal = -1;               ///< cooking family: the meal entity
};

}  // namespace lantern::envs::textworld
