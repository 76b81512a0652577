// envs/nethack/status.hpp: NetHack's two bottom lines parsed into numbers. Parsing never
// guesses: a line that does not parse is an error that quotes the line.
//
//   status st;
//   auto ok = parse_status("Agent the Stripling  St:17 Dx:14 Co:18 In:8 Wi:9 Ch:7 Neutral",
//                          "Dlvl:1 $:0 HP:16(16) Pw:2(2) AC:6 Xp:1/0 T:1", st);
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace lantern::envs::nethack {

/// Hunger states, numbered as NetHack numbers them (Not hungry shows no word).
enum hunger_state : int { satiated = 0, not_hungry = 1, hungry = 2, weak = 3, fainting = 4, fainted = 5, starved = 6 };

/// Condition bits (the words of the second line after hunger and encumbrance).
enum condition_bit : uint32_t {
  cond_stone = 1u << 0, cond_slime = 1u << 1, cond_strangled = 1u << 2, cond_food_poisoned = 1u << 3,
  cond_terminally_ill = 1u << 4, cond_blind = 1u << 5, cond_deaf = 1u << 6, cond_stunned = 1u << 7,
  cond_confused = 1u << 8, cond_hallucinating = 1u << 9, cond_levitating = 1u << 10, cond_flying = 1u << 11,
  cond_riding = 1u << 12
};

/// What the bottom lines show.
struct status {
  std::string title;           ///< "Agent the Stripling"
  int strength = 0;            ///< 3..25 (18/xx shows as 18)
  int strength_percent = 0;    ///< the xx of 18/xx; 100 for 18/**
  int dexterity = 0, constitution = 0, intelligence = 0, wisdom = 0, charisma = 0;
  int alignment = 0;           ///< -1 chaotic, 0 neutral, 1 lawful
  int dlvl = 0;                ///< dungeon level (0 on special planes)
  std::string place;           ///< "Dlvl", "Home", "Fort Ludios", "Astral Plane", ...
  long gold = 0;
  int hp = 0, hp_max = 0, pw = 0, pw_max = 0, ac = 0;
  int xl = 0;                  ///< experience level (or hit dice when polymorphed)
  long exp = 0;                ///< experience points (showexp)
  long turn = 0;               ///< T: (time option)
  int hunger = not_hungry;
  int encumbrance = 0;         ///< 0 none, 1 Burdened ... 5 Overloaded
  uint32_t conditions = 0;     ///< condition_bit mask
};

/// Parses the two bottom lines (trailing spaces allowed).
core::status parse_status(const std::string& line1, const std::string& line2, status& out);

}  // namespace lantern::envs::nethack
