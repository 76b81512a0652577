// Quests of each family, built by backward chaining, and distractors (envs/textworld/builder.hpp).
#include <algorithm>

#include "envs/textworld/builder.hpp"

namespace lantern::envs::textworld::detail {

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

}  // namespace lantern::envs::textworld::detail
