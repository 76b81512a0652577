// The head's hooks, a member node's life, and the operator's control client.
#include <thread>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "annotators/service.hpp"
#include "cluster/detail.hpp"

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
  auto link = std::make_shared<std::unique_ptr<bridge>>();
  actors::training_hooks h;
  h.local_runners = shared->here.envs ? -1 : 0;
  h.remote_annotator = !shared->here.annotator;
  // One key pair for the links and the annotator nodes' services (a bad cluster.key_file stops
  // the run before any step, with the file named).
  auto keys = std::make_shared<core::result<core::curve_keys>>(cluster_keys(*shared->cfg, shared->token));
  if (*keys && curve_on(*shared->cfg) && h.remote_annotator) h.annotator_keys = keys->value();
  // configure_system's errors (cluster.tls) are found earlier in `lantern node`.
  h.configure = [shared](caf::actor_system_config& ccfg) { (void)configure_system(ccfg, *shared->cfg, false); };
  h.started = [shared, port, link, on_published, control, keys](caf::actor_system& sys, const caf::actor& learner,
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
    auto refuse = [&](const std::string& why) {
      caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
      caf::anon_send(gw, actors::halt_atom::value);
      return core::make_error(core::errc::io, "cannot listen on " + shared->listen.to_string() + ": " + why);
    };
    auto opts = link_options(cfg, shared->token);
    if (!opts) return refuse(opts.error().message);
    *link = bridge::start(sys, opts.value());
    auto listening = (*link)->listen(shared->listen, dir);
    if (!listening) {
      link->reset();
      return refuse(listening.error().message);
    }
    *port = listening.value();
    const uint16_t visible = *port;
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
  h.stopping = [link](caf::actor_system& sys) {
    link->reset();  // no more messages from other nodes; their proxies go down
    auto dir = caf::actor_cast<caf::actor>(sys.registry().get(directory_key));
    auto gw = caf::actor_cast<caf::actor>(sys.registry().get(gateway_key));
    if (dir) caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
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
  auto opts = link_options(cfg, setup.token);
  if (!opts) {
    spdlog::error("node {}: {}", setup.name, opts.error().message);
    if (service) service->stop();
    return 2;
  }
  int code = 0;
  {
    caf::actor_system sys{ccfg};
    auto link = bridge::start(sys, opts.value());
    caf::scoped_actor self{sys};
    const auto rejoin = std::chrono::duration<double>(cfg.real("cluster.rejoin_seconds"));
    auto pause = [&] {
      const auto until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(rejoin);
      while (clock_type::now() < until && !stop()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    };
    bool waiting_said = false, joined_once = false;
    while (!stop()) {
      // Probe first, to say so when the head is not there.
      if (!reachable(setup.join, std::chrono::milliseconds(1000))) {
        if (!waiting_said) spdlog::warn("node {}: the head at {} is not reachable; trying again", setup.name,
                                        setup.join.to_string());
        waiting_said = true;
        pause();
        continue;
      }
      auto dir = link->connect(setup.join, request_timeout(cfg));
      // Refused before this process ever joined: the key is wrong, and trying again will not help.
      // Once it has joined, the key was right: a failed handshake is a link that broke during it.
      if (!dir && dir.error().code == core::errc::refused && !joined_once) {
        spdlog::error("node {}: the head at {} refused this node: {}", setup.name, setup.join.to_string(),
                      dir.error().message);
        code = 2;
        break;
      }
      if (!dir) {
        spdlog::warn("node {}: cannot reach the directory at {}: {}", setup.name, setup.join.to_string(),
                     dir.error().message);
        pause();
        continue;
      }
      waiting_said = false;
      joined_once = true;
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
  auto opts = link_options(cfg, token);
  if (!opts) return opts.error();
  caf::actor_system sys{ccfg};
  auto link = bridge::start(sys, opts.value());
  auto dir = link->connect(head, timeout);
  if (!dir && dir.error().code == core::errc::refused)
    return core::make_error(core::errc::io, "the head at " + head.to_string() + " refused this client: " +
                                                dir.error().message);
  if (!dir) return core::make_error(core::errc::io, "no directory at " + head.to_string() + ": " + dir.error().message);
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
