// learners/reward_registry.hpp: intrinsic reward models by name, as envs/registry.hpp does for
// environments. An entry says what the model learns from (which questions the annotator is
// asked), adds its own config keys under "reward.<name>." and builds the model. A new model is
// one file that defines its entry and its line in learners/reward_builtin.cpp; reward.model's choices, the annotator's kind and whether a
// run needs labels all follow from the entry.
//
//   auto& reg = learners::reward_models();      // Lantern's models, registered once
//   reg.add_options(schema);                    // reward.model and every model's keys
//   auto m = reg.create(cfg, "gather gold");    // nullptr for reward.model = "none"
//   if (reg.labels_of("ranking") == learners::label_kind::pairs) ...
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "learners/reward_models.hpp"

namespace lantern::learners {

/// What a reward model learns from, and so what the annotator is asked.
enum class label_kind {
  none,      ///< nothing: it needs no annotator (bag-of-words)
  captions,  ///< one caption at a time, labelled positive or negative
  pairs,     ///< two captions, which shows more progress
};

struct reward_entry {
  std::string name;
  std::string description;  ///< one line, for reward.model's help and docs/configuration.md
  label_kind labels = label_kind::none;
  /// Adds the model's own keys under `prefix` ("reward.<name>"); may be empty.
  std::function<void(core::schema&, const std::string& prefix)> add_options;
  /// Builds the model from the run's config; `goal` is the run's goal text.
  std::function<core::result<std::unique_ptr<reward_model>>(const core::config&, const std::string& goal)> create;
};

class reward_registry {
 public:
  /// Registers an entry; a second entry with the same name replaces the first. "none" is taken.
  void add(reward_entry e);
  /// reward.model (its choices: none and every registered name) and each model's keys.
  void add_options(core::schema& s) const;
  /// The model reward.model names, or nullptr for "none".
  core::result<std::unique_ptr<reward_model>> create(const core::config& cfg, const std::string& goal) const;
  const reward_entry* find(const std::string& name) const;
  /// What the model `name` learns from (none for "none" and unknown names).
  label_kind labels_of(const std::string& name) const;
  /// Registered names, in registration order.
  std::vector<std::string> names() const;

 private:
  std::vector<reward_entry> entries_;
};

/// The process's registry, holding Lantern's models from its first use. Add a model of your own
/// before the schema is built (training's schema asks it for reward.model's choices).
reward_registry& reward_models();

/// Registers the models that ship with Lantern.
void register_builtin_reward_models(reward_registry& r);

}  // namespace lantern::learners
