// envs/nethack/actions.hpp: NetHack's discrete action set, NLE-style. The "task" set is the 23
// actions NLE's tasks use (more, 8 moves, 8 far moves, up, down, wait, kick, eat, search) plus
// cast, quaff, pray, pick up and pay, as ONI trains with; "full" adds the item commands.
// No action sends a key that freezes or signals the terminal (^S, ^C, ^\, ^Z), and Enter is
// sent as CR, never ^J (which would be "rush south").
#pragma once

#include <string>
#include <vector>

namespace lantern::envs::nethack {

struct key_action {
  const char* name;
  std::string keys;
};

/// The action set by name ("task" or "full"); empty for an unknown name.
std::vector<key_action> action_set(const std::string& name);

/// Index of the "more" action (CR), which is special: on the map it is not sent at all.
constexpr int more_action = 0;

/// Removes bytes that must never reach the game (^S ^C ^\ ^Z) and turns LF into CR.
std::string safe_keys(const std::string& raw);

}  // namespace lantern::envs::nethack
