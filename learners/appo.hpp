// learners/appo.hpp: the APPO policy learner (no torch in this header). Each update takes one
// rollout of T steps from N envs and learns all T transitions: it replays the policy over the
// T + 1 observations (the last one gives the bootstrap value) with the recurrent state carried
// through and reset at episode ends, computes V-trace targets with rho-bar/c-bar clipping (a
// truncated episode bootstraps from the value of its final observation; only a termination
// zeroes the future), and takes Adam steps on the PPO-clipped policy loss, the value loss
// clipped around the behaviour policy's values, and an entropy bonus, with gradient-norm
// clipping. Minibatches split the envs, so every sequence stays whole. The replay runs the
// encoders once over all of a minibatch's frames and only the recurrent core step by step.
//
//   appo_learner learner(*pol, appo_options{});
//   auto stats = learner.update(rollout, shaped_rewards);   // shaped_rewards: [T*N] or empty
//   std::string w = pol->weights();                          // broadcast every K updates
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/buffers.hpp"
#include "core/error.hpp"
#include "learners/policy.hpp"

namespace lantern::learners {

/// What a truncated episode (cut by a step limit, not ended in the game) bootstraps from.
enum class truncation_bootstrap {
  last,               ///< V of the last observation it acted on: always a state the value net is trained on
  final_observation,  ///< V of the observation the cut left it in: exact if that state is like any other, but a
                      ///< state the value net never trains on (time in the observation makes it unlike any other)
  terminal,           ///< none: the cut is read as the end of the game
};

struct appo_options {
  double gamma = 0.99;
  double rho_bar = 1.0, c_bar = 1.0;  ///< V-trace clipping (IMPALA's defaults)
  double clip = 0.1;                  ///< PPO ratio clip (ONI: 0.1)
  double value_clip = 1.0;
  double value_coef = 0.5;
  double entropy_coef = 0.003;        ///< ONI's NetHack setting; text games learn better with ~0.01
  double lr = 3e-4;
  double adam_eps = 1e-6;
  double grad_clip = 4.0;
  int epochs = 1;
  int minibatches = 1;                ///< over envs
  bool normalize_advantages = true;
  truncation_bootstrap truncation = truncation_bootstrap::final_observation;
  /// Replays the whole network step by step over every env (the straightforward, slower
  /// reference) instead of the encoders once over a minibatch's frames and only the recurrent
  /// core step by step. Same losses and gradients; tests and benchmarks compare the two.
  bool stepwise_replay = false;
};

struct update_stats {
  float policy_loss = 0, value_loss = 0, entropy = 0, grad_norm = 0, mean_value = 0, clip_fraction = 0;
  int optimizer_steps = 0;
  uint64_t policy_version = 0;
};

/// Whether a rollout is whole: behaviour values for every transition, and exactly one final
/// observation (of the layout's sizes) per truncated transition, in order.
core::status check_rollout(const core::rollout& r);

class appo_learner {
 public:
  appo_learner(policy& p, appo_options o);
  ~appo_learner();
  /// One update. rewards: the rewards to learn from, [T*N] (empty: the rollout's own).
  core::result<update_stats> update(const core::rollout& r, const std::vector<float>& rewards = {});
  uint64_t version() const { return version_; }
  /// Changes a setting between updates: "appo.lr" (the optimiser's learning rate) or
  /// "appo.entropy_coef"; anything else is an error.
  core::status set_option(const std::string& key, double value);
  /// Optimiser state and counters, for checkpoints (the weights are policy::weights()).
  core::status save(std::ostream& out) const;
  core::status load(std::istream& in);

 private:
  struct impl;
  std::unique_ptr<impl> p_;
  uint64_t version_ = 0;
};

}  // namespace lantern::learners
