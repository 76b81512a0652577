// The head's hooks, a member node's life, and the operator's control client.
#include <thread>

#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "annotators/service.hpp"
#include "cluster/detail.hpp"
#include "cluster/tunnel.hpp"

#include <sstream>

namespace lantern::cluster {

using clock_type = std::chrono::steady_clock;

namespace {

const auto directory_key = caf::atom("lnDir");
const auto gateway_key = caf::atom("lnGateway");

std::chrono::milliseconds request_timeout(const core::config& cfg) {
  return std::chrono::milliseconds(cfg.integer("cluster.request_timeout_ms"));
}

}  // namespace

actors::training_hooks head_hooks(head_setup setup, std::function<void(uint16_t)> on_published,
                                  std::shared_ptr<head_control> control) {
  auto shared = std::make_shared<head_setup>(std::move(setup));
  auto port = std::make_shared<uint16_t>(0);
  auto server = std::make_shared<std::unique_ptr<tunnel_server>>();
  actors::training_hooks h;
  h.local_runners = shared->here.envs ? -1 : 0;
  h.remote_annotator = !shared->here.annotator;
  // One key pair for the tunnel and the annotator nodes' services (a bad cluster.key_file stops
  // the run before any step, with the file named).
  auto keys = std::make_shared<core::result<core::curve_keys>>(cluster_keys(*shared->cfg, shared->token));
  if (*keys && curve_on(*shared->cfg) && h.remote_annotator) h.annotator_keys = keys->value();
  // configure_system's errors (cluster.tls) are found earlier in `lantern node`.
  h.configure = [shared](caf::actor_system_config& ccfg) { (void)configure_system(ccfg, *shared->cfg, false); };
  h.started = [shared, port, server, on_published, control, keys](caf::actor_system& sys, const caf::actor& learner,
                                                 const caf::actor& rewards) -> core::status {
    const auto& cfg = *shared->cfg;
    if (!*keys) return keys->error();
    auto probe = shared->registry->create(cfg.string("train.env"), cfg);
    if (!probe) return probe.error();
    auto gw_args = std::make_shared<detail::gateway_args>();
    gw_args->node = "head";
    gw_args->here = shared->here;
    gw_args->registry = shared->registry;
    gw_args->schema = shared->schema;
    gw_args->token = shared->token;
    gw_args->timeout = request_timeout(cfg);
    gw_args->preset = true;
    gw_args->cfg = std::make_shared<const core::config>(cfg);
    gw_args->layout = probe.value()->spec().layout;
    gw_args->learner = learner;
    auto gw = detail::spawn_gateway(sys, gw_args);
    detail::directory_args d{shared->token, shared->config_text, learner, rewards, gw, request_timeout(cfg)};
    auto dir = detail::spawn_directory(sys, d);
    caf::anon_send(gw, actors::join_atom::value, dir);  // where the gateway reports dropped envs
    sys.registry().put(directory_key, caf::actor_cast<caf::strong_actor_ptr>(dir));
    sys.registry().put(gateway_key, caf::actor_cast<caf::strong_actor_ptr>(gw));
    // With cluster.curve, CAF listens on loopback only and the network sees the CURVE tunnel.
    const bool curve = curve_on(cfg);
    const address caf_at = curve ? address{"127.0.0.1", 0} : shared->listen;
    auto published = publish(sys, dir, caf_at);
    auto refuse = [&](const std::string& why) {
      caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
      caf::anon_send(gw, actors::halt_atom::value);
      return core::make_error(core::errc::io, "cannot listen on " + shared->listen.to_string() + ": " + why);
    };
    if (!published) return refuse(sys.render(published.error()));
    *port = *published;
    uint16_t visible = *published;
    if (curve) {
      auto t = tunnel_server::start(shared->listen.to_string(), *published, keys->value());
      if (!t) {
        (void)sys.middleman().unpublish(dir, *published);
        return refuse(t.error().message);
      }
      visible = t.value()->port();
      *server = std::move(t.value());
    }
    if (on_published) on_published(visible);
    if (control) {  // the control API asks the directory, in this actor system, with a deadline
      auto ask = [&sys, dir, shared](const std::string& command, const std::vector<std::string>& args) {
        caf::scoped_actor self{sys};
        actors::control_reply out{false, "the directory did not answer"};
        self->request(dir, request_timeout(*shared->cfg), actors::control_request{shared->token, command, args})
            .receive([&](const actors::control_reply& r) { out = r; },
                     [&](const caf::error& e) { out = {false, sys.render(e)}; });
        return out;
      };
      control->envs = ask;
      control->nodes = [ask] {
        std::vector<node_info> out;
        std::istringstream lines(ask("nodes", {}).text);
        std::string line;
        while (std::getline(lines, line)) {
          std::istringstream f(line);
          node_info n;
          std::string connected;
          if (std::getline(f, line, '\t')) n.id = std::strtoull(line.c_str(), nullptr, 10);
          std::getline(f, n.name, '\t');
          std::getline(f, n.roles, '\t');
          std::getline(f, connected, '\t');
          n.connected = connected == "1";
          out.push_back(n);
        }
        return out;
      };
    }
    return {};
  };
  h.stopping = [port, server](caf::actor_system& sys) {
    server->reset();  // no more connections from other nodes
    auto dir = caf::actor_cast<caf::actor>(sys.registry().get(directory_key));
    auto gw = caf::actor_cast<caf::actor>(sys.registry().get(gateway_key));
    if (dir) {
      (void)sys.middleman().unpublish(dir, *port);
      caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    }
    if (gw) caf::anon_send(gw, actors::halt_atom::value);
    sys.registry().erase(directory_key);
    sys.registry().erase(gateway_key);
  };
  return h;
}

int run_member(const member_setup& setup, const std::function<bool()>& stop) {
  const auto& cfg = *setup.cfg;
  zmq::context_t zctx;
  core::metrics_registry metrics;
  std::unique_ptr<annotators::annotator_service> service;
  std::string advertise;
  auto keys = cluster_keys(cfg, setup.token);
  if (!keys) {
    spdlog::error("node {}: {}", setup.name, keys.error().message);
    return 2;
  }
  if (setup.here.annotator) {
    // With cluster.curve the service is a CURVE server like the head's listener: a peer without
    // the cluster's key is refused by the handshake before any byte reaches its decoder.
    const std::string& bind = cfg.string("cluster.annotator_bind");
    const bool curve = curve_on(cfg) && bind.rfind("inproc://", 0) != 0;
    auto svc = annotators::annotator_service::start(cfg, bind, zctx, metrics, curve ? &keys.value() : nullptr);
    if (!svc) {
      spdlog::error("node {}: the annotator service does not start: {}", setup.name, svc.error().message);
      return 1;
    }
    service = std::move(svc.value());
    advertise = cfg.string("cluster.annotator_advertise").empty() ? service->endpoint()
                                                                   : cfg.string("cluster.annotator_advertise");
    spdlog::info("node {}: annotator service on {}", setup.name, service->endpoint());
  }
  caf::actor_system_config ccfg;
  if (auto ok = configure_system(ccfg, cfg); !ok) {
    spdlog::error("node {}: {}", setup.name, ok.error().message);
    if (service) service->stop();
    return 2;
  }
  // With cluster.curve, CAF connects to a loopback port of this node's tunnel to the head.
  std::unique_ptr<tunnel_client> tunnel;
  address caf_join = setup.join;
  if (curve_on(cfg)) {
    auto t = tunnel_client::start(setup.join.to_string(), keys.value());
    if (!t) {
      spdlog::error("node {}: {}", setup.name, t.error().message);
      if (service) service->stop();
      return 2;
    }
    tunnel = std::move(t.value());
    caf_join = {"127.0.0.1", tunnel->local_port()};
  }
  int code = 0;
  {
    caf::actor_system sys{ccfg};
    caf::scoped_actor self{sys};
    const auto rejoin = std::chrono::duration<double>(cfg.real("cluster.rejoin_seconds"));
    auto pause = [&] {
      const auto until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(rejoin);
      while (clock_type::now() < until && !stop()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    };
    bool waiting_said = false;
    while (!stop()) {
      // Probe first: CAF's connect can block for minutes on a cut link.
      if (!reachable(setup.join, std::chrono::milliseconds(1000))) {
        if (!waiting_said) spdlog::warn("node {}: the head at {} is not reachable; trying again", setup.name,
                                        setup.join.to_string());
        waiting_said = true;
        pause();
        continue;
      }
      auto dir = connect(sys, caf_join);
      if (!dir && tunnel && tunnel->stats().refused_in_a_row >= 2) {  // one failure may be a reset
        spdlog::error("node {}: the head at {} refused this node: the CURVE handshake failed (not the cluster's "
                    "key: a wrong cluster token or cluster.key_file, or a head with cluster.curve off)",
                      setup.name, setup.join.to_string());
        code = 2;
        break;
      }
      if (!dir) {
        spdlog::warn("node {}: cannot reach the directory at {}: {}", setup.name, setup.join.to_string(),
                     sys.render(dir.error()));
        pause();
        continue;
      }
      waiting_said = false;
      auto args = std::make_shared<detail::gateway_args>();
      args->node = setup.name;
      args->token = setup.token;
      args->here = setup.here;
      args->runners = setup.runners;
      args->annotator_endpoint = advertise;
      args->directory = *dir;
      args->timeout = request_timeout(cfg);
      args->schema = setup.schema;
      args->registry = setup.registry;
      auto gw = detail::spawn_gateway(sys, args);
      self->monitor(gw);
      bool down = false;
      caf::error reason;
      while (!down && !stop())
        self->receive([&](const caf::down_msg& dm) {
                        if (dm.source == gw.address()) {
                          down = true;
                          reason = dm.reason;
                        }
                      },
                      caf::after(std::chrono::milliseconds(200)) >> [] {});
      if (!down) {
        self->send(gw, actors::halt_atom::value);
        break;
      }
      const std::string why = sys.render(reason);
      if (why.find("refused:") != std::string::npos) {
        spdlog::error("node {}: the head at {} refused this node: {}", setup.name, setup.join.to_string(), why);
        code = 2;
        break;
      }
      if (why.find("busy:") != std::string::npos)
        spdlog::warn("node {}: the head at {} says: {}; trying again", setup.name, setup.join.to_string(), why);
      else
        spdlog::warn("node {}: lost the head ({}); joining again", setup.name, why);
      pause();
    }
  }
  if (service) service->stop();
  return code;
}

core::result<actors::control_reply> control(const core::config& cfg, const address& head, const std::string& token,
                                            const std::string& command, const std::vector<std::string>& args,
                                            std::chrono::milliseconds timeout) {
  caf::actor_system_config ccfg;
  if (auto ok = configure_system(ccfg, cfg); !ok) return ok.error();
  if (!reachable(head, timeout))
    return core::make_error(core::errc::io, "the head at " + head.to_string() + " is not reachable");
  std::unique_ptr<tunnel_client> tunnel;
  address caf_head = head;
  if (curve_on(cfg)) {
    auto keys = cluster_keys(cfg, token);
    if (!keys) return keys.error();
    auto t = tunnel_client::start(head.to_string(), keys.value());
    if (!t) return t.error();
    tunnel = std::move(t.value());
    caf_head = {"127.0.0.1", tunnel->local_port()};
  }
  caf::actor_system sys{ccfg};
  auto dir = connect(sys, caf_head);
  if (!dir && tunnel && tunnel->stats().refused_in_a_row >= 2)
    return core::make_error(core::errc::io, "the head at " + head.to_string() +
                                                " refused this client: the CURVE handshake failed (not the "
                                                "cluster's key: a wrong cluster token or cluster.key_file, or a head "
                                                "with cluster.curve off)");
  if (!dir)
    return core::make_error(core::errc::io, "no directory at " + head.to_string() + ": " + sys.render(dir.error()));
  core::result<actors::control_reply> out = core::make_error(core::errc::timeout, "no answer");
  caf::scoped_actor self{sys};
  self->request(*dir, timeout, actors::control_request{token, command, args})
      .receive([&](const actors::control_reply& r) { out = r; },
               [&](const caf::error& e) {
                 out = core::make_error(core::errc::timeout, "the head did not answer: " + sys.render(e));
               });
  return out;
}

}  // namespace lantern::cluster
