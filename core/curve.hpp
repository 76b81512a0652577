// core/curve.hpp: the cluster's CURVE keys and the gate that checks them (docs/cluster.md, "Keys
// and threat model"). Every socket that takes bytes from other machines (the head's tunnel, an
// annotator node's service) is a CURVE server with the cluster's secret key, and a ZAP gate in
// its ZeroMQ context lets a client's handshake finish only if the client proves the cluster's
// key too: a peer without it is refused by ZeroMQ itself, before any byte reaches a decoder.
// The key pair comes from a key file (`lantern keys`, cluster.key_file) or, without one, from
// the cluster token.
//
//   auto keys = core::read_key_file("cluster.key");          // or core::keys_from_token(token)
//   core::zap_gate gate(ctx, keys->public_key);              // before the server socket binds
//   core::curve_server(router, *keys);  core::curve_client(dealer, *keys);
//   poll gate.handle() with the socket; gate.answer() when it is readable
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "core/error.hpp"

namespace lantern::core {

/// A CURVE key pair in Z85 text (40 characters each).
struct curve_keys {
  std::string public_key;
  std::string secret_key;
};

/// The key pair derived from the cluster token (SHA-256 of a fixed label and the token): every
/// node that holds the token holds the key.
curve_keys keys_from_token(const std::string& token);

/// A fresh random key pair (libsodium through libzmq).
result<curve_keys> make_keys();

/// Writes `keys` to `path` (mode 0600; refuses to overwrite an existing file):
///   # Lantern cluster key: every node of the cluster needs this file; keep it secret.
///   public = "<40 characters>"
///   secret = "<40 characters>"
status write_key_file(const std::string& path, const curve_keys& keys);

/// Reads a key file written by write_key_file (at most max_key_file_bytes are read). Errors
/// name the file: missing, not a key file, a key that is not 40 Z85 characters, or a public
/// key that does not match the secret.
result<curve_keys> read_key_file(const std::string& path);
/// The same from the file's text (blank lines, comments, CRLF, spaces and quotes as TOML
/// allows them); `path` names it in errors. The fuzzed decoder.
result<curve_keys> parse_key_file(std::string_view text, const std::string& path);
inline constexpr size_t max_key_file_bytes = 4096;

/// Makes `s` a CURVE server with `keys` (before bind).
void curve_server(zmq::socket_t& s, const curve_keys& keys);
/// Makes `s` a CURVE client that proves `keys` and expects a server holding them (before connect).
void curve_client(zmq::socket_t& s, const curve_keys& keys);

/// The ZAP handler of one ZeroMQ context: CURVE handshakes on that context's server sockets
/// succeed only for a client that proves `allowed_public` (Z85). One per context (it binds
/// inproc://zeromq.zap.01); construct it before any CURVE server socket binds.
class zap_gate {
 public:
  zap_gate(zmq::context_t& ctx, const std::string& allowed_public);
  /// The socket to poll for ZMQ_POLLIN.
  void* handle() { return socket_.handle(); }
  /// Answers the handshake waiting (call when handle() is readable).
  void answer();
  uint64_t refused() const { return refused_; }
  uint64_t admitted() const { return admitted_; }

 private:
  zmq::socket_t socket_;
  std::string allowed_;  // 32 bytes
  uint64_t refused_ = 0, admitted_ = 0;
};

}  // namespace lantern::core
