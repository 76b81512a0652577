#include "learners/reward_registry.hpp"

#include <algorithm>
#include <mutex>

#include "learners/options.hpp"

namespace lantern::learners {

void reward_registry::add(reward_entry e) {
  if (e.name == "none" || e.name.empty()) throw std::invalid_argument("a reward model cannot be named '" + e.name + "'");
  if (!e.create) throw std::invalid_argument("reward model '" + e.name + "' has no create function");
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const reward_entry& x) { return x.name == e.name; });
  if (it != entries_.end()) *it = std::move(e);
  else entries_.push_back(std::move(e));
}

void reward_registry::add_options(core::schema& s) const {
  std::vector<std::string> choices{"none"};
  std::string help = "intrinsic reward: none (extrinsic only)";
  for (const auto& e : entries_) {
    choices.push_back(e.name);
    help += "; " + e.name + " (" + e.description + ")";
  }
  s.string("reward.model", "none", help, choices);
  for (const auto& e : entries_)
    if (e.add_options) e.add_options(s, "reward." + e.name);
}

core::result<std::unique_ptr<reward_model>> reward_registry::create(const core::config& cfg,
                                                                     const std::string& goal) const {
  const std::string& name = cfg.string("reward.model");
  if (name == "none") return std::unique_ptr<reward_model>();
  const reward_entry* e = find(name);
  if (!e) {
    std::string known = "none";
    for (const auto& n : names()) known += ", " + n;
    return core::make_error(core::errc::not_found, "reward.model: unknown model '" + name + "' (known: " + known + ")");
  }
  return e->create(cfg, goal);
}

const reward_entry* reward_registry::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

label_kind reward_registry::labels_of(const std::string& name) const {
  const reward_entry* e = find(name);
  return e ? e->labels : label_kind::none;
}

std::vector<std::string> reward_registry::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

reward_registry& reward_models() {
  static reward_registry r;
  static std::once_flag once;
  std::call_once(once, [] { register_builtin_reward_models(r); });
  return r;
}

core::result<std::unique_ptr<reward_model>> make_reward_model(const core::config& c, const std::string& goal) {
  return reward_models().create(c, goal);
}

}  // namespace lantern::learners
