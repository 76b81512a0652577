// actors/learner_actors.hpp (internal to actors/): the two learners of a run, as actors, and
// what they share. run_training (actors/training.cpp) spawns them; their messages are in
// protocol.hpp: rollouts, episodes, captions and labels, snapshots, stats_atom (typed status),
// save_atom (state for a checkpoint), pause_atom (to the runners), set_atom (live settings).
//
//   run_context ctx{&cfg, layout};
//   auto learner = spawn_policy_learner(sys, &ctx, resume);
//   auto rewards = spawn_reward_learner(sys, &ctx, learner, resume);
#pragma once

#include <atomic>
#include <optional>
#include <cstdint>
#include <string>

#include <caf/all.hpp>
#include <zmq.hpp>

#include "actors/training.hpp"
#include "core/buffers.hpp"
#include "core/config.hpp"
#include "core/curve.hpp"

namespace lantern::actors {

/// What the learners of a run share, owned by run_training (outlives the actor system).
struct run_context {
  const core::config* cfg = nullptr;
  core::obs_layout layout;
  std::string annotator_endpoint;  ///< empty: none yet (remote: it arrives as annotator_at) or none needed
  bool remote_annotator = false;
  std::optional<core::curve_keys> annotator_keys;  ///< a cluster's annotator node: connect with CURVE
  zmq::context_t* zmq = nullptr;
  uint64_t target_steps = 0;             ///< train.steps
  std::atomic<bool>* reached = nullptr;  ///< set by the learner once target_steps are learnt
};

/// The policy learner: intrinsic rewards, shaping, APPO, weights to the runners.
caf::actor spawn_policy_learner(caf::actor_system& sys, const run_context* ctx, training_state resume);
/// The reward learner: the label ledger, the annotator client, the reward model, snapshots.
caf::actor spawn_reward_learner(caf::actor_system& sys, const run_context* ctx, caf::actor learner,
                                training_state resume);
/// The annotator goal of the run's captions: train.goal for a domain with a prompt file of its
/// own, train.goal_text for any other (the generic prompts take the goal as text).
std::string annotation_goal(const core::config& cfg);

}  // namespace lantern::actors
