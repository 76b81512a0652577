// envs/textworld/engine.hpp: the rules of a TextWorld-style game over a `state`: which actions
// are legal (with a specific reason when not), their effects, this step's admissible commands,
// the text the player reads, and a parser for free-typed commands. Pure functions of
// (game, state): the env, the generator and the quest tracker all share them.
//
//   engine eng(g);
//   state s = g.initial;
//   act a{verb::open, chest};
//   if (eng.check(s, a) == failure::none) eng.apply(s, a);
//   std::string cmd = eng.command(a);                 // "open wooden chest"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "envs/textworld/world.hpp"

namespace lantern::envs::textworld {

/// Why an action cannot be done: the first precondition that fails.
enum class failure : uint8_t {
  none, not_visible, no_exit, door_closed, door_locked, not_openable, locked, already_open, already_closed,
  not_locked, already_locked, close_first, no_key, not_key, wrong_key, fixed, already_held, not_held, elsewhere,
  not_there, container_closed, not_container, not_supporter, not_edible, not_cooker, not_food, no_knife,
  not_knife, already_sliced, not_kitchen, already_prepared, missing_ingredients
};

/// A parsed command: an action, or the message that explains why there is none.
struct parsed {
  bool ok = false;
  act a;
  std::string message;
};

class engine {
 public:
  explicit engine(const game& g) : g_(&g) {}
  const game& world() const noexcept { return *g_; }

  /// The first failing precondition of `a` in `s`, or failure::none.
  failure check(const state& s, const act& a) const;
  /// Applies a legal action (check(s, a) == none).
  void apply(state& s, const act& a) const;
  /// True when the action changes nothing whatever the state (look, examine, inventory).
  static bool is_observation(verb v) noexcept { return v == verb::look || v == verb::examine || v == verb::inventory; }

  bool visible(const state& s, int e) const;
  bool holds(const state& s, const fact& f) const;
  bool won(const state& s) const;

  /// Every legal action in `s` (TextWorld's admissible commands), sorted by command text.
  void admissible(const state& s, std::vector<act>& out) const;
  /// The command text of an action ("put red apple on wooden table").
  std::string command(const act& a) const;
  /// Parses free text in state `s` into an action (which may still fail check()).
  parsed parse(const state& s, std::string_view text) const;

  /// The line the player reads after trying `a`: success text computed from `after`, or the
  /// failure's message.
  void feedback(const state& after, const act& a, failure f, std::string& out) const;
  /// The room heading, intro, things and exits.
  void describe_room(const state& s, std::string& out) const;
  void describe_inventory(const state& s, std::string& out) const;
  void describe_thing(const state& s, int e, std::string& out) const;

 private:
  const entity& ent(int e) const { return g_->entities[static_cast<size_t>(e)]; }
  std::string the(int e) const { return "the " + ent(e).name; }
  void list_contents(const state& s, place p, std::string& out) const;
  int resolve(const state& s, const std::vector<std::string>& words, std::string& message, int within = -1) const;

  const game* g_;
};

/// "a wooden chest" / "an iron key".
std::string with_article(const std::string& name);

}  // namespace lantern::envs::textworld
