// The CURVE tunnel between nodes (cluster/tunnel.hpp).
//
// Between a tunnel_client (DEALER) and the tunnel_server (ROUTER), a header frame
//   [connection u32][kind u8: 'o' open, 'd' data, 'c' close][sequence u64]
// (integers little-endian), and for 'd' a second frame of the connection's bytes, which moves
// between the ZeroMQ sockets of a side without a copy. On the loopback side both ends use ZMQ_STREAM sockets, which speak
// plain TCP to CAF and announce a connection or its end with an empty message.
#include "cluster/tunnel.hpp"

#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

namespace lantern::cluster {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr size_t header_size = 13;
constexpr auto open_grace = std::chrono::seconds(3);  // a member's connection waits this long for the link
constexpr size_t coalesce_bytes = 4u << 20;           // at most this much of CAF's bytes waits for one message

// Bounds every frame a peer can declare: the largest message between nodes is a rollout or a
// policy's weights (a few MB); ZeroMQ refuses a larger declared size before allocating it.
constexpr int64_t max_frame = 64ll << 20;

std::string frame(uint32_t n, char kind, uint64_t seq) {
  std::string f(header_size, '\0');
  for (int i = 0; i < 4; ++i) f[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  f[4] = kind;
  for (int i = 0; i < 8; ++i) f[5 + i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  return f;
}

struct header {
  uint32_t n = 0;
  char kind = 0;
  uint64_t seq = 0;
};

bool parse(const zmq::message_t& m, header& h) {
  if (m.size() != header_size) return false;
  const auto* p = static_cast<const unsigned char*>(m.data());
  h.n = 0;
  for (int i = 0; i < 4; ++i) h.n |= static_cast<uint32_t>(p[i]) << (8 * i);
  h.kind = static_cast<char>(p[4]);
  h.seq = 0;
  for (int i = 0; i < 8; ++i) h.seq |= static_cast<uint64_t>(p[5 + i]) << (8 * i);
  return h.kind == 'o' || h.kind == 'd' || h.kind == 'c';
}

void common_options(zmq::socket_t& s) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, 0);  // the actors bound what is in flight (train.max_in_flight)
  s.set(zmq::sockopt::rcvhwm, 0);
  s.set(zmq::sockopt::maxmsgsize, max_frame);
}

// An empty message closes a stream socket's connection.
void close_stream(zmq::socket_t& s, const std::string& id) {
  s.send(zmq::buffer(id), zmq::send_flags::sndmore);
  s.send(zmq::str_buffer(""), zmq::send_flags::none);
}

void send_stream(zmq::socket_t& s, const std::string& id, zmq::message_t& bytes) {
  s.send(zmq::buffer(id), zmq::send_flags::sndmore);
  s.send(bytes, zmq::send_flags::none);
}

// Reads and drops what is left of a multipart message (a peer that sent more frames than the
// protocol has).
void drop_rest(zmq::socket_t& s, bool more) {
  zmq::message_t extra;
  while (more) {
    (void)s.recv(extra, zmq::recv_flags::none);
    more = extra.more();
  }
}

// Reads one tunnel message (after the ROUTER's peer frame, if any): a header, and for data one
// frame of bytes into `body`. Anything else is read whole and dropped (false).
bool recv_tunnel(zmq::socket_t& s, header& h, zmq::message_t& body) {
  zmq::message_t head;
  (void)s.recv(head, zmq::recv_flags::none);
  if (!parse(head, h) || head.more() != (h.kind == 'd')) {
    drop_rest(s, head.more());
    return false;
  }
  if (h.kind != 'd') return true;
  (void)s.recv(body, zmq::recv_flags::none);
  if (!body.more()) return body.size() > 0;  // an empty message would close a stream socket's connection
  drop_rest(s, true);
  return false;
}

uint16_t port_of(const std::string& endpoint) {
  return static_cast<uint16_t>(std::strtoul(endpoint.substr(endpoint.rfind(':') + 1).c_str(), nullptr, 10));
}

// A monitor of a socket's handshakes, on an inproc PAIR.
struct monitor {
  zmq::socket_t pair;
  monitor(zmq::context_t& ctx, zmq::socket_t& watched, const std::string& name, int events) {
    const std::string ep = "inproc://lantern-tunnel-monitor-" + name;
    zmq_socket_monitor(watched.handle(), ep.c_str(), events);
    pair = zmq::socket_t(ctx, zmq::socket_type::pair);
    pair.connect(ep);
  }
  // The next event id (0 if none waiting).
  int next() {
    zmq::message_t event, where;
    if (!pair.recv(event, zmq::recv_flags::dontwait)) return 0;
    if (event.more()) (void)pair.recv(where, zmq::recv_flags::none);
    uint16_t id = 0;
    if (event.size() >= 2) std::memcpy(&id, event.data(), 2);
    return id;
  }
};

std::atomic<uint64_t> instances{0};

// Reads what a ZMQ_STREAM socket holds now (up to coalesce_bytes of data) and gathers each
// connection's bytes into one message: `data(id, bytes)` gets them, in order, before
// `event(id)` (an empty message: the connection opened or closed) and at the end. One message
// per connection instead of one per stream chunk (ZeroMQ reads 8 KB at a time): fewer messages
// to encrypt, and one copy (none when a single chunk came).
template <class Data, class Event>
void drain(zmq::socket_t& s, Data&& data, Event&& event) {
  struct gathered {
    std::vector<zmq::message_t> parts;
    size_t size = 0;
  };
  std::map<std::string, gathered> batch;
  size_t total = 0;
  auto flush = [&](const std::string& id) {
    auto b = batch.find(id);
    if (b == batch.end()) return;
    zmq::message_t joined;
    if (b->second.parts.size() == 1) {
      joined.move(b->second.parts.front());
    } else {
      joined.rebuild(b->second.size);
      char* out = static_cast<char*>(joined.data());
      for (auto& p : b->second.parts) {
        std::memcpy(out, p.data(), p.size());
        out += p.size();
      }
    }
    batch.erase(b);
    data(id, joined);
  };
  zmq::message_t id_msg, part;
  while (total < coalesce_bytes && s.recv(id_msg, zmq::recv_flags::dontwait)) {
    (void)s.recv(part, zmq::recv_flags::none);
    const std::string id = id_msg.to_string();
    if (part.size() == 0) {
      flush(id);
      event(id);
      continue;
    }
    total += part.size();
    auto& g = batch[id];
    g.size += part.size();
    g.parts.emplace_back(std::move(part));
  }
  while (!batch.empty()) flush(batch.begin()->first);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The head's side.

struct tunnel_server::impl {
  zmq::context_t ctx{1};
  std::unique_ptr<core::zap_gate> zap;
  zmq::socket_t front{ctx, zmq::socket_type::router};
  zmq::socket_t back{ctx, zmq::socket_type::stream};
  uint16_t local_port = 0;
  struct conn {
    std::string peer;
    uint32_t n = 0;
    bool connected = false;
    std::vector<zmq::message_t> pending;  // bytes from the network before CAF accepted
    uint64_t seq_in = 0, seq_out = 0;
  };
  std::map<std::string, conn> by_back;                             // loopback id -> connection
  std::map<std::pair<std::string, uint32_t>, std::string> by_key;  // (peer, n) -> loopback id
  uint64_t next_id = 0;
};

core::result<std::unique_ptr<tunnel_server>> tunnel_server::start(const std::string& listen, uint16_t local_port,
                                                                  const curve_keys& keys) {
  std::unique_ptr<tunnel_server> t(new tunnel_server);
  t->impl_ = std::make_unique<impl>();
  auto& m = *t->impl_;
  m.local_port = local_port;
  try {
    // The ZAP handler must listen before the first handshake: with it, libzmq asks it about every
    // client key, and a key that is not the cluster's ends the handshake.
    m.zap = std::make_unique<core::zap_gate>(m.ctx, keys.public_key);
    common_options(m.front);
    core::curve_server(m.front, keys);
    m.front.set(zmq::sockopt::heartbeat_ivl, 1000);
    m.front.set(zmq::sockopt::heartbeat_timeout, 5000);
    m.front.set(zmq::sockopt::handshake_ivl, 5000);  // a peer that stalls its handshake is dropped
    m.front.bind("tcp://" + listen);
    common_options(m.back);
  } catch (const zmq::error_t& e) {
    return core::make_error(core::errc::io, "cannot listen on " + listen + ": " + e.what());
  }
  t->port_ = port_of(m.front.get(zmq::sockopt::last_endpoint));
  t->thread_ = std::thread([p = t.get()] { p->loop(); });
  return t;
}

tunnel_server::~tunnel_server() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void tunnel_server::loop() {
  auto& m = *impl_;
  auto close_back = [&](const std::string& id) {
    auto it = m.by_back.find(id);
    if (it == m.by_back.end()) return;
    if (it->second.connected) close_stream(m.back, id);  // else closed when CAF's accept is announced
    m.by_key.erase({it->second.peer, it->second.n});
    m.by_back.erase(it);
  };
  auto tell_peer = [&](const std::string& peer, const std::string& f, zmq::message_t* bytes = nullptr) {
    m.front.send(zmq::buffer(peer), zmq::send_flags::sndmore);
    m.front.send(zmq::buffer(f), bytes ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (bytes) m.front.send(*bytes, zmq::send_flags::none);
  };
  while (!stop_) {
    zmq::pollitem_t items[] = {{m.zap->handle(), 0, ZMQ_POLLIN, 0},
                               {m.front.handle(), 0, ZMQ_POLLIN, 0},
                               {m.back.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 3, std::chrono::milliseconds(100));
      if (items[0].revents & ZMQ_POLLIN) {  // a handshake asks whether a client key may pass
        m.zap->answer();
        stats_.refused = m.zap->refused();
      }
      if (items[1].revents & ZMQ_POLLIN) {  // from a member, already authenticated
        zmq::message_t peer_msg, body;
        (void)m.front.recv(peer_msg, zmq::recv_flags::none);
        if (!peer_msg.more()) continue;
        header h;
        if (!recv_tunnel(m.front, h, body)) continue;
        const std::string peer = peer_msg.to_string();
        auto key = std::make_pair(peer, h.n);
        auto found = m.by_key.find(key);
        if (h.kind == 'o') {
          if (found != m.by_key.end()) close_back(found->second);
          size_t open = 0;
          for (auto it = m.by_key.lower_bound({peer, 0}); it != m.by_key.end() && it->first.first == peer; ++it) ++open;
          if (open >= max_connections_per_peer) {
            ++stats_.capped;
            tell_peer(peer, frame(h.n, 'c', 0));
            continue;
          }
          std::string id = "T" + std::to_string(++m.next_id);
          m.back.set(zmq::sockopt::connect_routing_id, id);
          m.back.connect("tcp://127.0.0.1:" + std::to_string(m.local_port));
          impl::conn c;
          c.peer = peer;
          c.n = h.n;
          m.by_back.emplace(id, std::move(c));
          m.by_key[key] = id;
          ++stats_.connections;
        } else if (found == m.by_key.end()) {
          if (h.kind == 'd') tell_peer(peer, frame(h.n, 'c', 0));  // a connection this side no longer has
        } else if (h.kind == 'c') {
          close_back(found->second);
        } else {
          auto& c = m.by_back[found->second];
          if (h.seq != c.seq_in) {  // a message was lost on the way: never splice the stream
            ++stats_.gaps;
            tell_peer(peer, frame(h.n, 'c', 0));
            close_back(found->second);
            continue;
          }
          ++c.seq_in;
          stats_.bytes_in += body.size();
          if (c.connected) send_stream(m.back, found->second, body);
          else c.pending.emplace_back(std::move(body));
        }
      }
      if (items[2].revents & ZMQ_POLLIN)  // from CAF on loopback
        drain(
            m.back,
            [&](const std::string& id, zmq::message_t& bytes) {
              auto it = m.by_back.find(id);
              if (it == m.by_back.end()) return;
              stats_.bytes_out += bytes.size();
              tell_peer(it->second.peer, frame(it->second.n, 'd', it->second.seq_out++), &bytes);
            },
            [&](const std::string& id) {
              auto it = m.by_back.find(id);
              if (it == m.by_back.end()) {
                // A connection the member closed before CAF accepted it, or one ZeroMQ opened
                // again by itself after CAF closed it (a stream socket reconnects what it
                // connected): closed at once, so that no connection to CAF is left idle.
                close_stream(m.back, id);
                return;
              }
              auto& c = it->second;
              if (!c.connected) {  // CAF accepted: what waited goes now
                c.connected = true;
                for (auto& p : c.pending) send_stream(m.back, id, p);
                c.pending.clear();
              } else {  // CAF closed it
                tell_peer(c.peer, frame(c.n, 'c', 0));
                m.by_key.erase({c.peer, c.n});
                m.by_back.erase(it);
              }
            });
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      spdlog::warn("cluster tunnel (head): {}", e.what());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A member's side.

struct tunnel_client::impl {
  zmq::context_t ctx{1};
  zmq::socket_t local{ctx, zmq::socket_type::stream};
  zmq::socket_t remote{ctx, zmq::socket_type::dealer};
  std::unique_ptr<monitor> mon;
  struct conn {
    uint32_t n = 0;
    uint64_t seq_in = 0, seq_out = 0;
    bool acknowledged = false;  // the link was up after it opened
    clock_type::time_point opened;
  };
  std::map<std::string, conn> by_local;
  std::map<uint32_t, std::string> by_n;
  uint32_t next_n = 0;
  bool link_up = false;
};

core::result<std::unique_ptr<tunnel_client>> tunnel_client::start(const std::string& head, const curve_keys& keys) {
  std::unique_ptr<tunnel_client> t(new tunnel_client);
  t->impl_ = std::make_unique<impl>();
  auto& m = *t->impl_;
  try {
    common_options(m.local);
    m.local.bind("tcp://127.0.0.1:0");
    common_options(m.remote);
    core::curve_client(m.remote, keys);
    m.remote.set(zmq::sockopt::heartbeat_ivl, 1000);
    m.remote.set(zmq::sockopt::heartbeat_timeout, 5000);
    m.remote.set(zmq::sockopt::reconnect_ivl, 200);
    m.remote.set(zmq::sockopt::reconnect_ivl_max, 2000);
    m.mon = std::make_unique<monitor>(m.ctx, m.remote, std::to_string(++instances),
                                      ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                          ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                          ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    m.remote.connect("tcp://" + head);
  } catch (const zmq::error_t& e) {
    return core::make_error(core::errc::io, "cluster tunnel to " + head + ": " + e.what());
  }
  t->port_ = port_of(m.local.get(zmq::sockopt::last_endpoint));
  t->thread_ = std::thread([p = t.get()] { p->loop(); });
  return t;
}

tunnel_client::~tunnel_client() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void tunnel_client::loop() {
  auto& m = *impl_;
  auto close_local = [&](const std::string& id, bool tell_head) {
    auto it = m.by_local.find(id);
    if (it == m.by_local.end()) return;
    if (tell_head) m.remote.send(zmq::buffer(frame(it->second.n, 'c', 0)), zmq::send_flags::dontwait);
    close_stream(m.local, id);
    m.by_n.erase(it->second.n);
    m.by_local.erase(it);
  };
  auto close_all = [&] {
    std::vector<std::string> ids;
    for (auto& [id, c] : m.by_local) ids.push_back(id);
    for (auto& id : ids) close_local(id, false);
  };
  while (!stop_) {
    zmq::pollitem_t items[] = {{m.local.handle(), 0, ZMQ_POLLIN, 0},
                               {m.remote.handle(), 0, ZMQ_POLLIN, 0},
                               {m.mon->pair.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 3, std::chrono::milliseconds(100));
      if (items[2].revents & ZMQ_POLLIN) {
        for (int e = m.mon->next(); e != 0; e = m.mon->next()) {
          if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            stats_.refused_in_a_row = 0;
            m.link_up = true;
            for (auto& [id, c] : m.by_local) c.acknowledged = true;
          } else if (e == ZMQ_EVENT_DISCONNECTED) {
            // The head or the link is gone: CAF learns it now, not after its own timeout, and
            // joins again through a fresh connection.
            if (m.link_up) close_all();
            m.link_up = false;
          } else {  // a handshake failed: the head refused this node's key, or it is not a tunnel
            // A wrong token means a wrong server key: the head cannot read the HELLO and drops
            // it, which libzmq reports as a failure with no detail; a ZAP refusal is AUTH.
            if (e == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || e == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
              ++stats_.refused;
              ++stats_.refused_in_a_row;
            }
            else ++stats_.failed;
            m.link_up = false;
            close_all();
          }
        }
      }
      if (items[0].revents & ZMQ_POLLIN)  // from CAF on loopback
        drain(
            m.local,
            [&](const std::string& id, zmq::message_t& bytes) {
              auto it = m.by_local.find(id);
              if (it == m.by_local.end()) return;
              stats_.bytes_out += bytes.size();
              m.remote.send(zmq::buffer(frame(it->second.n, 'd', it->second.seq_out++)),
                            zmq::send_flags::dontwait | zmq::send_flags::sndmore);
              m.remote.send(bytes, zmq::send_flags::dontwait);
            },
            [&](const std::string& id) {
              auto it = m.by_local.find(id);
              if (it == m.by_local.end()) {  // CAF connected: open a connection at the head
                impl::conn c;
                c.n = ++m.next_n;
                c.opened = clock_type::now();
                c.acknowledged = m.link_up;
                m.by_n[c.n] = id;
                m.by_local.emplace(id, c);
                m.remote.send(zmq::buffer(frame(c.n, 'o', 0)), zmq::send_flags::dontwait);
                ++stats_.connections;
              } else {  // CAF closed it
                m.remote.send(zmq::buffer(frame(it->second.n, 'c', 0)), zmq::send_flags::dontwait);
                m.by_n.erase(it->second.n);
                m.by_local.erase(it);
              }
            });
      if (items[1].revents & ZMQ_POLLIN) {  // from the head
        zmq::message_t body;
        header h;
        if (!recv_tunnel(m.remote, h, body)) continue;
        auto found = m.by_n.find(h.n);
        if (found == m.by_n.end()) continue;
        const std::string id = found->second;
        auto& c = m.by_local[id];
        if (h.kind == 'c') {
          close_local(id, false);
        } else if (h.kind == 'd') {
          if (h.seq != c.seq_in) {
            ++stats_.gaps;
            close_local(id, true);
            continue;
          }
          ++c.seq_in;
          stats_.bytes_in += body.size();
          send_stream(m.local, id, body);
        }
      }
      // A connection CAF opened while the link was down, still without a link after the grace:
      // closed, so that CAF's connect fails now instead of hanging.
      if (!m.link_up) {
        std::vector<std::string> stale;
        for (auto& [id, c] : m.by_local)
          if (!c.acknowledged && clock_type::now() - c.opened > open_grace) stale.push_back(id);
        for (auto& id : stale) close_local(id, true);
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      spdlog::warn("cluster tunnel (member): {}", e.what());
    }
  }
}

}  // namespace lantern::cluster
