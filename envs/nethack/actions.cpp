#include "envs/nethack/actions.hpp"

namespace lantern::envs::nethack {

std::vector<key_action> action_set(const std::string& name) {
  std::vector<key_action> a = {
      {"more", "\r"},
      {"north", "k"}, {"east", "l"}, {"south", "j"}, {"west", "h"},
      {"northeast", "u"}, {"southeast", "n"}, {"southwest", "b"}, {"northwest", "y"},
      {"far north", "K"}, {"far east", "L"}, {"far south", "J"}, {"far west", "H"},
      {"far northeast", "U"}, {"far southeast", "N"}, {"far southwest", "B"}, {"far northwest", "Y"},
      {"up", "<"}, {"down", ">"}, {"wait", "."},
      {"kick", "\x04"}, {"eat", "e"}, {"search", "s"},
      {"cast", "Z"}, {"quaff", "q"}, {"pray", "\xf0"}, {"pick up", ","}, {"pay", "p"},
  };
  if (name == "task") return a;
  if (name != "full") return {};
  std::vector<key_action> more = {
      {"open", "o"}, {"close", "c"}, {"apply", "a"}, {"read", "r"}, {"zap", "z"}, {"wear", "W"},
      {"wield", "w"}, {"throw", "t"}, {"fire", "f"}, {"take off", "T"}, {"put on", "P"}, {"remove", "R"},
      {"drop", "d"}, {"look here", ":"}, {"escape", "\x1b"}, {"yes", "y"}, {"no", "n"},
  };
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

std::string safe_keys(const std::string& raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == '\x13' || c == '\x03' || c == '\x1c' || c == '\x1a') continue;  // XOFF, SIGINT, SIGQUIT, SIGTSTP
    out += c == '\n' ? '\r' : c;
  }
  return out;
}

}  // namespace lantern::envs::nethack
