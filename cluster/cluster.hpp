// cluster/cluster.hpp: Lantern across nodes (docs/cluster.md). One `lantern node` process per
// machine with a set of roles. The head runs the learners and publishes the directory actor
// through its bridge (cluster/bridge.hpp: ZeroMQ with CURVE); other nodes join it with the cluster token, get the run's config and
// the learner's handle, and start their env runners (role envs) or register their annotator
// service's ZeroMQ endpoint (role annotator). Every node has a gateway: `lantern envs attach`
// makes one connect runners to an environment server in any language (envs/external/).
// Heartbeats are on, every request has a timeout, and a node that loses the head tears down its
// runners and joins again when the head is back.
//
//   caf::actor_system_config ccfg;  cluster::configure_system(ccfg, cfg);   // every process
//   lantern node --roles head,learner --listen 127.0.0.1:7700          (apps/node.cpp)
//   lantern node --roles envs --join 127.0.0.1:7700
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/protocol.hpp"
#include "actors/training.hpp"
#include "cluster/bridge.hpp"
#include "cluster/control.hpp"
#include "core/config.hpp"
#include "core/curve.hpp"
#include "core/error.hpp"
#include "envs/registry.hpp"

namespace lantern::cluster {

/// Adds the cluster.* keys to the schema.
void add_cluster_options(core::schema& s);

/// host:port, as given to --listen and --join.
struct address {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};
core::result<address> parse_address(const std::string& text);

/// The cluster token: $LANTERN_CLUSTER_TOKEN, else cluster.token, else the contents of the file
/// cluster.token_file. An error if none is set (every node and command needs it).
core::result<std::string> load_token(const core::config& cfg);

/// Registers Lantern's message types and quiets CAF's logger. Call on every process before its
/// actor system starts. cluster.tls = true is an error that says what replaced it.
core::status configure_system(caf::actor_system_config& ccfg, const core::config& cfg, bool with_message_types = true);

/// True if links between nodes are CURVE-encrypted (cluster/bridge.hpp): cluster.curve.
bool curve_on(const core::config& cfg);

/// The cluster's CURVE key pair: from cluster.key_file (`lantern keys`) when set, else derived
/// from the token. An error names cluster.key_file and what is wrong with the file.
core::result<core::curve_keys> cluster_keys(const core::config& cfg, const std::string& token);

/// A bridge's options from cluster.* (curve, heartbeat_ms, connection_timeout_ms) and the keys.
core::result<bridge_options> link_options(const core::config& cfg, const std::string& token);

/// True if a TCP connection to `a` opens within `timeout` (a member probes before it connects,
/// to say that the head is not reachable rather than wait for a timeout).
bool reachable(const address& a, std::chrono::milliseconds timeout);

/// Roles of a node, from "head,learner,envs,annotator"; an unknown role is an error.
struct roles {
  bool head = false, learner = false, envs = false, annotator = false;
  std::string to_string() const;
};
core::result<roles> parse_roles(const std::string& text);

/// What the head needs to publish the directory.
struct head_setup {
  address listen;
  std::string token;
  std::string config_text;  ///< sent to every joining node
  const core::config* cfg = nullptr;
  const core::schema* schema = nullptr;
  const envs::env_registry* registry = nullptr;
  roles here;
};

/// What the head's control API asks of the directory (valid while the run is attached to it).
struct head_control {
  std::function<std::vector<node_info>()> nodes;
  std::function<actors::control_reply(const std::string& command, const std::vector<std::string>& args)> envs;
};

/// Hooks for actors::run_training that make it a head: the directory is published on
/// setup.listen, the head's own gateway is spawned, and the run uses a remote annotator unless
/// the head has that role. `on_published(port)` is told where it listens.
actors::training_hooks head_hooks(head_setup setup, std::function<void(uint16_t)> on_published = {},
                                  std::shared_ptr<head_control> control = nullptr);

/// What a member node (envs and/or annotator, not head) needs.
struct member_setup {
  address join;
  std::string token, name;
  roles here;
  int runners = -1;  ///< -1: the head's train.runners
  const core::config* cfg = nullptr;  ///< this node's own config (cluster.* keys)
  const core::schema* schema = nullptr;
  const envs::env_registry* registry = nullptr;
};

/// Runs a member node until `stop` returns true: joins, starts runners or the annotator service,
/// and joins again whenever the head is lost. Returns a process exit code: 0 when stopped, 2
/// when the head refuses the node (a wrong token, another protocol version).
int run_member(const member_setup& setup, const std::function<bool()>& stop);

/// Sends one operator command (attach, detach, list) to the head at `head`; the reply's text is
/// for a person. Errors: the head cannot be reached, or did not answer within `timeout`.
core::result<actors::control_reply> control(const core::config& cfg, const address& head, const std::string& token,
                                            const std::string& command, const std::vector<std::string>& args,
                                            std::chrono::milliseconds timeout);

}  // namespace lantern::cluster
