// The head's directory: admits nodes that show the token, tells them the run's config and the
// learner, routes operator commands to gateways, and notices nodes that go away.
#include <chrono>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>

#include "actors/harden.hpp"
#include "cluster/detail.hpp"

namespace lantern::cluster::detail {
namespace {

using actors::control_reply;
using actors::control_request;
using clock_type = std::chrono::steady_clock;

struct node_record {
  uint64_t id = 0;
  std::string roles;
  caf::actor gateway;
  bool connected = false;
  clock_type::time_point since;
  uint64_t joins = 0;
};

struct attachment {
  std::string node, endpoint, runners, envs, state, key_file;
};

struct directory_state {
  directory_args args;
  std::map<std::string, node_record> nodes;  // by name; "head" is the head itself
  std::map<std::string, attachment> envs;    // attached env servers, by name
  std::string annotator;
  uint64_t next_id = 1;
};

std::string listing(const directory_state& st) {
  std::ostringstream out;
  const auto now = clock_type::now();
  out << "nodes:\n";
  for (const auto& [name, n] : st.nodes) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - n.since).count();
    out << "  " << name << "\tid " << n.id << "\t" << n.roles << "\t"
        << (n.connected ? "connected " : "lost ") << secs << " s ago\tjoins " << n.joins << "\n";
  }
  out << "annotator: " << (st.annotator.empty() ? "(in the head, or none)" : st.annotator) << "\n";
  out << "attached envs:" << (st.envs.empty() ? " none" : "") << "\n";
  for (const auto& [name, e] : st.envs)
    out << "  " << name << "\t" << e.endpoint << (e.key_file.empty() ? "" : " (CURVE)") << "\ton " << e.node << "\t" << e.runners << " runner(s) x " << e.envs
        << " envs\t" << e.state << "\n";
  return out.str();
}

caf::behavior directory(caf::stateful_actor<directory_state>* self, directory_args args) {
  auto& s = self->state;
  s.args = std::move(args);
  self->set_default_handler(caf::drop);  // an unexpected message or a stray error must not stop it
  actors::harden(self, "directory", true);
  s.nodes["head"] = {0, "head,learner", s.args.head_gateway, true, clock_type::now(), 1};
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& [name, n] : st.nodes) {
      if (!n.connected || n.gateway.address() != dm.source) continue;
      n.connected = false;
      n.since = clock_type::now();
      n.gateway = nullptr;
      spdlog::warn("directory: node {} lost ({}); training goes on without it", name,
                   self->system().render(dm.reason));
      for (auto& [ename, e] : st.envs)
        if (e.node == name && e.state == "running") e.state = "waiting for node " + name;
    }
  });
  // Forwards an attach to a node's gateway and records it when the gateway agrees.
  auto attach_on = [=](const std::string& node, const std::string& name, caf::response_promise rp) {
    auto& st = self->state;
    const auto& e = st.envs.at(name);
    self->request(st.nodes[node].gateway, st.args.timeout,
                  control_request{"", "attach", {name, e.endpoint, e.runners, e.envs, e.key_file}})
        .then(
            [=](const control_reply& r) mutable {
              auto& st2 = self->state;
              if (r.ok) st2.envs[name].state = "running";
              else st2.envs.erase(name);
              rp.deliver(r);
            },
            [=](const caf::error& err) mutable {
              self->state.envs.erase(name);
              rp.deliver(control_reply{false, "node " + node + " did not answer: " + self->system().render(err)});
            });
  };
  return {
      [=](const actors::join_request& r) -> caf::result<actors::join_reply> {
        auto& st = self->state;
        if (r.version != actors::cluster_protocol_version)
          return caf::make_error(caf::sec::runtime_error,
                                 "refused: node speaks cluster protocol " + std::to_string(r.version) +
                                     ", the head speaks " + std::to_string(actors::cluster_protocol_version));
        if (!same_token(r.token, st.args.token)) {
          spdlog::warn("directory: refused node '{}': wrong cluster token", r.node);
          return caf::make_error(caf::sec::runtime_error, "refused: wrong cluster token");
        }
        if (r.node.empty() || r.node == "head") return caf::make_error(caf::sec::runtime_error, "refused: bad node name");
        auto gw = caf::actor_cast<caf::actor>(self->current_sender());
        auto& n = st.nodes[r.node];
        if (n.connected && n.gateway && n.gateway != gw) {
          // The same process joining again (its link was cut and it noticed first) replaces its
          // old record; another process under a name in use waits (two nodes would share seeds).
          if (n.gateway.node() != gw.node())
            return caf::make_error(caf::sec::runtime_error, "busy: a node named '" + r.node +
                                                                "' is connected; give each node its own --name");
          spdlog::warn("directory: node {} joins again; its old link is replaced", r.node);
        }
        if (n.id == 0) n.id = st.next_id++;  // a node keeps its id (and its runners' seeds) across rejoins
        n.roles = r.roles;
        n.gateway = gw;
        n.connected = true;
        n.since = clock_type::now();
        ++n.joins;
        self->monitor(gw);
        spdlog::info("directory: node {} joined as {} ({})", r.node, n.id, r.roles);
        if (!r.annotator_endpoint.empty()) {
          st.annotator = r.annotator_endpoint;
          if (st.args.rewards) self->send(st.args.rewards, actors::annotator_at{r.annotator_endpoint});
        }
        return actors::join_reply{n.id, st.args.config_text, st.args.learner};
      },
      [=](const control_request& r) -> caf::result<control_reply> {
        auto& st = self->state;
        spdlog::debug("directory: control '{}'", r.command);
        if (!same_token(r.token, st.args.token)) return control_reply{false, "refused: wrong cluster token"};
        if (r.command == "list") return control_reply{true, listing(st)};
        if (r.command == "nodes") {  // for the control API: id, name, roles, connected; one per line
          std::ostringstream out;
          for (const auto& [name, n] : st.nodes) out << n.id << '\t' << name << '\t' << n.roles << '\t' << n.connected << '\n';
          return control_reply{true, out.str()};
        }
        if (r.command == "ready" && r.args.size() == 1) {
          // A node that (re)joined is set up: env servers attached to it before it was lost are
          // attached again (not those dropped for a fault).
          auto n = st.nodes.find(r.args[0]);
          if (n == st.nodes.end() || !n->second.connected) return control_reply{false, "unknown node"};
          for (auto& [name, e] : st.envs) {
            if (e.node != r.args[0] || e.state.rfind("waiting for node", 0) != 0) continue;
            e.state = "attaching";
            const std::string env_name = name;
            self->request(n->second.gateway, st.args.timeout,
                          control_request{"", "attach", {name, e.endpoint, e.runners, e.envs, e.key_file}})
                .then([=](const control_reply& rep) { self->state.envs[env_name].state = rep.ok ? "running" : rep.text; },
                      [=](const caf::error& err) { self->state.envs[env_name].state = self->system().render(err); });
          }
          return control_reply{true, ""};
        }
        if (r.command == "dropped" && r.args.size() == 2) {
          if (auto it = st.envs.find(r.args[0]); it != st.envs.end()) it->second.state = r.args[1];
          return control_reply{true, ""};
        }
        if (r.command == "attach") {
          // args: name endpoint node runners envs [key_file]
          if (r.args.size() != 5 && r.args.size() != 6)
            return control_reply{false, "attach needs: name endpoint node runners envs [key_file]"};
          const std::string& name = r.args[0];
          const std::string node = r.args[2].empty() ? "head" : r.args[2];
          if (auto old = st.envs.find(name); old != st.envs.end()) {
            // A dropped env's name may be attached anew (the server restarted, say): it replaces it.
            if (old->second.state.rfind("dropped", 0) != 0)
              return control_reply{false, "an env named '" + name + "' is already attached"};
            st.envs.erase(old);
          }
          auto it = st.nodes.find(node);
          if (it == st.nodes.end() || !it->second.connected || !it->second.gateway)
            return control_reply{false, "no connected node named '" + node + "'"};
          st.envs[name] = {node, r.args[1], r.args[3], r.args[4], "attaching", r.args.size() == 6 ? r.args[5] : ""};
          auto rp = self->make_response_promise<control_reply>();
          attach_on(node, name, rp);
          return rp;
        }
        if (r.command == "detach") {
          if (r.args.size() != 1) return control_reply{false, "detach needs: name"};
          auto it = st.envs.find(r.args[0]);
          if (it == st.envs.end()) return control_reply{false, "no env named '" + r.args[0] + "' is attached"};
          const auto node = it->second.node;
          st.envs.erase(it);
          auto n = st.nodes.find(node);
          if (n == st.nodes.end() || !n->second.connected)
            return control_reply{true, "detached '" + r.args[0] + "' (its node " + node + " is not connected)"};
          auto rp = self->make_response_promise<control_reply>();
          self->request(n->second.gateway, st.args.timeout, control_request{"", "detach", r.args})
              .then([=](const control_reply& rep) mutable { rp.deliver(rep); },
                    [=](const caf::error& err) mutable {
                      rp.deliver(control_reply{false, "node did not answer: " + self->system().render(err)});
                    });
          return rp;
        }
        return control_reply{false, "unknown command '" + r.command + "' (attach, detach, list)"};
      },
  };
}

}  // namespace

bool same_token(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) diff |= static_cast<unsigned char>(b[i] ^ (i < a.size() ? a[i] : 0));
  return diff == 0;
}

caf::actor spawn_directory(caf::actor_system& sys, directory_args args) {
  return sys.spawn(directory, std::move(args));
}

}  // namespace lantern::cluster::detail
