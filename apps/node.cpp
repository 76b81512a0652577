// `lantern node` (one process of a cluster) and `lantern envs [attach|detach|list]`.
#include <unistd.h>

#include <iostream>

#include <spdlog/spdlog.h>

#include "apps/commands.hpp"
#include "cluster/cluster.hpp"
#include "core/log.hpp"

namespace lantern::apps {
namespace {

struct node_flags {
  std::string roles = "head,learner,envs", listen = "127.0.0.1:7700", join, name;
  int runners = -1;
  train_flags train;
};

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "node";
  return buf;
}

int run_node(const envs::env_registry& reg, const core::schema& schema, common_flags& f, const node_flags& n) {
  auto roles = cluster::parse_roles(n.roles);
  if (!roles) {
    std::cerr << "lantern node: --roles: " << roles.error().message << "\n";
    return 2;
  }
  if (roles->head && !n.join.empty()) {
    std::cerr << "lantern node: a head listens (--listen); --join is for the other nodes\n";
    return 2;
  }
  if (!roles->head && n.join.empty()) {
    std::cerr << "lantern node: a node without the head role needs --join HOST:PORT (the head's --listen)\n";
    return 2;
  }
  auto cfg = load_config(schema, f);
  if (!cfg) return 2;
  auto token = cluster::load_token(*cfg);
  if (!token) {
    std::cerr << "lantern node: " << token.error().message << "\n";
    return 2;
  }
  if (roles->head) {
    {  // the cluster's config is checked before any work starts
      caf::actor_system_config probe;
      if (auto ok = cluster::configure_system(probe, *cfg); !ok) {
        std::cerr << "lantern node: config error: " << ok.error().message << "\n";
        return 2;
      }
    }
    auto listen = cluster::parse_address(n.listen);
    if (!listen) {
      std::cerr << "lantern node: --listen: " << listen.error().message << "\n";
      return 2;
    }
    const auto here = *roles;
    const std::string tok = *token;
    auto addr = *listen;
    return run_train(reg, schema, f, n.train,
                     [&, here, tok, addr](const core::config& final_cfg, const std::string& text,
                                          std::shared_ptr<cluster::head_control>& control)
                         -> std::optional<actors::training_hooks> {
                       cluster::head_setup h{addr, tok, text, &final_cfg, &schema, &reg, here};
                       control = std::make_shared<cluster::head_control>();
                       return cluster::head_hooks(
                           h,
                           [addr](uint16_t port) {
                             std::cout << "lantern node: head listening on " << addr.host << ":" << port << std::endl;
                           },
                           control);
                     });
  }
  auto join = cluster::parse_address(n.join);
  if (!join) {
    std::cerr << "lantern node: --join: " << join.error().message << "\n";
    return 2;
  }
  install_signal_handlers();
  cluster::member_setup m{*join, *token, n.name.empty() ? host_name() : n.name, *roles, n.runners, &*cfg, &schema, &reg};
  std::cout << "lantern node: " << m.name << " (" << roles->to_string() << ") joining " << join->to_string()
            << std::endl;
  return cluster::run_member(m, [] { return stop_requested(); });
}

struct envs_flags {
  std::string head = "127.0.0.1:7700", name, endpoint, node, key_file;
  int64_t runners = 0, envs = 0, timeout_ms = 0;
};

int run_control(const core::schema& schema, const common_flags& f, const envs_flags& e, const std::string& command) {
  auto cfg = load_config(schema, f);
  if (!cfg) return 2;
  auto token = cluster::load_token(*cfg);
  if (!token) {
    std::cerr << "lantern envs " << command << ": " << token.error().message << "\n";
    return 2;
  }
  auto head = cluster::parse_address(e.head);
  if (!head) {
    std::cerr << "lantern envs " << command << ": --head: " << head.error().message << "\n";
    return 2;
  }
  std::vector<std::string> args;
  if (command == "attach")
    args = {e.name, e.endpoint, e.node,
            std::to_string(e.runners > 0 ? e.runners : cfg->integer("cluster.attach_runners")),
            std::to_string(e.envs > 0 ? e.envs : cfg->integer("cluster.attach_envs")), e.key_file};
  if (command == "detach") args = {e.name};
  const auto timeout = std::chrono::milliseconds(e.timeout_ms > 0 ? e.timeout_ms : cfg->integer("cluster.request_timeout_ms"));
  auto reply = cluster::control(*cfg, *head, *token, command, args, timeout);
  if (!reply) {
    std::cerr << "lantern envs " << command << ": " << reply.error().message << "\n";
    return reply.error().code == core::errc::config ? 2 : 1;
  }
  (reply->ok ? std::cout : std::cerr) << (reply->ok ? "" : "lantern envs " + command + ": ") << reply->text
                                      << (reply->text.empty() || reply->text.back() == '\n' ? "" : "\n");
  return reply->ok ? 0 : (reply->text.rfind("refused:", 0) == 0 ? 2 : 1);
}

}  // namespace

std::function<int()> add_node(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f) {
  auto n = std::make_shared<node_flags>();
  auto* cmd = app.add_subcommand("node", "run one node of a cluster (docs/cluster.md)");
  add_common_flags(*cmd, f);
  cmd->add_option("--roles", n->roles, "head,learner (together), envs, annotator")->capture_default_str();
  cmd->add_option("--listen", n->listen, "head: where the directory listens (loopback unless you say otherwise)")
      ->capture_default_str();
  cmd->add_option("--join", n->join, "other nodes: the head's HOST:PORT");
  cmd->add_option("--name", n->name, "this node's name (default: the host name); a node keeps its id by name");
  cmd->add_option("--runners", n->runners, "envs nodes: runners to start (default: the run's train.runners)")
      ->check(strict_integer(0, 256));
  add_train_flags(*cmd, n->train);
  return [&reg, &s, &f, n] {
    if (f.log_level == "warn") (void)core::setup_logging("info");  // a node says who joins and leaves
    return run_node(reg, s, f, *n);
  };
}

std::function<int()> add_keys(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("keys", "make the cluster's CURVE key pair in a new file (cluster.key_file)");
  cmd->add_option("--out", *out, "the file to write (mode 0600; an existing file is never overwritten)")->required();
  return [out] {
    auto keys = core::make_keys();
    if (!keys) {
      std::cerr << "lantern keys: " << keys.error().message << "\n";
      return 1;
    }
    if (auto ok = core::write_key_file(*out, keys.value()); !ok) {
      std::cerr << "lantern keys: " << ok.error().message << "\n";
      return 2;
    }
    std::cout << "lantern keys: wrote " << *out << " (public key " << keys->public_key
              << ").\nCopy it to every node and set cluster.key_file = \"" << *out
              << "\" in each node's config: a peer without it is refused by the CURVE handshake.\n";
    return 0;
  };
}

std::function<int()> add_envs(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f) {
  auto e = std::make_shared<envs_flags>();
  auto which = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("envs", "list the environment kinds; attach, detach or list envs on a running cluster");
  auto add_head = [&, e](CLI::App* sub) {
    add_common_flags(*sub, f);
    sub->add_option("--head", e->head, "the head's HOST:PORT")->capture_default_str();
    sub->add_option("--timeout-ms", e->timeout_ms, "how long to wait for the head (default cluster.request_timeout_ms)")
        ->check(strict_integer(1, 86400000));
  };
  auto* attach = cmd->add_subcommand("attach", "connect runners to an environment server (docs/external-envs.md)");
  add_head(attach);
  attach->add_option("--name", e->name, "a name for this env on the cluster")->required();
  attach->add_option("--endpoint", e->endpoint, "the server's ZeroMQ endpoint, e.g. tcp://10.0.0.5:7800")->required();
  attach->add_option("--node", e->node, "the node whose gateway connects (default: the head)");
  attach->add_option("--key-file", e->key_file,
                     "a `lantern keys` file on that node: connect with CURVE to a server holding the same key");
  attach->add_option("--runners", e->runners, "runners (default cluster.attach_runners)")->check(strict_integer(1, 256));
  attach->add_option("--envs", e->envs, "envs per runner: connections to the server (default cluster.attach_envs)")
      ->check(strict_integer(1, 4096));
  auto* detach = cmd->add_subcommand("detach", "stop the runners of an attached environment server");
  add_head(detach);
  detach->add_option("--name", e->name, "the env's name")->required();
  auto* list = cmd->add_subcommand("list", "the cluster's nodes and attached environment servers");
  add_head(list);
  for (auto* sub : {attach, detach, list}) sub->callback([which, sub] { *which = sub->get_name(); });
  return [&reg, &s, &f, e, which] {
    if (which->empty()) {
      for (const auto& n : reg.names()) std::cout << n << "\t" << reg.find(n)->description << "\n";
      return 0;
    }
    return run_control(s, f, *e, *which);
  };
}

}  // namespace lantern::apps
