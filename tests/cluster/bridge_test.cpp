// The bridge between processes (cluster/bridge.hpp): a real child process listens, this one
// connects (two actor systems in one process would share a node id). Requests, replies and
// monitors cross it; a kill -9 and a goodbye are noticed; another key is refused by the
// handshake; hostile frames from a peer that holds the key are dropped while the bridge goes on.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "actors/protocol.hpp"
#include "cluster/bridge.hpp"
#include "cluster/cluster.hpp"

namespace {

using namespace lantern;
using namespace std::chrono_literals;
using actors::control_reply;
using actors::control_request;

caf::actor_system_config& configured(caf::actor_system_config& c) {
  actors::add_message_types(c);
  cluster::add_node_identity(c);
  c.set("logger.verbosity", caf::atom("quiet"));
  return c;
}

cluster::bridge_options options(const std::string& token, bool curve = true) {
  cluster::bridge_options o;
  o.curve = curve;
  o.keys = core::keys_from_token(token);
  o.heartbeat = 100ms;
  o.timeout = 1500ms;
  return o;
}

// A child process that listens with `token` and publishes a service actor:
//   echo X      -> X
//   watch       -> monitors the sender; its down is written to the pipe as "down <reason>"
//   stats       -> "malformed unroutable lost peers" of its bridge
// It writes "port N" to the pipe, then runs until killed.
struct server {
  pid_t pid = -1;
  uint16_t port = 0;
  FILE* from = nullptr;

  explicit server(const std::string& token) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      run(token, fds[1]);
      ::_exit(0);
    }
    ::close(fds[1]);
    from = ::fdopen(fds[0], "r");
    std::string first = line();
    if (first.rfind("port ", 0) == 0) port = static_cast<uint16_t>(std::stoi(first.substr(5)));
  }
  ~server() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (from) ::fclose(from);
  }
  std::string line() {
    char buf[512];
    if (!std::fgets(buf, sizeof buf, from)) return "";
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  // The child's peak resident memory (kB), from /proc.
  long peak_kb() const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    long value = 0;
    while (in >> key) {
      if (key == "VmHWM:") {
        in >> value;
        return value;
      }
      std::getline(in, key);
    }
    return 0;
  }

  static void run(const std::string& token, int out) {
    caf::actor_system_config cfg;
    caf::actor_system sys{configured(cfg)};
    std::unique_ptr<cluster::bridge> b;
    auto svc = sys.spawn([&b, out](caf::event_based_actor* self) -> caf::behavior {
      self->set_down_handler([out, self](const caf::down_msg& dm) {
        const std::string s = "down " + self->system().render(dm.reason) + "\n";
        (void)!::write(out, s.data(), s.size());
      });
      return {[&b, self](const control_request& r) -> control_reply {
        if (r.command == "echo" && !r.args.empty()) return {true, r.args[0]};
        if (r.command == "watch") {
          self->monitor(self->current_sender());
          return {true, "watching"};
        }
        if (r.command == "stats") {
          auto s = b->stats();
          return {true, std::to_string(s.malformed) + " " + std::to_string(s.unroutable) + " " +
                            std::to_string(s.lost) + " " + std::to_string(s.peers)};
        }
        return {false, "unknown"};
      }};
    });
    b = cluster::bridge::start(sys, options(token));
    auto port = b->listen({"127.0.0.1", 0}, svc);
    const std::string s = "port " + std::to_string(port ? *port : 0) + "\n";
    (void)!::write(out, s.data(), s.size());
    for (;;) ::pause();
  }
};

control_reply ask(caf::actor_system& sys, const caf::actor& to, const std::string& command,
                  std::vector<std::string> args = {}) {
  caf::scoped_actor self{sys};
  control_reply out{false, "no answer"};
  self->request(to, 5s, control_request{"", command, std::move(args)})
      .receive([&](const control_reply& r) { out = r; }, [&](const caf::error& e) { out = {false, sys.render(e)}; });
  return out;
}

TEST(Bridge, RequestsRepliesAndMonitorsCrossProcesses) {
  server srv("token-a");
  ASSERT_GT(srv.port, 0);
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  {
    caf::scoped_actor watcher{sys};  // outlives the bridge: the server must learn of it by the goodbye
    auto b = cluster::bridge::start(sys, options("token-a"));
    auto svc = b->connect({"127.0.0.1", srv.port}, 5s);
    ASSERT_TRUE(svc) << svc.error().message;
    EXPECT_NE(svc->node(), sys.node());
    auto r = ask(sys, *svc, "echo", {std::string(300000, 'x')});  // several hundred KB each way
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.text.size(), 300000u);
    std::string watching;
    watcher->request(*svc, 5s, control_request{"", "watch", {}})
        .receive([&](const control_reply& rep) { watching = rep.text; }, [](const caf::error&) {});
    EXPECT_EQ(watching, "watching");
    EXPECT_EQ(b->stats().peers, 1u);
  }  // the bridge closes: its goodbye reaches the server, which sees the watcher go down
  EXPECT_EQ(srv.line(), "down " + sys.render(caf::make_error(caf::exit_reason::remote_link_unreachable)));

  // kill -9 of the server: the proxy goes down within the connection timeout.
  auto b = cluster::bridge::start(sys, options("token-a"));
  auto svc = b->connect({"127.0.0.1", srv.port}, 5s);
  ASSERT_TRUE(svc) << svc.error().message;
  caf::scoped_actor self{sys};
  self->monitor(*svc);
  ::kill(srv.pid, SIGKILL);
  const auto t0 = std::chrono::steady_clock::now();
  bool down = false;
  self->receive([&](const caf::down_msg& dm) { down = dm.source == svc->address(); },
                caf::after(5s) >> [] {});
  EXPECT_TRUE(down);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  EXPECT_EQ(b->stats().lost, 1u);
  // A request to the dead node fails at once instead of waiting for its timeout.
  const auto t1 = std::chrono::steady_clock::now();
  auto r = ask(sys, *svc, "echo", {"x"});
  EXPECT_FALSE(r.ok);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1s) << r.text;
}

TEST(Bridge, AnotherKeyIsRefusedByTheHandshake) {
  server srv("token-a");
  ASSERT_GT(srv.port, 0);
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};
  auto b = cluster::bridge::start(sys, options("token-b"));
  auto svc = b->connect({"127.0.0.1", srv.port}, 8s);
  ASSERT_FALSE(svc);
  EXPECT_EQ(svc.error().code, core::errc::refused) << svc.error().message;
  EXPECT_GE(b->stats().refused, 2u);
  auto plain = cluster::bridge::start(sys, options("token-a", false));
  auto svc2 = plain->connect({"127.0.0.1", srv.port}, 2s);
  EXPECT_FALSE(svc2);  // a plain ZeroMQ peer gets no answer from a CURVE server
  // The server is unharmed: the right key still gets answers.
  auto good = cluster::bridge::start(sys, options("token-a"));
  auto svc3 = good->connect({"127.0.0.1", srv.port}, 5s);
  ASSERT_TRUE(svc3) << svc3.error().message;
  EXPECT_EQ(ask(sys, *svc3, "echo", {"still here"}).text, "still here");
}

// Frames as a peer holding the key could send them, by hand.
TEST(Bridge, HostileFramesFromAKeyHolderAreDropped) {
  server srv("token-a");
  ASSERT_GT(srv.port, 0);
  caf::actor_system_config cfg;
  caf::actor_system sys{configured(cfg)};  // only to write CAF's binary format
  zmq::context_t ctx;
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.set(zmq::sockopt::rcvtimeo, 2000);
  core::curve_client(raw, core::keys_from_token("token-a"));
  raw.connect("tcp://127.0.0.1:" + std::to_string(srv.port));
  auto send = [&](std::vector<char> bytes) { raw.send(zmq::buffer(bytes), zmq::send_flags::none); };
  auto recv = [&]() {
    zmq::message_t m;
    return raw.recv(m) ? m.to_string() : std::string();
  };
  // A message before HELLO: the server says RESET (kind 8) and delivers nothing.
  send({3, 1, 2, 3});
  EXPECT_EQ(recv(), std::string(1, '\x08'));
  // HELLO with another version: no WELCOME.
  std::vector<char> hello{1, 99, 0, 0, 0};
  auto node = caf::make_node_id(4242, "0123456789abcdef0123456789abcdef01234567");
  ASSERT_TRUE(node);
  {
    caf::binary_serializer sink{sys, hello};
    (void)sink(*node);
  }
  send(hello);
  // A proper HELLO: WELCOME (kind 2) with the server's node and its published actor's id.
  hello[1] = static_cast<char>(cluster::bridge_version);
  send(hello);
  const std::string welcome = recv();
  ASSERT_FALSE(welcome.empty());
  EXPECT_EQ(welcome[0], 2);  // the version-99 HELLO got no answer: this is the proper one's
  uint64_t aid = 0;
  ASSERT_GE(welcome.size(), 9u);
  std::memcpy(&aid, welcome.data() + welcome.size() - 8, 8);
  // Garbage: an unknown kind, a message of random bytes, an empty frame, three frames at once.
  send({0x55, 1, 2});
  send({3, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f});
  raw.send(zmq::str_buffer(""), zmq::send_flags::none);
  raw.send(zmq::str_buffer("\x04"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("\x04"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("\x04"), zmq::send_flags::none);
  // MSG bodies to the published actor, written by CAF's serializer.
  auto msg_to_service = [&](const caf::message& content) {
    std::vector<char> b{3};
    caf::binary_serializer sink{sys, b};
    caf::strong_actor_ptr nobody;
    std::vector<caf::strong_actor_ptr> stages;
    caf::actor_id dest = aid;
    caf::message_id mid = caf::make_message_id();
    auto copy = content;
    EXPECT_FALSE(sink(nobody, stages, dest, mid, copy));
    return b;
  };
  // A real message whose byte vector declares 4 GB: CAF's own decoder would resize to that
  // before noticing the bytes are missing.
  actors::rollout_msg m;
  m.done = {0xa1, 0xb2, 0xc3};
  auto body = msg_to_service(caf::make_message(m));
  const std::string pattern = "\x03\xa1\xb2\xc3";
  auto at = std::search(body.begin(), body.end(), pattern.begin(), pattern.end());
  ASSERT_NE(at, body.end());
  *at = static_cast<char>(0xff);
  body.insert(at + 1, {static_cast<char>(0xff), static_cast<char>(0xff), static_cast<char>(0xff), 0x0f});
  const long before_kb = srv.peak_kb();
  for (int i = 0; i < 5; ++i) send(body);
  // An exit message would stop the service (and a directory or a learner the same way).
  send(msg_to_service(caf::make_message(caf::exit_msg{caf::actor_addr{}, caf::exit_reason::kill})));
  // The server goes on: a bridge with the key gets answers, and it counted every bad frame.
  auto b = cluster::bridge::start(sys, options("token-a"));
  auto svc = b->connect({"127.0.0.1", srv.port}, 5s);
  ASSERT_TRUE(svc) << svc.error().message;
  EXPECT_EQ(ask(sys, *svc, "echo", {"alive"}).text, "alive");
  const std::string stats = ask(sys, *svc, "stats").text;
  unsigned long malformed = 0;
  ASSERT_EQ(std::sscanf(stats.c_str(), "%lu", &malformed), 1) << stats;
  EXPECT_GE(malformed, 11u) << stats;  // HELLO v99, unknown kind, random MSG, empty, 3-frame, 5 x 4 GB, exit
  EXPECT_LT(srv.peak_kb() - before_kb, 64 * 1024) << "the 4 GB declarations grew the server's memory";
}

}  // namespace
