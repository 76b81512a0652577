#include "envs/textworld/vocabulary.hpp"

#include <algorithm>

namespace lantern::envs::textworld {
namespace {

const std::vector<std::string> adjectives = {
    "wooden", "iron", "rusty", "red", "blue", "green", "golden", "silver", "copper", "brass", "dusty",
    "shiny", "old", "small", "large", "oak", "pine", "marble", "glass", "velvet", "striped", "dented",
    "polished", "faded", "sturdy", "cracked", "plain", "painted", "heavy", "narrow", "tall", "squat",
    "black", "white", "yellow", "purple", "bronze", "steel", "clay", "stone", "cedar", "walnut",
    "tin", "ivory", "amber", "scarlet", "teal", "crimson", "gray", "orange", "pink", "maple", "birch",
    "chipped", "ornate", "battered", "gleaming", "mossy", "sooty", "frosted", "lacquered", "woven"};

const std::vector<std::string> door_nouns = {"door", "gate", "hatch", "portal", "grate"};
const std::vector<std::string> container_nouns = {"chest", "box", "cabinet", "crate", "trunk", "locker",
                                                  "safe", "case", "coffer", "drawer", "casket", "bin"};
const std::vector<std::string> supporter_nouns = {"table", "shelf", "bench", "desk", "stand", "workbench",
                                                  "pedestal", "rack", "sideboard", "stool", "dresser"};
const std::vector<std::string> item_nouns = {"book", "lamp", "cup", "hat", "sock", "pen", "mug", "map",
                                             "bell", "candle", "vase", "glove", "ring", "scarf", "spoon",
                                             "brush", "jar", "whistle", "compass", "kettle", "umbrella",
                                             "shoe", "clock", "teapot", "ribbon", "feather", "mirror"};
const std::vector<std::string> food_nouns = {"apple", "carrot", "potato", "onion", "tomato", "pepper",
                                             "mushroom", "cheese", "loaf", "sausage", "egg", "fish",
                                             "banana", "lettuce", "cucumber", "pie", "cookie", "pear",
                                             "turnip", "leek", "plum", "melon", "radish", "yam"};
const std::vector<std::string> cooker_nouns = {"stove", "oven", "grill"};
const std::vector<std::string> room_nouns = {
    "kitchen", "pantry", "bedroom", "bathroom", "attic", "cellar", "study", "library", "garage", "hallway",
    "living room", "dining room", "workshop", "laundry room", "office", "garden", "porch", "shed",
    "gallery", "conservatory", "nursery", "lounge", "studio", "vault", "chapel", "greenhouse", "parlor",
    "storeroom", "balcony", "foyer", "scullery", "boiler room", "cloakroom", "armory", "music room"};
const std::vector<std::string> intros = {
    "You are standing in the {}.",
    "You have arrived in the {}. Nothing unusual about it, at first glance.",
    "This is the {}, quieter than you expected.",
    "You step into the {}. It smells faintly of dust.",
    "Here is the {}. Someone must have left in a hurry.",
    "You find yourself in the {}, a room with a story to tell.",
    "The {} opens up around you.",
    "Welcome to the {}. The floorboards creak a little."};

}  // namespace

bool namer::used(const std::vector<std::string>& v, const std::string& s) const {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// An adjective no lock uses yet: a single word while any is left, then two words.
std::string namer::fresh_adjective() {
  std::vector<const std::string*> free;
  for (const auto& a : adjectives)
    if (!used_lock_adjectives_.count(a)) free.push_back(&a);
  if (!free.empty()) return *core::pick(free, rng_);
  for (;;) {
    std::string two = core::pick(adjectives, rng_) + " " + core::pick(adjectives, rng_);
    if (!used_lock_adjectives_.count(two)) return two;
  }
}

std::pair<std::string, std::string> namer::thing(kind k) {
  const std::vector<std::string>* nouns = &item_nouns;
  switch (k) {
    case kind::door: nouns = &door_nouns; break;
    case kind::container: nouns = &container_nouns; break;
    case kind::supporter: nouns = &supporter_nouns; break;
    case kind::cooker: nouns = &cooker_nouns; break;
    case kind::food: nouns = &food_nouns; break;
    case kind::knife: return {"kitchen", "knife"};
    default: break;
  }
  // A lock's adjective names its key, so no two lockables share an adjective.
  const bool lockable = is_openable(k);
  for (int attempt = 0;; ++attempt) {
    std::string adj = lockable || attempt > 200 ? fresh_adjective() : core::pick(adjectives, rng_);
    std::string name = adj + " " + core::pick(*nouns, rng_);
    if (used_names_.count(name)) continue;
    used_names_.insert(name);
    if (lockable) used_lock_adjectives_.insert(adj);
    return {adj, name.substr(adj.size() + 1)};
  }
}

std::pair<std::string, std::string> namer::key_for(const std::string& lock_adjective) {
  used_names_.insert(lock_adjective + " key");
  return {lock_adjective, "key"};
}

std::string namer::room_name() {
  for (const auto& n : room_nouns)
    if (!used(used_rooms_, n) && rng_.chance(0.35)) return room_name(n);
  for (int attempt = 0; attempt < 10000; ++attempt) {
    std::string n = core::pick(room_nouns, rng_);
    if (used(used_rooms_, n)) n = core::pick(adjectives, rng_) + " " + n;
    if (!used(used_rooms_, n)) return room_name(n);
  }
  return room_name("room " + std::to_string(used_rooms_.size()));
}

std::string namer::room_name(const std::string& preferred) {
  std::string n = preferred;
  while (used(used_rooms_, n)) n = core::pick(adjectives, rng_) + " " + preferred;
  used_rooms_.push_back(n);
  return n;
}

std::string namer::intro(const std::string& room) {
  std::string t = core::pick(intros, rng_);
  auto pos = t.find("{}");
  return t.replace(pos, 2, room);
}

std::string namer::describe(kind k, const std::string& name) {
  switch (k) {
    case kind::door: return "A " + name + ", set firmly in the wall.";
    case kind::container: return "A " + name + " with a lid and a lock.";
    case kind::supporter: return "A " + name + ", solid enough to hold a few things.";
    case kind::cooker: return "A " + name + " for cooking food.";
    case kind::key: return "A " + name + ". It must open something nearby.";
    case kind::food: return "A " + name + ". It looks edible.";
    case kind::knife: return "A sharp " + name + ", good for slicing.";
    case kind::meal: return "A freshly prepared meal.";
    default: return "A " + name + ". Nothing special about it.";
  }
}

}  // namespace lantern::envs::textworld
