// The walkthrough: a quest's causal plan with the walking between rooms added, replayed on
// the engine to prove the game can be won (envs/textworld/builder.hpp).
#include <algorithm>
#include <deque>

#include "envs/textworld/builder.hpp"

namespace lantern::envs::textworld::detail {

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


}  // namespace lantern::envs::textworld::detail
