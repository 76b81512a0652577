// annotators/service.hpp: the annotator service. A ZeroMQ ROUTER socket takes annotate
// requests (annotators/wire.hpp); each item is answered from the label store when it can be
// (labels of the configured backend's source, or of those annotator.reuse_labels_from lists),
// otherwise queued once (the same caption asked again while in flight waits on the same call,
// and a request received twice is answered once) for the backend in a bounded queue: newest
// first, except that a caption older than annotator.max_queue_age_ms goes before newer ones, so
// none starves. A label is committed to the store before anyone is told. Every request carries
// a deadline and gets an answer for every item: a label, "unlabelled" (the deadline passed; the
// item stays queued and will be stored) or an error. A backend that throws answers its batch
// with errors; the service goes on.
// It runs in-process (inproc://) or alone as `lantern annotator serve --bind tcp://...`.
//
//   auto svc = annotator_service::start(cfg, "tcp://127.0.0.1:0", ctx, metrics);
//   std::string where = svc.value()->endpoint();    // the port chosen
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "annotators/backend.hpp"
#include "annotators/prompts.hpp"
#include "annotators/store.hpp"
#include "annotators/wire.hpp"
#include "core/config.hpp"
#include "core/curve.hpp"
#include "core/metrics.hpp"

namespace lantern::annotators {

/// The label store path from the config (annotator.store, or the per-user default).
std::string store_path(const core::config& cfg);

class annotator_service {
 public:
  ~annotator_service();
  /// Opens the store, loads prompts, builds the backend, binds, and starts serving. With
  /// `curve`, the socket is a CURVE server that admits only clients proving these keys (an
  /// annotator node of a cluster: core/curve.hpp); the service then owns the ZAP gate of `ctx`.
  static core::result<std::unique_ptr<annotator_service>> start(const core::config& cfg, const std::string& bind,
                                                                 zmq::context_t& ctx, core::metrics_registry& metrics,
                                                                 const core::curve_keys* curve = nullptr);
  /// Where clients connect (a tcp port 0 or * is resolved to the port chosen).
  const std::string& endpoint() const { return endpoint_; }
  const label_store& store() const { return *store_; }
  /// Whether captions of this domain and goal can be labelled: prompts for the domain (its own
  /// file, or the generic one) and a backend that supports it. An error says what to write.
  core::status check(const std::string& domain, const std::string& goal) const;
  /// Stops serving; waits for the backend call in flight (its labels are still stored).
  void stop();

 private:
  annotator_service(zmq::context_t& ctx, core::metrics_registry& m);
  struct waiter {
    uint64_t request;
    uint32_t index;
  };
  struct pending {
    item what;
    std::vector<waiter> waiters;
  };
  struct queued {
    std::string key;
    item what;
    std::chrono::steady_clock::time_point since;
  };
  struct open_request {
    std::vector<zmq::message_t> envelope;
    std::string peer;  ///< routing identity and client id: a request received twice is answered once
    uint64_t client_id = 0;
    std::vector<answer> answers;
    size_t remaining = 0;
    std::chrono::steady_clock::time_point deadline;
  };
  void io_loop();
  void worker_loop();
  void handle(std::vector<zmq::message_t>& frames);
  void resolve(const std::string& key, const answer& a);
  std::vector<queued> take_batch();  // caller holds mutex_
  void finish(uint64_t request);
  void expire(std::chrono::steady_clock::time_point now);
  void send(std::vector<zmq::message_t>& envelope, const wire::reply& r);

  zmq::context_t& ctx_;
  core::metrics_registry& metrics_;
  std::unique_ptr<label_store> store_;
  std::map<std::string, prompt_set> prompts_;
  std::unique_ptr<backend> backend_;
  std::string endpoint_, results_endpoint_;
  size_t queue_limit_ = 10000;
  std::chrono::milliseconds max_queue_age_{30000};
  size_t max_caption_ = 1024, max_reply_ = 16384;
  uint32_t max_items_ = 4096;
  std::string source_, reuse_from_;
  std::unique_ptr<core::zap_gate> zap_;  // declared before router_: it must exist when router_ binds
  std::unique_ptr<zmq::socket_t> router_;

  // io thread only
  std::unordered_map<std::string, pending> pending_;
  std::map<uint64_t, open_request> requests_;
  std::map<std::string, uint64_t> open_by_peer_;  // open_request::peer -> request
  uint64_t next_request_ = 1;

  // shared between the io thread and the worker
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<queued> queue_;                                  // newest at the front
  std::vector<std::pair<std::string, answer>> done_;          // labelled (and stored) or failed
  std::atomic<bool> stop_{false};
  std::thread io_, worker_;

  core::counter &requests_total_, &items_total_, &store_hits_, &reused_, &busy_, &expired_, &malformed_, &duplicates_,
      &backend_failures_, &aged_, &truncated_;
  core::gauge& queue_depth_;
  core::histogram& batch_seconds_;
};

}  // namespace lantern::annotators
