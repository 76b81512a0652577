#include "annotators/service.hpp"

#include <cstdlib>
#include <sstream>

#include <zmq_addon.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace lantern::annotators {

using clock_type = std::chrono::steady_clock;

std::string store_path(const core::config& cfg) {
  const std::string& p = cfg.string("annotator.store");
  if (!p.empty()) return p;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/lantern/labels.sqlite";
}

annotator_service::annotator_service(zmq::context_t& ctx, core::metrics_registry& m)
    : ctx_(ctx),
      metrics_(m),
      requests_total_(m.add_counter("annotator_requests_total", "annotate requests received")),
      items_total_(m.add_counter("annotator_items_total", "items asked for")),
      store_hits_(m.add_counter("annotator_store_hits_total", "items answered from the label store")),
      reused_(m.add_counter("annotator_reused_labels_total",
                            "items answered with another source's label (annotator.reuse_labels_from)")),
      busy_(m.add_counter("annotator_busy_rejections_total", "items refused because the queue was full")),
      expired_(m.add_counter("annotator_deadline_expired_total", "items answered unlabelled at their deadline")),
      malformed_(m.add_counter("annotator_malformed_requests_total", "requests that could not be read")),
      duplicates_(m.add_counter("annotator_duplicate_requests_total", "requests received again while open (answered once)")),
      backend_failures_(m.add_counter("annotator_backend_exceptions_total", "backend calls that threw (their items answered with errors)")),
      aged_(m.add_counter("annotator_aged_items_total", "items sent to the backend before newer ones because they waited "
                                                      "longer than annotator.max_queue_age_ms")),
      truncated_(m.add_counter("annotator_truncated_captions_total",
                               "captions cut to annotator.max_caption_bytes before labelling")),
      queue_depth_(m.add_gauge("annotator_queue_depth", "items waiting for the backend")),
      batch_seconds_(m.add_histogram("annotator_batch_seconds", "time the backend took to answer one batch (any backend)",
                                     core::histogram::exponential(0.0001, 2, 20))) {}

annotator_service::~annotator_service() { stop(); }

core::result<std::unique_ptr<annotator_service>> annotator_service::start(const core::config& cfg,
                                                                          const std::string& bind,
                                                                          zmq::context_t& ctx,
                                                                          core::metrics_registry& metrics,
                                                                          const core::curve_keys* curve) {
  std::unique_ptr<annotator_service> s(new annotator_service(ctx, metrics));
  auto prompts = load_prompt_dir(prompts_dir(cfg));
  if (!prompts) return prompts.error();
  s->prompts_ = std::move(prompts.value());
  auto store = label_store::open(store_path(cfg));
  if (!store) return store.error();
  s->store_ = std::move(store.value());
  auto b = make_backend(cfg, s->prompts_, metrics);
  if (!b) return b.error();
  s->backend_ = std::move(b.value());
  s->queue_limit_ = static_cast<size_t>(cfg.integer("annotator.queue_limit"));
  s->max_queue_age_ = std::chrono::milliseconds(cfg.integer("annotator.max_queue_age_ms"));
  s->max_caption_ = static_cast<size_t>(cfg.integer("annotator.max_caption_bytes"));
  s->max_reply_ = static_cast<size_t>(cfg.integer("annotator.max_stored_reply_bytes"));
  s->max_items_ = static_cast<uint32_t>(cfg.integer("annotator.max_request_items"));
  s->source_ = s->backend_->source();
  s->reuse_from_ = cfg.string("annotator.reuse_labels_from");
  try {
    if (curve) s->zap_ = std::make_unique<core::zap_gate>(ctx, curve->public_key);
    s->router_ = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::router);
    if (curve) {
      core::curve_server(*s->router_, *curve);
      s->router_->set(zmq::sockopt::handshake_ivl, 5000);  // a peer that stalls its handshake is dropped
    }
    s->router_->set(zmq::sockopt::linger, 0);
    s->router_->set(zmq::sockopt::router_mandatory, 0);
    // A message larger than this is dropped by ZeroMQ (and its connection closed) before it is
    // allocated: one peer cannot make the service hold gigabytes.
    s->router_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(cfg.integer("annotator.max_message_bytes")));
    s->router_->bind(bind);
    s->endpoint_ = s->router_->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return core::make_error(core::errc::io, "annotator service: cannot bind " + bind + ": " + e.what());
  }
  std::ostringstream results;
  results << "inproc://lantern-annotator-results-" << static_cast<const void*>(s.get());
  s->results_endpoint_ = results.str();
  auto* raw = s.get();
  s->io_ = std::thread([raw] { raw->io_loop(); });
  s->worker_ = std::thread([raw] { raw->worker_loop(); });
  spdlog::info("annotator: serving on {} with the {} backend, store {} ({} labels)", s->endpoint_,
               s->backend_->name(), s->store_->path(), s->store_->size());
  return s;
}

core::status annotator_service::check(const std::string& domain, const std::string& goal) const {
  const prompt_set* p = prompts_for(prompts_, domain);
  if (!p) return core::make_error(core::errc::config, "no prompts for domain '" + domain + "'");
  if (!p->has_goal(goal))
    return core::make_error(core::errc::config, "the prompts of '" + domain + "' (" + p->version() + ") have no goal '" +
                                                    goal + "' (goals: " + [&] {
                                                      std::string g;
                                                      for (const auto& x : p->goals()) g += (g.empty() ? "" : ", ") + x;
                                                      return g;
                                                    }() + ")");
  return backend_->supports(domain, goal);
}

void annotator_service::stop() {
  {
    std::lock_guard lock(mutex_);  // under the mutex: the worker cannot miss the wake-up
    if (stop_.exchange(true)) return;
  }
  cv_.notify_all();
  if (backend_) backend_->cancel();  // a call in flight ends now, not at its timeout
  if (worker_.joinable()) worker_.join();
  if (io_.joinable()) io_.join();
}

void annotator_service::io_loop() {
  // The worker pokes this socket when it has finished a batch (results are in done_).
  zmq::socket_t wake(ctx_, zmq::socket_type::pull);
  wake.set(zmq::sockopt::linger, 0);
  wake.bind(results_endpoint_);
  while (!stop_) {
    zmq::pollitem_t items[] = {{static_cast<void*>(*router_), 0, ZMQ_POLLIN, 0},
                               {static_cast<void*>(wake), 0, ZMQ_POLLIN, 0},
                               {zap_ ? zap_->handle() : nullptr, 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, zap_ ? 3 : 2, std::chrono::milliseconds(20));
    if (zap_ && (items[2].revents & ZMQ_POLLIN)) {  // a handshake asks whether a client key may pass
      try {
        zap_->answer();
      } catch (const zmq::error_t& e) {  // a handshake that went away mid-answer: the service goes on
        spdlog::warn("annotator service: ZAP: {}", e.what());
      }
    }
    if (items[0].revents & ZMQ_POLLIN) {
      for (int burst = 0; burst < 256; ++burst) {
        std::vector<zmq::message_t> frames;
        auto got = zmq::recv_multipart(*router_, std::back_inserter(frames), zmq::recv_flags::dontwait);
        if (!got) break;
        handle(frames);
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      zmq::message_t m;
      while (wake.recv(m, zmq::recv_flags::dontwait)) {
      }
    }
    std::vector<std::pair<std::string, answer>> done;
    {
      std::lock_guard lock(mutex_);
      done.swap(done_);
    }
    for (const auto& [key, a] : done) resolve(key, a);
    expire(clock_type::now());
  }
  router_.reset();
}

void annotator_service::worker_loop() {
  zmq::socket_t wake(ctx_, zmq::socket_type::push);
  wake.set(zmq::sockopt::linger, 0);
  wake.connect(results_endpoint_);
  for (;;) {
    std::vector<queued> batch;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      batch = take_batch();
      queue_depth_.set(static_cast<double>(queue_.size()));
    }
    std::vector<item> items;
    items.reserve(batch.size());
    for (const auto& b : batch) items.push_back(b.what);
    std::vector<answer> answers;
    const auto t0 = clock_type::now();
    try {
      answers = backend_->label(items);
      if (answers.size() != items.size()) throw std::logic_error("the backend answered the wrong number of items");
    } catch (const std::exception& e) {  // a backend's failure is an answer, never the end of the process
      backend_failures_.add();
      spdlog::error("annotator: the {} backend failed on {} items: {}", backend_->name(), items.size(), e.what());
      answers.assign(items.size(), answer{});
      for (auto& a : answers) {
        a.result = outcome::error;
        a.error = std::string("the backend failed: ") + e.what();
      }
    }
    batch_seconds_.observe(std::chrono::duration<double>(clock_type::now() - t0).count());
    std::vector<label_store::entry> to_store;
    for (size_t i = 0; i < answers.size(); ++i) {
      if (answers[i].result != outcome::labelled) continue;
      answers[i].lab.from.prompt_version = prompts_for(prompts_, items[i].domain)->version();
      auto& raw = answers[i].lab.raw_reply;
      if (raw.size() > max_reply_) {
        const size_t cut = raw.size() - max_reply_;
        raw.resize(max_reply_);
        raw += "... [" + std::to_string(cut) + " more bytes not kept]";
      }
      to_store.push_back({items[i], answers[i].lab, source_});
    }
    // Commit first; only then may anyone hear of these labels.
    if (auto st = store_->put(to_store); !st) {
      spdlog::error("annotator: {}", st.error().message);
      for (auto& a : answers)
        if (a.result == outcome::labelled) {
          a.result = outcome::error;
          a.error = "the label could not be stored: " + st.error().message;
        }
    }
    {
      std::lock_guard lock(mutex_);
      for (size_t i = 0; i < answers.size(); ++i) done_.emplace_back(std::move(batch[i].key), std::move(answers[i]));
    }
    wake.send(zmq::message_t(), zmq::send_flags::dontwait);
  }
}

std::vector<annotator_service::queued> annotator_service::take_batch() {
  const size_t n = std::min(queue_.size(), backend_->preferred_batch());
  std::vector<queued> batch;
  batch.reserve(n);
  // Captions that waited too long go first (oldest first, from the back), so a stream of new
  // captions cannot starve old ones for ever; the rest newest first.
  const auto too_old = std::chrono::steady_clock::now() - max_queue_age_;
  while (batch.size() < n && !queue_.empty() && queue_.back().since <= too_old) {
    batch.push_back(std::move(queue_.back()));
    queue_.pop_back();
    aged_.add();
  }
  while (batch.size() < n && !queue_.empty()) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void annotator_service::send(std::vector<zmq::message_t>& envelope, const wire::reply& r) {
  try {
    for (auto& f : envelope) router_->send(zmq::message_t(f.data(), f.size()), zmq::send_flags::sndmore);
    router_->send(zmq::buffer(wire::encode_reply(r)), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::warn("annotator: reply not sent: {}", e.what());
  }
}

void annotator_service::handle(std::vector<zmq::message_t>& frames) {
  if (frames.size() < 2) return;  // a ROUTER always gives the identity first
  std::string body = frames.back().to_string();
  frames.pop_back();  // what is left is the envelope (identity, and a delimiter for REQ clients)
  auto req = wire::decode_request(body, max_items_);
  if (!req) {
    malformed_.add();
    wire::reply r;
    r.type = wire::msg::error_reply;
    r.text = req.error().message;
    send(frames, r);
    return;
  }
  wire::reply r;
  r.id = req->id;
  if (req->type == wire::msg::ping) {
    r.type = wire::msg::pong;
    send(frames, r);
    return;
  }
  if (req->type == wire::msg::stats) {
    r.type = wire::msg::stats_reply;
    auto j = metrics_.to_json();
    j["labels_stored"] = store_->size();
    j["backend"] = backend_->name();
    r.text = j.dump();
    send(frames, r);
    return;
  }
  // The same request received again while it is open (a client's resend) is answered once.
  std::string peer = frames.front().to_string() + '\0' + std::to_string(req->id);
  if (auto open = open_by_peer_.find(peer); open != open_by_peer_.end()) {
    duplicates_.add();
    return;
  }
  requests_total_.add();
  items_total_.add(req->items.size());
  const uint64_t rid = next_request_++;
  open_request& o = requests_[rid];
  o.envelope = std::move(frames);
  o.peer = peer;
  open_by_peer_[peer] = rid;
  o.client_id = req->id;
  o.answers.resize(req->items.size());
  o.deadline = clock_type::now() + std::chrono::milliseconds(req->deadline_ms == 0 ? 30000 : req->deadline_ms);
  std::vector<queued> to_queue;
  const auto now = clock_type::now();
  for (uint32_t i = 0; i < req->items.size(); ++i) {
    item& it = req->items[i];
    answer& a = o.answers[i];
    if (it.caption.size() > max_caption_ || it.caption2.size() > max_caption_) {
      truncated_.add();  // an 8 MB caption must not hold the backend for seconds
      if (it.caption.size() > max_caption_) it.caption.resize(max_caption_);
      if (it.caption2.size() > max_caption_) it.caption2.resize(max_caption_);
    }
    const prompt_set* p = prompts_for(prompts_, it.domain);
    if (!p || !p->has_goal(it.goal)) {
      a.result = outcome::error;
      a.error = !p ? "unknown domain '" + it.domain + "'" : "unknown goal '" + it.goal + "' for " + it.domain;
      continue;
    }
    std::string key = it.key(p->version(), source_);
    if (auto hit = store_->find(key)) {
      store_hits_.add();
      a.result = outcome::labelled;
      a.lab.value = hit->value;
      a.lab.from = store_->provenance_of(*hit);
      continue;
    }
    if (!reuse_from_.empty()) {
      auto other = store_->find_from(it, p->version(),
                                     [&](const std::string& s) { return s != source_ && source_listed(s, reuse_from_); });
      if (other) {
        store_hits_.add();
        reused_.add();
        a.result = outcome::labelled;
        a.lab.value = other->value;
        a.lab.from = store_->provenance_of(*other);
        continue;
      }
    }
    auto inflight = pending_.find(key);
    if (inflight != pending_.end()) {  // asked again while in flight: wait on the same call
      inflight->second.waiters.push_back({rid, i});
      ++o.remaining;
      continue;
    }
    std::lock_guard lock(mutex_);
    if (queue_.size() + to_queue.size() >= queue_limit_) {
      busy_.add();
      a.result = outcome::error;
      a.error = "busy: " + std::to_string(queue_limit_) + " captions are already waiting; ask again later";
      continue;
    }
    pending_[key] = pending{it, {{rid, i}}};
    ++o.remaining;
    to_queue.push_back(queued{std::move(key), std::move(it), now});
  }
  if (!to_queue.empty()) {
    std::lock_guard lock(mutex_);
    for (auto& q : to_queue) queue_.push_front(std::move(q));  // the newest captions go first
    queue_depth_.set(static_cast<double>(queue_.size()));
    cv_.notify_one();
  }
  if (o.remaining == 0) finish(rid);
}

void annotator_service::resolve(const std::string& key, const answer& a) {
  auto p = pending_.find(key);
  if (p == pending_.end()) return;
  for (const waiter& w : p->second.waiters) {
    auto r = requests_.find(w.request);
    if (r == requests_.end()) continue;  // already answered at its deadline
    r->second.answers[w.index] = a;
    if (--r->second.remaining == 0) finish(w.request);
  }
  pending_.erase(p);
}

void annotator_service::finish(uint64_t request) {
  auto r = requests_.find(request);
  if (r == requests_.end()) return;
  wire::reply rep;
  rep.type = wire::msg::annotate_reply;
  rep.id = r->second.client_id;
  rep.answers = std::move(r->second.answers);
  send(r->second.envelope, rep);
  open_by_peer_.erase(r->second.peer);
  requests_.erase(r);
}

void annotator_service::expire(clock_type::time_point now) {
  std::vector<uint64_t> late;
  for (auto& [id, r] : requests_)
    if (r.deadline <= now) late.push_back(id);
  for (uint64_t id : late) {
    auto& r = requests_[id];
    for (auto& a : r.answers) {
      if (a.result == outcome::unlabelled && a.error.empty()) {
        expired_.add();
        a.error = "deadline passed before the backend answered; the caption stays queued and will be stored";
      }
    }
    finish(id);  // items still queued will be labelled and stored for the next ask
  }
}

}  // namespace lantern::annotators
