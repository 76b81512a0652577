#include "envs/textworld/engine.hpp"

#include <algorithm>
#include <cctype>

namespace lantern::envs::textworld {

const char* dir_name(int d) noexcept {
  static const char* names[] = {"north", "east", "south", "west"};
  return d >= 0 && d < 4 ? names[d] : "nowhere";
}

std::string with_article(const std::string& name) {
  if (name.empty()) return name;
  char c = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  return (vowel ? "an " : "a ") + name;
}

bool engine::visible(const state& s, int e) const {
  const entity& x = ent(e);
  if (x.k == kind::door) return x.room_a == s.room || x.room_b == s.room;
  const place& p = s.loc[static_cast<size_t>(e)];
  switch (p.w) {
    case where::room: return p.id == s.room;
    case where::held: return true;
    case where::in:
      return s.loc[static_cast<size_t>(p.id)] == place::room(s.room) && s.flags[static_cast<size_t>(p.id)] == is_open;
    case where::on: return s.loc[static_cast<size_t>(p.id)] == place::room(s.room);
    case where::nowhere: return false;
  }
  return false;
}

failure engine::check(const state& s, const act& a) const {
  auto held = [&](int e) { return s.loc[static_cast<size_t>(e)].w == where::held; };
  auto flag = [&](int e) { return s.flags[static_cast<size_t>(e)]; };
  switch (a.v) {
    case verb::look:
    case verb::inventory: return failure::none;
    case verb::go: {
      const room& r = g_->rooms[static_cast<size_t>(s.room)];
      if (a.a < 0 || a.a > 3 || r.exit[static_cast<size_t>(a.a)] < 0) return failure::no_exit;
      int d = r.door[static_cast<size_t>(a.a)];
      if (d >= 0 && flag(d) == is_locked) return failure::door_locked;
      if (d >= 0 && flag(d) == is_closed) return failure::door_closed;
      return failure::none;
    }
    case verb::open:
    case verb::close:
      if (!visible(s, a.a)) return failure::not_visible;
      if (!is_openable(ent(a.a).k)) return failure::not_openable;
      if (a.v == verb::open) {
        if (flag(a.a) == is_locked) return failure::locked;
        if (flag(a.a) == is_open) return failure::already_open;
      } else if (flag(a.a) != is_open) {
        return failure::already_closed;
      }
      return failure::none;
    case verb::unlock:
    case verb::lock:
      if (!visible(s, a.a)) return failure::not_visible;
      if (!is_openable(ent(a.a).k)) return failure::not_openable;
      if (!held(a.b)) return failure::no_key;
      if (ent(a.b).k != kind::key) return failure::not_key;
      if (a.v == verb::unlock && flag(a.a) != is_locked) return failure::not_locked;
      if (a.v == verb::lock && flag(a.a) == is_open) return failure::close_first;
      if (a.v == verb::lock && flag(a.a) == is_locked) return failure::already_locked;
      if (ent(a.b).opens != a.a) return failure::wrong_key;
      return failure::none;
    case verb::take: {
      if (!visible(s, a.a)) return failure::not_visible;
      if (!is_portable(ent(a.a).k)) return failure::fixed;
      const place& p = s.loc[static_cast<size_t>(a.a)];
      if (p.w == where::held) return failure::already_held;
      if (p.w != where::room) return failure::elsewhere;
      return failure::none;
    }
    case verb::take_from: {
      if (!visible(s, a.b)) return failure::not_visible;
      kind k = ent(a.b).k;
      if (k != kind::container && k != kind::supporter) return failure::not_container;
      if (k == kind::container && flag(a.b) != is_open) return failure::container_closed;
      if (held(a.a)) return failure::already_held;
      place want = k == kind::container ? place::in(a.b) : place::on(a.b);
      if (s.loc[static_cast<size_t>(a.a)] != want) return failure::not_there;
      return failure::none;
    }
    case verb::drop: return held(a.a) ? failure::none : failure::not_held;
    case verb::put_on:
      if (!held(a.a)) return failure::not_held;
      if (!visible(s, a.b)) return failure::not_visible;
      if (ent(a.b).k != kind::supporter) return failure::not_supporter;
      return failure::none;
    case verb::insert_into:
      if (!held(a.a)) return failure::not_held;
      if (!visible(s, a.b)) return failure::not_visible;
      if (ent(a.b).k != kind::container) return failure::not_container;
      if (flag(a.b) != is_open) return failure::container_closed;
      return failure::none;
    case verb::eat:
      if (!visible(s, a.a)) return failure::not_visible;
      if (!ent(a.a).edible) return failure::not_edible;
      if (!held(a.a)) return failure::not_held;
      return failure::none;
    case verb::examine: return visible(s, a.a) ? failure::none : failure::not_visible;
    case verb::cook:
      if (!visible(s, a.b)) return failure::not_visible;
      if (ent(a.b).k != kind::cooker) return failure::not_cooker;
      if (!held(a.a)) return failure::not_held;
      if (ent(a.a).k != kind::food) return failure::not_food;
      return failure::none;
    case verb::slice:
      if (!held(a.a)) return failure::not_held;
      if (ent(a.a).k != kind::food) return failure::not_food;
      if (!held(a.b)) return failure::no_knife;
      if (ent(a.b).k != kind::knife) return failure::not_knife;
      if (flag(a.a) & sliced) return failure::already_sliced;
      return failure::none;
    case verb::prepare: {
      if (g_->meal < 0 || s.room != g_->kitchen) return failure::not_kitchen;
      if (s.loc[static_cast<size_t>(g_->meal)].w != where::nowhere || (flag(g_->meal) & eaten))
        return failure::already_prepared;
      for (const auto& ing : g_->recipe) {
        uint8_t f = flag(ing.food);
        bool ok = held(ing.food) && !(f & burned) && ((f & cooked) != 0) == ing.cook && ((f & sliced) != 0) == ing.slice;
        if (!ok) return failure::missing_ingredients;
      }
      return failure::none;
    }
  }
  return failure::none;
}

void engine::apply(state& s, const act& a) const {
  auto& loc = s.loc;
  auto& flags = s.flags;
  auto at = [](int16_t e) { return static_cast<size_t>(e); };
  switch (a.v) {
    case verb::look:
    case verb::inventory:
    case verb::examine: return;
    case verb::go: s.room = g_->rooms[at(s.room)].exit[at(a.a)]; return;
    case verb::open: flags[at(a.a)] = is_open; return;
    case verb::close: flags[at(a.a)] = is_closed; return;
    case verb::unlock: flags[at(a.a)] = is_closed; return;
    case verb::lock: flags[at(a.a)] = is_locked; return;
    case verb::take:
    case verb::take_from: loc[at(a.a)] = place::held(); return;
    case verb::drop: loc[at(a.a)] = place::room(s.room); return;
    case verb::put_on: loc[at(a.a)] = place::on(a.b); return;
    case verb::insert_into: loc[at(a.a)] = place::in(a.b); return;
    case verb::eat:
      loc[at(a.a)] = place::nowhere();
      flags[at(a.a)] |= eaten;
      return;
    case verb::cook:
      // Cooking what is already cooked burns it (TextWorld's cooking rules).
      flags[at(a.a)] |= (flags[at(a.a)] & cooked) ? burned : cooked;
      return;
    case verb::slice: flags[at(a.a)] |= sliced; return;
    case verb::prepare:
      for (const auto& ing : g_->recipe) loc[at(ing.food)] = place::nowhere();
      loc[at(g_->meal)] = place::held();
      return;
  }
}

bool engine::holds(const state& s, const fact& f) const {
  const auto a = static_cast<size_t>(f.a);
  switch (f.k) {
    case fact_kind::held: return s.loc[a].w == where::held;
    case fact_kind::in: return s.loc[a] == place::in(f.b);
    case fact_kind::on: return s.loc[a] == place::on(f.b);
    case fact_kind::eaten: return (s.flags[a] & eaten) != 0;
    case fact_kind::cooked: return (s.flags[a] & cooked) != 0;
    case fact_kind::sliced: return (s.flags[a] & sliced) != 0;
    case fact_kind::at: return s.room == f.a;
  }
  return false;
}

bool engine::won(const state& s) const {
  for (const auto& f : g_->win)
    if (!holds(s, f)) return false;
  return !g_->win.empty();
}

void engine::admissible(const state& s, std::vector<act>& out) const {
  out.clear();
  out.push_back({verb::look});
  out.push_back({verb::inventory});
  const room& r = g_->rooms[static_cast<size_t>(s.room)];
  for (int d = 0; d < 4; ++d) {
    act go{verb::go, static_cast<int16_t>(d)};
    if (check(s, go) == failure::none) out.push_back(go);
  }
  // Things in scope: the room's doors, what is visible, and what is held (for keys and tools).
  std::vector<int16_t> scope, held;
  for (int d = 0; d < 4; ++d)
    if (r.door[static_cast<size_t>(d)] >= 0) scope.push_back(r.door[static_cast<size_t>(d)]);
  const int n = static_cast<int>(g_->entities.size());
  for (int e = 0; e < n; ++e) {
    if (ent(e).k == kind::door) continue;
    if (!visible(s, e)) continue;
    scope.push_back(static_cast<int16_t>(e));
    if (s.loc[static_cast<size_t>(e)].w == where::held) held.push_back(static_cast<int16_t>(e));
  }
  auto try_add = [&](act a) {
    if (check(s, a) == failure::none) out.push_back(a);
  };
  for (int16_t x : scope) {
    const kind k = ent(x).k;
    try_add({verb::examine, x});
    if (is_openable(k)) {
      try_add({verb::open, x});
      try_add({verb::close, x});
      for (int16_t key : held) {
        try_add({verb::unlock, x, key});
        try_add({verb::lock, x, key});
      }
    }
    if (k == kind::container || k == kind::supporter) {
      for (int e = 0; e < n; ++e) {
        const place& p = s.loc[static_cast<size_t>(e)];
        if ((p.w == where::in || p.w == where::on) && p.id == x) try_add({verb::take_from, static_cast<int16_t>(e), x});
      }
      for (int16_t h : held) try_add({k == kind::container ? verb::insert_into : verb::put_on, h, x});
    }
    if (k == kind::cooker)
      for (int16_t h : held) try_add({verb::cook, h, x});
    if (is_portable(k)) {
      try_add({verb::take, x});
      try_add({verb::drop, x});
      try_add({verb::eat, x});
      if (k == kind::food)
        for (int16_t h : held) try_add({verb::slice, x, h});
    }
  }
  try_add({verb::prepare});
  std::vector<std::pair<std::string, act>> keyed;
  keyed.reserve(out.size());
  for (const auto& a : out) keyed.emplace_back(command(a), a);
  std::sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  out.clear();
  for (auto& [text, a] : keyed) out.push_back(a);
}

std::string engine::command(const act& a) const {
  auto name = [&](int e) { return e >= 0 ? ent(e).name : std::string("?"); };
  switch (a.v) {
    case verb::look: return "look";
    case verb::inventory: return "inventory";
    case verb::go: return std::string("go ") + dir_name(a.a);
    case verb::open: return "open " + name(a.a);
    case verb::close: return "close " + name(a.a);
    case verb::unlock: return "unlock " + name(a.a) + " with " + name(a.b);
    case verb::lock: return "lock " + name(a.a) + " with " + name(a.b);
    case verb::take: return "take " + name(a.a);
    case verb::take_from: return "take " + name(a.a) + " from " + name(a.b);
    case verb::drop: return "drop " + name(a.a);
    case verb::put_on: return "put " + name(a.a) + " on " + name(a.b);
    case verb::insert_into: return "insert " + name(a.a) + " into " + name(a.b);
    case verb::eat: return "eat " + name(a.a);
    case verb::examine: return "examine " + name(a.a);
    case verb::cook: return "cook " + name(a.a) + " with " + name(a.b);
    case verb::slice: return "slice " + name(a.a) + " with " + name(a.b);
    case verb::prepare: return "prepare meal";
  }
  return "look";
}

}  // namespace lantern::envs::textworld
