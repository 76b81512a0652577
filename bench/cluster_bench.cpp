// Rollouts between two processes over loopback, as a runner sends them to a remote learner:
// Lantern's link (a typed rollout_msg sent to a remote actor's proxy, carried by the bridges of
// both processes with CURVE, delivered to the actor as a typed rollout_msg, acknowledged with a
// typed rollout_ack the same way: cluster/bridge.hpp) against raw ZeroMQ
// doing the same work (DEALER -> ROUTER with CURVE and the same keys; every rollout serialised
// with the same CAF binary serializer on send and decoded into a rollout_msg on receipt, every
// ack serialised and decoded too), same payload, same window of unacknowledged rollouts, one
// run, printed as a ratio. Lantern's link without CURVE (cluster.curve = false) is printed for
// reference. The rollout is real: 32 steps of 16 TextWorld envs (text, candidates,
// captions). The sender is a second process (this binary again, started with --send).
//
//   build/bin/cluster_bench [--rollouts 1000] [--window 2]
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include <caf/all.hpp>
#include <zmq.hpp>

#include "actors/protocol.hpp"
#include "cluster/bridge.hpp"
#include "cluster/cluster.hpp"
#include "core/config.hpp"
#include "core/curve.hpp"
#include "core/rng.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"

extern char** environ;

using namespace lantern;
using clock_type = std::chrono::steady_clock;

namespace {

// One real rollout, as a runner would send it.
actors::rollout_msg make_rollout() {
  envs::env_registry reg;
  envs::register_builtin_envs(reg);
  core::schema s;
  reg.add_options(s);
  auto cfg = core::config::load(s, "", {});
  auto vec = envs::vector_env::create(reg, "textworld", *cfg, 16, 1);
  core::rollout r(vec->spec().layout, 32, 16);
  core::pcg32 rng(3);
  std::vector<int32_t> actions(16);
  std::vector<float> logp(16, -1.0f);
  core::obs_batch before = vec->reset();
  for (int t = 0; t < 32; ++t) {
    for (size_t e = 0; e < 16; ++e)
      actions[e] = static_cast<int32_t>(rng.below(static_cast<uint32_t>(before.candidates[e].size())));
    const auto& after = vec->step(actions);
    r.append(before, actions, logp, {}, after, &vec->final_observations());
    before = after;
  }
  return actors::to_message(r, 1);
}

template <class T>
std::vector<char> serialized(caf::actor_system& sys, const T& m) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto copy = m;
  (void)sink(copy);
  return buf;
}

template <class T>
bool decode(caf::actor_system& sys, const zmq::message_t& bytes, T& out) {
  caf::binary_deserializer source{sys, static_cast<const char*>(bytes.data()), bytes.size()};
  return !source(out);
}

caf::actor_system_config& configured(caf::actor_system_config& cfg) {
  actors::add_message_types(cfg);
  cluster::add_node_identity(cfg);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

const core::curve_keys& keys() {
  static const core::curve_keys k = core::keys_from_token("cluster_bench");
  return k;
}

cluster::bridge_options link(bool curve) {
  cluster::bridge_options o;
  o.curve = curve;
  o.keys = keys();
  return o;
}

// transport: "lantern" (the bridge with CURVE), "plain" (the bridge without) or "zmq" (raw
// ZeroMQ with CURVE, serialising and decoding as the bridge does).
int sender(const std::string& transport, int port, int rollouts, int window) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  const auto msg = make_rollout();
  if (transport == "plain" || transport == "lantern") {
    auto b = cluster::bridge::start(sys, link(transport == "lantern"));
    auto sink = b->connect({"127.0.0.1", static_cast<uint16_t>(port)}, std::chrono::seconds(10));
    if (!sink) return 1;
    caf::scoped_actor self{sys};
    int sent = 0, acked = 0;
    for (; sent < window && sent < rollouts; ++sent) self->send(*sink, msg);
    while (acked < rollouts) {
      self->receive([&](const actors::rollout_ack&) { ++acked; });
      if (sent < rollouts) {
        self->send(*sink, msg);
        ++sent;
      }
    }
    return 0;
  }
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  core::curve_client(s, keys());
  s.connect("tcp://127.0.0.1:" + std::to_string(port));
  int sent = 0, acked = 0;
  zmq::message_t ack;
  auto send_one = [&] {
    auto bytes = serialized(sys, msg);  // per message, as CAF serialises each one
    s.send(zmq::buffer(bytes), zmq::send_flags::none);
  };
  for (; sent < window && sent < rollouts; ++sent) send_one();
  while (acked < rollouts) {
    (void)s.recv(ack);
    actors::rollout_ack a;
    if (!decode(sys, ack, a)) return 1;
    ++acked;
    if (sent < rollouts) {
      send_one();
      ++sent;
    }
  }
  return 0;
}

pid_t start_sender(const std::string& transport, int port, int rollouts, int window) {
  std::vector<std::string> args{"/proc/self/exe", "--send", transport, std::to_string(port), std::to_string(rollouts),
                                std::to_string(window)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

// Seconds from the first rollout received to the last, through the bridge (with or without
// CURVE); 0 if a rollout arrived with another size.
double receive_bridge(int rollouts, int window, bool curve, size_t steps) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  std::atomic<int> received{0}, wrong{0};
  std::atomic<int64_t> first_ns{0};
  auto sink = sys.spawn([&](caf::event_based_actor*) -> caf::behavior {
    return {[&](const actors::rollout_msg& m) {
      if (received == 0) first_ns = clock_type::now().time_since_epoch().count();
      if (m.action.size() != steps) ++wrong;
      ++received;
      return actors::rollout_ack{};
    }};
  });
  double secs = 0;
  {
    auto b = cluster::bridge::start(sys, link(curve));
    auto port = b->listen({"127.0.0.1", 0}, sink);
    if (!port) return 0;
    pid_t child = start_sender(curve ? "lantern" : "plain", *port, rollouts, window);
    while (received < rollouts) std::this_thread::sleep_for(std::chrono::microseconds(200));
    const auto end = clock_type::now().time_since_epoch().count();
    ::waitpid(child, nullptr, 0);
    secs = static_cast<double>(end - first_ns) * 1e-9;
  }
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  return wrong ? 0.0 : secs;
}

// The same through raw ZeroMQ with CURVE: each rollout decoded into a rollout_msg, each ack a
// serialised rollout_ack. Seconds from the first rollout received to the last; 0 on a bad one.
double receive_zmq(int rollouts, int window, size_t steps) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  zmq::context_t ctx;
  core::zap_gate gate(ctx, keys().public_key);
  zmq::socket_t s(ctx, zmq::socket_type::router);
  core::curve_server(s, keys());
  s.bind("tcp://127.0.0.1:*");
  const std::string ep = s.get(zmq::sockopt::last_endpoint);
  const int port = std::stoi(ep.substr(ep.rfind(':') + 1));
  pid_t child = start_sender("zmq", port, rollouts, window);
  zmq::message_t who, body;
  clock_type::time_point first;
  bool ok = true;
  const auto ack = serialized(sys, actors::rollout_ack{});
  for (int i = 0; i < rollouts;) {
    zmq::pollitem_t items[] = {{gate.handle(), 0, ZMQ_POLLIN, 0}, {s.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(100));
    if (items[0].revents & ZMQ_POLLIN) gate.answer();
    if (!(items[1].revents & ZMQ_POLLIN)) continue;
    (void)s.recv(who);
    (void)s.recv(body);
    if (i == 0) first = clock_type::now();
    actors::rollout_msg m;
    ok = ok && decode(sys, body, m) && m.action.size() == steps;
    s.send(who, zmq::send_flags::sndmore);
    s.send(zmq::buffer(ack), zmq::send_flags::none);
    ++i;
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - first).count();
  ::waitpid(child, nullptr, 0);
  return ok ? secs : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--send") == 0 && argc == 6)
    return sender(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]));
  int rollouts = 1000, window = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rollouts") == 0) rollouts = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--window") == 0) window = std::atoi(argv[i + 1]);
  }
  size_t payload = 0, steps = 0;
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{configured(cfg)};
    const auto m = make_rollout();
    payload = serialized(sys, m).size();
    steps = m.action.size();
  }
  // The first message is not timed (connection set-up): rates are over rollouts - 1.
  const double lantern_s = receive_bridge(rollouts, window, true, steps);
  const double zmq_s = receive_zmq(rollouts, window, steps);
  const double caf_s = receive_bridge(rollouts, window, false, steps);
  if (lantern_s <= 0 || zmq_s <= 0 || caf_s <= 0) {
    std::fprintf(stderr, "cluster_bench: a transfer failed (no listener, or a rollout that did not decode whole)\n");
    return 1;
  }
  const double lantern_rate = (rollouts - 1) / lantern_s, zmq_rate = (rollouts - 1) / zmq_s,
               caf_rate = (rollouts - 1) / caf_s;
  const double mb = static_cast<double>(payload) / 1e6;
  auto line = [&](const char* name, double rate) {
    std::printf("{\"name\": \"%s\", \"value\": %.1f, \"unit\": \"rollouts/s\", \"mb_per_s\": %.1f, "
                "\"env_steps_per_s\": %.0f, \"window\": %d}\n",
                name, rate, rate * mb, rate * static_cast<double>(steps), window);
  };
  std::printf("{\"name\": \"rollout_payload\", \"value\": %zu, \"unit\": \"bytes\", \"steps\": 32, \"envs\": 16}\n", payload);
  line("rollouts_lantern_link_curve", lantern_rate);
  line("rollouts_zmq_curve_same_work", zmq_rate);
  line("rollouts_lantern_link_no_curve", caf_rate);
  std::printf("{\"name\": \"lantern_link_over_zmq\", \"value\": %.3f, \"unit\": \"ratio\", \"aim\": 0.8}\n",
              lantern_rate / zmq_rate);
  return 0;
}
