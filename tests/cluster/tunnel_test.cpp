// The head's side of the CURVE tunnel, driven by a raw ZeroMQ peer that holds the key (as a
// member's tunnel would, or a buggy or hostile key holder) and a plain TCP listener standing in
// for CAF: bytes arrive in order, a sequence gap closes both ends, malformed frames are dropped
// without harm, and one peer cannot hold more than max_connections_per_peer connections.
#include "cluster/tunnel.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace lantern::cluster {
namespace {

// A loopback TCP listener in place of CAF's published port.
class fake_caf {
 public:
  fake_caf() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 512);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~fake_caf() {
    for (int c : accepted) ::close(c);
    ::close(fd_);
  }
  // Accepts what is waiting within `ms`; returns how many connections it holds.
  size_t accept_all(int ms) {
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, ms) > 0) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;  // out of descriptors: what the cap below exists to prevent
      accepted.push_back(c);
      ms = 100;
    }
    return accepted.size();
  }
  // Reads up to `n` bytes from connection `i` within `ms` ("" if closed or nothing came).
  std::string read(size_t i, size_t n, int ms) {
    std::string out;
    pollfd p{accepted[i], POLLIN, 0};
    while (out.size() < n && ::poll(&p, 1, ms) > 0) {
      char buf[4096];
      const ssize_t got = ::recv(accepted[i], buf, sizeof buf, 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  bool closed(size_t i, int ms) {
    pollfd p{accepted[i], POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char c;
    return ::recv(accepted[i], &c, 1, MSG_PEEK) == 0;
  }
  uint16_t port = 0;
  std::vector<int> accepted;

 private:
  int fd_ = -1;
};

std::string header(uint32_t n, char kind, uint64_t seq) {
  std::string f(13, '\0');
  for (int i = 0; i < 4; ++i) f[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  f[4] = kind;
  for (int i = 0; i < 8; ++i) f[5 + i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  return f;
}

class Tunnel : public ::testing::Test {
 protected:
  Tunnel() : keys(core::keys_from_token("tunnel-test")), peer(ctx, zmq::socket_type::dealer) {
    auto t = tunnel_server::start("127.0.0.1:0", caf.port, keys);
    EXPECT_TRUE(t) << t.error().message;
    server = std::move(t.value());
    peer.set(zmq::sockopt::linger, 0);
    core::curve_client(peer, keys);
    peer.connect("tcp://127.0.0.1:" + std::to_string(server->port()));
  }
  void send(const std::string& head, const std::string* data = nullptr) {
    peer.send(zmq::buffer(head), data ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (data) peer.send(zmq::buffer(*data), zmq::send_flags::none);
  }
  // The next message from the head: its header and data frames ({} if none within `ms`).
  std::vector<std::string> next(int ms = 2000) {
    zmq::pollitem_t item{peer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(ms)) <= 0) return {};
    std::vector<std::string> parts;
    zmq::message_t m;
    do {
      (void)peer.recv(m);
      parts.push_back(m.to_string());
    } while (m.more());
    return parts;
  }
  fake_caf caf;
  zmq::context_t ctx;
  core::curve_keys keys;
  std::unique_ptr<tunnel_server> server;
  zmq::socket_t peer;
};

TEST_F(Tunnel, BytesTravelInOrderBothWays) {
  send(header(1, 'o', 0));
  ASSERT_EQ(caf.accept_all(3000), 1u) << "an open makes one connection to CAF";
  std::string a = "hello ", b = "world";
  send(header(1, 'd', 0), &a);
  send(header(1, 'd', 1), &b);
  EXPECT_EQ(caf.read(0, 11, 3000), "hello world");
  ASSERT_EQ(::send(caf.accepted[0], "back", 4, 0), 4);
  auto got = next();
  ASSERT_EQ(got.size(), 2u) << "a header and a data frame";
  EXPECT_EQ(got[0], header(1, 'd', 0));
  EXPECT_EQ(got[1], "back");
}

TEST_F(Tunnel, ASequenceGapClosesBothEndsRatherThanSpliceTheStream) {
  send(header(7, 'o', 0));
  ASSERT_EQ(caf.accept_all(3000), 1u);
  std::string x = "x";
  send(header(7, 'd', 0), &x);
  send(header(7, 'd', 5), &x);  // 1..4 were lost
  auto got = next();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], header(7, 'c', 0)) << "the peer is told the connection is closed";
  EXPECT_EQ(caf.read(0, 1, 3000), "x") << "what came in order went through";
  EXPECT_TRUE(caf.closed(0, 3000)) << "then CAF's end is closed: the lost bytes are never skipped over";
  EXPECT_EQ(server->stats().gaps.load(), 1u);
}

TEST_F(Tunnel, MalformedFramesAreDroppedAndTheTunnelGoesOn) {
  std::string junk = "junk";
  send("short");                                  // not a header
  send(header(2, 'x', 0));                        // an unknown kind
  send(header(2, 'd', 0));                        // data without its data frame
  send(header(2, 'o', 0), &junk);                 // an open with a frame it should not have
  peer.send(zmq::buffer(header(2, 'd', 0)), zmq::send_flags::sndmore);
  peer.send(zmq::buffer(junk), zmq::send_flags::sndmore);
  peer.send(zmq::buffer(junk), zmq::send_flags::none);  // data with two data frames
  send(header(3, 'd', 0), &junk);                 // data for a connection never opened
  auto got = next();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], header(3, 'c', 0)) << "data for an unknown connection is answered with a close";
  EXPECT_EQ(caf.accept_all(500), 0u) << "nothing malformed reached CAF";
  send(header(4, 'o', 0));
  std::string empty, ok = "still here";
  send(header(4, 'd', 0), &empty);  // empty data would close the connection to CAF: dropped
  send(header(4, 'd', 0), &ok);
  ASSERT_EQ(caf.accept_all(3000), 1u);
  EXPECT_EQ(caf.read(0, ok.size(), 3000), ok);
  EXPECT_FALSE(caf.closed(0, 300)) << "the connection is still open";
}

TEST_F(Tunnel, AConnectionCafClosedIsNotLeftOpenBehindItsBack) {
  send(header(9, 'o', 0));
  ASSERT_EQ(caf.accept_all(3000), 1u);
  ::close(caf.accepted[0]);
  caf.accepted.clear();
  auto got = next();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], header(9, 'c', 0)) << "the peer hears that CAF closed it";
  // A stream socket opens again by itself what it connected: the tunnel closes such a
  // connection at once, and it does not come back again and again.
  const size_t again = caf.accept_all(3000);
  EXPECT_LE(again, 1u) << "no reconnection loop";
  for (size_t i = 0; i < again; ++i) EXPECT_TRUE(caf.closed(i, 2000)) << "a connection nobody uses is closed";
}

TEST_F(Tunnel, OnePeerCannotHoldMoreThanItsShareOfConnections) {
  const uint32_t asked = static_cast<uint32_t>(max_connections_per_peer) + 36;
  for (uint32_t n = 1; n <= asked; ++n) send(header(n, 'o', 0));
  size_t closes = 0;
  for (auto got = next(); !got.empty(); got = next(1000)) closes += got[0][4] == 'c';
  EXPECT_EQ(closes, 36u) << "each open beyond the cap is answered with a close";
  EXPECT_EQ(caf.accept_all(2000), max_connections_per_peer);
  EXPECT_EQ(server->stats().capped.load(), 36u);
}

}  // namespace
}  // namespace lantern::cluster
