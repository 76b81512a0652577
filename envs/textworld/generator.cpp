// The generator: maps (random or a chain of rooms), doors, and the attempt loop. Quests are in
// quests.cpp, the walkthrough in walkthrough.cpp (envs/textworld/builder.hpp).
#include "envs/textworld/generator.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "envs/textworld/builder.hpp"

namespace lantern::envs::textworld {
namespace detail {
namespace {

constexpr int dx[4] = {0, 1, 0, -1};  // north, east, south, west on a grid whose y grows southwards
constexpr int dy[4] = {-1, 0, 1, 0};

}  // namespace

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

}  // namespace detail

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
    detail::builder b(opt, seed, attempt);
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
