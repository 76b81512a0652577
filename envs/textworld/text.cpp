// The words of the engine: feedback lines, room and inventory descriptions, and the parser.
#include <algorithm>
#include <cctype>

#include "envs/textworld/engine.hpp"

namespace lantern::envs::textworld {
namespace {

void join_names(const std::vector<std::string>& names, std::string& out) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
}

const char* openness_word(uint8_t f) { return f == is_open ? "open" : f == is_closed ? "closed" : "locked"; }

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '\'') {
      w += static_cast<char>(std::tolower(u));
    } else if (!w.empty()) {
      words.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  words.erase(std::remove_if(words.begin(), words.end(),
                             [](const std::string& x) { return x == "the" || x == "a" || x == "an" || x == "some"; }),
              words.end());
  return words;
}

int direction(const std::string& w) {
  if (w == "north" || w == "n") return north;
  if (w == "east" || w == "e") return east;
  if (w == "south" || w == "s") return south;
  if (w == "west" || w == "w") return west;
  return -1;
}

// Splits words at the first of `seps`; returns the position or npos.
size_t split_at(const std::vector<std::string>& w, std::initializer_list<const char*> seps, size_t from = 1) {
  for (size_t i = from; i < w.size(); ++i)
    for (const char* s : seps)
      if (w[i] == s) return i;
  return std::string::npos;
}

std::vector<std::string> slice(const std::vector<std::string>& w, size_t b, size_t e) {
  e = std::min(e, w.size());
  return b < e ? std::vector<std::string>(w.begin() + static_cast<long>(b), w.begin() + static_cast<long>(e))
               : std::vector<std::string>{};
}

}  // namespace

void engine::list_contents(const state& s, place p, std::string& out) const {
  std::vector<std::string> names;
  for (size_t e = 0; e < s.loc.size(); ++e)
    if (s.loc[e] == p) names.push_back(with_article(g_->entities[e].name));
  join_names(names, out);
}

void engine::describe_room(const state& s, std::string& out) const {
  const room& r = g_->rooms[static_cast<size_t>(s.room)];
  out += "-= ";
  out += r.name;
  out += " =-\n";
  out += r.intro;
  const place here = place::room(s.room);
  std::vector<std::string> floor;
  for (size_t e = 0; e < s.loc.size(); ++e) {
    if (s.loc[e] != here) continue;
    const entity& x = g_->entities[e];
    if (x.k == kind::door) continue;  // doors are told with the exits
    const auto id = static_cast<int>(e);
    switch (x.k) {
      case kind::container:
        out += " There is ";
        out += with_article(std::string(openness_word(s.flags[e])) + " " + x.name);
        out += " here";
        if (s.flags[e] == is_open) {
          size_t mark = out.size();
          out += ", holding ";
          list_contents(s, place::in(id), out);
          if (out.size() == mark + 10) out.replace(mark, 10, "; it is empty");
        }
        out += '.';
        break;
      case kind::supporter:
      case kind::cooker: {
        out += " You notice ";
        out += with_article(x.name);
        size_t mark = out.size();
        out += ", and on it ";
        list_contents(s, place::on(id), out);
        if (out.size() == mark + 12) out.resize(mark);
        out += '.';
        break;
      }
      default: floor.push_back(with_article(x.name));
    }
  }
  if (!floor.empty()) {
    out += " On the floor lies ";
    join_names(floor, out);
    out += '.';
  }
  for (int d = 0; d < 4; ++d) {
    if (r.exit[static_cast<size_t>(d)] < 0) continue;
    int door = r.door[static_cast<size_t>(d)];
    if (door < 0) {
      out += " An exit leads ";
    } else {
      out += " ";
      std::string desc = with_article(std::string(openness_word(s.flags[static_cast<size_t>(door)])) + " " + ent(door).name);
      desc[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(desc[0])));
      out += desc;
      out += " leads ";
    }
    out += dir_name(d);
    out += '.';
  }
}

void engine::describe_inventory(const state& s, std::string& out) const {
  size_t mark = out.size();
  out += "You are carrying ";
  list_contents(s, place::held(), out);
  if (out.size() == mark + 17) out += "nothing";
  out += '.';
}

void engine::describe_thing(const state& s, int e, std::string& out) const {
  const entity& x = ent(e);
  out += x.description;
  const auto i = static_cast<size_t>(e);
  if (is_openable(x.k)) {
    out += " It is ";
    out += openness_word(s.flags[i]);
    out += '.';
  }
  if ((x.k == kind::container && s.flags[i] == is_open) || x.k == kind::supporter || x.k == kind::cooker) {
    size_t mark = out.size();
    out += x.k == kind::container ? " Inside you see " : " On it you see ";
    size_t len = out.size();
    list_contents(s, x.k == kind::container ? place::in(e) : place::on(e), out);
    if (out.size() == len) out.resize(mark);
    else out += '.';
  }
  if (x.k == kind::food) {
    if (s.flags[i] & burned) out += " It is burned.";
    else if (s.flags[i] & cooked) out += " It is cooked.";
    if (s.flags[i] & sliced) out += " It is sliced.";
  }
}

void engine::feedback(const state& after, const act& a, failure f, std::string& out) const {
  auto T = [&](int e) { return the(e); };
  auto cap = [](std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  };
  if (f == failure::none) {
    switch (a.v) {
      case verb::look: describe_room(after, out); return;
      case verb::inventory: describe_inventory(after, out); return;
      case verb::examine: describe_thing(after, a.a, out); return;
      case verb::go:
        out += "You go ";
        out += dir_name(a.a);
        out += " into the " + g_->rooms[static_cast<size_t>(after.room)].name + ".";
        return;
      case verb::open: {
        out += "You open " + T(a.a) + ".";
        if (ent(a.a).k == kind::container) {
          size_t len = out.size();
          out += " Inside you find ";
          size_t mark = out.size();
          list_contents(after, place::in(a.a), out);
          if (out.size() == mark) {
            out.resize(len);
            out += " It is empty.";
          } else {
            out += '.';
          }
        }
        return;
      }
      case verb::close: out += "You close " + T(a.a) + "."; return;
      case verb::unlock: out += "You unlock " + T(a.a) + " with " + T(a.b) + "."; return;
      case verb::lock: out += "You lock " + T(a.a) + " with " + T(a.b) + "."; return;
      case verb::take: out += "You pick up " + T(a.a) + "."; return;
      case verb::take_from: out += "You take " + T(a.a) + " from " + T(a.b) + "."; return;
      case verb::drop: out += "You drop " + T(a.a) + " on the floor."; return;
      case verb::put_on: out += "You put " + T(a.a) + " on " + T(a.b) + "."; return;
      case verb::insert_into: out += "You put " + T(a.a) + " into " + T(a.b) + "."; return;
      case verb::eat: out += "You eat " + T(a.a) + ". It tastes good."; return;
      case verb::cook:
        if (after.flags[static_cast<size_t>(a.a)] & burned) out += "You cook " + T(a.a) + " a second time and burn it.";
        else out += "You cook " + T(a.a) + " on " + T(a.b) + ".";
        return;
      case verb::slice: out += "You slice " + T(a.a) + " with " + T(a.b) + "."; return;
      case verb::prepare: out += "You combine the ingredients and prepare " + T(g_->meal) + "."; return;
    }
    return;
  }
  const int door = a.v == verb::go && a.a >= 0 && a.a < 4 ? g_->rooms[static_cast<size_t>(after.room)].door[static_cast<size_t>(a.a)] : -1;
  const place p = a.a >= 0 && a.v != verb::go && static_cast<size_t>(a.a) < after.loc.size() ? after.loc[static_cast<size_t>(a.a)] : place{};
  switch (f) {
    case failure::none: return;
    case failure::not_visible: out += "You can't see any such thing here."; return;
    case failure::no_exit: out += "You can't go that way."; return;
    case failure::door_closed: out += cap(T(door)) + " is closed."; return;
    case failure::door_locked: out += cap(T(door)) + " is locked."; return;
    case failure::not_openable: out += cap(T(a.a)) + " can't be opened or closed."; return;
    case failure::locked: out += cap(T(a.a)) + " is locked."; return;
    case failure::already_open: out += cap(T(a.a)) + " is already open."; return;
    case failure::already_closed: out += cap(T(a.a)) + " is already closed."; return;
    case failure::not_locked: out += cap(T(a.a)) + " isn't locked."; return;
    case failure::already_locked: out += cap(T(a.a)) + " is already locked."; return;
    case failure::close_first: out += "You need to close " + T(a.a) + " first."; return;
    case failure::no_key: out += "You aren't holding " + T(a.b) + "."; return;
    case failure::not_key: out += cap(T(a.b)) + " isn't a key."; return;
    case failure::wrong_key: out += cap(T(a.b)) + " doesn't fit the lock of " + T(a.a) + "."; return;
    case failure::fixed: out += cap(T(a.a)) + " is fixed in place."; return;
    case failure::already_held: out += "You already have " + T(a.a) + "."; return;
    case failure::not_held: out += "You aren't holding " + T(a.a) + "."; return;
    case failure::elsewhere:
      out += cap(T(a.a)) + (p.w == where::in ? " is in " : " is on ") + T(p.id) + "; take it from there.";
      return;
    case failure::not_there:
      out += "There is no " + ent(a.a).name + (ent(a.b).k == kind::container ? " in " : " on ") + T(a.b) + ".";
      return;
    case failure::container_closed: out += cap(T(a.b)) + " is closed."; return;
    case failure::not_container: out += "You can't put things into or take things from " + T(a.b) + "."; return;
    case failure::not_supporter: out += "You can't put things on " + T(a.b) + "."; return;
    case failure::not_edible: out += cap(T(a.a)) + " is not something you can eat."; return;
    case failure::not_cooker: out += "You can't cook with " + T(a.b) + "."; return;
    case failure::not_food: out += "You can only cook or slice food."; return;
    case failure::no_knife: out += "You aren't holding " + T(a.b) + "."; return;
    case failure::not_knife: out += cap(T(a.b)) + " can't slice anything."; return;
    case failure::already_sliced: out += cap(T(a.a)) + " is already sliced."; return;
    case failure::not_kitchen:
      out += g_->meal < 0 ? "There is no meal to prepare here." : "You can only prepare a meal in the " +
                                                                       g_->rooms[static_cast<size_t>(g_->kitchen)].name + ".";
      return;
    case failure::already_prepared: out += "The meal is already prepared."; return;
    case failure::missing_ingredients: out += "You don't have everything the recipe needs yet."; return;
  }
}

int engine::resolve(const state& s, const std::vector<std::string>& words, std::string& message, int within) const {
  if (words.empty()) {
    message = "You need to say what.";
    return -1;
  }
  std::string phrase;
  for (const auto& w : words) phrase += (phrase.empty() ? "" : " ") + w;
  std::vector<int> matches;
  const int n = static_cast<int>(g_->entities.size());
  for (int e = 0; e < n; ++e) {
    bool in_scope = visible(s, e);
    if (!in_scope && within >= 0) {
      const place& p = s.loc[static_cast<size_t>(e)];
      in_scope = (p.w == where::in || p.w == where::on) && p.id == within;
    }
    if (!in_scope) continue;
    const entity& x = ent(e);
    if (x.name == phrase) return e;  // an exact name wins over partial matches
    bool all = std::all_of(words.begin(), words.end(), [&](const std::string& w) {
      return std::find(x.words.begin(), x.words.end(), w) != x.words.end();
    });
    if (all) matches.push_back(e);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    message = "You can't see any such thing here.";
    return -1;
  }
  message = "Which do you mean,";
  for (size_t i = 0; i < matches.size(); ++i)
    message += std::string(i == 0 ? " " : i + 1 == matches.size() ? " or " : ", ") + the(matches[i]);
  message += "?";
  return -1;
}

parsed engine::parse(const state& s, std::string_view text) const {
  parsed r;
  std::vector<std::string> w = tokenize(text);
  if (w.empty()) {
    r.message = "Please type a command.";
    return r;
  }
  auto done = [&](verb v, int a = -1, int b = -1) {
    r.ok = true;
    r.a = act{v, static_cast<int16_t>(a), static_cast<int16_t>(b)};
    return r;
  };
  auto one = [&](verb v, size_t from) {
    int x = resolve(s, slice(w, from, w.size()), r.message);
    return x < 0 ? r : done(v, x);
  };
  // verb OBJ <sep> OBJ2; with `within`, OBJ is looked for inside OBJ2 as well.
  auto two = [&](verb v, size_t from, std::initializer_list<const char*> seps, bool within) {
    size_t k = split_at(w, seps, from);
    if (k == std::string::npos) {
      r.message = "That command needs two things: try '" + w[0] + " X " + *seps.begin() + " Y'.";
      return r;
    }
    int y = resolve(s, slice(w, k + 1, w.size()), r.message);
    if (y < 0) return r;
    int x = resolve(s, slice(w, from, k), r.message, within ? y : -1);
    return x < 0 ? r : done(v, x, y);
  };
  const std::string& v0 = w[0];
  if (w.size() == 1 && (v0 == "look" || v0 == "l")) return done(verb::look);
  if (w.size() == 1 && (v0 == "inventory" || v0 == "i" || v0 == "inv")) return done(verb::inventory);
  if (w.size() == 1 && direction(v0) >= 0) return done(verb::go, direction(v0));
  if ((v0 == "go" || v0 == "walk" || v0 == "run") && w.size() == 2 && direction(w[1]) >= 0)
    return done(verb::go, direction(w[1]));
  if (v0 == "go" || v0 == "walk" || v0 == "run") {
    r.message = "Which way? Try north, east, south or west.";
    return r;
  }
  if (v0 == "look" && w.size() > 1 && w[1] == "at") return one(verb::examine, 2);
  if (v0 == "examine" || v0 == "x" || v0 == "inspect" || v0 == "read" || v0 == "look") return one(verb::examine, 1);
  if (v0 == "open") return one(verb::open, 1);
  if (v0 == "close" || v0 == "shut") return one(verb::close, 1);
  if (v0 == "unlock") return two(verb::unlock, 1, {"with", "using"}, false);
  if (v0 == "lock") return two(verb::lock, 1, {"with", "using"}, false);
  if (v0 == "take" || v0 == "get" || v0 == "grab" || (v0 == "pick" && w.size() > 1 && w[1] == "up")) {
    size_t from = v0 == "pick" ? 2 : 1;
    if (split_at(w, {"from", "off", "out"}, from) != std::string::npos) {
      std::vector<std::string> ww;  // "out of" -> "from"
      for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] == "out" && i + 1 < w.size() && w[i + 1] == "of") {
          ww.push_back("from");
          ++i;
        } else {
          ww.push_back(w[i]);
        }
      }
      w.swap(ww);
      return two(verb::take_from, from, {"from", "off"}, true);
    }
    return one(verb::take, from);
  }
  if (v0 == "drop" || (v0 == "put" && w.size() > 1 && w[1] == "down" && split_at(w, {"on", "in", "into"}) == std::string::npos))
    return one(verb::drop, v0 == "drop" ? 1 : 2);
  if (v0 == "put" || v0 == "place" || v0 == "insert") {
    size_t k = split_at(w, {"on", "onto", "in", "into", "inside"});
    if (k != std::string::npos && (w[k] == "on" || w[k] == "onto") && v0 != "insert")
      return two(verb::put_on, 1, {"on", "onto"}, false);
    return two(verb::insert_into, 1, {"into", "in", "inside"}, false);
  }
  if (v0 == "eat") return one(verb::eat, 1);
  if (v0 == "cook" || v0 == "fry" || v0 == "roast" || v0 == "grill") return two(verb::cook, 1, {"with", "on", "in"}, false);
  if (v0 == "slice" || v0 == "cut" || v0 == "chop" || v0 == "dice") return two(verb::slice, 1, {"with", "using"}, false);
  if (v0 == "prepare" || v0 == "make") {
    if (w.size() == 2 && w[1] == "meal") return done(verb::prepare);
    r.message = "You can only prepare a meal: try 'prepare meal'.";
    return r;
  }
  r.message = "I don't understand '" + w[0] + "'. Try look, go, take, drop, open, close, unlock, lock, put, insert, eat or examine.";
  return r;
}

}  // namespace lantern::envs::textworld
