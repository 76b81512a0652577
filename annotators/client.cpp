#include "annotators/client.hpp"

#include <algorithm>

#include "annotators/wire.hpp"

namespace lantern::annotators {

using clock_type = std::chrono::steady_clock;

annotator_client::annotator_client(zmq::context_t& ctx, std::string endpoint, std::chrono::milliseconds resend_after,
                                   const core::curve_keys* curve)
    : socket_(ctx, zmq::socket_type::dealer), endpoint_(std::move(endpoint)), resend_after_(resend_after) {
  if (curve) core::curve_client(socket_, *curve);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  socket_.set(zmq::sockopt::reconnect_ivl_max, 1000);
  socket_.connect(endpoint_);
}

void annotator_client::send_bytes(const std::string& bytes) {
  // A full pipe (service gone for long) drops the send; the resend timer tries again.
  (void)socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

uint64_t annotator_client::submit(std::vector<item> items, std::chrono::milliseconds deadline) {
  wire::request r;
  r.type = wire::msg::annotate;
  r.id = next_id_++;
  r.deadline_ms = static_cast<uint32_t>(deadline.count());
  r.items = std::move(items);
  sent s{wire::encode_request(r), clock_type::now()};
  send_bytes(s.bytes);
  outstanding_.emplace(r.id, std::move(s));
  return r.id;
}

std::vector<annotator_client::completed> annotator_client::poll(std::chrono::milliseconds wait) {
  std::vector<completed> out;
  zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, wait);
  zmq::message_t m;
  while (socket_.recv(m, zmq::recv_flags::dontwait)) {
    auto r = wire::decode_reply(m.to_string_view());
    if (!r) {
      errors_.push_back("unreadable reply: " + r.error().message);
      continue;
    }
    if (r->type == wire::msg::error_reply) {
      errors_.push_back(r->text);
      continue;
    }
    if (r->type != wire::msg::annotate_reply) continue;
    if (outstanding_.erase(r->id) == 0) continue;  // a duplicate answer to a resent request
    out.push_back({r->id, std::move(r->answers)});
  }
  const auto now = clock_type::now();
  for (auto& [id, s] : outstanding_) {
    if (now - s.last_sent >= resend_after_ * (1 << std::min(s.resends, 4))) {
      send_bytes(s.bytes);
      s.last_sent = now;
      ++s.resends;
      ++resends_;
    }
  }
  return out;
}

core::result<std::vector<answer>> annotator_client::annotate(std::vector<item> items, std::chrono::milliseconds timeout) {
  const uint64_t id = submit(std::move(items), timeout);
  const auto until = clock_type::now() + timeout + std::chrono::milliseconds(500);  // the service answers at its deadline
  while (clock_type::now() < until) {
    for (auto& c : poll(std::chrono::milliseconds(20)))
      if (c.id == id) return std::move(c.answers);
  }
  outstanding_.erase(id);
  return core::make_error(core::errc::timeout, "the annotator service at " + endpoint_ + " did not answer within " +
                                                   std::to_string(timeout.count()) + " ms (is it running?)");
}

core::result<std::string> annotator_client::stats(std::chrono::milliseconds timeout) {
  wire::request r;
  r.type = wire::msg::stats;
  r.id = next_id_++;
  send_bytes(wire::encode_request(r));
  const auto until = clock_type::now() + timeout;
  zmq::message_t m;
  while (clock_type::now() < until) {
    zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(20));
    while (socket_.recv(m, zmq::recv_flags::dontwait)) {
      auto rep = wire::decode_reply(m.to_string_view());
      if (rep && rep->type == wire::msg::stats_reply && rep->id == r.id) return rep->text;
    }
  }
  return core::make_error(core::errc::timeout, "the annotator service at " + endpoint_ + " did not answer within " +
                                                   std::to_string(timeout.count()) + " ms");
}

}  // namespace lantern::annotators
