// actors/env_runner.hpp: env runners and their supervisor. A runner steps a batch of envs with
// a CPU copy of the policy, sends one rollout per T steps to the policy learner (at most
// train.max_in_flight unacknowledged) and loads the newer weights that come with the learner's
// ack of a rollout (actors::rollout_ack; the first weights come when it joins). The
// supervisor starts `runners` of them, and when one fails starts it again with a backoff (50 ms
// doubling to 5 s), up to `max_restarts` times in a row (-1: for ever, as for built-in envs; an
// external env's server that stays gone is given env.external.restarts), then drops it with the
// reason logged. It answers stats_atom with its restart count and stops everything on
// halt_atom; it exits (with the last failure as its reason) once every runner is dropped.
//
//   auto setup = std::make_shared<actors::runner_setup>(actors::runner_setup{cfg, &registry, "textworld", layout});
//   caf::actor sup = actors::spawn_runners(sys, setup, learner);
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "core/buffers.hpp"
#include "core/config.hpp"
#include "envs/registry.hpp"

namespace lantern::actors {

/// What a supervisor's runners act with. Shared by the supervisor and its runners.
struct runner_setup {
  core::config cfg;                          ///< train.*, policy.* and env.* keys
  const envs::env_registry* registry = nullptr;  ///< outlives every actor system
  std::string env;                           ///< the registry name of the env to step
  core::obs_layout layout;                   ///< the learner's layout (the env must produce it)
  uint64_t first_id = 0;                     ///< runner i has id first_id + i (seeds derive from ids)
  int runners = 1;
  int max_restarts = -1;                     ///< restarts of a failing runner before it is dropped (-1: no limit)
};

/// The text of an exit reason: an exception's message as it was thrown, not CAF's rendering
/// (`system_error(runtime_error, ("..."))`).
std::string reason_text(caf::actor_system& sys, const caf::error& reason);

/// Spawns the supervisor of setup->runners runners that send to `learner`.
caf::actor spawn_runners(caf::actor_system& sys, std::shared_ptr<const runner_setup> setup, caf::actor learner);

}  // namespace lantern::actors
