#include "envs/nethack/status.hpp"

#include <cstdlib>
#include <sstream>
#include <vector>

namespace lantern::envs::nethack {
namespace {

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Reads an integer from `s` at `pos` (optional '-'); advances pos; false if none.
bool read_int(const std::string& s, size_t& pos, long& out) {
  size_t start = pos;
  if (pos < s.size() && s[pos] == '-') ++pos;
  size_t digits = pos;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  if (pos == digits) {
    pos = start;
    return false;
  }
  out = std::strtol(s.c_str() + start, nullptr, 10);
  return true;
}

// "Key:value" with an integer value and nothing after it.
bool field(const std::string& w, const char* key, long& out) {
  const size_t k = std::char_traits<char>::length(key);
  if (w.compare(0, k, key) != 0) return false;
  size_t pos = k;
  return read_int(w, pos, out) && pos == w.size();
}

// "Key:value(max)".
bool field_max(const std::string& w, const char* key, long& v, long& max) {
  const size_t k = std::char_traits<char>::length(key);
  if (w.compare(0, k, key) != 0) return false;
  size_t pos = k;
  if (!read_int(w, pos, v) || pos >= w.size() || w[pos] != '(') return false;
  ++pos;
  if (!read_int(w, pos, max) || pos + 1 != w.size() || w[pos] != ')') return false;
  return true;
}

core::status fail(const std::string& line, const std::string& why) {
  return core::make_error(core::errc::parse, "status line does not parse (" + why + "): '" + line + "'");
}

}  // namespace

core::status parse_status(const std::string& line1, const std::string& line2, status& out) {
  // Line 1: "<title> St:18/05 Dx:14 Co:18 In:8 Wi:9 Ch:7 Neutral [S:123]"
  size_t st = line1.find("St:");
  if (st == std::string::npos) return fail(line1, "no St: field");
  out.title = line1.substr(0, st);
  while (!out.title.empty() && out.title.back() == ' ') out.title.pop_back();
  auto w1 = words(line1.substr(st));
  if (w1.size() < 7) return fail(line1, "expected St Dx Co In Wi Ch and an alignment");
  {
    size_t pos = 3;
    long v = 0;
    if (!read_int(w1[0], pos, v)) return fail(line1, "bad St");
    out.strength = static_cast<int>(v);
    out.strength_percent = 0;
    if (pos < w1[0].size()) {
      if (w1[0][pos] != '/') return fail(line1, "bad St");
      ++pos;
      if (w1[0].compare(pos, std::string::npos, "**") == 0) {
        out.strength_percent = 100;
      } else if (!read_int(w1[0], pos, v) || pos != w1[0].size()) {
        return fail(line1, "bad St");
      } else {
        out.strength_percent = static_cast<int>(v);
      }
    }
  }
  long v = 0;
  const char* keys[] = {"Dx:", "Co:", "In:", "Wi:", "Ch:"};
  int* dest[] = {&out.dexterity, &out.constitution, &out.intelligence, &out.wisdom, &out.charisma};
  for (int i = 0; i < 5; ++i) {
    if (!field(w1[static_cast<size_t>(i + 1)], keys[i], v)) return fail(line1, std::string("bad ") + keys[i]);
    *dest[i] = static_cast<int>(v);
  }
  const std::string& align = w1[6];
  if (align == "Lawful") out.alignment = 1;
  else if (align == "Neutral") out.alignment = 0;
  else if (align == "Chaotic") out.alignment = -1;
  else return fail(line1, "unknown alignment '" + align + "'");
  for (size_t i = 7; i < w1.size(); ++i)
    if (!field(w1[i], "S:", v)) return fail(line1, "unexpected '" + w1[i] + "'");

  // Line 2: "Dlvl:1 $:0 HP:16(16) Pw:2(2) AC:6 Xp:1/0 T:1 Hungry Burdened Conf"
  auto w2 = words(line2);
  size_t i = 0;
  if (w2.empty()) return fail(line2, "empty");
  if (field(w2[0], "Dlvl:", v)) {
    out.place = "Dlvl";
    out.dlvl = static_cast<int>(v);
    i = 1;
  } else if (w2[0] == "Home" && w2.size() > 1) {
    size_t pos = 0;
    if (!read_int(w2[1], pos, v)) return fail(line2, "bad Home level");
    out.place = "Home";
    out.dlvl = static_cast<int>(v);
    i = 2;
  } else {
    // Fort Ludios, End Game, Astral Plane, Earth/Air/Fire/Water Plane: words up to "$:".
    out.place.clear();
    while (i < w2.size() && w2[i].compare(0, 2, "$:") != 0) out.place += (out.place.empty() ? "" : " ") + w2[i++];
    out.dlvl = 0;
    if (out.place.empty()) return fail(line2, "no level");
  }
  auto need = [&](const char* what) { return fail(line2, std::string("expected ") + what); };
  if (i >= w2.size() || !field(w2[i++], "$:", out.gold)) return need("$:");
  long a = 0, b = 0;
  if (i >= w2.size() || !field_max(w2[i++], "HP:", a, b)) return need("HP:n(n)");
  out.hp = static_cast<int>(a);
  out.hp_max = static_cast<int>(b);
  if (i >= w2.size() || !field_max(w2[i++], "Pw:", a, b)) return need("Pw:n(n)");
  out.pw = static_cast<int>(a);
  out.pw_max = static_cast<int>(b);
  if (i >= w2.size() || !field(w2[i++], "AC:", v)) return need("AC:");
  out.ac = static_cast<int>(v);
  if (i >= w2.size()) return need("Xp:, Exp: or HD:");
  const std::string& xp = w2[i++];
  if (xp.compare(0, 3, "Xp:") == 0) {
    size_t pos = 3;
    if (!read_int(xp, pos, a)) return need("Xp:level/points");
    out.xl = static_cast<int>(a);
    out.exp = 0;
    if (pos < xp.size()) {
      if (xp[pos] != '/') return need("Xp:level/points");
      ++pos;
      if (!read_int(xp, pos, b) || pos != xp.size()) return need("Xp:level/points");
      out.exp = b;
    }
  } else if (field(xp, "Exp:", v) || field(xp, "HD:", v)) {
    out.xl = static_cast<int>(v);
  } else {
    return need("Xp:, Exp: or HD:");
  }
  out.turn = 0;
  if (i < w2.size() && field(w2[i], "T:", v)) {
    out.turn = v;
    ++i;
  }
  out.hunger = not_hungry;
  out.encumbrance = 0;
  out.conditions = 0;
  static const std::pair<const char*, int> hungers[] = {{"Satiated", satiated}, {"Hungry", hungry}, {"Weak", weak},
                                                        {"Fainting", fainting}, {"Fainted", fainted},
                                                        {"Starved", starved}};
  static const std::pair<const char*, int> burdens[] = {{"Burdened", 1}, {"Stressed", 2}, {"Strained", 3},
                                                        {"Overtaxed", 4}, {"Overloaded", 5}};
  static const std::pair<const char*, uint32_t> conds[] = {
      {"Stone", cond_stone}, {"Slime", cond_slime}, {"Strngl", cond_strangled}, {"FoodPois", cond_food_poisoned},
      {"TermIll", cond_terminally_ill}, {"Blind", cond_blind}, {"Deaf", cond_deaf}, {"Stun", cond_stunned},
      {"Conf", cond_confused}, {"Hallu", cond_hallucinating}, {"Lev", cond_levitating}, {"Fly", cond_flying},
      {"Ride", cond_riding}};
  for (; i < w2.size(); ++i) {
    const std::string& word = w2[i];
    bool known = false;
    for (const auto& [name, val] : hungers)
      if (word == name) {
        out.hunger = val;
        known = true;
      }
    for (const auto& [name, val] : burdens)
      if (word == name) {
        out.encumbrance = val;
        known = true;
      }
    for (const auto& [name, bit] : conds)
      if (word == name) {
        out.conditions |= bit;
        known = true;
      }
    if (!known) return fail(line2, "unknown word '" + word + "'");
  }
  return {};
}

}  // namespace lantern::envs::nethack
