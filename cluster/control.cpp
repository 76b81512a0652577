#include "cluster/control.hpp"

#include <strings.h>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <random>
#include <shared_mutex>
#include <sstream>

#include "actors/protocol.hpp"
#include "cluster/cluster.hpp"
#include "core/metrics.hpp"

namespace lantern::cluster {
namespace {

using json = nlohmann::json;

// Compares without an early exit: the time taken does not tell how much of a token was right.
bool same(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) diff |= static_cast<unsigned char>(b[i] ^ (i < a.size() ? a[i] : 0));
  return diff == 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string node_name(const std::vector<node_info>& nodes, uint64_t id) {
  for (const auto& n : nodes)
    if (n.id == id) return n.name;
  return "node " + std::to_string(id);
}

json status_json(const actors::run_control::status& s, const std::vector<node_info>& nodes, const json& run) {
  const auto& p = s.p;
  const auto& l = *s.learner;
  const auto& r = *s.rewards;
  json annotator = json::object();
  if (!s.annotator_json.empty()) {
    json a = json::parse(s.annotator_json, nullptr, false);
    if (a.is_object()) {
      auto num = [&](const char* k) { return a.contains(k) && a[k].is_number() ? a[k].get<double>() : 0.0; };
      const double items = num("annotator_items_total"), hits = num("annotator_store_hits_total");
      json latency = a.contains("annotator_batch_seconds") ? a["annotator_batch_seconds"] : json();
      annotator = {{"queue_depth", num("annotator_queue_depth")},
                   {"requests", num("annotator_requests_total")},
                   {"items", items},
                   {"store_hit_rate", items > 0 ? hits / items : 0.0},
                   {"errors", num("annotator_backend_failures_total") + num("annotator_backend_exceptions_total") +
                                  num("annotator_malformed_requests_total")},
                   {"busy_rejections", num("annotator_busy_rejections_total")},
                   {"breaker_open", num("annotator_breaker_rejections_total") > 0},
                   {"latency_p50_seconds", latency.is_object() ? latency.value("p50", 0.0) : 0.0},
                   {"latency_p99_seconds", latency.is_object() ? latency.value("p99", 0.0) : 0.0},
                   {"labels_stored", num("labels_stored")},
                   {"backend", a.value("backend", std::string())},
                   {"metrics", a}};
    }
  }
  json node_list = json::array();
  for (const auto& n : nodes) {
    double sps = 0;
    uint64_t runners = 0;
    for (const auto& x : l.runners)
      if (x.node == n.id) {
        sps += x.steps_per_second;
        ++runners;
      }
    node_list.push_back({{"id", n.id}, {"name", n.name}, {"roles", n.roles}, {"connected", n.connected},
                         {"runners", runners}, {"steps_per_second", sps}});
  }
  uint64_t paused = 0;
  for (const auto& x : l.runners) paused += x.paused;
  return {
      {"run", run},
      {"training",
       {{"seconds", p.seconds}, {"env_steps", l.env_steps}, {"steps_per_second", p.steps_per_second},
        {"episodes", l.episodes}, {"mean_return", l.mean_return}, {"success_rate", l.success_rate},
        {"policy_version", l.policy_version}, {"policy_lag", l.policy_lag}, {"updates", l.updates},
        {"updates_per_second", l.updates_per_second}, {"policy_loss", l.policy_loss}, {"value_loss", l.value_loss},
        {"entropy", l.entropy}, {"intrinsic_mean", l.intrinsic_mean}, {"intrinsic_nonzero", l.intrinsic_nonzero},
        {"intrinsic_coef", l.intrinsic_coef}, {"extrinsic_coef", l.extrinsic_coef}, {"finite", l.finite},
        {"intrinsic_return", l.intrinsic_return}, {"guard", l.guard},
        {"weights_sent", l.weights_sent}, {"weights_skipped", l.weights_skipped},
        {"policy_kind", p.policy_kind}}},
      {"rewards",
       {{"model", r.model}, {"labels_requested", r.requested}, {"labels_received", r.received},
        {"labels_pending", r.pending}, {"labels_given_up", r.given_up}, {"labels_dropped", r.dropped},
        {"labels_retries", r.retries}, {"labels_in_flight", r.in_flight}, {"accuracy", r.accuracy}, {"loss", r.loss},
        {"dataset", r.dataset}, {"snapshot_version", r.snapshot_version}, {"annotator_known", r.annotator_known},
        {"drift", std::isfinite(r.drift) ? json(r.drift) : json(nullptr)}, {"drift_probes", r.drift_probes},
        {"drift_measurements", r.drift_measurements}, {"contested", r.contested}, {"disagreement", r.disagreement},
        {"members", r.members}, {"trains", r.trains}}},
      {"annotator", annotator},
      {"nodes", node_list},
      {"totals",
       {{"runners", l.runners.size()}, {"paused_runners", paused}, {"runner_restarts", p.runner_restarts},
        {"env_steps", l.env_steps}, {"steps_per_second", p.steps_per_second}}},
  };
}

json actors_json(const actors::run_control::status& s, const std::vector<node_info>& nodes) {
  const auto& l = *s.learner;
  const auto& r = *s.rewards;
  json out = json::array();
  const std::string head = nodes.empty() ? "local" : node_name(nodes, 0);
  out.push_back({{"name", "policy learner"}, {"kind", "learner"}, {"node", head}, {"state", "running"},
                 {"mailbox", l.mailbox}, {"steps_per_second", s.p.steps_per_second},
                 {"updates_per_second", l.updates_per_second}});
  out.push_back({{"name", "reward learner"}, {"kind", "reward learner"}, {"node", head},
                 {"state", r.annotator_known ? "running" : "waiting for an annotator"}, {"mailbox", r.mailbox},
                 {"labels_in_flight", r.in_flight}});
  for (const auto& x : l.runners) {
    const char* state = x.paused ? "paused" : x.seconds_since > 10 ? "silent" : "running";
    out.push_back({{"name", "runner " + std::to_string(x.id)}, {"kind", "runner"}, {"node", node_name(nodes, x.node)},
                   {"state", state}, {"mailbox", x.report.mailbox}, {"steps_per_second", x.steps_per_second},
                   {"rollouts_in_flight", x.report.in_flight}, {"restarts", x.report.attempt},
                   {"rollouts", x.rollouts}, {"seconds_since_rollout", x.seconds_since}});
  }
  return out;
}

void prometheus_metric(std::ostringstream& out, const std::string& name, const char* type, const char* help,
                       const std::vector<std::pair<std::string, double>>& samples) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  for (const auto& [labels, v] : samples) {
    out << name << labels << ' ';
    if (std::isfinite(v)) out << v;
    else out << (std::isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
    out << '\n';
  }
}

}  // namespace

void add_control_options(core::schema& s) {
  s.string("control.listen", "127.0.0.1:7780", "where the control API, the dashboard and /metrics listen (HOST:PORT; "
           "port 0 picks a free one; loopback unless you say otherwise)");
  s.string("control.web_dir", "", "the dashboard's files (empty: Lantern's own, console/web)");
  s.string("control.chart_js", "/usr/share/javascript/chart.js/chart.min.js",
           "Chart.js for the dashboard (Debian's libjs-chart.js): served by Lantern, no network");
  s.boolean("control.enabled", true, "serve the control API (lantern train and the head of a cluster)");
}

std::string make_token() {
  std::random_device rd;  // /dev/urandom on Linux
  static const char* hex = "0123456789abcdef";
  std::string t;
  for (int i = 0; i < 32; ++i) t += hex[rd() & 15];
  return t;
}

control_server::control_server(control_options o) : o_(std::move(o)), server_(std::make_unique<httplib::Server>()) {}

control_server::~control_server() { stop(); }

std::string control_server::url() const { return "http://" + host_ + ":" + std::to_string(port_); }

void control_server::attach(actors::run_control* run) {
  std::lock_guard lock(mutex_);  // waits for a call in flight to finish before the run goes away
  run_ = run;
}

core::status control_server::start() {
  auto addr = parse_address(o_.listen);
  if (!addr) return core::make_error(core::errc::config, "control.listen: " + addr.error().message);
  host_ = addr->host;
  routes();
  server_->set_payload_max_length(1 << 20);  // a request body larger than 1 MB is refused unread
  server_->set_read_timeout(5, 0);
  // One request per connection: httplib 0.11.4 waits on a kept-alive connection by waking every
  // few milliseconds (a 10 ms select, then a 1 ms sleep), and with a dashboard and a console
  // connected those wakeups took 10-18% of training's speed on two cores
  // (bench/console_cost.py); a fresh connection per request costs less.
  server_->set_keep_alive_max_count(1);
  server_->set_write_timeout(5, 0);
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second run bound the
  // same port and the kernel shared the requests between two runs with different tokens.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (addr->port == 0) port_ = server_->bind_to_any_port(host_);
  else if (server_->bind_to_port(host_, addr->port)) port_ = addr->port;
  else port_ = -1;
  if (port_ <= 0)
    return core::make_error(core::errc::io, "control API: cannot listen on " + o_.listen + " (in use?)");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void control_server::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string control_server::prometheus(const actors::run_control::status& s, const std::vector<node_info>& nodes) {
  std::ostringstream out;
  const auto& l = *s.learner;
  const auto& r = *s.rewards;
  auto one = [&](const std::string& name, const char* type, const char* help, double v) {
    prometheus_metric(out, name, type, help, {{"", v}});
  };
  one("lantern_env_steps_total", "counter", "environment steps learnt", static_cast<double>(l.env_steps));
  one("lantern_episodes_total", "counter", "episodes finished", static_cast<double>(l.episodes));
  one("lantern_updates_total", "counter", "APPO updates", static_cast<double>(l.updates));
  one("lantern_env_steps_per_second", "gauge", "environment steps per second, end to end", s.p.steps_per_second);
  one("lantern_updates_per_second", "gauge", "APPO updates per second", l.updates_per_second);
  one("lantern_episode_return_mean", "gauge", "mean return of the last 100 episodes", l.mean_return);
  one("lantern_episode_success_ratio", "gauge", "share of the last 100 episodes that succeeded", l.success_rate);
  one("lantern_policy_version", "gauge", "version of the policy weights", static_cast<double>(l.policy_version));
  one("lantern_policy_lag_updates", "gauge", "mean policy lag of the rollouts learnt, in updates", l.policy_lag);
  one("lantern_weights_sent_total", "counter", "policy weights messages sent to runners (joins and rollout acks)",
      static_cast<double>(l.weights_sent));
  one("lantern_weights_skipped_total", "counter", "weights versions superseded before a runner's next ack, never sent",
      static_cast<double>(l.weights_skipped));
  one("lantern_policy_loss", "gauge", "APPO policy loss (moving average)", l.policy_loss);
  one("lantern_value_loss", "gauge", "APPO value loss (moving average)", l.value_loss);
  one("lantern_policy_entropy_nats", "gauge", "policy entropy (moving average)", l.entropy);
  one("lantern_intrinsic_reward_mean", "gauge", "mean intrinsic reward per step (moving average)", l.intrinsic_mean);
  one("lantern_intrinsic_coefficient", "gauge", "shaping.intrinsic_coef now", l.intrinsic_coef);
  one("lantern_labels_requested_total", "counter", "captions asked of the annotator", static_cast<double>(r.requested));
  one("lantern_labels_received_total", "counter", "captions labelled", static_cast<double>(r.received));
  one("lantern_labels_given_up_total", "counter", "captions given up after train.label_attempts",
      static_cast<double>(r.given_up));
  one("lantern_labels_pending", "gauge", "captions waiting for a label", static_cast<double>(r.pending));
  one("lantern_reward_model_accuracy_ratio", "gauge", "reward model accuracy on its training batches", r.accuracy);
  one("lantern_reward_model_dataset_labels", "gauge", "labels the reward model holds", static_cast<double>(r.dataset));
  one("lantern_reward_drift", "gauge", "distance between the last two reward snapshots on the probe captions, "
      "canonicalised (0: same preferences, 1: opposite; NaN: not measured yet)", r.drift);
  one("lantern_reward_contested_labels", "gauge", "labels the ensemble's members confidently contradict (down-weighted)",
      static_cast<double>(r.contested));
  one("lantern_reward_disagreement", "gauge", "the ensemble's mean disagreement (std of P) on the probe captions",
      r.disagreement);
  one("lantern_intrinsic_return_mean", "gauge", "what the intrinsic reward added per episode, last 100 episodes",
      l.intrinsic_return);
  std::vector<std::pair<std::string, double>> sps, mailbox, in_flight, restarts;
  const std::string head = nodes.empty() ? "local" : node_name(nodes, 0);
  auto labels = [](const std::string& node, const std::string& actor) {
    return core::render_labels({{"node", node}, {"actor", actor}});
  };
  mailbox.push_back({labels(head, "policy learner"), l.mailbox});
  mailbox.push_back({labels(head, "reward learner"), r.mailbox});
  for (const auto& x : l.runners) {
    const auto lab = labels(node_name(nodes, x.node), "runner " + std::to_string(x.id));
    sps.push_back({lab, x.steps_per_second});
    mailbox.push_back({lab, x.report.mailbox});
    in_flight.push_back({lab, x.report.in_flight});
    restarts.push_back({lab, x.report.attempt});
  }
  prometheus_metric(out, "lantern_runner_env_steps_per_second", "gauge", "a runner's environment steps per second", sps);
  prometheus_metric(out, "lantern_actor_mailbox_messages", "gauge", "messages waiting in an actor's mailbox", mailbox);
  prometheus_metric(out, "lantern_runner_rollouts_in_flight", "gauge", "rollouts a runner sent and awaits", in_flight);
  prometheus_metric(out, "lantern_runner_restarts_total", "counter", "times a runner was started again", restarts);
  if (!s.annotator_json.empty()) {  // the annotator service's own metrics, under lantern_
    json a = json::parse(s.annotator_json, nullptr, false);
    if (a.is_object())
      for (auto& [k, v] : a.items()) {
        if (k.find('{') != std::string::npos || k.rfind("annotator_", 0) != 0) continue;
        if (v.is_number())
          one("lantern_" + k, k.size() > 6 && k.compare(k.size() - 6, 6, "_total") == 0 ? "counter" : "gauge",
              "annotator service metric", v.get<double>());
        else if (v.is_object())
          for (const char* q : {"p50", "p99"})
            if (v.contains(q) && v[q].is_number())
              one("lantern_" + k + "_" + q, "gauge", "annotator service latency quantile", v[q].get<double>());
      }
  }
  return out.str();
}

namespace {
// 504 when the run did not answer in time; 503 when it is ending; 400 otherwise.
int status_of(const core::error_info& e) {
  if (e.code == core::errc::timeout) return 504;
  if (e.message.find("the run is ending") != std::string::npos) return 503;
  return 400;
}
}  // namespace

void control_server::routes() {
  auto& srv = *server_;
  // The token before anything else: a request without it is answered 401 unread.
  srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // /healthz, and the dashboard's static files, which hold no data of the run (the page asks
    // for the token and sends it with every call).
    if (req.path == "/healthz" || (req.method == "GET" && (req.path == "/" || req.path == "/app.js" ||
                                                          req.path == "/chart.js" || req.path == "/favicon.ico")))
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    // The scheme's name is case-insensitive (RFC 9110); the token is compared in constant time.
    const bool bearer = auth.size() > 7 && strncasecmp(auth.c_str(), "Bearer ", 7) == 0;
    if (o_.token.empty() || !bearer || !same(auth.substr(7), o_.token)) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_content("{\"error\": \"the cluster token is needed: Authorization: Bearer TOKEN\"}", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto nodes = [this] { return o_.nodes ? o_.nodes() : std::vector<node_info>{{0, "local", "train", true}}; };
  auto fail = [](httplib::Response& res, int status, const std::string& why) {
    res.status = status;
    // A reason may quote the request (a node's name): invalid UTF-8 is replaced, never thrown.
    res.set_content(json{{"error", why}}.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  };
  // Every answer is JSON: unknown paths and methods too.
  srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string why = res.status == 404 ? "no such call: " + req.method + " " + req.path
                                              : "HTTP " + std::to_string(res.status);
    res.set_content(json{{"error", why}}.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  });
  // Runs f with the run attached (503 when there is none); the lock keeps the run alive.
  auto with_run = [this, fail](httplib::Response& res, const std::function<void(actors::run_control&)>& f) {
    std::lock_guard lock(mutex_);
    if (!run_) return fail(res, 503, "no run is going on (starting, or ended)");
    f(*run_);
  };
  srv.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  srv.Get("/api/status", [=](const httplib::Request&, httplib::Response& res) {
    with_run(res, [&](actors::run_control& run) {
      auto s = run.now();
      if (!s) return fail(res, status_of(s.error()), s.error().message);
      res.set_content(status_json(*s, nodes(), o_.run).dump(), "application/json");
    });
  });
  srv.Get("/api/actors", [=](const httplib::Request&, httplib::Response& res) {
    with_run(res, [&](actors::run_control& run) {
      auto s = run.now();
      if (!s) return fail(res, status_of(s.error()), s.error().message);
      res.set_content(actors_json(*s, nodes()).dump(), "application/json");
    });
  });
  srv.Get("/api/history", [=](const httplib::Request&, httplib::Response& res) {
    with_run(res, [&](actors::run_control& run) {
      json out = json::array();
      for (const auto& p : run.history())
        out.push_back({{"seconds", p.seconds}, {"env_steps", p.env_steps}, {"steps_per_second", p.steps_per_second},
                       {"mean_return", p.mean_return}, {"success_rate", p.success_rate},
                       {"labels_received", p.labels_received}, {"labels_requested", p.labels_requested},
                       {"reward_accuracy", p.reward_accuracy}, {"intrinsic_return", p.intrinsic_return},
                       {"reward_drift", std::isfinite(p.reward_drift) ? json(p.reward_drift) : json(nullptr)}});
      res.set_content(out.dump(), "application/json");
    });
  });
  srv.Get("/api/captions", [=](const httplib::Request& req, httplib::Response& res) {
    size_t n = 50;
    if (req.has_param("n")) {
      const std::string v = req.get_param_value("n");
      if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(v) < 1 || std::stoul(v) > 200)
        return fail(res, 400, "n is a number from 1 to 200");
      n = std::stoul(v);
    }
    with_run(res, [&](actors::run_control& run) {
      auto c = run.captions(n);
      if (!c) return fail(res, status_of(c.error()), c.error().message);
      json out = json::array();
      for (const auto& x : *c)
        out.push_back({{"caption", x.caption}, {"caption2", x.caption2}, {"label", x.label}, {"backend", x.backend},
                       {"model", x.model}, {"prompt_version", x.prompt_version}, {"seconds", x.seconds}});
      res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
    });
  });
  auto pause = [=](bool on) {
    return [=](const httplib::Request& req, httplib::Response& res) {
      uint64_t node = actors::run_control::all_nodes;
      std::string which = "every runner";
      if (req.has_param("node")) {
        const std::string name = req.get_param_value("node");
        bool found = false;
        for (const auto& n : nodes())
          if (n.name == name) {
            node = n.id;
            found = true;
          }
        if (!found) return fail(res, 404, "no node named '" + name + "'");
        which = "the runners of node " + name;
      }
      with_run(res, [&](actors::run_control& run) {
        auto told = run.pause(on, node);
        if (!told) return fail(res, status_of(told.error()), told.error().message);
        res.set_content(json{{"ok", true}, {"paused", on}, {"runners_told", *told}, {"which", which}}.dump(),
                        "application/json");
      });
    };
  };
  srv.Post("/api/pause", pause(true));
  srv.Post("/api/resume", pause(false));
  srv.Post("/api/checkpoint", [=](const httplib::Request&, httplib::Response& res) {
    with_run(res, [&](actors::run_control& run) {
      if (auto ok = run.checkpoint(); !ok) return fail(res, 409, ok.error().message);
      res.set_content(json{{"ok", true}}.dump(), "application/json");
    });
  });
  srv.Post("/api/set", [=](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("key") || !body["key"].is_string() || !body.contains("value"))
      return fail(res, 400, "the body is {\"key\": \"shaping.intrinsic_coef\", \"value\": 0.1}");
    if (!body["value"].is_number() && !body["value"].is_string())  // and never dump() a deep structure
      return fail(res, 400, "the value is a number, or a number in a string");
    const std::string key = body["key"];
    const std::string value = body["value"].is_string() ? body["value"].get<std::string>() : body["value"].dump();
    with_run(res, [&](actors::run_control& run) {
      if (auto ok = run.set(key, value); !ok) return fail(res, 400, ok.error().message);
      res.set_content(json{{"ok", true}, {"key", key}, {"value", value}}.dump(), "application/json");
    });
  });
  srv.Post("/api/stop", [=](const httplib::Request&, httplib::Response& res) {
    with_run(res, [&](actors::run_control& run) {
      run.stop();
      res.set_content(json{{"ok", true}, {"stopping", "a checkpoint and the summary follow"}}.dump(),
                      "application/json");
    });
  });
  auto envs = [=](const std::string& command) {
    return [=](const httplib::Request& req, httplib::Response& res) {
      if (!o_.envs) return fail(res, 409, "this run is not the head of a cluster: use --set train.env=external");
      std::vector<std::string> args;
      if (command != "list") {
        json body = json::parse(req.body, nullptr, false);
        if (!body.is_object() || !body.contains("name") || !body["name"].is_string())
          return fail(res, 400, "the body names the env: {\"name\": ...}");
        auto field = [&](const char* k) { return body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : ""; };
        auto number = [&](const char* k) { return body.contains(k) && body[k].is_number_unsigned() ? body[k].dump() : ""; };
        args = command == "attach"
                   ? std::vector<std::string>{field("name"), field("endpoint"), field("node"), number("runners"), number("envs")}
                   : std::vector<std::string>{field("name")};
      }
      auto reply = o_.envs(command, args);
      res.status = reply.ok ? 200 : 400;
      res.set_content(json{{"ok", reply.ok}, {"text", reply.text}}.dump(), "application/json");
    };
  };
  srv.Get("/api/envs", envs("list"));
  srv.Post("/api/envs/attach", envs("attach"));
  srv.Post("/api/envs/detach", envs("detach"));
  srv.Get("/metrics", [=](const httplib::Request&, httplib::Response& res) {
    with_run(res, [&](actors::run_control& run) {
      auto s = run.now();
      if (!s) return fail(res, status_of(s.error()), s.error().message);
      res.set_content(prometheus(*s, nodes()), "text/plain; version=0.0.4");
    });
  });
  auto file = [=](const std::string& path, const char* type) {
    return [=](const httplib::Request&, httplib::Response& res) {
      std::string body = read_file(path);
      if (body.empty()) return fail(res, 404, "missing file " + path);
      res.set_content(std::move(body), type);
    };
  };
  srv.Get("/", file(o_.web_dir + "/index.html", "text/html; charset=utf-8"));
  srv.Get("/app.js", file(o_.web_dir + "/app.js", "application/javascript"));
  srv.Get("/chart.js", file(o_.chart_js, "application/javascript"));
  // Browsers ask for an icon on their own, without the token: answer it, empty.
  srv.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
}

}  // namespace lantern::cluster
