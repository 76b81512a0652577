// learners/options.hpp: the learners' knobs in Lantern's config schema (policy.*, appo.*,
// reward.* shared by the trained models, shaping.*), and the option structs built from a
// loaded config. reward.model and each model's own keys come from learners/reward_registry.hpp.
//
//   learners::add_learner_options(schema);
//   auto cfg = core::config::load(schema, "configs/x.toml");
//   auto model = learners::make_reward_model(*cfg, "gather gold");   // reward.model decides which
#pragma once

#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"
#include "learners/appo.hpp"
#include "learners/policy.hpp"
#include "learners/reward_models.hpp"
#include "learners/shaping.hpp"

namespace lantern::learners {

void add_learner_options(core::schema& s);

policy_options policy_options_from(const core::config& c);
appo_options appo_options_from(const core::config& c);
shaping shaping_from(const core::config& c);
classifier_options classifier_options_from(const core::config& c);
ranker_options ranker_options_from(const core::config& c);

/// The reward model named by reward.model, or nullptr for "none" (extrinsic reward only):
/// reward_models().create (learners/reward_registry.hpp). `goal` is the goal text the
/// bag-of-words model compares captions with.
core::result<std::unique_ptr<reward_model>> make_reward_model(const core::config& c, const std::string& goal);

}  // namespace lantern::learners
