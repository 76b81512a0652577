// actors/training.hpp: concurrent training with actors, in one process (ARCHITECTURE.md, "One
// training step, as data"): env runners act with a CPU copy of the policy and send one rollout
// per T steps; the policy learner turns captions into intrinsic rewards with its latest reward
// snapshot, shapes, takes APPO steps and broadcasts versioned weights; the reward learner sends
// each new caption once to the annotator service (asynchronously: the policy never waits for
// labels), trains the reward model on what comes back and publishes versioned snapshots; a
// supervisor restarts a runner that fails.
//
//   auto result = actors::run_training(cfg, registry, opts, [](const actors::progress& p) { ... });
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"
#include "envs/registry.hpp"

namespace lantern::actors {

/// What a training run reports, every few seconds and at the end.
struct progress {
  double seconds = 0;
  uint64_t env_steps = 0, episodes = 0, updates = 0, policy_version = 0, reward_version = 0;
  uint64_t labels_requested = 0, labels_received = 0, labels_pending = 0, runner_restarts = 0;
  double steps_per_second = 0, mean_return = 0, success_rate = 0, policy_lag = 0;
  double policy_loss = 0, value_loss = 0, entropy = 0, intrinsic_mean = 0, intrinsic_nonzero = 0;
  double reward_loss = 0, reward_accuracy = 0;
  uint64_t reward_dataset = 0;  ///< labelled captions (or pairs) the reward model holds
  bool finite = true;  ///< every loss so far was a finite number
};

/// Everything a run needs to continue where it stopped.
struct training_state {
  std::map<std::string, std::string> parts;  ///< policy, appo, reward model, counters
};

/// Adds the train.* keys to the schema.
void add_training_options(core::schema& s);

/// Runs training until train.steps env steps (or `stop` returns true); calls `on_progress`
/// every train.progress_seconds from the calling thread. `resume` restores a saved state;
/// the returned state is the final one (for a checkpoint).
core::result<std::pair<progress, training_state>> run_training(
    const core::config& cfg, const envs::env_registry& registry, const training_state* resume,
    const std::function<void(const progress&)>& on_progress, const std::function<bool()>& stop = {},
    const std::function<void(const progress&, const training_state&)>& on_checkpoint = {});

}  // namespace lantern::actors
