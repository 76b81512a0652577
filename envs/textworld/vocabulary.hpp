// envs/textworld/vocabulary.hpp: the words generated games are made of (Lantern's own wording).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "envs/textworld/world.hpp"

namespace lantern::envs::textworld {

/// Hands out unique names: adjective + noun per kind, unique room names and room intros.
class namer {
 public:
  explicit namer(uint64_t seed) : rng_(seed) {}
  /// A fresh adjective + noun for a thing of kind k (keys: see key_for).
  std::pair<std::string, std::string> thing(kind k);
  /// The name of the key that fits a lock: the lock's adjective + "key".
  std::pair<std::string, std::string> key_for(const std::string& lock_adjective);
  /// A fresh room name ("kitchen", "dusty attic", ...).
  std::string room_name();
  /// A fresh room name that must be `preferred` if still unused.
  std::string room_name(const std::string& preferred);
  /// An intro sentence for a room.
  std::string intro(const std::string& room);
  /// A one-line description of a thing.
  std::string describe(kind k, const std::string& name);

 private:
  core::pcg32 rng_;
  std::set<std::string> used_names_;
  std::set<std::string> used_lock_adjectives_;
  std::vector<std::string> used_rooms_;
  bool used(const std::vector<std::string>& v, const std::string& s) const;
  std::string fresh_adjective();
};

}  // namespace lantern::envs::textworld
