// cluster/control.hpp: the control API of a running training (`lantern train`, or the head of a
// cluster), over HTTP/JSON on control.listen: what the terminal console, the web dashboard
// (served at /) and Prometheus (/metrics) read, and the commands an operator gives. Every
// request needs the cluster token as `Authorization: Bearer TOKEN` (a missing or wrong one gets
// 401 and nothing else is read) but GET /healthz and the dashboard's static files, which hold
// no data of the run. docs/console.md lists the endpoints.
//
//   control_server api(options);                       // listen address, token, run description
//   api.start();                                       // serves from its own threads
//   hooks.control = [&](actors::run_control* c) { api.attach(c); };
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/protocol.hpp"
#include "actors/training.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

namespace httplib {
class Server;
}

namespace lantern::cluster {

/// Adds the control.* keys (listen address, the dashboard's files).
void add_control_options(core::schema& s);

/// A node of the run, as the API lists it.
struct node_info {
  uint64_t id = 0;
  std::string name, roles;
  bool connected = true;
};

struct control_options {
  std::string listen = "127.0.0.1:7780";  ///< HOST:PORT; port 0 picks a free one
  std::string token;                      ///< every request but /healthz must carry it
  std::string web_dir;                    ///< the dashboard's files (index.html, app.js)
  std::string chart_js;                   ///< Chart.js, served at /chart.js (Debian's libjs-chart.js)
  nlohmann::json run;                     ///< what the run is: its directory, env, reward model, ...
  /// The run's nodes (a lone `lantern train` is one node, "local").
  std::function<std::vector<node_info>()> nodes;
  /// `lantern envs` commands on a cluster (attach, detach, list); empty: not a cluster head.
  std::function<actors::control_reply(const std::string& command, const std::vector<std::string>& args)> envs;
};

class control_server {
 public:
  explicit control_server(control_options o);
  ~control_server();
  /// Binds and serves from its own thread; an error if the address cannot be bound.
  core::status start();
  void stop();
  /// The run to serve (nullptr: the run is not there yet or has ended; the API answers 503).
  void attach(actors::run_control* run);
  /// Where it listens, the port chosen: "http://127.0.0.1:7780".
  std::string url() const;

  /// The Prometheus text for a status (also what GET /metrics serves): lantern_ names, help and
  /// type lines, units in the names, node and actor labels.
  static std::string prometheus(const actors::run_control::status& s, const std::vector<node_info>& nodes);

 private:
  void routes();
  control_options o_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mutex_;
  actors::run_control* run_ = nullptr;
  std::string host_;
  int port_ = 0;
};

/// A token for a run that has none: 32 random hex digits from the system's entropy source.
std::string make_token();

}  // namespace lantern::cluster
