// cluster/detail.hpp: the directory and gateway actors (internal to cluster/).
#pragma once

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "cluster/cluster.hpp"

namespace lantern::cluster::detail {

/// What a gateway knows before it starts. A member's gateway joins through `directory` and
/// learns the rest (node id, config, learner) from the answer; the head's is given them.
struct gateway_args {
  std::string node, token;
  roles here;
  int runners = -1;                 ///< built-in runners (role envs); -1: the run's train.runners
  std::string annotator_endpoint;   ///< role annotator: advertised to the directory
  caf::actor directory;             ///< members: joined through it (the head's gateway is sent it)
  std::chrono::milliseconds timeout{10000};
  const core::schema* schema = nullptr;
  const envs::env_registry* registry = nullptr;
  // The head's own gateway is set up at once:
  bool preset = false;
  uint64_t node_id = 0;
  std::shared_ptr<const core::config> cfg;
  core::obs_layout layout;
  caf::actor learner;
};

caf::actor spawn_gateway(caf::actor_system& sys, std::shared_ptr<const gateway_args> args);

/// What the directory needs.
struct directory_args {
  std::string token, config_text;
  caf::actor learner, rewards, head_gateway;
  std::chrono::milliseconds timeout{10000};
};

caf::actor spawn_directory(caf::actor_system& sys, directory_args args);

/// A constant-time comparison (a token check that does not leak how much matched).
bool same_token(const std::string& a, const std::string& b);

}  // namespace lantern::cluster::detail
