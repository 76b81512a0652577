// actors/env_runner.hpp: env runners and their supervisor. A runner steps a batch of envs with
// a CPU copy of the policy, sends one rollout per T steps to the policy learner (at most
// train.max_in_flight unacknowledged) and loads each newer policy_weights it gets. The
// supervisor starts `runners` of them, and when one fails either starts it again (built-in envs)
// or drops it with the reason logged (external envs: a server that crashed stays crashed). It
// answers stats_atom with its restart count and stops everything on halt_atom; it exits (with
// the last failure as its reason) once every runner is dropped.
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
  bool restart = true;                       ///< false: a failed runner is dropped, not restarted
};

/// Spawns the supervisor of setup->runners runners that send to `learner`.
caf::actor spawn_runners(caf::actor_system& sys, std::shared_ptr<const runner_setup> setup, caf::actor learner);

}  // namespace lantern::actors
