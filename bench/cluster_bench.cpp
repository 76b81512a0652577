// Rollouts between two processes over loopback: through CAF (Lantern's rollout_msg, sent to a
// published actor that acknowledges each one, as a runner sends to a remote learner) against
// raw ZeroMQ carrying a byte payload of exactly the same size (DEALER -> ROUTER, same window of
// unacknowledged messages), measured in one run and printed as a ratio. The rollout is real:
// 32 steps of 16 TextWorld envs (text, candidates, captions). The sender is a second process
// (this binary again, started with --send).
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
#include <caf/io/all.hpp>
#include <zmq.hpp>

#include "actors/protocol.hpp"
#include "core/config.hpp"
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

std::vector<char> serialized(caf::actor_system& sys, const actors::rollout_msg& m) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto copy = m;
  (void)sink(copy);
  return buf;
}

caf::actor_system_config& configured(caf::actor_system_config& cfg) {
  actors::add_message_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("middleman.workers", size_t{0});  // as Lantern's nodes run (cluster.middleman_workers)
  return cfg;
}

int sender(const std::string& transport, int port, int rollouts, int window) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  const auto msg = make_rollout();
  if (transport == "caf") {
    auto sink = sys.middleman().remote_actor("127.0.0.1", static_cast<uint16_t>(port));
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
  const auto bytes = serialized(sys, msg);
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.connect("tcp://127.0.0.1:" + std::to_string(port));
  int sent = 0, acked = 0;
  zmq::message_t ack;
  for (; sent < window && sent < rollouts; ++sent) s.send(zmq::buffer(bytes), zmq::send_flags::none);
  while (acked < rollouts) {
    (void)s.recv(ack);
    ++acked;
    if (sent < rollouts) {
      s.send(zmq::buffer(bytes), zmq::send_flags::none);
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

// Seconds from the first rollout received to the last.
double receive_caf(int rollouts, int window) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  std::atomic<int> received{0};
  std::atomic<int64_t> first_ns{0};
  auto sink = sys.spawn([&](caf::event_based_actor*) -> caf::behavior {
    return {[&](const actors::rollout_msg&) {
      if (received == 0) first_ns = clock_type::now().time_since_epoch().count();
      ++received;
      return actors::rollout_ack{};
    }};
  });
  auto port = sys.middleman().publish(sink, 0, "127.0.0.1", true);
  if (!port) return 0;
  pid_t child = start_sender("caf", *port, rollouts, window);
  while (received < rollouts) std::this_thread::sleep_for(std::chrono::microseconds(200));
  const auto end = clock_type::now().time_since_epoch().count();
  ::waitpid(child, nullptr, 0);
  (void)sys.middleman().unpublish(sink, *port);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  return static_cast<double>(end - first_ns) * 1e-9;
}

// Seconds from the first payload received to the last; 0 if one had another size.
double receive_zmq(int rollouts, int window, size_t payload) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::router);
  s.bind("tcp://127.0.0.1:*");
  const std::string ep = s.get(zmq::sockopt::last_endpoint);
  const int port = std::stoi(ep.substr(ep.rfind(':') + 1));
  pid_t child = start_sender("zmq", port, rollouts, window);
  zmq::message_t who, body;
  clock_type::time_point first;
  bool same_size = true;
  for (int i = 0; i < rollouts; ++i) {
    (void)s.recv(who);
    (void)s.recv(body);
    if (i == 0) first = clock_type::now();
    same_size = same_size && body.size() == payload;
    s.send(who, zmq::send_flags::sndmore);
    s.send(zmq::str_buffer("k"), zmq::send_flags::none);
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - first).count();
  ::waitpid(child, nullptr, 0);
  return same_size ? secs : 0.0;
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
  size_t payload = 0;
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{configured(cfg)};
    payload = serialized(sys, make_rollout()).size();
  }
  // The first message is not timed (connection set-up): rates are over rollouts - 1.
  const double caf_s = receive_caf(rollouts, window), zmq_s = receive_zmq(rollouts, window, payload);
  if (caf_s <= 0 || zmq_s <= 0) {
    std::fprintf(stderr, "cluster_bench: a transfer failed (no publish, or a payload of another size)\n");
    return 1;
  }
  const double caf_rate = (rollouts - 1) / caf_s, zmq_rate = (rollouts - 1) / zmq_s;
  const double mb = static_cast<double>(payload) / 1e6;
  std::printf("{\"name\": \"rollout_payload\", \"value\": %zu, \"unit\": \"bytes\", \"steps\": 32, \"envs\": 16}\n", payload);
  std::printf("{\"name\": \"rollouts_caf\", \"value\": %.1f, \"unit\": \"rollouts/s\", \"mb_per_s\": %.1f, \"env_steps_per_s\": %.0f, \"window\": %d}\n",
              caf_rate, caf_rate * mb, caf_rate * 512, window);
  std::printf("{\"name\": \"rollouts_zmq_raw\", \"value\": %.1f, \"unit\": \"rollouts/s\", \"mb_per_s\": %.1f, \"env_steps_per_s\": %.0f, \"window\": %d}\n",
              zmq_rate, zmq_rate * mb, zmq_rate * 512, window);
  std::printf("{\"name\": \"caf_over_zmq\", \"value\": %.3f, \"unit\": \"ratio\"}\n", caf_rate / zmq_rate);
  return 0;
}
