// The openai backend: any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama,
// FastChat) through its chat or completions endpoint. Completions carry many prompts per call;
// chat calls run concurrently. Every call has a timeout and is retried with exponential backoff
// on connection errors, timeouts, 429 and 5xx; after `breaker_failures` calls in a row fail,
// a circuit breaker fails fast for `breaker_cooldown_ms` instead of hammering a dead server.
// Replies are parsed strictly ("Answer: yes"); a reply with no label is counted and asked again
// (`parse_retries`), then resolved by `no_label_policy`. A reply body is outside input: it is
// read with annotators/openai_reply.hpp (never trusted, never thrown on) and bounded to
// `max_reply_bytes`; a watchdog bounds every call as a whole to `timeout_ms`, so a server that
// trickles bytes cannot hold a call (or the process's exit) beyond it.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <set>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "annotators/backend.hpp"
#include "annotators/openai_reply.hpp"
#include "core/rng.hpp"

namespace lantern::annotators {
namespace {

using clock_type = std::chrono::steady_clock;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct openai_options {
  std::string base_url, model, api_key, endpoint;
  int concurrency = 8, batch_size = 16, max_tokens = 256, retries = 3, parse_retries = 1, breaker_failures = 5;
  double temperature = 0.1, raw_sample = 0.05;
  std::chrono::milliseconds timeout{30000}, backoff{500}, breaker_cooldown{10000};
  std::string no_label_policy = "neutral";
  size_t max_reply_bytes = 1 << 20;
};

// Ends HTTP calls that outlive their deadline: httplib's timeouts bound each read, not a call,
// so a server that sends a byte now and then could hold a call for ever. One thread checks the
// calls in flight every 20 ms and stops (shuts the socket of) those past their deadline;
// cancel_all() ends every call at once (the process is stopping).
class call_watchdog {
 public:
  call_watchdog() : thread_([this] { run(); }) {}
  ~call_watchdog() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  /// Registers a call; false if calls are being cancelled (do not start it).
  bool begin(httplib::Client* c, clock_type::time_point deadline) {
    std::lock_guard lock(mutex_);
    if (cancelled_) return false;
    calls_[c] = deadline;
    return true;
  }
  /// Unregisters a call; true if the watchdog stopped it.
  bool end(httplib::Client* c) {
    std::lock_guard lock(mutex_);
    calls_.erase(c);
    return stopped_.erase(c) > 0;
  }
  void cancel_all() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    for (auto& [c, d] : calls_) {
      c->stop();
      stopped_.insert(c);
    }
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!quit_) {
      cv_.wait_for(lock, std::chrono::milliseconds(20));
      const auto now = clock_type::now();
      for (auto& [c, d] : calls_)
        if (d <= now && !stopped_.count(c)) {
          c->stop();
          stopped_.insert(c);
        }
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<httplib::Client*, clock_type::time_point> calls_;
  std::set<httplib::Client*> stopped_;
  bool quit_ = false, cancelled_ = false;
  std::thread thread_;
};

// "http://host:port/v1" -> ("http://host:port", "/v1").
std::pair<std::string, std::string> split_url(const std::string& url) {
  auto scheme = url.find("://");
  auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return {url, ""};
  std::string p = url.substr(path);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return {url.substr(0, path), p};
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

class openai_backend final : public backend {
 public:
  openai_backend(openai_options o, const std::map<std::string, prompt_set>& prompts, core::metrics_registry& m)
      : o_(std::move(o)),
        prompts_(prompts),
        calls_(m.add_counter("annotator_backend_calls_total", "HTTP calls to the LLM server")),
        failures_(m.add_counter("annotator_backend_failures_total", "LLM calls that failed after all retries")),
        retries_(m.add_counter("annotator_backend_retries_total", "LLM calls retried")),
        parse_failures_(m.add_counter("annotator_parse_failures_total", "LLM replies with no label")),
        breaker_open_(m.add_counter("annotator_breaker_rejections_total", "items refused while the breaker was open")),
        prompt_tokens_(m.add_counter("annotator_prompt_tokens_total", "prompt tokens, as the server reports them")),
        completion_tokens_(m.add_counter("annotator_completion_tokens_total", "completion tokens, as the server reports them")),
        latency_(m.add_histogram("annotator_backend_latency_seconds", "latency of one LLM call",
                                 core::histogram::exponential(0.005, 2, 14))) {
    std::tie(host_, path_) = split_url(o_.base_url);
  }

  std::string name() const override { return "openai"; }
  std::string source() const override { return source_of(name(), o_.model); }
  void cancel() override { watchdog_.cancel_all(); }
  size_t preferred_batch() const override {
    return static_cast<size_t>(o_.endpoint == "completions" ? o_.batch_size : o_.concurrency * 2);
  }

  std::vector<answer> label(const std::vector<item>& items) override {
    std::vector<answer> out(items.size());
    if (breaker_is_open()) {
      breaker_open_.add(items.size());
      for (auto& a : out) {
        a.result = outcome::error;
        a.error = "the LLM server is unavailable (circuit breaker open after " + std::to_string(o_.breaker_failures) +
                  " failed calls in a row)";
      }
      return out;
    }
    std::vector<size_t> todo(items.size());
    for (size_t i = 0; i < items.size(); ++i) todo[i] = i;
    std::vector<std::string> last_reply(items.size());
    for (int round = 0; round <= o_.parse_retries && !todo.empty(); ++round) {
      std::vector<std::string> replies(todo.size());
      std::vector<std::string> errors(todo.size());
      ask(items, todo, replies, errors);
      std::vector<size_t> again;
      for (size_t j = 0; j < todo.size(); ++j) {
        size_t i = todo[j];
        if (!errors[j].empty()) {
          out[i].result = outcome::error;
          out[i].error = errors[j];
          continue;
        }
        last_reply[i] = replies[j];
        auto v = parse_answer(items[i].k, replies[j]);
        if (v) {
          out[i].result = outcome::labelled;
          out[i].lab.value = *v;
          out[i].lab.from = provenance{name(), o_.model, "", now_seconds(), false};
          if (sample_raw()) out[i].lab.raw_reply = replies[j];
        } else {
          parse_failures_.add();
          again.push_back(i);
        }
      }
      todo.swap(again);
    }
    for (size_t i : todo) {  // still no label after the retries: the configured policy decides
      if (o_.no_label_policy == "skip") {
        out[i].result = outcome::unlabelled;
        out[i].error = "the LLM's reply had no label";
        continue;
      }
      out[i].result = outcome::labelled;
      out[i].lab.value = items[i].k == kind::classification ? negative : tie;
      out[i].lab.from = provenance{name(), o_.model, "", now_seconds(), true};
      out[i].lab.raw_reply = last_reply[i];  // every unparsable reply is kept
    }
    return out;
  }

 private:
  bool sample_raw() {
    std::lock_guard lock(rng_mutex_);
    return rng_.uniform() < o_.raw_sample;
  }

  bool breaker_is_open() {
    std::lock_guard lock(breaker_mutex_);
    if (consecutive_failures_ < o_.breaker_failures) return false;
    if (clock_type::now() >= open_until_) {
      consecutive_failures_ = o_.breaker_failures - 1;  // half-open: one call decides
      return false;
    }
    return true;
  }
  void record(bool ok) {
    std::lock_guard lock(breaker_mutex_);
    if (ok) {
      consecutive_failures_ = 0;
      return;
    }
    failures_.add();
    if (++consecutive_failures_ >= o_.breaker_failures) {
      open_until_ = clock_type::now() + o_.breaker_cooldown;
      spdlog::warn("annotator: {} LLM calls failed in a row; pausing calls for {} ms", consecutive_failures_,
                   o_.breaker_cooldown.count());
    }
  }

  // One HTTP POST with retries; returns the reply body (a 200 answer) or an error text.
  std::variant<std::string, std::string> post(httplib::Client& cli, const std::string& path, const std::string& body) {
    std::string last_error;
    for (int attempt = 0; attempt <= o_.retries; ++attempt) {
      if (attempt > 0) {
        retries_.add();
        auto wait = o_.backoff * (1 << std::min(attempt - 1, 6));
        std::this_thread::sleep_for(wait);
      }
      calls_.add();
      auto t0 = clock_type::now();
      httplib::Request req;
      req.method = "POST";
      req.path = path;
      req.body = body;
      req.set_header("Content-Type", "application/json");
      if (!o_.api_key.empty()) req.set_header("Authorization", "Bearer " + o_.api_key);
      std::string got;
      bool too_big = false;
      req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        if (got.size() + n > o_.max_reply_bytes) {
          too_big = true;
          return false;
        }
        got.append(data, n);
        return true;
      };
      httplib::Response res;
      httplib::Error err = httplib::Error::Success;
      if (!watchdog_.begin(&cli, t0 + o_.timeout)) return std::variant<std::string, std::string>(std::in_place_index<1>, "the annotator is stopping");
      const bool ok = cli.send(req, res, err);
      const bool stopped = watchdog_.end(&cli);
      latency_.observe(std::chrono::duration<double>(clock_type::now() - t0).count());
      if (stopped) {
        last_error = "the call to " + o_.base_url + " took longer than " + std::to_string(o_.timeout.count()) +
                     " ms (annotator.openai.timeout_ms bounds a whole call)";
        continue;
      }
      if (too_big) {
        record(false);
        return std::variant<std::string, std::string>(
            std::in_place_index<1>, "the LLM server's reply is longer than " + std::to_string(o_.max_reply_bytes) +
                                        " bytes (annotator.openai.max_reply_bytes)");
      }
      if (!ok) {
        last_error = "HTTP request to " + o_.base_url + " failed: " + httplib::to_string(err);
        continue;
      }
      if (res.status == 429 || res.status >= 500) {
        last_error = "the LLM server answered HTTP " + std::to_string(res.status);
        continue;
      }
      if (res.status != 200) {
        record(false);
        return std::variant<std::string, std::string>(std::in_place_index<1>, "the LLM server answered HTTP " +
                                                                                  std::to_string(res.status) + ": " +
                                                                                  got.substr(0, 200));
      }
      record(true);
      return std::variant<std::string, std::string>(std::in_place_index<0>, std::move(got));
    }
    record(false);
    return std::variant<std::string, std::string>(std::in_place_index<1>, last_error + " (after " +
                                                                              std::to_string(o_.retries + 1) + " attempts)");
  }

  void count(const openai_reply::usage& u) {
    prompt_tokens_.add(u.prompt_tokens);
    completion_tokens_.add(u.completion_tokens);
  }

  std::unique_ptr<httplib::Client> client() {
    auto cli = std::make_unique<httplib::Client>(host_);
    auto secs = o_.timeout.count() / 1000, usecs = (o_.timeout.count() % 1000) * 1000;
    cli->set_connection_timeout(secs, usecs);
    cli->set_read_timeout(secs, usecs);
    cli->set_write_timeout(secs, usecs);
    return cli;
  }

  std::string user_prompt(const item& it, std::string& error) const {
    const prompt_set* p = prompts_for(prompts_, it.domain);
    if (!p) {
      error = "no prompts for domain '" + it.domain + "'";
      return {};
    }
    auto r = p->render(it);
    if (!r) {
      error = r.error().message;
      return {};
    }
    return r.value();
  }

  void ask(const std::vector<item>& items, const std::vector<size_t>& todo, std::vector<std::string>& replies,
           std::vector<std::string>& errors) {
    if (o_.endpoint == "completions") {
      // Many prompts per call; a prompt is the system text and the user text.
      for (size_t start = 0; start < todo.size(); start += static_cast<size_t>(o_.batch_size)) {
        size_t end = std::min(todo.size(), start + static_cast<size_t>(o_.batch_size));
        nlohmann::json prompts = nlohmann::json::array();
        std::vector<size_t> slots;
        for (size_t j = start; j < end; ++j) {
          const item& it = items[todo[j]];
          std::string err, user = user_prompt(it, err);
          if (!err.empty()) {
            errors[j] = err;
            continue;
          }
          prompts.push_back(prompts_for(prompts_, it.domain)->system() + "\n\n" + user + "\n");
          slots.push_back(j);
        }
        if (slots.empty()) continue;
        nlohmann::json req = {{"model", o_.model}, {"prompt", prompts}, {"temperature", o_.temperature},
                              {"max_tokens", o_.max_tokens}};
        auto cli = client();
        auto res = post(*cli, path_ + "/completions", dump(req));
        if (res.index() == 1) {
          for (size_t j : slots) errors[j] = std::get<1>(res);
          continue;
        }
        openai_reply::usage u;
        auto texts = openai_reply::completion_texts(std::get<0>(res), slots.size(), &u);
        count(u);
        if (!texts) {
          for (size_t j : slots) errors[j] = texts.error().message;
          continue;
        }
        for (size_t k = 0; k < slots.size(); ++k) replies[slots[k]] = std::move((*texts)[k]);  // "" counts as no label
      }
      return;
    }
    // Chat: one conversation per item, `concurrency` calls at a time.
    std::atomic<size_t> next{0};
    auto worker = [&] {
      auto cli = client();
      for (size_t j; (j = next.fetch_add(1)) < todo.size();) {
        const item& it = items[todo[j]];
        std::string err, user = user_prompt(it, err);
        if (!err.empty()) {
          errors[j] = err;
          continue;
        }
        nlohmann::json req = {{"model", o_.model},
                              {"messages", {{{"role", "system"}, {"content", prompts_for(prompts_, it.domain)->system()}},
                                            {{"role", "user"}, {"content", user}}}},
                              {"temperature", o_.temperature},
                              {"max_tokens", o_.max_tokens}};
        auto res = post(*cli, path_ + "/chat/completions", dump(req));
        if (res.index() == 1) {
          errors[j] = std::get<1>(res);
          continue;
        }
        openai_reply::usage u;
        auto content = openai_reply::chat_content(std::get<0>(res), &u);
        count(u);
        if (content) replies[j] = std::move(content.value());
        else errors[j] = content.error().message;
      }
    };
    size_t n = std::min<size_t>(static_cast<size_t>(std::max(1, o_.concurrency)), todo.size());
    std::vector<std::thread> threads;
    for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
  }

  openai_options o_;
  call_watchdog watchdog_;
  const std::map<std::string, prompt_set>& prompts_;
  std::string host_, path_;
  core::counter &calls_, &failures_, &retries_, &parse_failures_, &breaker_open_, &prompt_tokens_, &completion_tokens_;
  core::histogram& latency_;
  std::mutex breaker_mutex_, rng_mutex_;
  int consecutive_failures_ = 0;
  clock_type::time_point open_until_{};
  core::pcg32 rng_{0x5eed};
};

}  // namespace

std::unique_ptr<backend> make_openai_backend(const core::config& cfg, const std::map<std::string, prompt_set>& prompts,
                                             core::metrics_registry& metrics) {
  openai_options o;
  const std::string p = "annotator.openai.";
  o.base_url = cfg.string(p + "base_url");
  o.model = cfg.string(p + "model");
  const std::string& key_env = cfg.string(p + "api_key_env");
  if (const char* k = key_env.empty() ? nullptr : std::getenv(key_env.c_str())) o.api_key = k;
  o.endpoint = cfg.string(p + "endpoint");
  o.concurrency = static_cast<int>(cfg.integer(p + "concurrency"));
  o.batch_size = static_cast<int>(cfg.integer(p + "batch_size"));
  o.temperature = cfg.real(p + "temperature");
  o.max_tokens = static_cast<int>(cfg.integer(p + "max_tokens"));
  o.timeout = std::chrono::milliseconds(cfg.integer(p + "timeout_ms"));
  o.retries = static_cast<int>(cfg.integer(p + "retries"));
  o.backoff = std::chrono::milliseconds(cfg.integer(p + "backoff_ms"));
  o.breaker_failures = static_cast<int>(cfg.integer(p + "breaker_failures"));
  o.breaker_cooldown = std::chrono::milliseconds(cfg.integer(p + "breaker_cooldown_ms"));
  o.parse_retries = static_cast<int>(cfg.integer(p + "parse_retries"));
  o.no_label_policy = cfg.string(p + "no_label_policy");
  o.raw_sample = cfg.real("annotator.raw_reply_sample");
  o.max_reply_bytes = static_cast<size_t>(cfg.integer(p + "max_reply_bytes"));
  return std::make_unique<openai_backend>(std::move(o), prompts, metrics);
}

}  // namespace lantern::annotators
