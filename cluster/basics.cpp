// Options, addresses, roles, the token, reachability and the actor system's settings.
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cluster/bridge.hpp"
#include "cluster/cluster.hpp"
#include "cluster/control.hpp"

namespace lantern::cluster {

void add_cluster_options(core::schema& s) {
  add_control_options(s);
  s.string("cluster.token", "", "the cluster token (prefer cluster.token_file or $LANTERN_CLUSTER_TOKEN)");
  s.string("cluster.token_file", "", "file holding the cluster token (its first line)");
  s.integer("cluster.heartbeat_ms", 1000, "a ping between linked nodes this often (ms)", 50, 600000);
  s.integer("cluster.connection_timeout_ms", 8000, "a peer silent this long is declared lost (ms)", 200, 3600000);
  s.integer("cluster.request_timeout_ms", 10000, "timeout of every request between nodes (ms)", 100, 3600000);
  s.real("cluster.rejoin_seconds", 1.0, "seconds between attempts to reach a lost head", 0.05);
  s.string("cluster.annotator_bind", "tcp://127.0.0.1:7710", "where an annotator node's ZeroMQ service listens");
  s.string("cluster.annotator_advertise", "",
           "the endpoint other nodes use for this annotator (empty: annotator_bind; set it when binding 0.0.0.0)");
  s.boolean("cluster.curve", true,
            "links between nodes are CURVE-encrypted with the cluster's key (cluster.key_file, else derived from "
            "the token): a peer without it is refused by the handshake before any byte reaches a decoder (every "
            "node and command needs the same; off: plain ZeroMQ, for measurements only)");
  s.string("cluster.key_file", "",
           "the cluster's CURVE key pair, made by `lantern keys` (every node and command needs the same file; "
           "empty: the key is derived from the cluster token)");
  s.boolean("cluster.tls", false,
            "removed: TLS through CAF's OpenSSL module dropped every other link of a node on one failed handshake; "
            "links use CURVE (`lantern keys`, cluster.key_file). true is refused with that advice");
  // Keys of past releases: a saved run's config.toml that has them still resumes and evaluates.
  s.retired("cluster.middleman_workers", "CAF's middleman no longer carries messages between nodes (cluster/bridge.hpp)");
  for (const char* key : {"cluster.tls_ca", "cluster.tls_certificate", "cluster.tls_key"})
    s.retired(key, "TLS between nodes was replaced by CURVE (cluster.key_file)");
  s.integer("cluster.attach_runners", 1, "runners per attached external env server (default of envs attach)", 1, 64);
  s.integer("cluster.attach_envs", 4, "envs per runner of an attached env server (default of envs attach)", 1, 1024);
}

core::result<address> parse_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return core::make_error(core::errc::invalid_argument, "'" + text + "' is not HOST:PORT");
  address a;
  a.host = text.substr(0, colon);
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    return core::make_error(core::errc::invalid_argument, "'" + text + "': the port must be 0..65535");
  a.port = static_cast<uint16_t>(port);
  return a;
}

core::result<std::string> load_token(const core::config& cfg) {
  if (const char* env = std::getenv("LANTERN_CLUSTER_TOKEN"); env && *env) return std::string(env);
  if (!cfg.string("cluster.token").empty()) return cfg.string("cluster.token");
  const std::string& file = cfg.string("cluster.token_file");
  if (file.empty())
    return core::make_error(core::errc::config,
                            "no cluster token: set $LANTERN_CLUSTER_TOKEN, cluster.token_file or cluster.token");
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token) || token.empty())
    return core::make_error(core::errc::config, "cluster.token_file: cannot read a token from '" + file + "' (" +
                                                    cfg.origin("cluster.token_file") + ")");
  return token;
}

core::status configure_system(caf::actor_system_config& ccfg, const core::config& cfg, bool with_message_types) {
  if (with_message_types) actors::add_message_types(ccfg);
  add_node_identity(ccfg);
  if (cfg.boolean("cluster.tls"))
    return core::make_error(core::errc::config,
                            "key 'cluster.tls' (" + cfg.origin("cluster.tls") +
                                "): TLS between nodes was removed (with CAF's OpenSSL module one failed handshake "
                                "dropped every other link of a node); links between nodes use CURVE: make the "
                                "cluster's key with `lantern keys --out FILE` and set cluster.key_file on every node "
                                "(docs/cluster.md)");
  ccfg.set("logger.verbosity", caf::atom("quiet"));
  if (cfg.string("train.scheduler") == "sharing")  // as in one process (actors/training.cpp)
    ccfg.set("scheduler.policy", caf::atom("sharing"));
  return {};
}

core::result<core::curve_keys> cluster_keys(const core::config& cfg, const std::string& token) {
  const std::string& file = cfg.string("cluster.key_file");
  if (file.empty()) return core::keys_from_token(token);
  auto keys = core::read_key_file(file);
  if (!keys) return core::make_error(keys.error().code, "cluster.key_file: " + keys.error().message);
  return keys;
}

bool curve_on(const core::config& cfg) { return cfg.boolean("cluster.curve"); }

core::result<bridge_options> link_options(const core::config& cfg, const std::string& token) {
  bridge_options o;
  o.curve = curve_on(cfg);
  o.heartbeat = std::chrono::milliseconds(cfg.integer("cluster.heartbeat_ms"));
  o.timeout = std::chrono::milliseconds(cfg.integer("cluster.connection_timeout_ms"));
  auto keys = cluster_keys(cfg, token);
  if (!keys) return keys.error();
  o.keys = keys.value();
  return o;
}

bool reachable(const address& a, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(a.host.c_str(), std::to_string(a.port).c_str(), &hints, &res) != 0) return false;
  bool ok = false;
  for (addrinfo* p = res; p && !ok; p = p->ai_next) {
    int fd = ::socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, p->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, p->ai_addr, p->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      if (::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
      }
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return ok;
}

std::string roles::to_string() const {
  std::string out;
  for (auto [on, name] : {std::pair{head, "head"}, {learner, "learner"}, {envs, "envs"}, {annotator, "annotator"}})
    if (on) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

core::result<roles> parse_roles(const std::string& text) {
  roles r;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (part == "head") r.head = true;
    else if (part == "learner") r.learner = true;
    else if (part == "envs") r.envs = true;
    else if (part == "annotator") r.annotator = true;
    else
      return core::make_error(core::errc::invalid_argument,
                              "unknown role '" + part + "' (roles: head, learner, envs, annotator)");
  }
  if (r.head != r.learner)
    return core::make_error(core::errc::invalid_argument,
                            "the learner runs on the head: give the roles head and learner together");
  if (!r.head && !r.envs && !r.annotator)
    return core::make_error(core::errc::invalid_argument, "a node needs at least one role");
  return r;
}

}  // namespace lantern::cluster
