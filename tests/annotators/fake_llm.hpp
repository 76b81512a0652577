// A real HTTP server that speaks the OpenAI chat and completions protocol with canned replies,
// for tests: each call's reply is decided by a function of the request and the call number.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace lantern::annotators::testing {

/// What the server does with one call.
struct behaviour {
  behaviour(int s = 200, std::string t = "The player makes progress.\nAnswer: yes",
            std::chrono::milliseconds d = std::chrono::milliseconds(0), bool c = false)
      : status(s), text(std::move(t)), delay(d), cut(c) {}
  int status = 200;
  std::string text = "The player makes progress.\nAnswer: yes";  // the reply text (content / text)
  std::chrono::milliseconds delay{0};                               // before answering
  bool cut = false;                                                 // close the connection without a reply
  std::string raw_body;                                             // sent verbatim instead of a well-formed reply
  std::chrono::milliseconds trickle{0};                             // send the body one byte per this interval
};

class fake_llm {
 public:
  using policy = std::function<behaviour(const nlohmann::json& request, int call)>;

  explicit fake_llm(policy p) : policy_(std::move(p)) {
    auto handler = [this](bool chat) {
      return [this, chat](const httplib::Request& req, httplib::Response& res) {
        const int call = calls_.fetch_add(1);
        const int now = in_flight_.fetch_add(1) + 1;
        for (int seen = max_in_flight_.load(); now > seen && !max_in_flight_.compare_exchange_weak(seen, now);) {
        }
        struct leave {
          std::atomic<int>& n;
          ~leave() { n.fetch_sub(1); }
        } on_exit{in_flight_};
        nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
        {
          std::lock_guard lock(mutex_);
          last_request_ = req.body;
          if (!req.get_header_value("Authorization").empty()) saw_auth_ = req.get_header_value("Authorization");
        }
        behaviour b = policy_(body, call);
        // Sleeps in small steps, so that a test's teardown does not wait for a long delay.
        for (auto until = std::chrono::steady_clock::now() + b.delay;
             !stopping_ && std::chrono::steady_clock::now() < until;)
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (b.cut) {
          res.status = 200;
          // A content provider that fails makes the server drop the connection mid-reply.
          res.set_content_provider(1000, "application/json",
                                   [](size_t, size_t, httplib::DataSink&) { return false; });
          return;
        }
        if (b.trickle.count() > 0) {  // a server that never quite stops answering
          res.status = 200;
          auto delay = b.trickle;
          res.set_content_provider(100000, "application/json", [this, delay](size_t offset, size_t, httplib::DataSink& sink) {
            if (stopping_) return false;
            std::this_thread::sleep_for(delay);
            return sink.write(offset == 0 ? "{" : " ", 1);
          });
          return;
        }
        res.status = b.status;
        if (!b.raw_body.empty()) {
          res.set_content(b.raw_body, "application/json");
          return;
        }
        if (b.status != 200) {
          res.set_content("{\"error\": \"canned failure\"}", "application/json");
          return;
        }
        nlohmann::json out;
        out["usage"] = {{"prompt_tokens", 100}, {"completion_tokens", 7}};
        if (chat) {
          out["choices"] = {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", b.text}}}}};
        } else {
          out["choices"] = nlohmann::json::array();
          const size_t n = body.contains("prompt") && body["prompt"].is_array() ? body["prompt"].size() : 1;
          for (size_t i = 0; i < n; ++i) out["choices"].push_back({{"index", i}, {"text", b.text}});
        }
        res.set_content(out.dump(), "application/json");
      };
    };
    server_.Post("/v1/chat/completions", handler(true));
    server_.Post("/v1/completions", handler(false));
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~fake_llm() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int port() const { return port_; }
  int calls() const { return calls_.load(); }
  /// The most calls the server was answering at the same time.
  int max_in_flight() const { return max_in_flight_.load(); }
  std::string last_request() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }
  std::string saw_auth() const {
    std::lock_guard lock(mutex_);
    return saw_auth_;
  }

 private:
  policy policy_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> calls_{0}, in_flight_{0}, max_in_flight_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::string last_request_, saw_auth_;
};

}  // namespace lantern::annotators::testing
