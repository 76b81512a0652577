#include "envs/textworld/generator.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <sstream>

#include "core/rng.hpp"
#include "envs/textworld/engine.hpp"
#include "envs/textworld/vocabulary.hpp"

namespace lantern::envs::textworld {
namespace {

constexpr int dx[4] = {0, 1, 0, -1};  // north, east, south, west on a grid whose y grows southwards
constexpr int dy[4] = {-1, 0, 1, 0};

class builder {
 public:
  builder(const options& opt, uint64_t seed, uint64_t attempt)
      : opt_(opt),
        map_rng_(core::derive_seed(core::derive_seed(seed, attempt), 1)),
        quest_rng_(core::derive_seed(core::derive_seed(seed, attempt), 2)),
        obj_rng_(core::derive_seed(core::derive_seed(seed, attempt), 3)),
        names_(core::derive_seed(core::derive_seed(seed, attempt), 4)) {}

  core::result<game> build();

 private:
  // --- world building -------------------------------------------------------------------
  int add_room(std::pair<int, int> cell, const std::string& name = {}) {
    room r;
    r.name = name.empty() ? names_.room_name() : names_.room_name(name);
    r.intro = names_.intro(r.name);
    g_.rooms.push_back(std::move(r));
    cells_[cell] = static_cast<int>(g_.rooms.size()) - 1;
    cell_of_.push_back(cell);
    return static_cast<int>(g_.rooms.size()) - 1;
  }
  void connect(int a, int b, int d) {
    g_.rooms[static_cast<size_t>(a)].exit[static_cast<size_t>(d)] = static_cast<int16_t>(b);
    g_.rooms[static_cast<size_t>(b)].exit[static_cast<size_t>(opposite(d))] = static_cast<int16_t>(a);
  }
  int add_entity(kind k, place p, uint8_t flags, std::pair<std::string, std::string> name) {
    entity e;
    e.k = k;
    e.adjective = std::move(name.first);
    e.noun = std::move(name.second);
    e.name = e.adjective.empty() ? e.noun : e.adjective + " " + e.noun;
    e.description = names_.describe(k, e.name);
    std::istringstream words(e.name);
    for (std::string w; words >> w;) e.words.push_back(w);
    e.edible = k == kind::food || k == kind::meal;
    g_.entities.push_back(std::move(e));
    g_.initial.loc.push_back(p);
    g_.initial.flags.push_back(flags);
    return static_cast<int>(g_.entities.size()) - 1;
  }
  int add_thing(kind k, place p, uint8_t flags = 0) { return add_entity(k, p, flags, names_.thing(k)); }
  int add_key_for(int lock, place p) {
    int k = add_entity(kind::key, p, 0, names_.key_for(g_.entities[static_cast<size_t>(lock)].adjective));
    g_.entities[static_cast<size_t>(k)].opens = static_cast<int16_t>(lock);
    return k;
  }
  entity& ent(int e) { return g_.entities[static_cast<size_t>(e)]; }

  void random_map(int n);
  void chain_map(int length, bool dead_ends);
  void add_doors();
  std::vector<std::pair<int, int>> bridges() const;
  int degree(int r) const {
    int d = 0;
    for (auto x : g_.rooms[static_cast<size_t>(r)].exit) d += x >= 0;
    return d;
  }

  // Rooms reachable from the start without crossing a door in `locked_`.
  std::vector<int> region(int skip_door = -1) const;
  int random_room(const std::vector<int>& rooms) { return core::pick(rooms, quest_rng_); }
  int supporter_in(const std::vector<int>& rooms);

  // --- quests ---------------------------------------------------------------------------
  bool holding(int o, int budget, std::vector<act>& out);
  void custom_quest();
  void coin_quest();
  void cooking_quest();
  void distractors(int count);
  bool assemble(const std::vector<act>& plan);
  bool navigate(state& s, const engine& eng, int target, std::vector<act>& out) const;
  int action_room(const state& s, const act& a) const;

  const options& opt_;
  core::pcg32 map_rng_, quest_rng_, obj_rng_;
  namer names_;
  game g_;
  std::map<std::pair<int, int>, int> cells_;
  std::vector<std::pair<int, int>> cell_of_;
  std::vector<int> locked_;  // doors the quest keeps locked, as of the point being generated
  std::vector<act> plan_;
  std::vector<std::string> goals_;
};

void builder::random_map(int n) {
  add_room({0, 0});
  for (int guard = 0; static_cast<int>(g_.rooms.size()) < n && guard < 100000; ++guard) {
    int r = static_cast<int>(map_rng_.below(static_cast<uint32_t>(g_.rooms.size())));
    int d = static_cast<int>(map_rng_.below(4));
    auto [x, y] = cell_of_[static_cast<size_t>(r)];
    std::pair<int, int> c{x + dx[d], y + dy[d]};
    auto it = cells_.find(c);
    if (it == cells_.end()) {
      connect(r, add_room(c), d);
    } else if (g_.rooms[static_cast<size_t>(r)].exit[static_cast<size_t>(d)] < 0 && map_rng_.chance(0.15)) {
      connect(r, it->second, d);  // a cycle, as TextWorld's random walk makes
    }
  }
}

void builder::chain_map(int length, bool dead_ends) {
  // A self-avoiding walk of length+1 rooms; restart on a dead end of the walk itself.
  for (int tries = 0;; ++tries) {
    g_.rooms.clear();
    cells_.clear();
    cell_of_.clear();
    names_ = namer(map_rng_.next());
    add_room({0, 0});
    int d = static_cast<int>(map_rng_.below(4));
    bool stuck = false;
    for (int i = 0; i < length && !stuck; ++i) {
      auto [x, y] = cell_of_.back();
      std::vector<int> free_dirs;
      for (int k = 0; k < 4; ++k)
        if (!cells_.count({x + dx[k], y + dy[k]})) free_dirs.push_back(k);
      if (free_dirs.empty()) {
        stuck = true;
        break;
      }
      bool keep = std::find(free_dirs.begin(), free_dirs.end(), d) != free_dirs.end() && map_rng_.chance(0.6);
      if (!keep) d = core::pick(free_dirs, map_rng_);
      int prev = static_cast<int>(g_.rooms.size()) - 1;
      connect(prev, add_room({x + dx[d], y + dy[d]}), d);
    }
    if (!stuck || tries > 50) break;
  }
  if (!dead_ends) return;
  const int chain = static_cast<int>(g_.rooms.size());
  for (int r = 0; r + 1 < chain; ++r) {
    auto [x, y] = cell_of_[static_cast<size_t>(r)];
    std::vector<int> free_dirs;
    for (int k = 0; k < 4; ++k)
      if (!cells_.count({x + dx[k], y + dy[k]})) free_dirs.push_back(k);
    if (free_dirs.empty()) continue;
    int k = core::pick(free_dirs, map_rng_);
    connect(r, add_room({x + dx[k], y + dy[k]}), k);
  }
}

std::vector<std::pair<int, int>> builder::bridges() const {
  // Tarjan's bridge finding over the room graph.
  const int n = static_cast<int>(g_.rooms.size());
  std::vector<int> disc(static_cast<size_t>(n), -1), low(static_cast<size_t>(n), 0);
  std::vector<std::pair<int, int>> out;
  int timer = 0;
  std::function<void(int, int)> dfs = [&](int u, int parent) {
    disc[static_cast<size_t>(u)] = low[static_cast<size_t>(u)] = timer++;
    for (int d = 0; d < 4; ++d) {
      int v = g_.rooms[static_cast<size_t>(u)].exit[static_cast<size_t>(d)];
      if (v < 0 || v == parent) continue;
      if (disc[static_cast<size_t>(v)] < 0) {
        dfs(v, u);
        low[static_cast<size_t>(u)] = std::min(low[static_cast<size_t>(u)], low[static_cast<size_t>(v)]);
        if (low[static_cast<size_t>(v)] > disc[static_cast<size_t>(u)]) out.emplace_back(u, d);
      } else {
        low[static_cast<size_t>(u)] = std::min(low[static_cast<size_t>(u)], disc[static_cast<size_t>(v)]);
      }
    }
  };
  dfs(0, -1);
  return out;
}

void builder::add_doors() {
  // Doors sit on corridors that are the only way between two parts of the map (as TextWorld
  // puts doors between articulation points), so that a locked one really blocks the way.
  for (auto [r, d] : bridges()) {
    int other = g_.rooms[static_cast<size_t>(r)].exit[static_cast<size_t>(d)];
    if (degree(r) < 2 || degree(other) < 2 || !map_rng_.chance(opt_.door_rate)) continue;
    int door = add_thing(kind::door, place::room(r), map_rng_.chance(0.5) ? is_open : is_closed);
    ent(door).room_a = static_cast<int16_t>(r);
    ent(door).room_b = static_cast<int16_t>(other);
    g_.rooms[static_cast<size_t>(r)].door[static_cast<size_t>(d)] = static_cast<int16_t>(door);
    g_.rooms[static_cast<size_t>(other)].door[static_cast<size_t>(opposite(d))] = static_cast<int16_t>(door);
  }
}

std::vector<int> builder::region(int skip_door) const {
  std::vector<char> seen(g_.rooms.size(), 0);
  std::vector<int> out{g_.initial.room};
  seen[static_cast<size_t>(g_.initial.room)] = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    const room& r = g_.rooms[static_cast<size_t>(out[i])];
    for (int d = 0; d < 4; ++d) {
      int v = r.exit[static_cast<size_t>(d)], door = r.door[static_cast<size_t>(d)];
      if (v < 0 || seen[static_cast<size_t>(v)]) continue;
      if (door >= 0 && (door == skip_door || std::count(locked_.begin(), locked_.end(), door))) continue;
      seen[static_cast<size_t>(v)] = 1;
      out.push_back(v);
    }
  }
  return out;
}

int builder::supporter_in(const std::vector<int>& rooms) {
  std::vector<int> existing;
  for (int e = 0; e < static_cast<int>(g_.entities.size()); ++e) {
    const place& p = g_.initial.loc[static_cast<size_t>(e)];
    if (ent(e).k == kind::supporter && p.w == where::room &&
        std::find(rooms.begin(), rooms.end(), p.id) != rooms.end())
      existing.push_back(e);
  }
  if (!existing.empty() && quest_rng_.chance(0.5)) return core::pick(existing, quest_rng_);
  return add_thing(kind::supporter, place::room(random_room(rooms)));
}

// Backward chaining: explains how `o` comes to be held using exactly `budget` causal actions
// (take, open, unlock, ...; walking is added later), creating the containers, keys and locks
// that the explanation needs. Forward actions are appended to `out`, explanations first.
// Feasible budgets: 1, 2, and 3 + any feasible budget (a lock and its key).
bool builder::holding(int o, int budget, std::vector<act>& out) {
  auto& loc = g_.initial.loc;
  const auto oi = static_cast<size_t>(o);
  const std::vector<int> here = region();
  if (budget == 1) {
    if (quest_rng_.chance(0.5)) {
      int s = supporter_in(here);
      loc[oi] = place::on(s);
      out.push_back({verb::take_from, static_cast<int16_t>(o), static_cast<int16_t>(s)});
    } else {
      loc[oi] = place::room(random_room(here));
      out.push_back({verb::take, static_cast<int16_t>(o)});
    }
    return true;
  }
  if (budget == 2) {
    int c = add_thing(kind::container, place::room(random_room(here)), is_closed);
    loc[oi] = place::in(c);
    out.push_back({verb::open, static_cast<int16_t>(c)});
    out.push_back({verb::take_from, static_cast<int16_t>(o), static_cast<int16_t>(c)});
    return true;
  }
  if (budget < 4 || (budget - 3) % 3 == 0) return false;
  // A lock: on a door that cuts off part of the reachable map (the object lies beyond it), or on
  // a container holding the object.
  std::vector<std::pair<int, std::vector<int>>> doors;  // door, rooms beyond it
  for (int e = 0; e < static_cast<int>(g_.entities.size()); ++e) {
    if (ent(e).k != kind::door || std::count(locked_.begin(), locked_.end(), e)) continue;
    std::vector<int> near = region(e), beyond;
    for (int r : here)
      if (std::find(near.begin(), near.end(), r) == near.end()) beyond.push_back(r);
    if (!beyond.empty()) doors.emplace_back(e, std::move(beyond));
  }
  if (!doors.empty() && quest_rng_.chance(0.5)) {
    const auto& [door, beyond] = doors[quest_rng_.below(static_cast<uint32_t>(doors.size()))];
    locked_.push_back(door);
    g_.initial.flags[static_cast<size_t>(door)] = is_locked;
    int key = add_key_for(door, place::nowhere());
    if (!holding(key, budget - 3, out)) return false;
    out.push_back({verb::unlock, static_cast<int16_t>(door), static_cast<int16_t>(key)});
    out.push_back({verb::open, static_cast<int16_t>(door)});
    loc[oi] = place::room(random_room(beyond));
    out.push_back({verb::take, static_cast<int16_t>(o)});
    return true;
  }
  int c = add_thing(kind::container, place::room(random_room(here)), is_locked);
  loc[oi] = place::in(c);
  int key = add_key_for(c, place::nowhere());
  if (!holding(key, budget - 3, out)) return false;
  out.push_back({verb::unlock, static_cast<int16_t>(c), static_cast<int16_t>(key)});
  out.push_back({verb::open, static_cast<int16_t>(c)});
  out.push_back({verb::take_from, static_cast<int16_t>(o), static_cast<int16_t>(c)});
  return true;
}

void builder::custom_quest() {
  // Sub-quests are chained from the last one executed to the first, so that each one only
  // relies on doors that are unlocked by the time it runs.
  std::vector<std::vector<act>> chains(static_cast<size_t>(opt_.quest_breadth));
  for (int q = opt_.quest_breadth - 1; q >= 0; --q) {
    const int len = opt_.quest_length;
    const std::vector<int> here = region();  // where the final action can happen
    std::vector<std::string> finals;
    if (len % 3 != 0) finals.push_back("take");
    if (len >= 2 && (len - 1) % 3 != 0) {
      finals.push_back("put");
      finals.push_back("insert");
      finals.push_back("eat");
    }
    const std::string final = core::pick(finals, quest_rng_);
    std::vector<act>& out = chains[static_cast<size_t>(q)];
    if (final == "take") {
      int o = add_thing(kind::item, place::nowhere());
      holding(o, len, out);
      g_.win.push_back({fact_kind::held, static_cast<int16_t>(o)});
      goals_.push_back("take the " + ent(o).name);
    } else if (final == "eat") {
      int o = add_thing(kind::food, place::nowhere());
      holding(o, len - 1, out);
      out.push_back({verb::eat, static_cast<int16_t>(o)});
      g_.win.push_back({fact_kind::eaten, static_cast<int16_t>(o)});
      goals_.push_back("eat the " + ent(o).name);
    } else {
      bool put = final == "put";
      int target = put ? supporter_in(here) : add_thing(kind::container, place::room(random_room(here)), is_open);
      int o = add_thing(kind::item, place::nowhere());
      holding(o, len - 1, out);
      out.push_back({put ? verb::put_on : verb::insert_into, static_cast<int16_t>(o), static_cast<int16_t>(target)});
      g_.win.push_back({put ? fact_kind::on : fact_kind::in, static_cast<int16_t>(o), static_cast<int16_t>(target)});
      goals_.push_back(std::string("put the ") + ent(o).name + (put ? " on the " : " into the ") +
                       ent(target).name);
    }
  }
  for (auto& c : chains) plan_.insert(plan_.end(), c.begin(), c.end());
  std::reverse(goals_.begin(), goals_.end());
  g_.score_events = g_.win;
}

void builder::coin_quest() {
  chain_map(opt_.quest_length, opt_.dead_ends);
  int coin = add_entity(kind::item, place::room(opt_.quest_length), 0, {"gold", "coin"});
  ent(coin).description = "A heavy gold coin. This is what you came for.";
  // The chain is rooms 0..length in order; walk it.
  for (int r = 0; r < opt_.quest_length; ++r)
    for (int d = 0; d < 4; ++d)
      if (g_.rooms[static_cast<size_t>(r)].exit[static_cast<size_t>(d)] == r + 1)
        plan_.push_back({verb::go, static_cast<int16_t>(d)});
  plan_.push_back({verb::take, static_cast<int16_t>(coin)});
  g_.win.push_back({fact_kind::held, static_cast<int16_t>(coin)});
  g_.score_events = g_.win;
  g_.objective = "Somewhere in this house lies a gold coin. Find it and take it.";
}

void builder::cooking_quest() {
  const int kitchen = 0;
  g_.kitchen = kitchen;
  auto room0 = place::room(kitchen);
  int fridge = add_entity(kind::container, room0, is_closed, {"", "fridge"});
  ent(fridge).description = "A humming fridge.";
  int counter = add_entity(kind::supporter, room0, 0, {"", "counter"});
  add_entity(kind::cooker, room0, 0, {"", "stove"});
  int stove = static_cast<int>(g_.entities.size()) - 1;
  int cookbook = add_entity(kind::item, place::on(counter), 0, {"", "cookbook"});
  int knife = opt_.slice ? add_entity(kind::knife, place::on(counter), 0, {"kitchen", "knife"}) : -1;
  g_.meal = static_cast<int16_t>(add_entity(kind::meal, place::nowhere(), 0, {"", "meal"}));

  std::vector<int> rooms;
  for (int r = 0; r < static_cast<int>(g_.rooms.size()); ++r) rooms.push_back(r);
  std::vector<act> takes, slices, cooks;
  std::vector<int> opened;
  std::string recipe_text = "The cookbook reads: Recipe for a simple meal. Ingredients:";
  for (int i = 0; i < opt_.recipe; ++i) {
    int f = add_thing(kind::food, place::nowhere());
    ingredient ing{static_cast<int16_t>(f), opt_.cook && quest_rng_.chance(0.5), opt_.slice && quest_rng_.chance(0.5)};
    if (i == 0 && opt_.cook && !ing.cook) ing.cook = true;
    if (i == opt_.recipe - 1 && opt_.slice && !ing.slice) ing.slice = true;
    g_.recipe.push_back(ing);
    double where_p = quest_rng_.uniform();
    if (where_p < 0.4 || rooms.size() == 1) {
      g_.initial.loc[static_cast<size_t>(f)] = place::in(fridge);
      if (std::find(opened.begin(), opened.end(), fridge) == opened.end()) {
        takes.push_back({verb::open, static_cast<int16_t>(fridge)});
        opened.push_back(fridge);
      }
      takes.push_back({verb::take_from, static_cast<int16_t>(f), static_cast<int16_t>(fridge)});
    } else if (where_p < 0.55) {
      g_.initial.loc[static_cast<size_t>(f)] = place::on(counter);
      takes.push_back({verb::take_from, static_cast<int16_t>(f), static_cast<int16_t>(counter)});
    } else if (where_p < 0.8) {
      g_.initial.loc[static_cast<size_t>(f)] = place::room(1 + static_cast<int>(quest_rng_.below(static_cast<uint32_t>(rooms.size() - 1))));
      takes.push_back({verb::take, static_cast<int16_t>(f)});
    } else {
      int c = add_thing(kind::container, place::room(1 + static_cast<int>(quest_rng_.below(static_cast<uint32_t>(rooms.size() - 1)))), is_closed);
      g_.initial.loc[static_cast<size_t>(f)] = place::in(c);
      takes.push_back({verb::open, static_cast<int16_t>(c)});
      takes.push_back({verb::take_from, static_cast<int16_t>(f), static_cast<int16_t>(c)});
    }
    if (ing.slice) slices.push_back({verb::slice, static_cast<int16_t>(f), static_cast<int16_t>(knife)});
    if (ing.cook) cooks.push_back({verb::cook, static_cast<int16_t>(f), static_cast<int16_t>(stove)});
    recipe_text += std::string(i == 0 ? " " : ", ") + ent(f).name;
    if (ing.slice || ing.cook)
      recipe_text += std::string(" (") + (ing.slice ? "sliced" : "") + (ing.slice && ing.cook ? ", " : "") +
                     (ing.cook ? "cooked" : "") + ")";
    g_.score_events.push_back({fact_kind::held, static_cast<int16_t>(f)});
    if (ing.cook) g_.score_events.push_back({fact_kind::cooked, static_cast<int16_t>(f)});
    if (ing.slice) g_.score_events.push_back({fact_kind::sliced, static_cast<int16_t>(f)});
  }
  ent(cookbook).description = recipe_text + ". Then prepare the meal in the kitchen, and eat it.";
  if (knife >= 0) plan_.push_back({verb::take_from, static_cast<int16_t>(knife), static_cast<int16_t>(counter)});
  plan_.insert(plan_.end(), takes.begin(), takes.end());
  plan_.insert(plan_.end(), slices.begin(), slices.end());
  plan_.insert(plan_.end(), cooks.begin(), cooks.end());
  plan_.push_back({verb::prepare});
  plan_.push_back({verb::eat, g_.meal});
  g_.score_events.push_back({fact_kind::held, g_.meal});
  g_.score_events.push_back({fact_kind::eaten, g_.meal});
  g_.win.push_back({fact_kind::eaten, g_.meal});
  g_.objective = "You are hungry. Read the cookbook in the kitchen, gather and prepare what its recipe asks for, "
                 "then prepare the meal and eat it.";
}

void builder::distractors(int count) {
  locked_.clear();
  for (int e = 0; e < static_cast<int>(g_.entities.size()); ++e)
    if (ent(e).k == kind::door && g_.initial.flags[static_cast<size_t>(e)] == is_locked) locked_.push_back(e);
  const std::vector<int> open_region = region();  // reachable before any quest door is unlocked
  const int nrooms = static_cast<int>(g_.rooms.size());
  for (int i = 0; i < count; ++i) {
    double roll = obj_rng_.uniform();
    if (roll < 0.18) {
      uint8_t st = static_cast<uint8_t>(obj_rng_.below(3));
      int c = add_thing(kind::container, place::room(static_cast<int>(obj_rng_.below(static_cast<uint32_t>(nrooms)))), st);
      if (st == is_locked && i + 1 < count) {
        add_key_for(c, place::room(core::pick(open_region, obj_rng_)));
        ++i;
      }
      continue;
    }
    if (roll < 0.3) {
      add_thing(kind::supporter, place::room(static_cast<int>(obj_rng_.below(static_cast<uint32_t>(nrooms)))));
      continue;
    }
    int o = add_thing(obj_rng_.chance(0.3) ? kind::food : kind::item, place::nowhere());
    std::vector<int> holders;
    for (int e = 0; e < static_cast<int>(g_.entities.size()); ++e)
      if (ent(e).k == kind::container || ent(e).k == kind::supporter) holders.push_back(e);
    if (!holders.empty() && obj_rng_.chance(0.5)) {
      int h = core::pick(holders, obj_rng_);
      g_.initial.loc[static_cast<size_t>(o)] = ent(h).k == kind::container ? place::in(h) : place::on(h);
    } else {
      g_.initial.loc[static_cast<size_t>(o)] = place::room(static_cast<int>(obj_rng_.below(static_cast<uint32_t>(nrooms))));
    }
  }
}

int builder::action_room(const state& s, const act& a) const {
  auto room_of = [&](int e) {
    const place& p = s.loc[static_cast<size_t>(e)];
    if (p.w == where::room) return static_cast<int>(p.id);
    if (p.w == where::in || p.w == where::on) return static_cast<int>(s.loc[static_cast<size_t>(p.id)].id);
    return -1;
  };
  switch (a.v) {
    case verb::take: return room_of(a.a);
    case verb::take_from:
    case verb::put_on:
    case verb::insert_into:
    case verb::cook: return room_of(a.b);
    case verb::open:
    case verb::close:
    case verb::unlock:
    case verb::lock: {
      const entity& x = g_.entities[static_cast<size_t>(a.a)];
      if (x.k != kind::door) return room_of(a.a);
      return -2 - a.a;  // a door: either side will do
    }
    case verb::prepare: return g_.kitchen;
    default: return -1;
  }
}

bool builder::navigate(state& s, const engine& eng, int target, std::vector<act>& out) const {
  if (target == -1 || target == s.room) return true;
  const int door = target <= -2 ? -2 - target : -1;
  auto is_goal = [&](int r) {
    if (door < 0) return r == target;
    const entity& d = g_.entities[static_cast<size_t>(door)];
    return r == d.room_a || r == d.room_b;
  };
  if (is_goal(s.room)) return true;
  std::vector<int> prev(g_.rooms.size(), -1), prev_dir(g_.rooms.size(), -1);
  std::deque<int> queue{s.room};
  prev[static_cast<size_t>(s.room)] = s.room;
  int found = -1;
  while (!queue.empty() && found < 0) {
    int u = queue.front();
    queue.pop_front();
    for (int d = 0; d < 4; ++d) {
      int v = g_.rooms[static_cast<size_t>(u)].exit[static_cast<size_t>(d)];
      int dr = g_.rooms[static_cast<size_t>(u)].door[static_cast<size_t>(d)];
      if (v < 0 || prev[static_cast<size_t>(v)] >= 0) continue;
      if (dr >= 0 && s.flags[static_cast<size_t>(dr)] == is_locked) continue;
      prev[static_cast<size_t>(v)] = u;
      prev_dir[static_cast<size_t>(v)] = d;
      if (is_goal(v)) {
        found = v;
        break;
      }
      queue.push_back(v);
    }
  }
  if (found < 0) return false;
  std::vector<int> dirs;
  for (int r = found; r != s.room; r = prev[static_cast<size_t>(r)]) dirs.push_back(prev_dir[static_cast<size_t>(r)]);
  std::reverse(dirs.begin(), dirs.end());
  for (int d : dirs) {
    int dr = g_.rooms[static_cast<size_t>(s.room)].door[static_cast<size_t>(d)];
    if (dr >= 0 && s.flags[static_cast<size_t>(dr)] == is_closed) {
      act open{verb::open, static_cast<int16_t>(dr)};
      eng.apply(s, open);
      out.push_back(open);
    }
    act go{verb::go, static_cast<int16_t>(d)};
    if (eng.check(s, go) != failure::none) return false;
    eng.apply(s, go);
    out.push_back(go);
  }
  return true;
}

bool builder::assemble(const std::vector<act>& plan) {
  engine eng(g_);
  state s = g_.initial;
  if (eng.won(s)) return false;
  g_.walkthrough.clear();
  for (const act& a : plan) {
    if (!navigate(s, eng, action_room(s, a), g_.walkthrough)) return false;
    // A door the walk already opened needs no second opening.
    if (a.v == verb::open && s.flags[static_cast<size_t>(a.a)] == is_open) continue;
    if (eng.check(s, a) != failure::none) return false;
    eng.apply(s, a);
    g_.walkthrough.push_back(a);
    if (eng.won(s) && &a != &plan.back()) return false;  // won too early: the quest is not what was planned
  }
  return eng.won(s);
}

core::result<game> builder::build() {
  g_.family = opt_.family;
  if (opt_.family == "coin") {
    coin_quest();
  } else {
    random_map(opt_.rooms);
    add_doors();
    if (opt_.family == "cooking") {
      g_.initial.room = static_cast<int16_t>(map_rng_.below(static_cast<uint32_t>(g_.rooms.size())));
      cooking_quest();
    } else {
      custom_quest();
    }
    int things = 0;
    for (const auto& e : g_.entities) things += e.k != kind::door && e.k != kind::meal;
    distractors(std::max(0, opt_.objects - things));
  }
  if (!assemble(plan_)) return core::make_error(core::errc::internal, "quest does not replay");
  g_.quest_steps = static_cast<int>(plan_.size());
  if (g_.objective.empty()) {
    g_.objective = "Your task: ";
    for (size_t i = 0; i < goals_.size(); ++i)
      g_.objective += (i == 0 ? "" : i + 1 == goals_.size() ? ", and then " : ", then ") + goals_[i];
    g_.objective += ".";
  }
  return std::move(g_);
}

}  // namespace

core::status validate(const options& o) {
  auto bad = [](const std::string& knob, const std::string& why) {
    return core::make_error(core::errc::invalid_argument, knob + ": " + why);
  };
  if (o.family != "custom" && o.family != "coin" && o.family != "cooking")
    return bad("family", "'" + o.family + "' is not one of custom, coin, cooking");
  if (o.rooms < 1 || o.rooms > 100) return bad("rooms", "must be between 1 and 100");
  if (o.objects < 0 || o.objects > 1000) return bad("objects", "must be between 0 and 1000");
  int max_len = o.family == "coin" ? 100 : 30;
  if (o.quest_length < 1 || o.quest_length > max_len)
    return bad("quest_length", "must be between 1 and " + std::to_string(max_len) + " for family " + o.family);
  if (o.quest_breadth < 1 || o.quest_breadth > 5) return bad("quest_breadth", "must be between 1 and 5");
  if (o.door_rate < 0 || o.door_rate > 1) return bad("door_rate", "must be between 0 and 1");
  if (o.recipe < 1 || o.recipe > 5) return bad("recipe", "must be between 1 and 5");
  return {};
}

core::result<game> generate(const options& opt, uint64_t seed) {
  if (auto st = validate(opt); !st) return st.error();
  // A draw whose quest does not replay (a key that landed behind its own door, say) is
  // discarded and the next sub-seed tried; the result still depends only on (options, seed).
  for (uint64_t attempt = 0; attempt < 64; ++attempt) {
    builder b(opt, seed, attempt);
    auto g = b.build();
    if (!g) continue;
    g->seed = seed;
    char id[160];
    std::snprintf(id, sizeof id, "tw-%s-r%d-o%d-l%d-b%d-%016llx", opt.family.c_str(), opt.rooms, opt.objects,
                  opt.quest_length, opt.quest_breadth, static_cast<unsigned long long>(seed));
    g->id = id;
    return g;
  }
  return core::make_error(core::errc::internal,
                          "could not generate a solvable " + opt.family + " game for seed " + std::to_string(seed));
}

}  // namespace lantern::envs::textworld
