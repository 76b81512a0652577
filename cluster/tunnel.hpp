// cluster/tunnel.hpp: the links between nodes, carried over ZeroMQ with CURVE (docs/cluster.md,
// "Keys and threat model"). CAF stays the actor runtime of each process, but its middleman only
// ever listens and connects on loopback: what crosses the network is a CURVE-encrypted ZeroMQ
// connection, and a peer that cannot prove the cluster's key is refused by the ZeroMQ handshake
// itself, before any byte reaches CAF's decoders (CAF 0.17's multiplexer crashes on a 32-byte
// packet, notes/toolchain.md §9).
//
//   head:   CAF publishes on 127.0.0.1:P  <-TCP-  tunnel_server (ROUTER, CURVE server) on --listen
//   member: CAF connects to 127.0.0.1:Q  -TCP->  tunnel_client (DEALER, CURVE client) -> the head
//
// Each TCP connection CAF makes through a tunnel_client becomes one TCP connection from the
// tunnel_server to the head's CAF port; bytes are carried in order with sequence numbers, and a
// gap (a message lost while a link was cut) closes both ends rather than splice the stream.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/curve.hpp"
#include "core/error.hpp"

namespace lantern::cluster {

using core::curve_keys;

/// Counters of a tunnel, for logs and tests.
struct tunnel_stats {
  std::atomic<uint64_t> connections{0};  ///< tunnelled TCP connections opened
  std::atomic<uint64_t> bytes_in{0};     ///< bytes from the network side
  std::atomic<uint64_t> bytes_out{0};    ///< bytes to the network side
  std::atomic<uint64_t> refused{0};      ///< handshakes refused (a key that is not the cluster's)
  /// Member side: handshakes that failed since the last one that succeeded. A wrong key fails
  /// every time; a reset while a link comes back fails once and is followed by a success.
  std::atomic<uint64_t> refused_in_a_row{0};
  std::atomic<uint64_t> failed{0};       ///< handshakes that failed otherwise (not a Lantern tunnel)
  std::atomic<uint64_t> gaps{0};         ///< connections closed on a sequence gap
  std::atomic<uint64_t> capped{0};       ///< opens refused: the peer had max_connections_per_peer open
};

/// Tunnelled connections one member may hold open at the head (CAF opens one per node, a
/// `lantern envs` command one more): an open beyond it is answered with a close, so that a
/// buggy or hostile key holder cannot use up the head's file descriptors.
inline constexpr size_t max_connections_per_peer = 64;

/// The head's side: a CURVE server on `listen` ("HOST:PORT"; port 0 picks one) whose tunnelled
/// connections go to CAF on 127.0.0.1:`local_port`.
class tunnel_server {
 public:
  static core::result<std::unique_ptr<tunnel_server>> start(const std::string& listen, uint16_t local_port,
                                                            const curve_keys& keys);
  ~tunnel_server();
  uint16_t port() const { return port_; }
  const tunnel_stats& stats() const { return stats_; }

 private:
  tunnel_server() = default;
  void loop();
  struct impl;
  std::unique_ptr<impl> impl_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  tunnel_stats stats_;
};

/// A member's side: a loopback TCP port (local_port()) that CAF connects to as if it were the
/// head; each connection is carried to the tunnel_server at `head` ("HOST:PORT").
class tunnel_client {
 public:
  static core::result<std::unique_ptr<tunnel_client>> start(const std::string& head, const curve_keys& keys);
  ~tunnel_client();
  uint16_t local_port() const { return port_; }
  const tunnel_stats& stats() const { return stats_; }

 private:
  tunnel_client() = default;
  void loop();
  struct impl;
  std::unique_ptr<impl> impl_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  tunnel_stats stats_;
};

}  // namespace lantern::cluster
