// actors/training_detail.hpp: what the actors of a training run share (internal to actors/):
// the run's context, the atoms of its messages, and the env runners' supervisor.
#pragma once

#include <string>

#include <caf/all.hpp>
#include <zmq.hpp>

#include "core/buffers.hpp"
#include "core/config.hpp"
#include "envs/registry.hpp"

namespace lantern::actors::detail {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using save_atom = caf::atom_constant<caf::atom("save")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using halt_atom = caf::atom_constant<caf::atom("halt")>;

/// What every actor of a run shares, owned by run_training (outlives the actor system).
struct context {
  const core::config* cfg = nullptr;
  const envs::env_registry* registry = nullptr;
  std::string env;
  core::obs_layout layout;
  std::string annotator_endpoint;  ///< empty: no annotator (extrinsic reward or bag-of-words)
  zmq::context_t* zmq = nullptr;
};

/// Spawns the supervisor of `count` env runners (env_runner.cpp); it restarts a runner that
/// fails, answers stats_atom with the number of restarts and stops them all on halt_atom.
caf::actor spawn_supervisor(caf::actor_system& sys, int count, const context* ctx, caf::actor learner);

}  // namespace lantern::actors::detail
