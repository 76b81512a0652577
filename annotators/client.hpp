// annotators/client.hpp: the asynchronous client of the annotator service, for the reward
// learner (and `lantern annotate`). submit() returns at once; poll() hands back the replies
// that have arrived. A request not answered within `resend_after` is sent again, with the wait
// doubling up to 16x (requests are idempotent by caption, and the service answers a request it
// received twice once), so a service that was restarted answers what was outstanding without a
// storm of copies. Only unanswered requests are resent; cancel() forgets one for good.
// Not thread-safe: one client per thread.
//
//   annotator_client c(ctx, "tcp://127.0.0.1:7710");
//   uint64_t id = c.submit({it}, std::chrono::seconds(30));
//   for (auto& done : c.poll(std::chrono::milliseconds(10))) use(done.id, done.answers);
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "annotators/types.hpp"
#include "core/curve.hpp"
#include "core/error.hpp"

namespace lantern::annotators {

class annotator_client {
 public:
  /// With `curve`, the connection proves these keys (a cluster's annotator node: core/curve.hpp).
  annotator_client(zmq::context_t& ctx, std::string endpoint,
                   std::chrono::milliseconds resend_after = std::chrono::milliseconds(2000),
                   const core::curve_keys* curve = nullptr);

  /// Sends a request; `deadline` is how long the service may take before answering unlabelled.
  uint64_t submit(std::vector<item> items, std::chrono::milliseconds deadline);

  struct completed {
    uint64_t id;
    std::vector<answer> answers;
  };
  /// Replies that arrived within `wait`; resends what has waited too long.
  std::vector<completed> poll(std::chrono::milliseconds wait);

  /// Blocking: submit and wait up to `timeout`; an error if the service never answers.
  core::result<std::vector<answer>> annotate(std::vector<item> items, std::chrono::milliseconds timeout);
  /// The service's metrics as JSON text.
  core::result<std::string> stats(std::chrono::milliseconds timeout);

  /// Forgets a request: it is not resent, and a late answer to it is dropped.
  void cancel(uint64_t id) { outstanding_.erase(id); }
  size_t outstanding() const { return outstanding_.size(); }
  /// Requests sent again so far (a service that restarted, or a slow one).
  uint64_t resends() const { return resends_; }
  const std::string& endpoint() const { return endpoint_; }
  /// Error replies (malformed requests) seen so far.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct sent {
    std::string bytes;
    std::chrono::steady_clock::time_point last_sent;
    int resends = 0;
  };
  void send_bytes(const std::string& bytes);
  zmq::socket_t socket_;
  std::string endpoint_;
  std::chrono::milliseconds resend_after_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, sent> outstanding_;
  std::vector<std::string> errors_;
  uint64_t resends_ = 0;
};

}  // namespace lantern::annotators
