// cluster/bridge.hpp: the links between nodes (docs/cluster.md, "Keys and threat model"). CAF is
// the actor runtime inside each process; between processes, each one's bridge carries the typed
// messages of actors/protocol.hpp over ZeroMQ, CURVE-encrypted with the cluster's key. A peer
// that cannot prove the key is refused by ZeroMQ's handshake, before any byte reaches a decoder.
//
// A remote actor is a local proxy (like CAF's forwarding_actor_proxy): what is sent to it reaches
// this bridge, is serialised with CAF's binary serializer (every actor handle in it by node and
// id) and is delivered on the other node to the actor with that id. Requests, replies, timeouts
// and monitors work as between local actors: a peer that goes silent for the connection timeout
// (or whose link ZeroMQ reports closed) is lost, and every proxy of its actors goes down with
// remote_link_unreachable.
//
//   head:    auto b = bridge::start(sys, opts);  b->listen({"0.0.0.0", 7700}, directory);
//   member:  auto b = bridge::start(sys, opts);  auto dir = b->connect({"head", 7700}, 10s);
//            caf::anon_send(*dir, ...);            // a proxy of the head's directory
//
// The head listens (ZeroMQ ROUTER); every other process connects (one DEALER per connect()).
// A peer's messages are taken only after its HELLO; an actor gets messages from other nodes
// only if its handle was sent to them (CAF's actor registry) or it was published by listen().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "core/curve.hpp"
#include "core/error.hpp"
#include "cluster/wire.hpp"

namespace lantern::cluster {

struct address;

/// How a bridge talks to its peers.
struct bridge_options {
  bool curve = true;     ///< CURVE with `keys` (cluster.curve); off: plain ZeroMQ
  core::curve_keys keys; ///< the cluster's key pair (cluster.key_file or the token)
  std::chrono::milliseconds heartbeat{1000};  ///< a ping to every peer this often
  std::chrono::milliseconds timeout{10000};   ///< a peer silent this long is lost
};

/// Counters, for logs, tests and the benchmark.
struct bridge_stats {
  uint64_t sent = 0, received = 0;          ///< actor messages
  uint64_t bytes_out = 0, bytes_in = 0;
  uint64_t malformed = 0;                   ///< frames that did not decode (dropped)
  uint64_t unroutable = 0;                  ///< messages to a node or an actor that is not there
  uint64_t peers = 0;                       ///< peers now connected
  uint64_t lost = 0;                        ///< peers lost (silent, closed or said bye)
  uint64_t refused = 0;                     ///< handshakes refused (server: by the ZAP gate)
  uint64_t refused_in_a_row = 0;            ///< client: failed handshakes since the last success
};

/// Largest frame a peer may send (ZeroMQ refuses a larger declared size before allocating it):
/// the largest message between nodes is a rollout or a policy's weights, a few MB.
inline constexpr int64_t max_bridge_frame = 64ll << 20;

/// Version of the bridge's framing (sent in HELLO; a peer with another is refused).
inline constexpr uint32_t bridge_version = 1;

class bridge {
 public:
  /// A bridge for `sys` (which must outlive it). Destroy it before the actor system: every
  /// proxy it made goes down, peers are told goodbye.
  static std::unique_ptr<bridge> start(caf::actor_system& sys, const bridge_options& options);
  ~bridge();
  bridge(const bridge&) = delete;
  bridge& operator=(const bridge&) = delete;

  /// Listens on `at` (port 0: any); a peer's HELLO is answered with `published`. Returns the port.
  core::result<uint16_t> listen(const address& at, const caf::actor& published);

  /// Connects to the node listening on `at` and returns a proxy of the actor it published.
  /// Errors: errc::refused when the CURVE handshake failed twice in a row (not the cluster's
  /// key), errc::timeout when no WELCOME came within `timeout`, errc::io otherwise.
  core::result<caf::actor> connect(const address& at, std::chrono::milliseconds timeout);

  bridge_stats stats() const;

  struct impl;

 private:
  bridge() = default;
  std::shared_ptr<impl> impl_;
};

}  // namespace lantern::cluster
