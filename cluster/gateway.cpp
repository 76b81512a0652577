// A node's gateway: joins the head (members), starts the node's built-in runners, and attaches
// and detaches external environment servers on the directory's command.
#include <map>

#include <spdlog/spdlog.h>

#include "actors/env_runner.hpp"
#include "actors/harden.hpp"
#include "cluster/detail.hpp"

namespace lantern::cluster::detail {
namespace {

using actors::control_reply;
using actors::control_request;

struct attached {
  caf::actor supervisor;
  std::string endpoint, state = "running";
};

struct gateway_state {
  std::shared_ptr<const gateway_args> args;
  uint64_t node_id = 0;
  std::shared_ptr<const core::config> cfg;
  core::obs_layout layout;
  caf::actor learner, builtin, directory;
  std::map<std::string, attached> envs;
  uint64_t groups = 0;  // attachments so far: runner ids never repeat on a node
  bool ready = false;
};

uint64_t first_runner_id(uint64_t node_id, uint64_t group) { return (node_id << 24) | (group << 12); }

control_reply attach(caf::stateful_actor<gateway_state>* self, const std::vector<std::string>& a) {
  auto& st = self->state;
  if (!st.ready) return {false, "the node is not set up yet"};
  if (a.size() != 4 && a.size() != 5) return {false, "attach needs: name endpoint runners envs [key_file]"};
  const std::string& name = a[0];
  if (auto old = st.envs.find(name); old != st.envs.end()) {
    if (old->second.supervisor) return {false, "an env named '" + name + "' is already attached here"};
    st.envs.erase(old);  // a dropped env's name is free again: attaching it anew replaces it
  }
  auto cfg = *st.cfg;
  for (auto [key, value] : {std::pair{"env.external.endpoint", a[1]}, {"train.envs_per_runner", a[3]},
                            {"env.external.key_file", a.size() == 5 ? a[4] : std::string()}})
    if (auto ok = cfg.set(key, value, "envs attach"); !ok) return {false, ok.error().message};
  // Said hello to first: an unreachable server or another layout is refused now, not later.
  auto probe = st.args->registry->create("external", cfg);
  if (!probe) return {false, probe.error().message};
  if (!(probe.value()->spec().layout == st.layout))
    return {false, "env server at " + a[1] + " offers " + core::describe(probe.value()->spec().layout) +
                       "; this run's policy takes " + core::describe(st.layout)};
  probe.value().reset();
  // No restart: a server that crashed or hung stays dropped (attach it again to retry).
  auto setup = std::make_shared<actors::runner_setup>(
      actors::runner_setup{std::move(cfg), st.args->registry, "external", st.layout,
                           first_runner_id(st.node_id, ++st.groups), std::max(1, std::atoi(a[2].c_str())), 0});
  auto sup = actors::spawn_runners(self->system(), setup, st.learner);
  self->monitor(sup);
  st.envs[name] = {sup, a[1]};
  spdlog::info("gateway {}: attached '{}' at {} ({} runner(s) x {} envs)", st.args->node, name, a[1],
               setup->runners, a[3]);
  return {true, "attached '" + name + "' (" + a[1] + ") on node " + st.args->node};
}

void set_up(caf::stateful_actor<gateway_state>* self) {
  auto& st = self->state;
  self->monitor(st.learner);
  st.ready = true;
  const int runners = st.args->runners >= 0 ? st.args->runners : static_cast<int>(st.cfg->integer("train.runners"));
  if (st.args->here.envs && runners > 0 && !st.args->preset) {
    auto setup = std::make_shared<actors::runner_setup>(actors::runner_setup{
        *st.cfg, st.args->registry, st.cfg->string("train.env"), st.layout, first_runner_id(st.node_id, 0), runners, -1});
    st.builtin = actors::spawn_runners(self->system(), setup, st.learner);
    spdlog::info("node {}: {} runner(s) of {} x {} envs acting for the learner", st.args->node, runners,
                 setup->env, st.cfg->integer("train.envs_per_runner"));
  }
}

void stop_all(caf::stateful_actor<gateway_state>* self) {
  auto& st = self->state;
  if (st.builtin) self->send(st.builtin, actors::halt_atom::value);
  for (auto& [name, e] : st.envs)
    if (e.supervisor) self->send(e.supervisor, actors::halt_atom::value);
}

caf::behavior gateway(caf::stateful_actor<gateway_state>* self, std::shared_ptr<const gateway_args> args) {
  auto& s = self->state;
  s.args = args;
  s.directory = args->directory;  // the head's gateway is told it by a message (it is spawned first)
  self->set_default_handler(caf::drop);
  actors::harden(self, "gateway " + args->node, true);
  if (args->preset) {
    s.node_id = args->node_id;
    s.cfg = args->cfg;
    s.layout = args->layout;
    s.learner = args->learner;
    set_up(self);
  } else {
    self->monitor(args->directory);
    actors::join_request req{actors::cluster_protocol_version, args->token, args->node, args->here.to_string(),
                             args->annotator_endpoint};
    self->request(args->directory, args->timeout, req)
        .then(
            [=](const actors::join_reply& r) {
              auto& st = self->state;
              auto cfg = core::config::parse(*st.args->schema, r.config, "the head's config", {});
              if (!cfg) return self->quit(caf::make_error(caf::sec::runtime_error, "refused: " + cfg.error().message));
              st.cfg = std::make_shared<const core::config>(std::move(cfg.value()));
              st.node_id = r.node_id;
              st.learner = r.learner;
              if (st.args->here.envs) {
                auto probe = st.args->registry->create(st.cfg->string("train.env"), *st.cfg);
                if (!probe) return self->quit(caf::make_error(caf::sec::runtime_error, probe.error().message));
                st.layout = probe.value()->spec().layout;
              }
              spdlog::info("node {}: joined the cluster as node {} ({})", st.args->node, r.node_id,
                           st.args->here.to_string());
              set_up(self);
              self->send(st.directory, control_request{st.args->token, "ready", {st.args->node}});
            },
            [=](const caf::error& e) { self->quit(e); });
  }
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.learner.address() || (!st.args->preset && dm.source == st.directory.address())) {
      spdlog::warn("node {}: lost the head ({}); stopping runners", st.args->node, self->system().render(dm.reason));
      stop_all(self);
      self->quit(dm.reason ? dm.reason : caf::make_error(caf::sec::remote_linking_failed, "the head is gone"));
      return;
    }
    for (auto& [name, e] : st.envs) {
      if (e.supervisor.address() != dm.source) continue;
      e.state = "dropped: " + actors::reason_text(self->system(), dm.reason);
      e.supervisor = nullptr;
      spdlog::error("gateway {}: env '{}' ({}) {}", st.args->node, name, e.endpoint, e.state);
      if (st.directory) self->send(st.directory, control_request{st.args->token, "dropped", {name, e.state}});
    }
  });
  return {
      [=](const control_request& r) -> control_reply {
        auto& st = self->state;
        if (r.command == "attach") return attach(self, r.args);
        if (r.command == "detach" && r.args.size() == 1) {
          auto it = st.envs.find(r.args[0]);
          if (it == st.envs.end()) return {false, "no env named '" + r.args[0] + "' on node " + st.args->node};
          if (it->second.supervisor) {
            self->demonitor(it->second.supervisor);
            self->send(it->second.supervisor, actors::halt_atom::value);
          }
          st.envs.erase(it);
          spdlog::info("gateway {}: detached '{}'", st.args->node, r.args[0]);
          return {true, "detached '" + r.args[0] + "' from node " + st.args->node};
        }
        return {false, "the gateway does not know the command '" + r.command + "'"};
      },
      [=](actors::halt_atom) {
        stop_all(self);
        self->quit();
      },
      [=](const control_reply&) {},  // the directory's answer to a "dropped" report
      [=](actors::join_atom, const caf::actor& directory) { self->state.directory = directory; },
  };
}

}  // namespace

caf::actor spawn_gateway(caf::actor_system& sys, std::shared_ptr<const gateway_args> args) {
  return sys.spawn(gateway, std::move(args));
}

}  // namespace lantern::cluster::detail
