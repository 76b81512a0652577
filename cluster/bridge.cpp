// The links between nodes (cluster/bridge.hpp).
//
// Every ZeroMQ message between two bridges is one frame: a kind byte, then its body.
//   HELLO    u32 bridge_version, node id           client -> server, first
//   WELCOME  node id, u64 published actor id       server -> client
//   MSG      sender, stages, u64 receiver id, message id, message (CAF's binary format)
//   PING     (empty)                               both ways, every heartbeat
//   MONITOR  u64 actor id                          "I hold a proxy of it: tell me when it ends"
//   DOWN     u64 actor id, error                   it ended (its proxies go down with the error)
//   BYE      (empty)                               the process closes the link
//   RESET    (empty)                               server -> a client it does not know (lost it)
// Integers are little-endian; node ids, errors and messages use CAF's binary serializer, read
// through a deserializer that refuses any sequence longer than the bytes left (CAF's own resizes
// a byte sequence to the declared size before it checks).
//
// Threads: one I/O thread per bridge owns every ZeroMQ socket, decodes what peers send and
// delivers it to local actors. A proxy serialises what is sent to it on the sender's thread and
// hands the bytes to the I/O thread through a queue and an eventfd.
#include "cluster/bridge.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <caf/actor_proxy.hpp>
#include <caf/make_actor.hpp>
#include <caf/proxy_registry.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "cluster/cluster.hpp"
#include "cluster/wire.hpp"

namespace lantern::cluster {

namespace {

using clock_type = std::chrono::steady_clock;
using buffer = std::vector<char>;

using namespace wire;

std::unique_ptr<buffer> frame(kind k) {
  auto b = std::make_unique<buffer>();
  b->reserve(64);
  b->push_back(static_cast<char>(k));
  return b;
}

// The bytes move into ZeroMQ without a copy; ZeroMQ frees them when sent.
zmq::message_t to_message(std::unique_ptr<buffer> b) {
  auto* raw = b.release();
  return zmq::message_t(raw->data(), raw->size(), [](void*, void* hint) { delete static_cast<buffer*>(hint); }, raw);
}

void socket_options(zmq::socket_t& s, const bridge_options& o) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, 0);  // never drop: the actors bound what is in flight (rollout acks)
  s.set(zmq::sockopt::rcvhwm, 1024);  // a peer that sends faster than this node reads is slowed by TCP
  s.set(zmq::sockopt::maxmsgsize, max_bridge_frame);
  // ZeroMQ notices a dead TCP link by itself too, on the same clock as the bridge's pings.
  s.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(o.heartbeat.count()));
  s.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(o.timeout.count()));
  s.set(zmq::sockopt::heartbeat_ttl, static_cast<int>(std::min<int64_t>(o.timeout.count(), 6553500)));
  s.set(zmq::sockopt::handshake_ivl, 5000);  // a peer that stalls its handshake is dropped
}

std::atomic<uint64_t> instances{0};

// Handshake events of a client socket, on an inproc PAIR.
struct handshake_monitor {
  zmq::socket_t pair;
  handshake_monitor(zmq::context_t& ctx, zmq::socket_t& watched) {
    const std::string ep = "inproc://lantern-bridge-monitor-" + std::to_string(++instances);
    zmq_socket_monitor(watched.handle(), ep.c_str(),
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    pair = zmq::socket_t(ctx, zmq::socket_type::pair);
    pair.connect(ep);
  }
  int next() {  // the next event id, 0 if none is waiting
    zmq::message_t event, where;
    if (!pair.recv(event, zmq::recv_flags::dontwait)) return 0;
    if (event.more()) (void)pair.recv(where, zmq::recv_flags::none);
    uint16_t id = 0;
    if (event.size() >= 2) std::memcpy(&id, event.data(), 2);
    return id;
  }
};

uint16_t port_of(const std::string& endpoint) {
  return static_cast<uint16_t>(std::strtoul(endpoint.substr(endpoint.rfind(':') + 1).c_str(), nullptr, 10));
}

// What a proxy hands its messages to (the bridge).
struct forwarder {
  virtual ~forwarder() = default;
  virtual void forward(caf::strong_actor_ptr& src, const std::vector<caf::strong_actor_ptr>& stages,
                       caf::strong_actor_ptr& dest, caf::message_id mid, const caf::message& content) = 0;
};

// A remote actor, here. What is sent to it is serialised at once, on the sender's thread, and
// queued for the bridge's I/O thread (no actor hop in between). Once the proxy is down (its
// node lost), a request sent to it is answered at once with request_receiver_down instead of
// waiting for its timeout. Links to remote actors are local only: a linked actor hears of the
// proxy's end, the remote actor of nothing.
class link_proxy final : public caf::actor_proxy {
 public:
  link_proxy(caf::actor_config& cfg, std::weak_ptr<forwarder> to) : caf::actor_proxy(cfg), to_(std::move(to)) {}

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* ctx) override {
    std::shared_ptr<forwarder> to;
    {
      std::lock_guard<std::mutex> g(mtx_);
      to = to_.lock();
    }
    if (!to) {
      if (what->mid.is_request() && what->sender)
        what->sender->enqueue(caf::make_mailbox_element(ctrl(), what->mid.response_id(), {},
                                                        caf::make_error(caf::sec::request_receiver_down)),
                              ctx);
      return;
    }
    caf::strong_actor_ptr self{ctrl()};
    to->forward(what->sender, what->stages, self, what->mid, what->move_content_to_message());
  }

  void kill_proxy(caf::execution_unit* ctx, caf::error reason) override {
    {
      std::lock_guard<std::mutex> g(mtx_);
      to_.reset();
    }
    cleanup(std::move(reason), ctx);
  }

 private:
  std::mutex mtx_;
  std::weak_ptr<forwarder> to_;
};

}  // namespace

// A listen() or connect() waiting for the I/O thread.
struct request {
  bool is_listen = false;
  std::string endpoint;
  caf::actor published;
  std::mutex m;
  std::condition_variable cv;
  bool done = false, cancelled = false;
  core::error_info error;
  bool failed = false;
  uint16_t port = 0;
  caf::node_id node;
  caf::actor_id aid = 0;
  void finish(core::error_info e) {
    std::lock_guard<std::mutex> g(m);
    error = std::move(e);
    failed = true;
    done = true;
    cv.notify_all();
  }
  void finish() {
    std::lock_guard<std::mutex> g(m);
    done = true;
    cv.notify_all();
  }
};

struct bridge::impl : caf::proxy_registry::backend, forwarder, std::enable_shared_from_this<impl> {
  ~impl() override {
    if (wake >= 0) ::close(wake);
  }
  impl(caf::actor_system& s, bridge_options o)
      : sys(s), opt(std::move(o)), proxies(s, *this), out_ctx(&s), in_ctx(&s) {
    out_ctx.proxy_registry_ptr(&proxies);
    in_ctx.proxy_registry_ptr(&proxies);
  }

  caf::actor_system& sys;
  bridge_options opt;
  caf::proxy_registry proxies;
  caf::scoped_execution_unit out_ctx, in_ctx;
  zmq::context_t ctx;
  int wake = -1;
  std::thread io;
  std::atomic<bool> stop{false};

  // Shared between threads, under mtx (the I/O thread writes routes only under it).
  std::mutex mtx;
  std::unordered_map<caf::node_id, uint64_t> routes;  // node -> peer key
  struct outgoing {
    uint64_t key = 0;        // a peer; 0: route by node when sent
    caf::node_id node;
    std::unique_ptr<buffer> bytes;
    caf::strong_actor_ptr requester;  // a request's sender: told at once if the node is gone by then
    caf::message_id mid;
  };
  std::deque<outgoing> queue;
  std::vector<std::shared_ptr<request>> requests;
  std::vector<caf::node_id> unrouted;  // nodes named in a decoded handle that this bridge has no link to

  struct counters {
    std::atomic<uint64_t> sent{0}, received{0}, bytes_out{0}, bytes_in{0}, malformed{0}, unroutable{0}, peers{0},
        lost{0}, refused{0}, refused_in_a_row{0};
  } count;

  // The I/O thread's own.
  struct peer {
    uint64_t key = 0;
    caf::node_id node;
    std::string rid;                 // a server's peer: its ROUTER routing id
    zmq::socket_t* dealer = nullptr; // a client's link
    clock_type::time_point last_seen, last_ping;
    std::unordered_set<caf::actor_id> watched;
  };
  static constexpr size_t max_watched = 4096;  // local actors one peer may hold proxies of
  struct link {
    zmq::socket_t dealer;
    std::unique_ptr<handshake_monitor> mon;
    std::shared_ptr<request> req;
    bool up = false;
    uint64_t refused_in_a_row = 0;  // failed handshakes of this link since its last success
  };
  std::map<uint64_t, peer> peers;
  std::map<std::string, uint64_t> by_rid;
  std::map<uint64_t, link> links;
  uint64_t next_key = 1;
  std::unique_ptr<core::zap_gate> gate;
  std::unique_ptr<zmq::socket_t> router;
  caf::actor published;

  // -- proxy_registry::backend --------------------------------------------------------------

  caf::strong_actor_ptr make_proxy(caf::node_id nid, caf::actor_id aid) override {
    if (aid == 0 || !nid) return nullptr;
    {
      std::lock_guard<std::mutex> g(mtx);
      if (routes.count(nid) == 0) {  // no link to that node: the handle stays empty
        unrouted.push_back(nid);     // and its registry entry goes after the decode
        return nullptr;
      }
    }
    caf::actor_config cfg;
    auto proxy = caf::make_actor<link_proxy, caf::strong_actor_ptr>(aid, nid, &sys, cfg, std::weak_ptr<forwarder>(shared_from_this()));
    auto f = frame(monitor);
    put_u64(*f, aid);
    post(0, nid, std::move(f));
    return proxy;
  }
  void set_last_hop(caf::node_id*) override {}

  // -- any thread ------------------------------------------------------------------------------

  void post(uint64_t key, const caf::node_id& node, std::unique_ptr<buffer> bytes,
            caf::strong_actor_ptr requester = nullptr, caf::message_id mid = caf::make_message_id()) {
    bool first = false;
    {
      std::lock_guard<std::mutex> g(mtx);
      first = queue.empty();
      queue.push_back({key, node, std::move(bytes), std::move(requester), mid});
    }
    if (first) poke();
  }
  void poke() {
    uint64_t one = 1;
    (void)!::write(wake, &one, sizeof one);
  }

  // A message for a proxy of `dest`, on the sender's thread.
  void forward(caf::strong_actor_ptr& src, const std::vector<caf::strong_actor_ptr>& stages,
               caf::strong_actor_ptr& dest, caf::message_id mid, const caf::message& content) override {
    if (!dest) return;
    bool routed = false;
    {
      std::lock_guard<std::mutex> g(mtx);
      routed = routes.count(dest->node()) != 0;
    }
    auto fail = [&](caf::sec why) {
      ++count.unroutable;
      if (mid.is_request() && src)
        src->enqueue(caf::make_mailbox_element(nullptr, mid.response_id(), {}, caf::make_message(caf::make_error(why))),
                     nullptr);
    };
    if (!routed) return fail(caf::sec::no_route_to_receiving_node);
    auto bytes = frame(msg);
    bytes->reserve(4096);
    caf::binary_serializer sink{&out_ctx, *bytes};
    auto fwd = stages;
    caf::actor_id aid = dest->id();
    auto copy = content;
    if (auto err = sink(src, fwd, aid, mid, copy)) {
      spdlog::warn("bridge: a message for {} does not serialise: {}", caf::to_string(dest), sys.render(err));
      return fail(caf::sec::invalid_argument);
    }
    ++count.sent;
    count.bytes_out += bytes->size();
    post(0, dest->node(), std::move(bytes), mid.is_request() ? src : nullptr, mid);
  }

  // -- the I/O thread ----------------------------------------------------------------------------

  void send_to(peer& p, std::unique_ptr<buffer> bytes) {
    if (!p.dealer) return send_rid(p.rid, std::move(bytes));
    try {
      auto m = to_message(std::move(bytes));
      (void)p.dealer->send(m, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      spdlog::debug("bridge: send failed: {}", e.what());
    }
  }

  // To a peer of the ROUTER by its routing id (also one that has not said HELLO yet).
  void send_rid(const std::string& rid, std::unique_ptr<buffer> bytes) {
    if (!router) return;
    try {
      auto m = to_message(std::move(bytes));
      (void)router->send(zmq::buffer(rid), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      (void)router->send(m, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      spdlog::debug("bridge: send failed: {}", e.what());
    }
  }

  std::unique_ptr<buffer> node_frame(kind k) {
    auto f = frame(k);
    caf::binary_serializer sink{sys, *f};
    auto me = sys.node();
    (void)sink(me);
    return f;
  }

  // A peer is lost: its proxies go down (unless a newer link of the same node replaced it).
  void lose(uint64_t key, const char* why) {
    auto it = peers.find(key);
    if (it == peers.end()) return;
    auto node = it->second.node;
    bool owned = false;
    {
      std::lock_guard<std::mutex> g(mtx);
      auto r = routes.find(node);
      if (r != routes.end() && r->second == key) {
        routes.erase(r);
        owned = true;
      }
    }
    spdlog::info("bridge: peer {} lost ({})", caf::to_string(node), why);
    ++count.lost;
    if (!it->second.rid.empty()) by_rid.erase(it->second.rid);
    peers.erase(it);
    count.peers = peers.size();
    links.erase(key);
    if (owned) proxies.erase(node);
  }

  void establish(uint64_t key, const caf::node_id& node, const std::string& rid, zmq::socket_t* dealer) {
    // A newer link of a node that is still listed (it noticed a cut first) replaces the old one,
    // which counts as lost: the other side has dropped what it knew of this one, so the proxies
    // made over the old link go down now rather than never.
    for (auto it = peers.begin(); it != peers.end(); ++it) {
      if (it->second.node == node && it->first != key) {
        lose(it->first, "replaced by a newer link of the same node");
        break;
      }
    }
    peer p;
    p.key = key;
    p.node = node;
    p.rid = rid;
    p.dealer = dealer;
    p.last_seen = p.last_ping = clock_type::now();
    peers[key] = std::move(p);
    if (!rid.empty()) by_rid[rid] = key;
    {
      std::lock_guard<std::mutex> g(mtx);
      routes[node] = key;
    }
    count.peers = peers.size();
  }


  static std::unique_ptr<buffer> down_frame(caf::actor_system& s, caf::actor_id id, const caf::error& reason) {
    auto f = frame(down);
    put_u64(*f, id);
    caf::binary_serializer sink{s, *f};
    auto r = reason;
    (void)sink(r);
    return f;
  }

  // A local actor that a peer holds a proxy of: the peer hears when it ends.
  void watch(peer& p, caf::actor_id aid) {
    auto local = sys.registry().get(aid);
    if (!local || p.watched.size() >= max_watched) {  // gone (or too many asked for): it ends now
      send_to(p, down_frame(sys, aid, caf::exit_reason::unknown));
      return;
    }
    if (!p.watched.insert(aid).second) return;
    std::weak_ptr<impl> weak = shared_from_this();
    auto node = p.node;
    local->get()->attach_functor([weak, node, aid](const caf::error& reason) {
      if (auto self = weak.lock()) self->post(0, node, down_frame(self->sys, aid, reason));
    });
  }

  // CAF's proxy registry keeps an (empty) entry for every node a decoded handle named; those
  // this bridge has no link to go at once, or a peer could grow it without bound.
  void forget_unrouted() {
    std::vector<caf::node_id> gone;
    {
      std::lock_guard<std::mutex> g(mtx);
      if (unrouted.empty()) return;
      gone.swap(unrouted);
      gone.erase(std::remove_if(gone.begin(), gone.end(), [&](const caf::node_id& n) { return routes.count(n) != 0; }),
                 gone.end());
    }
    for (const auto& n : gone) proxies.erase(n);
  }

  void deliver(const char* p, size_t size) {
    decoded_msg m;
    const bool ok = decode_msg(&in_ctx, p, size, m);
    forget_unrouted();
    if (!ok || system_message(m.content)) {
      ++count.malformed;
      return;
    }
    ++count.received;
    auto dest = sys.registry().get(m.receiver);
    if (!dest) {
      ++count.unroutable;
      if (m.mid.is_request() && m.sender)
        m.sender->enqueue(caf::make_mailbox_element(nullptr, m.mid.response_id(), {},
                                                  caf::make_message(caf::make_error(caf::sec::request_receiver_down))),
                        nullptr);
      return;
    }
    dest->enqueue(caf::make_mailbox_element(std::move(m.sender), m.mid, std::move(m.stages), std::move(m.content)),
                  nullptr);
  }

  // A frame from an established peer; one that a decoder throws on is dropped alone (the frames
  // after it in the same batch are still read).
  void handle(peer& p, const char* data, size_t size) {
    try {
      handle_frame(p, data, size);
    } catch (const std::exception& e) {
      spdlog::warn("bridge: dropped a frame from a peer: {}", e.what());
    }
  }

  void handle_frame(peer& p, const char* data, size_t size) {
    p.last_seen = clock_type::now();
    const char* end = data + size;
    const char* q = data + 1;
    switch (static_cast<kind>(data[0])) {
      case msg:
        count.bytes_in += size;
        deliver(q, size - 1);
        return;
      case ping:
        return;
      case monitor: {
        uint64_t aid = 0;
        if (!get_u64(q, end, aid) || q != end) break;
        watch(p, aid);
        return;
      }
      case down: {
        uint64_t aid = 0;
        if (!get_u64(q, end, aid)) break;
        bounded_deserializer src{&in_ctx, q, static_cast<size_t>(end - q)};
        caf::error reason;
        if (src(reason) || src.remaining() != 0) break;
        proxies.erase(p.node, aid, reason);  // a normal exit stays normal
        return;
      }
      case bye:
        lose(p.key, "it closed the link");
        return;
      case reset:
        if (p.dealer) lose(p.key, "the other side no longer knew this link");
        return;
      default:
        break;
    }
    ++count.malformed;
  }

  void on_router() {
    for (int i = 0; i < 256; ++i) {
      zmq::message_t rid_msg, body;
      if (!router->recv(rid_msg, zmq::recv_flags::dontwait)) return;
      if (!rid_msg.more()) continue;
      (void)router->recv(body, zmq::recv_flags::none);
      if (body.more()) {  // more frames than the framing has: read and drop the rest
        zmq::message_t extra;
        do (void)router->recv(extra, zmq::recv_flags::none);
        while (extra.more());
        ++count.malformed;
        continue;
      }
      if (body.size() == 0) {
        ++count.malformed;
        continue;
      }
      const std::string rid = rid_msg.to_string();
      const char* data = static_cast<const char*>(body.data());
      auto known = by_rid.find(rid);
      if (data[0] == hello) {
        const char* q = data + 1;
        const char* end = data + body.size();
        uint64_t version = 0;
        caf::node_id node;
        if (body.size() < 5) {
          ++count.malformed;
          continue;
        }
        std::memcpy(&version, q, 4);
        q += 4;
        if (version != bridge_version || !read_node(&in_ctx, q, end, node) || q != end || node == sys.node()) {
          ++count.malformed;
          continue;
        }
        uint64_t key = known != by_rid.end() ? known->second : next_key++;
        if (known == by_rid.end()) establish(key, node, rid, nullptr);
        auto f = node_frame(welcome);
        put_u64(*f, published ? published.id() : 0);
        send_rid(rid, std::move(f));
        continue;
      }
      if (known == by_rid.end()) {  // not (or no longer) a peer: it must say HELLO again
        if (data[0] != bye) send_rid(rid, frame(reset));
        continue;
      }
      handle(peers.at(known->second), data, body.size());
    }
  }

  void on_link(uint64_t key) {
    for (int i = 0; i < 256; ++i) {
      auto l = links.find(key);
      if (l == links.end()) return;
      zmq::message_t body;
      if (!l->second.dealer.recv(body, zmq::recv_flags::dontwait)) return;
      if (body.more() || body.size() == 0) {
        ++count.malformed;
        continue;
      }
      const char* data = static_cast<const char*>(body.data());
      if (!l->second.up) {
        if (data[0] != welcome) continue;  // nothing else counts before the WELCOME
        const char* q = data + 1;
        const char* end = data + body.size();
        caf::node_id node;
        uint64_t aid = 0;
        if (!read_node(&in_ctx, q, end, node) || !get_u64(q, end, aid) || q != end) {
          ++count.malformed;
          continue;
        }
        auto req = l->second.req;
        bool cancelled = false;
        {
          std::lock_guard<std::mutex> g(req->m);
          cancelled = req->cancelled;
        }
        if (cancelled) {
          (void)l->second.dealer.send(zmq::str_buffer("\x07"), zmq::send_flags::dontwait);
          links.erase(l);
          return;
        }
        l->second.up = true;
        count.refused_in_a_row = 0;
        establish(key, node, "", &l->second.dealer);
        {
          std::lock_guard<std::mutex> g(req->m);
          req->node = node;
          req->aid = aid;
        }
        req->finish();
        continue;
      }
      auto p = peers.find(key);
      if (p != peers.end()) handle(p->second, data, body.size());
    }
  }

  void on_monitor(uint64_t key) {
    auto l = links.find(key);
    if (l == links.end()) return;
    for (int e = l->second.mon->next(); e != 0; e = l->second.mon->next()) {
      l = links.find(key);
      if (l == links.end()) return;
      if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (!l->second.up) {
          count.refused_in_a_row = l->second.refused_in_a_row = 0;
          auto f = node_frame(hello);
          f->insert(f->begin() + 1, {static_cast<char>(bridge_version & 0xff), static_cast<char>((bridge_version >> 8) & 0xff),
                                     static_cast<char>((bridge_version >> 16) & 0xff),
                                     static_cast<char>((bridge_version >> 24) & 0xff)});
          (void)l->second.dealer.send(to_message(std::move(f)), zmq::send_flags::dontwait);
        }
      } else if (e == ZMQ_EVENT_DISCONNECTED) {
        if (l->second.up) {
          lose(key, "the link closed");
          return;
        }
      } else if (e == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || e == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
        // A wrong key: the server cannot read this client's HELLO (no detail) or its ZAP gate
        // says no (AUTH).
        ++count.refused;
        count.refused_in_a_row = ++l->second.refused_in_a_row;
        if (l->second.refused_in_a_row >= 2 && !l->second.up) {
          l->second.req->finish(core::make_error(
              core::errc::refused, "the CURVE handshake with " + l->second.req->endpoint +
                                       " failed twice: not the cluster's key (a wrong cluster token or "
                                       "cluster.key_file, or the other side runs with cluster.curve off)"));
          links.erase(l);
          return;
        }
      }
    }
  }

  void take_requests() {
    std::vector<std::shared_ptr<request>> reqs;
    std::deque<outgoing> out;
    {
      std::lock_guard<std::mutex> g(mtx);
      reqs.swap(requests);
      out.swap(queue);
    }
    for (auto& r : reqs) r->is_listen ? start_listen(r) : start_connect(r);
    for (auto& o : out) {
      uint64_t key = o.key;
      if (key == 0) {
        auto it = routes.find(o.node);  // this thread is the only writer
        if (it == routes.end()) {  // the node was lost since the message was queued
          ++count.unroutable;
          if (o.requester)
            o.requester->enqueue(caf::make_mailbox_element(nullptr, o.mid.response_id(), {},
                                                           caf::make_error(caf::sec::request_receiver_down)),
                                 nullptr);
          continue;
        }
        key = it->second;
      }
      auto p = peers.find(key);
      if (p != peers.end()) send_to(p->second, std::move(o.bytes));
      else ++count.unroutable;
    }
  }

  void start_listen(const std::shared_ptr<request>& r) {
    if (router) return r->finish(core::make_error(core::errc::invalid_argument, "this bridge listens already"));
    try {
      auto s = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::router);
      socket_options(*s, opt);
      if (opt.curve) {
        // The ZAP gate listens before the first handshake: libzmq asks it about every client key.
        gate = std::make_unique<core::zap_gate>(ctx, opt.keys.public_key);
        core::curve_server(*s, opt.keys);
      }
      s->bind("tcp://" + r->endpoint);
      r->port = port_of(s->get(zmq::sockopt::last_endpoint));
      router = std::move(s);
      published = r->published;
      r->finish();
    } catch (const zmq::error_t& e) {
      gate.reset();
      r->finish(core::make_error(core::errc::io, "cannot listen on " + r->endpoint + ": " + e.what()));
    }
  }

  void start_connect(const std::shared_ptr<request>& r) {
    const uint64_t key = next_key++;
    try {
      link l{zmq::socket_t(ctx, zmq::socket_type::dealer), nullptr, r, false};
      socket_options(l.dealer, opt);
      l.dealer.set(zmq::sockopt::reconnect_ivl, 200);
      l.dealer.set(zmq::sockopt::reconnect_ivl_max, 2000);
      if (opt.curve) core::curve_client(l.dealer, opt.keys);
      l.mon = std::make_unique<handshake_monitor>(ctx, l.dealer);
      l.dealer.connect("tcp://" + r->endpoint);
      links.emplace(key, std::move(l));
    } catch (const zmq::error_t& e) {
      r->finish(core::make_error(core::errc::io, "cannot connect to " + r->endpoint + ": " + e.what()));
    }
  }

  void timers() {
    const auto now = clock_type::now();
    std::vector<uint64_t> silent;
    for (auto& [key, p] : peers) {
      if (now - p.last_seen > opt.timeout) {
        silent.push_back(key);
        continue;
      }
      if (now - p.last_ping >= opt.heartbeat) {
        p.last_ping = now;
        send_to(p, frame(ping));
      }
    }
    for (auto key : silent) lose(key, "silent for longer than cluster.connection_timeout_ms");
    for (auto it = links.begin(); it != links.end();) {  // connects given up by their caller
      bool cancelled = false;
      if (!it->second.up) {
        std::lock_guard<std::mutex> g(it->second.req->m);
        cancelled = it->second.req->cancelled;
      }
      it = cancelled ? links.erase(it) : std::next(it);
    }
  }

  void loop() {
    while (!stop) {
      std::vector<zmq::pollitem_t> items;
      std::vector<std::pair<int, uint64_t>> what;  // 0 wake, 1 gate, 2 router, 3 link, 4 monitor
      items.push_back({nullptr, wake, ZMQ_POLLIN, 0});
      what.push_back({0, 0});
      if (gate) {
        items.push_back({gate->handle(), 0, ZMQ_POLLIN, 0});
        what.push_back({1, 0});
      }
      if (router) {
        items.push_back({router->handle(), 0, ZMQ_POLLIN, 0});
        what.push_back({2, 0});
      }
      for (auto& [key, l] : links) {
        items.push_back({l.dealer.handle(), 0, ZMQ_POLLIN, 0});
        what.push_back({3, key});
        items.push_back({l.mon->pair.handle(), 0, ZMQ_POLLIN, 0});
        what.push_back({4, key});
      }
      try {
        zmq::poll(items.data(), items.size(), std::chrono::milliseconds(std::max<int64_t>(10, opt.heartbeat.count() / 4)));
        for (size_t i = 0; i < items.size(); ++i) {
          if (!(items[i].revents & ZMQ_POLLIN)) continue;
          switch (what[i].first) {
            case 0: {
              uint64_t n = 0;
              (void)!::read(wake, &n, sizeof n);
              break;
            }
            case 1:
              gate->answer();
              count.refused = gate->refused();
              break;
            case 2: on_router(); break;
            case 3: on_link(what[i].second); break;
            case 4: on_monitor(what[i].second); break;
          }
        }
        take_requests();  // also whatever came in without a wake (cheap when empty)
        timers();
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        spdlog::warn("bridge: {}", e.what());
      } catch (const std::exception& e) {  // bad_alloc from a decode, say: the frame is lost, not the node
        spdlog::warn("bridge: {}", e.what());
      }
    }
    // Goodbye to every peer, so that they need not wait for the timeout.
    for (auto& [key, p] : peers) send_to(p, frame(bye));
    for (auto& [key, l] : links) l.dealer.set(zmq::sockopt::linger, 200);
    if (router) router->set(zmq::sockopt::linger, 200);
    links.clear();
    router.reset();
    gate.reset();
  }
};

std::unique_ptr<bridge> bridge::start(caf::actor_system& sys, const bridge_options& options) {
  std::unique_ptr<bridge> b(new bridge);
  b->impl_ = std::make_shared<impl>(sys, options);
  auto& m = *b->impl_;
  m.wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  m.io = std::thread([p = b->impl_.get()] { p->loop(); });
  return b;
}

bridge::~bridge() {
  if (!impl_) return;
  impl_->stop = true;
  impl_->poke();
  if (impl_->io.joinable()) impl_->io.join();
  impl_->proxies.clear();  // every proxy goes down
}

namespace {

core::status wait_for(const std::shared_ptr<request>& r, std::chrono::milliseconds timeout, const std::string& what) {
  std::unique_lock<std::mutex> g(r->m);
  if (!r->cv.wait_for(g, timeout, [&] { return r->done; })) {
    r->cancelled = true;
    return core::make_error(core::errc::timeout, what);
  }
  if (r->failed) return r->error;
  return {};
}

}  // namespace

core::result<uint16_t> bridge::listen(const address& at, const caf::actor& published) {
  auto r = std::make_shared<request>();
  r->is_listen = true;
  r->endpoint = at.to_string();
  r->published = published;
  if (published) impl_->sys.registry().put(published.id(), caf::actor_cast<caf::strong_actor_ptr>(published));
  {
    std::lock_guard<std::mutex> g(impl_->mtx);
    impl_->requests.push_back(r);
  }
  impl_->poke();
  if (auto ok = wait_for(r, std::chrono::seconds(10), "the bridge did not start listening"); !ok) return ok.error();
  return r->port;
}

core::result<caf::actor> bridge::connect(const address& at, std::chrono::milliseconds timeout) {
  auto r = std::make_shared<request>();
  r->endpoint = at.to_string();
  {
    std::lock_guard<std::mutex> g(impl_->mtx);
    impl_->requests.push_back(r);
  }
  impl_->poke();
  if (auto ok = wait_for(r, timeout, "no answer from " + at.to_string() + " within " +
                                         std::to_string(timeout.count()) + " ms");
      !ok)
    return ok.error();
  auto proxy = impl_->proxies.get_or_put(r->node, r->aid);
  if (!proxy)
    return core::make_error(core::errc::io, at.to_string() + " published no actor, or its link closed at once");
  return caf::actor_cast<caf::actor>(proxy);
}

bridge_stats bridge::stats() const {
  const auto& c = impl_->count;
  return {c.sent, c.received, c.bytes_out, c.bytes_in, c.malformed, c.unroutable,
          c.peers, c.lost, c.refused, c.refused_in_a_row};
}

}  // namespace lantern::cluster
