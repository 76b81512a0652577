// The cluster's CURVE keys: key files, and the ZAP gate that admits only the cluster's key.
#include "core/curve.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace lantern::core {
namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "curve-" + std::to_string(::getpid()) + "-" + name;
}

TEST(Curve, AKeyFileRoundTripsIsPrivateAndIsNeverOverwritten) {
  const auto path = temp_path("roundtrip.key");
  std::filesystem::remove(path);
  auto keys = make_keys();
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_TRUE(write_key_file(path, keys.value()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a secret key file is readable by its owner only";
  auto back = read_key_file(path);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->public_key, keys->public_key);
  EXPECT_EQ(back->secret_key, keys->secret_key);
  auto again = write_key_file(path, make_keys().value());
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("never overwritten"), std::string::npos) << again.error().message;
  EXPECT_EQ(read_key_file(path)->secret_key, keys->secret_key);
  std::filesystem::remove(path);
}

TEST(Curve, ABadKeyFileIsAnErrorThatNamesTheFileAndTheFault) {
  const auto path = temp_path("bad.key");
  auto write = [&](const std::string& text) {
    std::filesystem::remove(path);
    std::ofstream(path) << text;
  };
  auto other = make_keys().value();
  auto mine = make_keys().value();
  struct bad_case {
    std::string text, says;
  };
  for (const auto& c : std::vector<bad_case>{
           {"hello\n", "not a Lantern key file"},
           {"public = \"short\"\nsecret = \"" + mine.secret_key + "\"\n", "40 Z85 characters"},
           {"public = \"" + other.public_key + "\"\nsecret = \"" + mine.secret_key + "\"\n", "does not belong"},
           {"colour = \"blue\"\n", "unknown key 'colour'"},
           {"", "40 Z85 characters"}}) {
    write(c.text);
    auto r = read_key_file(path);
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
  }
  std::filesystem::remove(path);
  auto missing = read_key_file(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
}

TEST(Curve, AKeyFileEditedByHandStillReadsAndAHugeOneIsRefusedUnread) {
  const auto k = make_keys().value();
  auto r = parse_key_file("  # indented comment\r\n\r\n   \npublic = '" + k.public_key + "'\r\n secret=\"" +
                              k.secret_key + "\"  \r\n",
                          "edited.key");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->secret_key, k.secret_key);
  auto zero = read_key_file("/dev/zero");  // a path to an endless file: bounded, then refused
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("/dev/zero"), std::string::npos) << zero.error().message;
}

TEST(Curve, TheTokenGivesTheSameKeyEverywhereAndAnotherTokenAnother) {
  EXPECT_EQ(keys_from_token("t1").secret_key, keys_from_token("t1").secret_key);
  EXPECT_EQ(keys_from_token("t1").public_key, keys_from_token("t1").public_key);
  EXPECT_NE(keys_from_token("t1").public_key, keys_from_token("t2").public_key);
  EXPECT_EQ(keys_from_token("t1").public_key.size(), 40u);
}

// A CURVE server guarded by a zap_gate echoes what it receives; the client is asked once.
class Gate : public ::testing::Test {
 protected:
  Gate() : keys(make_keys().value()), gate(ctx, keys.public_key), server(ctx, zmq::socket_type::router) {
    curve_server(server, keys);
    server.set(zmq::sockopt::linger, 0);
    server.bind("tcp://127.0.0.1:*");
    endpoint = server.get(zmq::sockopt::last_endpoint);
    loop = std::thread([this] {
      while (!stop) {
        zmq::pollitem_t items[] = {{gate.handle(), 0, ZMQ_POLLIN, 0}, {server.handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 2, std::chrono::milliseconds(20));
        if (items[0].revents & ZMQ_POLLIN) gate.answer();
        if (items[1].revents & ZMQ_POLLIN) {
          zmq::message_t id, body;
          (void)server.recv(id);
          (void)server.recv(body);
          server.send(id, zmq::send_flags::sndmore);
          server.send(body, zmq::send_flags::none);
        }
      }
    });
  }
  ~Gate() override {
    stop = true;
    loop.join();
  }
  // True if a client with `client` keys (nullptr: plain ZeroMQ) gets its message echoed.
  bool echoed(const curve_keys* client) {
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    if (client) {
      s.set(zmq::sockopt::curve_serverkey, keys.public_key);  // it knows the server's public key
      s.set(zmq::sockopt::curve_publickey, client->public_key);
      s.set(zmq::sockopt::curve_secretkey, client->secret_key);
    }
    s.connect(endpoint);
    s.send(zmq::str_buffer("hello"), zmq::send_flags::none);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(1500));
    return item.revents & ZMQ_POLLIN;
  }
  zmq::context_t ctx;
  curve_keys keys;
  zap_gate gate;
  zmq::socket_t server;
  std::string endpoint;
  std::atomic<bool> stop{false};
  std::thread loop;
};

TEST_F(Gate, OnlyTheClusterKeyGetsThrough) {
  EXPECT_TRUE(echoed(&keys)) << "the cluster's key pair is admitted";
  EXPECT_EQ(gate.admitted(), 1u);
  auto stranger = make_keys().value();
  EXPECT_FALSE(echoed(&stranger)) << "a key of its own, even knowing the server's public key, is refused";
  EXPECT_FALSE(echoed(nullptr)) << "plain ZeroMQ never completes a handshake with a CURVE server";
  EXPECT_GE(gate.refused(), 1u);
}

}  // namespace
}  // namespace lantern::core
