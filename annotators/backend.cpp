#include "annotators/backend.hpp"

#include <cstdio>

#include "annotators/store.hpp"
#include "core/rng.hpp"

#ifndef LANTERN_SOURCE_DIR
#define LANTERN_SOURCE_DIR "."
#endif

namespace lantern::annotators {

std::unique_ptr<backend> make_openai_backend(const core::config& cfg, const std::map<std::string, prompt_set>& prompts,
                                             core::metrics_registry& metrics);

namespace {

// A test bed for noisy labels: answers as `inner` does, except that a fixed fraction of the items
// get the other label (classification: positive <-> negative; ranking: first <-> second, ties
// kept). Which items is decided by a hash of the seed and the item, so the same caption is
// always flipped or always not (an annotator that is consistently wrong on it, which asking
// again cannot fix). Its labels are stored under a source of their own.
class flipping_backend final : public backend {
 public:
  flipping_backend(std::unique_ptr<backend> inner, double fraction, uint64_t seed)
      : inner_(std::move(inner)), fraction_(fraction), seed_(seed) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g%% flipped, seed %llu", 100.0 * fraction, static_cast<unsigned long long>(seed));
    note_ = buf;
  }
  std::string name() const override { return inner_->name() + " with " + note_; }
  std::string source() const override {
    return inner_->source() + "+flip" + std::to_string(fraction_) + "s" + std::to_string(seed_);
  }
  std::vector<answer> label(const std::vector<item>& items) override {
    auto out = inner_->label(items);
    for (size_t i = 0; i < out.size() && i < items.size(); ++i) {
      auto& a = out[i];
      if (a.result != outcome::labelled) continue;
      a.lab.from.backend += " with " + note_;
      if (!flipped(items[i])) continue;
      if (items[i].k == kind::classification) a.lab.value = a.lab.value == 1 ? 0 : 1;
      else if (a.lab.value != 2) a.lab.value = a.lab.value == 0 ? 1 : 0;
    }
    return out;
  }
  size_t preferred_batch() const override { return inner_->preferred_batch(); }
  void cancel() override { inner_->cancel(); }
  core::status supports(const std::string& domain, const std::string& goal) const override {
    return inner_->supports(domain, goal);
  }

 private:
  bool flipped(const item& it) const {
    uint64_t h = core::splitmix64(seed_ ^ core::fnv1a(it.caption));
    h = core::splitmix64(h ^ core::fnv1a(it.caption2) ^ static_cast<uint64_t>(it.k));
    return static_cast<double>(h >> 11) * 0x1.0p-53 < fraction_;
  }
  std::unique_ptr<backend> inner_;
  double fraction_;
  uint64_t seed_;
  std::string note_;
};

// Answers only from labels recorded earlier (by an LLM, say) in another store; an unknown
// caption is unlabelled, never invented.
class replay_backend final : public backend {
 public:
  replay_backend(std::unique_ptr<label_store> s, const std::map<std::string, prompt_set>& prompts)
      : store_(std::move(s)), prompts_(prompts) {}
  std::string name() const override { return "replay"; }
  std::string source() const override { return "replay:" + store_->path(); }
  size_t preferred_batch() const override { return 1024; }
  std::vector<answer> label(const std::vector<item>& items) override {
    std::vector<answer> out(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      const prompt_set* p = prompts_for(prompts_, items[i].domain);
      // Any source of the recorded store will do: replay is asked for exactly that.
      auto hit = !p ? std::nullopt : store_->find_from(items[i], p->version(), [](const std::string&) { return true; });
      if (!hit) {
        out[i].result = outcome::unlabelled;
        out[i].error = "no recorded label in " + store_->path();
        continue;
      }
      out[i].result = outcome::labelled;
      out[i].lab.value = hit->value;
      out[i].lab.from = store_->provenance_of(*hit);
      out[i].lab.from.backend = "replay of " + out[i].lab.from.backend;
    }
    return out;
  }

 private:
  std::unique_ptr<label_store> store_;
  const std::map<std::string, prompt_set>& prompts_;
};

}  // namespace

std::string prompts_dir(const core::config& cfg) {
  const std::string& d = cfg.string("annotator.prompts_dir");
  return d.empty() ? std::string(LANTERN_SOURCE_DIR) + "/annotators/prompts" : d;
}

std::string rules_file(const core::config& cfg) {
  const std::string& f = cfg.string("annotator.rules_file");
  return f.empty() ? std::string(LANTERN_SOURCE_DIR) + "/annotators/rules/rules.toml" : f;
}

void add_annotator_options(core::schema& s) {
  s.string("annotator.backend", "rules", "where labels come from: rules (embedded heuristic), openai (an "
           "OpenAI-compatible server) or replay (labels recorded earlier)", {"rules", "openai", "replay"});
  s.string("annotator.connect", "", "lantern train: the ZeroMQ endpoint of a running annotator service (`lantern "
           "annotator serve`) to ask, instead of one in the training process (empty)");
  s.string("annotator.store", "", "the SQLite label store (empty: $HOME/.local/state/lantern/labels.sqlite)");
  s.string("annotator.prompts_dir", "", "directory of prompt files, one *.toml per domain (empty: Lantern's own, "
           "annotators/prompts)");
  s.string("annotator.rules_file", "", "rules of the rules backend (empty: Lantern's own, annotators/rules/rules.toml)");
  s.string("annotator.replay_store", "", "replay backend: the label store to answer from");
  s.integer("annotator.queue_limit", 10000, "captions waiting for the backend; beyond it new ones are refused (busy)", 1);
  s.string("annotator.reuse_labels_from", "", "also answer from labels other sources made, a comma-separated list: "
           "'rules', 'openai' (any model), 'openai:MODEL', or '*' (empty: only labels the configured backend made)");
  s.integer("annotator.max_caption_bytes", 1024, "captions longer than this are cut to it before they are labelled "
            "(counted in annotator_truncated_captions_total)", 16, 1 << 20);
  s.integer("annotator.max_request_items", 4096, "items in one request at most; a larger request is refused", 1,
            1 << 20);
  s.integer("annotator.max_message_bytes", 16 << 20, "largest message the service reads; a larger one is dropped by "
            "ZeroMQ before it is allocated", 1024, 1 << 30);
  s.integer("annotator.max_stored_reply_bytes", 16384, "an LLM reply kept in the store is cut to this length", 0,
            1 << 24);
  s.integer("annotator.max_queue_age_ms", 30000, "a caption waiting longer than this goes to the backend before newer "
            "ones (the queue is otherwise newest first)", 1);
  s.real("annotator.raw_reply_sample", 0.05, "share of LLM replies kept verbatim in the store (unparsable ones always)",
         0.0, 1.0);
  s.real("annotator.flip_fraction", 0.0, "testing noisy labels: this share of the items (fixed per caption by "
         "annotator.flip_seed) get the other label from whatever backend answers; stored under a source of their own",
         0.0, 1.0);
  s.integer("annotator.flip_seed", 1, "testing noisy labels: which items annotator.flip_fraction flips", 0);
  s.integer("annotator.deadline_ms", 30000, "how long `lantern annotate` waits for its labels", 1);
  const std::string p = "annotator.openai.";
  s.string(p + "base_url", "http://127.0.0.1:8000/v1", "OpenAI-compatible server, up to /v1");
  s.string(p + "model", "", "model name as the server knows it");
  s.string(p + "api_key_env", "OPENAI_API_KEY", "environment variable holding the API key (unset: no key sent)");
  s.string(p + "endpoint", "chat", "chat (/chat/completions, concurrent calls) or completions (/completions, many "
           "prompts per call)", {"chat", "completions"});
  s.integer(p + "concurrency", 8, "chat: calls in flight at once", 1, 256);
  s.integer(p + "batch_size", 16, "completions: prompts per call", 1, 1024);
  s.real(p + "temperature", 0.1, "sampling temperature", 0.0, 2.0);
  s.integer(p + "max_tokens", 256, "completion tokens per reply", 1, 32768);
  s.integer(p + "timeout_ms", 30000, "bound of one call as a whole (connect, send, every byte of the reply); a "
            "watchdog ends a call that outlives it", 1);
  s.integer(p + "max_reply_bytes", 1 << 20, "a reply longer than this ends the call as an error", 1024, 1 << 30);
  s.integer(p + "retries", 3, "retries of a call that failed (connection, timeout, 429, 5xx)", 0, 20);
  s.integer(p + "backoff_ms", 500, "first retry delay; doubles with each retry", 0);
  s.integer(p + "breaker_failures", 5, "failed calls in a row that open the circuit breaker", 1);
  s.integer(p + "breaker_cooldown_ms", 10000, "how long the open breaker refuses calls", 0);
  s.integer(p + "parse_retries", 1, "times an item whose reply had no label is asked again", 0, 10);
  s.string(p + "no_label_policy", "neutral", "a reply that never has a label becomes: neutral (negative, or tie for "
           "ranking; marked resolved by policy) or skip (unlabelled, not stored)", {"neutral", "skip"});
}

core::result<std::unique_ptr<backend>> make_backend(const core::config& cfg,
                                                    const std::map<std::string, prompt_set>& prompts,
                                                    core::metrics_registry& metrics) {
  auto b = make_unflipped_backend(cfg, prompts, metrics);
  const double fraction = cfg.real("annotator.flip_fraction");
  if (!b || fraction <= 0) return b;
  return make_flipping_backend(std::move(b.value()), fraction, static_cast<uint64_t>(cfg.integer("annotator.flip_seed")));
}

std::unique_ptr<backend> make_flipping_backend(std::unique_ptr<backend> inner, double fraction, uint64_t seed) {
  return std::make_unique<flipping_backend>(std::move(inner), fraction, seed);
}

core::result<std::unique_ptr<backend>> make_unflipped_backend(const core::config& cfg,
                                                              const std::map<std::string, prompt_set>& prompts,
                                                              core::metrics_registry& metrics) {
  const std::string& name = cfg.string("annotator.backend");
  if (name == "rules") return make_rules_backend(rules_file(cfg));
  if (name == "openai") {
    if (cfg.string("annotator.openai.model").empty())
      return core::make_error(core::errc::config, cfg.origin("annotator.openai.model") +
                                                      ": key 'annotator.openai.model' must name the served model");
    return make_openai_backend(cfg, prompts, metrics);
  }
  const std::string& path = cfg.string("annotator.replay_store");
  if (path.empty())
    return core::make_error(core::errc::config, cfg.origin("annotator.replay_store") +
                                                    ": key 'annotator.replay_store' must name a label store to replay");
  auto s = label_store::open(path);
  if (!s) return s.error();
  return std::unique_ptr<backend>(new replay_backend(std::move(s.value()), prompts));
}

}  // namespace lantern::annotators
