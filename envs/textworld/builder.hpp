// envs/textworld/builder.hpp: the generator's builder (internal to envs/textworld/). One
// builder makes one attempt at a game: a map (generator.cpp), a quest of the options' family
// built by backward chaining (quests.cpp), and the walkthrough that proves it can be won
// (walkthrough.cpp). generate() in generator.cpp retries attempts until one replays to a win.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "envs/textworld/engine.hpp"
#include "envs/textworld/generator.hpp"
#include "envs/textworld/vocabulary.hpp"

namespace lantern::envs::textworld::detail {

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


}  // namespace lantern::envs::textworld::detail
