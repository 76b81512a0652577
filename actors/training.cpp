#include "actors/training.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include <caf/all.hpp>
#include <sstream>

#include <spdlog/spdlog.h>

#include "actors/env_runner.hpp"
#include "actors/protocol.hpp"
#include "actors/harden.hpp"
#include "annotators/backend.hpp"
#include "annotators/client.hpp"
#include "annotators/ledger.hpp"
#include "annotators/prompts.hpp"
#include "annotators/service.hpp"
#include "envs/vector_env.hpp"
#include "learners/appo.hpp"
#include "learners/options.hpp"
#include "learners/policy.hpp"
#include "learners/reward_models.hpp"
#include "learners/runtime.hpp"
#include "learners/shaping.hpp"

namespace lantern::actors {
namespace {

using clock_type = std::chrono::steady_clock;

/// What the learners of a run share, owned by run_training (outlives the actor system).
struct context {
  const core::config* cfg = nullptr;
  core::obs_layout layout;
  std::string annotator_endpoint;  ///< empty: none yet (remote: it arrives as annotator_at) or none needed
  bool remote_annotator = false;
  zmq::context_t* zmq = nullptr;
  uint64_t target_steps = 0;                 ///< train.steps
  std::atomic<bool>* reached = nullptr;      ///< set by the learner once target_steps are learnt
};

double value_of(const stats_msg& s, const std::string& name) {
  for (size_t i = 0; i < s.names.size(); ++i)
    if (s.names[i] == name) return s.values[i];
  return 0;
}

// --- policy learner -----------------------------------------------------------------------

struct learner_state {
  std::unique_ptr<learners::policy> pol;
  std::unique_ptr<learners::appo_learner> appo;
  std::unique_ptr<learners::reward_model> rewards;  // the latest snapshot, for intrinsic rewards
  learners::shaping shape;
  std::map<uint64_t, learners::caption_counter> counts;
  // Captions already forwarded to the reward learner (which owns the ledger of what was asked):
  // a cheap filter, cleared when it reaches max_forwarded, so a caption is sent about once.
  std::unordered_set<std::string> forwarded;
  size_t max_forwarded = 100000;
  std::map<uint64_t, caf::actor> runners;
  caf::actor reward_learner;
  int weights_every = 1;
  uint64_t fail_at_update = 0;
  uint64_t env_steps = 0, updates = 0, episodes = 0, successes_total = 0, reward_version = 0;
  std::deque<float> recent_returns;
  std::deque<uint8_t> recent_success;
  double lag_sum = 0, policy_loss = 0, value_loss = 0, entropy = 0, intrinsic_mean = 0, intrinsic_nonzero = 0;
  bool finite = true;
};

caf::behavior policy_learner(caf::stateful_actor<learner_state>* self, const context* ctx, training_state resume) {
  auto& s = self->state;
  const auto& cfg = *ctx->cfg;
  auto pol = learners::policy::make(ctx->layout, learners::policy_options_from(cfg));
  if (!pol) throw std::runtime_error(pol.error().message);
  s.pol = std::move(pol.value());
  s.appo = std::make_unique<learners::appo_learner>(*s.pol, learners::appo_options_from(cfg));
  auto rm = learners::make_reward_model(cfg, cfg.string("train.goal_text"));
  if (!rm) throw std::runtime_error(rm.error().message);
  s.rewards = std::move(rm.value());
  s.shape = learners::shaping_from(cfg);
  s.weights_every = static_cast<int>(cfg.integer("train.weights_every"));
  s.fail_at_update = static_cast<uint64_t>(cfg.integer("train.fail_learner_at_update"));
  s.max_forwarded = static_cast<size_t>(cfg.integer("train.max_pending"));
  if (resume.parts.count("policy")) {
    if (auto ok = s.pol->load_weights(resume.parts["policy"]); !ok) throw std::runtime_error(ok.error().message);
    std::istringstream in(resume.parts["appo"]);
    if (auto ok = s.appo->load(in); !ok) throw std::runtime_error(ok.error().message);
    std::istringstream counters(resume.parts["learner_counters"]);
    counters >> s.env_steps >> s.updates >> s.episodes >> s.successes_total;
  }
  harden(self, "policy learner", true);  // a remote peer's stray error must not stop it
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    for (auto it = st.runners.begin(); it != st.runners.end();)
      it = it->second.address() == dm.source ? st.runners.erase(it) : std::next(it);
  });
  return {
      [=](caf::actor reward_learner) { self->state.reward_learner = reward_learner; },
      [=](join_atom, uint64_t id) {
        auto& st = self->state;
        auto who = caf::actor_cast<caf::actor>(self->current_sender());
        if (!who) return;
        self->monitor(who);  // a runner on a node that dies or is cut off leaves the map
        st.runners[id] = who;
        st.counts.erase(id);
        self->send(who, policy_weights{st.appo->version(), st.pol->weights()});
      },
      [=](const reward_snapshot& snap) {
        auto& st = self->state;
        if (st.rewards && snap.version >= st.reward_version && st.rewards->load_snapshot(snap.bytes))
          st.reward_version = snap.version;
      },
      [=](const episode_batch& eps) {
        auto& st = self->state;
        for (size_t i = 0; i < eps.returns.size(); ++i) {
          ++st.episodes;
          st.successes_total += eps.successes[i];
          st.recent_returns.push_back(eps.returns[i]);
          st.recent_success.push_back(eps.successes[i]);
          if (st.recent_returns.size() > 100) {
            st.recent_returns.pop_front();
            st.recent_success.pop_front();
          }
        }
      },
      [=](const rollout_msg& m) -> ack_atom {
        auto& st = self->state;
        // The run stops at the first whole rollout that reaches train.steps: later ones (in
        // flight when it did) are not learnt, so the counts stop there.
        if (ctx->target_steps > 0 && st.env_steps >= ctx->target_steps) return ack_atom::value;
        learners::configure_thread();
        auto r = from_message(m, ctx->layout);
        if (!r) {
          spdlog::error("policy learner: dropped a rollout from runner {}: {}", m.runner, r.error().message);
          return ack_atom::value;
        }
        const size_t T = r->steps(), N = r->num_envs();
        std::vector<float> intrinsic(T * N, 0.0f);
        if (st.rewards && !r->caption.empty()) st.rewards->rewards(r->caption, intrinsic);
        auto& counts = st.counts.try_emplace(m.runner, N).first->second;
        std::vector<float> total(T * N);
        std::vector<std::string> fresh;
        double isum = 0, inz = 0;
        for (size_t t = 0; t < T; ++t) {
          for (size_t e = 0; e < N; ++e) {
            const size_t i = r->at(t, e);
            const std::string& caption = r->caption.empty() ? std::string() : r->caption[i];
            // The action that produced a message earns its reward, scaled by its count in the episode.
            total[i] = st.shape.total(r->reward[i], intrinsic[i], counts.bump(e, caption));
            isum += intrinsic[i];
            inz += intrinsic[i] != 0.0f;
            if (r->done[i]) counts.reset(e);
            if (!caption.empty() && st.forwarded.insert(caption).second) fresh.push_back(caption);
          }
        }
        if (st.fail_at_update > 0 && st.updates + 1 == st.fail_at_update)
          throw std::runtime_error("failure injected by train.fail_learner_at_update");
        // Policy lag: updates applied since the weights that acted.
        const uint64_t lag = st.appo->version() - std::min<uint64_t>(m.policy_version, st.appo->version());
        auto up = st.appo->update(*r, total);
        if (!up) {
          spdlog::error("policy learner: {}", up.error().message);
          return ack_atom::value;
        }
        const auto& u = up.value();
        st.finite = st.finite && std::isfinite(u.policy_loss) && std::isfinite(u.value_loss);
        st.env_steps += T * N;
        ++st.updates;
        if (ctx->reached && ctx->target_steps > 0 && st.env_steps >= ctx->target_steps) ctx->reached->store(true);
        const double k = 0.1;  // exponential moving averages for the progress line
        st.policy_loss = st.updates == 1 ? u.policy_loss : (1 - k) * st.policy_loss + k * u.policy_loss;
        st.value_loss = st.updates == 1 ? u.value_loss : (1 - k) * st.value_loss + k * u.value_loss;
        st.entropy = st.updates == 1 ? u.entropy : (1 - k) * st.entropy + k * u.entropy;
        st.lag_sum += static_cast<double>(lag);
        st.intrinsic_mean = (1 - k) * st.intrinsic_mean + k * isum / static_cast<double>(T * N);
        st.intrinsic_nonzero = (1 - k) * st.intrinsic_nonzero + k * inz / static_cast<double>(T * N);
        if (st.forwarded.size() >= st.max_forwarded) st.forwarded.clear();
        if (!fresh.empty() && st.reward_learner) self->send(st.reward_learner, caption_batch{std::move(fresh)});
        if (st.updates % static_cast<uint64_t>(st.weights_every) == 0) {
          policy_weights w{st.appo->version(), st.pol->weights()};
          for (auto& [id, a] : st.runners) self->send(a, w);
        }
        return ack_atom::value;
      },
      [=](stats_atom) {
        auto& st = self->state;
        double ret = 0, succ = 0;
        for (float x : st.recent_returns) ret += x;
        for (uint8_t x : st.recent_success) succ += x;
        const double n = std::max<double>(1, static_cast<double>(st.recent_returns.size()));
        return stats_msg{"policy_learner",
                         {"env_steps", "updates", "episodes", "policy_version", "reward_version", "mean_return",
                          "success_rate", "policy_lag", "policy_loss", "value_loss", "entropy", "intrinsic_mean",
                          "intrinsic_nonzero", "finite", "runners"},
                         {static_cast<double>(st.env_steps), static_cast<double>(st.updates),
                          static_cast<double>(st.episodes), static_cast<double>(st.appo->version()),
                          static_cast<double>(st.reward_version), ret / n, succ / n,
                          st.updates ? st.lag_sum / static_cast<double>(st.updates) : 0.0, st.policy_loss,
                          st.value_loss, st.entropy, st.intrinsic_mean, st.intrinsic_nonzero, st.finite ? 1.0 : 0.0,
                          static_cast<double>(st.runners.size())}};
      },
      [=](save_atom) {
        auto& st = self->state;
        std::ostringstream appo, counters;
        st.appo->save(appo);
        counters << st.env_steps << ' ' << st.updates << ' ' << st.episodes << ' ' << st.successes_total;
        return std::vector<std::string>{"policy", st.pol->weights(), "appo", appo.str(), "learner_counters",
                                        counters.str()};
      },
  };
}

// --- reward learner -----------------------------------------------------------------------

struct reward_state {
  std::unique_ptr<learners::reward_model> model;
  std::unique_ptr<annotators::annotator_client> client;
  annotators::label_ledger ledger;
  struct request {
    std::vector<annotators::item> items;
    clock_type::time_point give_up_at;  // no answer by then: the service lost it
  };
  std::map<uint64_t, request> submitted;
  std::vector<std::string> seen;  // for ranking pairs
  core::pcg32 rng;
  caf::actor learner;
  annotators::kind kind = annotators::kind::classification;
  std::string domain, goal, endpoint;
  std::chrono::milliseconds deadline{20000};
  uint64_t polls = 0;
  int steps_per_batch = 8;
  bool dirty = false, needs_annotator = false;
  double loss = 0, accuracy = 0;
  clock_type::time_point started = clock_type::now(), warned{};
};

// A domain with a prompt file of its own names its goal (train.goal); any other domain is judged
// by the generic prompts, whose goal is the run's train.goal_text.
std::string annotation_goal(const core::config& cfg) {
  return annotators::has_own_prompts(annotators::prompts_dir(cfg), cfg.string("train.domain"))
             ? cfg.string("train.goal")
             : cfg.string("train.goal_text");
}

annotators::ledger_options ledger_options_from(const core::config& cfg) {
  annotators::ledger_options o;
  o.max_pending = static_cast<size_t>(cfg.integer("train.max_pending"));
  o.max_in_flight = static_cast<size_t>(cfg.integer("train.labels_in_flight"));
  o.max_attempts = static_cast<int>(cfg.integer("train.label_attempts"));
  o.first_backoff = std::chrono::milliseconds(cfg.integer("train.label_backoff_ms"));
  o.max_backoff = std::chrono::milliseconds(cfg.integer("train.label_backoff_max_ms"));
  return o;
}

caf::behavior reward_learner(caf::stateful_actor<reward_state>* self, const context* ctx, caf::actor learner,
                             training_state resume) {
  auto& s = self->state;
  const auto& cfg = *ctx->cfg;
  auto rm = learners::make_reward_model(cfg, cfg.string("train.goal_text"));
  if (!rm) throw std::runtime_error(rm.error().message);
  s.model = std::move(rm.value());
  s.learner = learner;
  s.domain = cfg.string("train.domain");
  s.goal = annotation_goal(cfg);
  s.kind = cfg.string("reward.model") == "ranking" ? annotators::kind::ranking : annotators::kind::classification;
  s.steps_per_batch = static_cast<int>(cfg.integer("train.reward_steps_per_batch"));
  s.deadline = std::chrono::milliseconds(cfg.integer("train.label_deadline_ms"));
  s.ledger = annotators::label_ledger(ledger_options_from(cfg));
  s.rng.seed_with(static_cast<uint64_t>(cfg.integer("train.seed")) ^ 0x726577);
  const std::string model = cfg.string("reward.model");
  s.needs_annotator = s.model && (model == "retrieval" || model == "classification" || model == "ranking");
  if (s.model && resume.parts.count("reward_model")) {
    std::istringstream in(resume.parts["reward_model"]);
    if (auto ok = s.model->load(in); !ok) throw std::runtime_error(ok.error().message);
    s.dirty = true;
  }
  if (resume.parts.count("label_ledger"))
    if (auto ok = s.ledger.load(resume.parts["label_ledger"]); !ok) throw std::runtime_error(ok.error().message);
  if (!ctx->annotator_endpoint.empty()) {
    s.endpoint = ctx->annotator_endpoint;
    s.client = std::make_unique<annotators::annotator_client>(*ctx->zmq, ctx->annotator_endpoint);
  }
  self->send(self, poll_atom::value);
  return {
      [=](const annotator_at& where) {
        auto& st = self->state;
        if (st.client && st.endpoint == where.endpoint) return;
        spdlog::info("reward learner: annotator service at {}", where.endpoint);
        st.endpoint = where.endpoint;
        st.client = std::make_unique<annotators::annotator_client>(*ctx->zmq, where.endpoint);
        // What was asked of the old endpoint is asked again of the new one (the service dedupes).
        st.submitted.clear();
        st.ledger.requeue_in_flight(clock_type::now());
      },
      [=](const caption_batch& b) {
        auto& st = self->state;
        if (!st.needs_annotator) return;
        const auto now = clock_type::now();
        for (const auto& c : b.captions) {
          if (st.kind == annotators::kind::ranking) {
            if (!st.seen.empty()) {  // pair each new caption with an earlier, different one
              const std::string& other = st.seen[st.rng.below(static_cast<uint32_t>(st.seen.size()))];
              if (other != c) st.ledger.add({st.kind, st.domain, st.goal, c, other}, now);
            }
            if (st.seen.size() < 100000) st.seen.push_back(c);
          } else {
            st.ledger.add({st.kind, st.domain, st.goal, c, ""}, now);
          }
        }
      },
      [=](poll_atom) {
        auto& st = self->state;
        learners::configure_thread();
        ++st.polls;
        const auto now = clock_type::now();
        if (st.client) {
          std::vector<learners::labelled_caption> labels;
          std::vector<learners::labelled_pair> pairs;
          for (auto& done : st.client->poll(std::chrono::milliseconds(0))) {
            auto it = st.submitted.find(done.id);
            if (it == st.submitted.end()) continue;
            const auto& items = it->second.items;
            for (size_t i = 0; i < items.size(); ++i) {
              if (i >= done.answers.size()) {
                st.ledger.lost(items[i], now);
                continue;
              }
              const auto& a = done.answers[i];
              st.ledger.answered(items[i], a, now);
              if (a.result != annotators::outcome::labelled) continue;
              if (items[i].k == annotators::kind::ranking) pairs.push_back({items[i].caption, items[i].caption2, a.lab.value});
              else labels.push_back({items[i].caption, a.lab.value});
            }
            st.submitted.erase(it);
          }
          // A request the service never answered (it was down, or restarted and lost it) is
          // forgotten, and its captions are asked again after their backoff.
          for (auto it = st.submitted.begin(); it != st.submitted.end();) {
            if (now < it->second.give_up_at) {
              ++it;
              continue;
            }
            st.client->cancel(it->first);
            for (const auto& item : it->second.items) st.ledger.lost(item, now);
            it = st.submitted.erase(it);
          }
          for (;;) {
            auto due = st.ledger.take_due(now, 256);
            if (due.empty()) break;
            const uint64_t id = st.client->submit(due, st.deadline);
            // The service answers by the deadline; a margin for the reply to travel.
            st.submitted[id] = {std::move(due), now + st.deadline + std::chrono::seconds(5)};
          }
          if (st.model && (!labels.empty() || !pairs.empty())) {
            st.model->add_labels(labels);
            st.model->add_pairs(pairs);
            auto t = st.model->train(st.steps_per_batch);  // a burst for each new batch of labels
            st.loss = t.loss;
            st.accuracy = t.accuracy;
            st.dirty = true;
          }
        }
        // Labels are needed and nobody can give them: say so (within seconds, then every 30 s)
        // rather than show "labels 0/528" for ever.
        if (st.needs_annotator && !st.client && now - st.started > std::chrono::seconds(5) &&
            now - st.warned > std::chrono::seconds(30)) {
          st.warned = now;
          spdlog::warn("reward learner: no annotator service is known, {} captions wait for labels (a cluster needs a "
                       "node with --roles annotator, or the head's own --roles ...,annotator)",
                       st.ledger.pending());
        }
        // Steady training alongside the policy, and a snapshot when anything changed.
        if (st.model && st.model->dataset_size() > 0 && st.polls % 20 == 0) {
          auto t = st.model->train(1);
          if (t.steps) {
            st.loss = 0.9 * st.loss + 0.1 * t.loss;
            st.accuracy = 0.9 * st.accuracy + 0.1 * t.accuracy;
            st.dirty = true;
          }
        }
        if (st.model && st.dirty && st.polls % 4 == 0) {
          self->send(st.learner, reward_snapshot{st.model->version(), st.model->name(), st.model->snapshot()});
          st.dirty = false;
        }
        self->delayed_send(self, std::chrono::milliseconds(25), poll_atom::value);
      },
      [=](stats_atom) {
        auto& st = self->state;
        const auto& l = st.ledger;
        return stats_msg{"reward_learner",
                         {"labels_requested", "labels_received", "labels_pending", "labels_given_up",
                          "labels_dropped", "labels_retries", "labels_in_flight", "labels_unanswered", "labels_lost",
                          "annotator_known", "reward_loss",
                          "reward_accuracy", "dataset"},
                         {static_cast<double>(l.requested()), static_cast<double>(l.received()),
                          static_cast<double>(l.pending()), static_cast<double>(l.given_up()),
                          static_cast<double>(l.dropped()), static_cast<double>(l.retries()),
                          static_cast<double>(l.in_flight()), static_cast<double>(l.unanswered()),
                          static_cast<double>(l.lost_asks()), st.client || !st.needs_annotator ? 1.0 : 0.0, st.loss,
                          st.accuracy,
                          st.model ? static_cast<double>(st.model->dataset_size()) : 0.0}};
      },
      [=](save_atom) {
        auto& st = self->state;
        std::ostringstream out;
        if (st.model) st.model->save(out);
        return std::vector<std::string>{"reward_model", out.str(), "label_ledger", st.ledger.save()};
      },
  };
}

// Watches the learners and the runners' supervisor: if a learner stops for any reason but the
// run's own shutdown, or every runner has been dropped, the run ends with that reason instead of
// waiting for progress that will never come.
struct watch_result {
  std::mutex mutex;
  std::string reason;          // empty: all is well
  bool learners_alive = true;  // false: nothing can be saved any more
};

caf::behavior watcher(caf::event_based_actor* self, caf::actor learner, caf::actor rewards,
                      std::shared_ptr<watch_result> out) {
  self->monitor(learner);
  self->monitor(rewards);
  const auto learner_addr = learner.address(), rewards_addr = rewards.address();
  self->set_down_handler([=](const caf::down_msg& dm) {
    if (!dm.reason || dm.reason == caf::exit_reason::user_shutdown) return;  // the run's own shutdown
    std::lock_guard lock(out->mutex);
    if (!out->reason.empty()) return;
    if (dm.source == learner_addr || dm.source == rewards_addr) {
      out->learners_alive = false;
      out->reason = std::string(dm.source == learner_addr ? "the policy learner" : "the reward learner") +
                    " stopped: " + reason_text(self->system(), dm.reason);
    } else {
      out->reason = "no runner is left: " + reason_text(self->system(), dm.reason);
    }
  });
  return {
      [=](caf::actor supervisor) { self->monitor(supervisor); },
      [](halt_atom) {},
  };
}

}  // namespace

void add_training_options(core::schema& s) {
  s.string("train.env", "textworld", "environment to train on");
  s.integer("train.runners", 1, "env runner actors (each steps its own batch of envs)", 1, 256);
  s.integer("train.envs_per_runner", 16, "envs per runner", 1, 4096);
  s.integer("train.rollout", 32, "steps per rollout (the last one serves as the bootstrap value)", 2, 4096);
  s.integer("train.max_in_flight", 2, "rollouts a runner may have waiting at the learner", 1, 64);
  s.integer("train.steps", 200000, "env steps to train for: the run stops at the first whole rollout that reaches "
            "them (at most train.rollout x train.envs_per_runner more)", 1);
  s.integer("train.seed", 1, "seed of the run (envs, action sampling, pairs)", 0);
  s.integer("train.weights_every", 1, "broadcast policy weights every K updates", 1, 100000);
  s.integer("train.max_pending", 100000, "captions waiting for a label at most; beyond it new ones are dropped and "
            "counted", 1);
  s.integer("train.labels_in_flight", 4096, "captions asked of the annotator and not yet answered, at most", 1);
  s.integer("train.label_deadline_ms", 20000, "how long the annotator may take to answer a request (then the "
            "captions without a label are asked again)", 100);
  s.integer("train.label_attempts", 8, "asks of a caption before it is given up (counted)", 1, 1000);
  s.integer("train.label_backoff_ms", 1000, "wait before a caption without a label is asked again; doubles with "
            "each ask", 1);
  s.integer("train.label_backoff_max_ms", 30000, "the longest wait between two asks of a caption", 1);
  s.real("train.label_drain_seconds", 5.0, "at the end of a run, how long to wait for labels still pending (they "
         "are saved with the run either way)", 0.0);
  s.integer("train.reward_steps_per_batch", 16, "reward model steps for each new batch of labels", 0, 10000);
  s.string("train.domain", "textworld", "annotator domain of the captions: the name of a prompt file "
           "annotators/prompts/<domain>.toml (nethack, textworld ship with Lantern); any other name is judged by the "
           "generic prompts with train.goal_text as the goal (the rules backend then needs rules for it)");
  s.string("train.goal", "quest", "annotator goal: a goal named in the domain's prompt file (see docs/annotators.md)");
  s.string("train.goal_text", "complete the quest: take, open, unlock and put the right things",
           "goal text for the bag-of-words reward");
  s.real("train.progress_seconds", 5.0, "seconds between progress lines", 0.05);
  s.real("train.checkpoint_seconds", 300.0, "seconds between checkpoints", 1.0);
  s.integer("train.fail_runner_at_tick", 0, "testing: runner 0's first incarnation throws at this tick (0: never)", 0);
  s.integer("train.fail_learner_at_update", 0, "testing: the policy learner throws at this update (0: never)", 0);
}

void add_run_options(core::schema& s, const envs::env_registry& registry) {
  registry.add_options(s);
  annotators::add_annotator_options(s);
  learners::add_learner_options(s);
  add_training_options(s);
}

core::result<std::pair<progress, training_state>> run_training(const core::config& cfg, const envs::env_registry& registry,
                                                                const training_state* resume,
                                                                const std::function<void(const progress&)>& on_progress,
                                                                const std::function<bool()>& stop,
                                                                const std::function<void(const progress&, const training_state&)>& on_checkpoint,
                                                                const training_hooks& hooks) {
  learners::configure_runtime(1);
  context ctx;
  ctx.cfg = &cfg;
  const std::string env = cfg.string("train.env");
  {
    auto probe = registry.create(env, cfg);
    if (!probe) return probe.error();
    ctx.layout = probe.value()->spec().layout;
  }
  std::string policy_kind;
  if (auto pol = learners::policy::make(ctx.layout, learners::policy_options_from(cfg)); !pol) return pol.error();
  else policy_kind = pol.value()->kind();
  zmq::context_t zctx;
  ctx.zmq = &zctx;
  std::atomic<bool> reached{false};
  ctx.reached = &reached;
  ctx.target_steps = static_cast<uint64_t>(cfg.integer("train.steps"));
  core::metrics_registry metrics;
  std::unique_ptr<annotators::annotator_service> service;
  const std::string model = cfg.string("reward.model");
  ctx.remote_annotator = hooks.remote_annotator;
  const std::string& connect = cfg.string("annotator.connect");
  if ((model == "retrieval" || model == "classification" || model == "ranking") && !hooks.remote_annotator &&
      !connect.empty()) {
    ctx.annotator_endpoint = connect;  // a service of its own (`lantern annotator serve`)
  } else if ((model == "retrieval" || model == "classification" || model == "ranking") && !hooks.remote_annotator) {
    auto svc = annotators::annotator_service::start(cfg, "inproc://lantern-train-annotator", zctx, metrics);
    if (!svc) return svc.error();
    // Fail now, not with every caption, when nothing can label this domain.
    if (auto ok = svc.value()->check(cfg.string("train.domain"), annotation_goal(cfg)); !ok) {
      svc.value()->stop();
      return core::make_error(ok.error().code, "train.domain '" + cfg.string("train.domain") + "': " + ok.error().message);
    }
    service = std::move(svc.value());
    ctx.annotator_endpoint = service->endpoint();
  }

  caf::actor_system_config ccfg;
  add_message_types(ccfg);
  const int runners = hooks.local_runners >= 0 ? hooks.local_runners : static_cast<int>(cfg.integer("train.runners"));
  ccfg.set("scheduler.max-threads", static_cast<size_t>(runners + 2));
  ccfg.set("logger.verbosity", caf::atom("quiet"));
  if (hooks.configure) hooks.configure(ccfg);
  training_state state_in = resume ? *resume : training_state{};
  std::optional<core::error_info> run_error;
  progress p;
  p.policy_kind = policy_kind;
  training_state out;
  {
    caf::actor_system sys{ccfg};
    auto learner = sys.spawn(policy_learner, &ctx, state_in);
    auto rewards = sys.spawn(reward_learner, &ctx, learner, state_in);
    caf::anon_send(learner, rewards);
    if (hooks.started)
      if (auto ok = hooks.started(sys, learner, rewards); !ok) {
        caf::anon_send_exit(learner, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(rewards, caf::exit_reason::user_shutdown);
        if (service) service->stop();
        return ok.error();
      }
    auto failed = std::make_shared<watch_result>();
    auto watch = sys.spawn(watcher, learner, rewards, failed);  // held here: see notes/toolchain.md 3.4
    auto learner_failure = [&] {
      std::lock_guard lock(failed->mutex);
      return failed->reason;
    };
    auto learners_alive = [&] {
      std::lock_guard lock(failed->mutex);
      return failed->learners_alive;
    };
    // Built-in envs restart for ever (a crashed game is started again); a server in another
    // process that stays gone is given env.external.restarts, then its runner is dropped.
    const int max_restarts = env == "external" ? static_cast<int>(cfg.integer("env.external.restarts")) : -1;
    auto setup = std::make_shared<runner_setup>(runner_setup{cfg, &registry, env, ctx.layout, 0, runners, max_restarts});
    caf::actor sup;
    if (runners > 0) {
      sup = spawn_runners(sys, setup, learner);
      caf::anon_send(watch, sup);
    }
    caf::scoped_actor self{sys};
    const auto start = clock_type::now();
    const auto every = std::chrono::duration<double>(cfg.real("train.progress_seconds"));
    const auto target = static_cast<uint64_t>(cfg.integer("train.steps"));
    uint64_t steps_at_last = 0;
    auto last = start;
    auto collect = [&] {
      self->request(learner, std::chrono::seconds(30), stats_atom::value)
          .receive(
              [&](const stats_msg& m) {
                p.env_steps = static_cast<uint64_t>(value_of(m, "env_steps"));
                p.updates = static_cast<uint64_t>(value_of(m, "updates"));
                p.episodes = static_cast<uint64_t>(value_of(m, "episodes"));
                p.policy_version = static_cast<uint64_t>(value_of(m, "policy_version"));
                p.reward_version = static_cast<uint64_t>(value_of(m, "reward_version"));
                p.mean_return = value_of(m, "mean_return");
                p.success_rate = value_of(m, "success_rate");
                p.policy_lag = value_of(m, "policy_lag");
                p.policy_loss = value_of(m, "policy_loss");
                p.value_loss = value_of(m, "value_loss");
                p.entropy = value_of(m, "entropy");
                p.intrinsic_mean = value_of(m, "intrinsic_mean");
                p.intrinsic_nonzero = value_of(m, "intrinsic_nonzero");
                p.finite = value_of(m, "finite") > 0;
                p.runners = static_cast<uint64_t>(value_of(m, "runners"));
              },
              [&](const caf::error& e) { spdlog::warn("training: no stats from the learner: {}", sys.render(e)); });
      self->request(rewards, std::chrono::seconds(5), stats_atom::value)
          .receive(
              [&](const stats_msg& m) {
                p.labels_requested = static_cast<uint64_t>(value_of(m, "labels_requested"));
                p.labels_received = static_cast<uint64_t>(value_of(m, "labels_received"));
                p.labels_pending = static_cast<uint64_t>(value_of(m, "labels_pending"));
                p.labels_given_up = static_cast<uint64_t>(value_of(m, "labels_given_up"));
                p.labels_dropped = static_cast<uint64_t>(value_of(m, "labels_dropped"));
                p.labels_retries = static_cast<uint64_t>(value_of(m, "labels_retries"));
                p.labels_in_flight = static_cast<uint64_t>(value_of(m, "labels_in_flight"));
                p.labels_unanswered = static_cast<uint64_t>(value_of(m, "labels_unanswered"));
                p.labels_lost = static_cast<uint64_t>(value_of(m, "labels_lost"));
                p.annotator_known = value_of(m, "annotator_known") > 0;
                p.reward_loss = value_of(m, "reward_loss");
                p.reward_accuracy = value_of(m, "reward_accuracy");
                p.reward_dataset = static_cast<uint64_t>(value_of(m, "dataset"));
              },
              [&](const caf::error&) {});
      if (sup)
        self->request(sup, std::chrono::seconds(5), stats_atom::value)
            .receive([&](uint64_t restarts) { p.runner_restarts = restarts; }, [&](const caf::error&) {});
      const auto now = clock_type::now();
      p.seconds = std::chrono::duration<double>(now - start).count();
      const double dt = std::chrono::duration<double>(now - last).count();
      if (dt > 0) p.steps_per_second = static_cast<double>(p.env_steps - steps_at_last) / dt;
      steps_at_last = p.env_steps;
      last = now;
    };
    auto save = [&] {
      training_state st;
      for (auto& who : {learner, rewards}) {
        self->request(who, std::chrono::seconds(60), save_atom::value)
            .receive(
                [&](const std::vector<std::string>& kv) {
                  for (size_t i = 0; i + 1 < kv.size(); i += 2) st.parts[kv[i]] = kv[i + 1];
                },
                [&](const caf::error& e) { spdlog::error("training: state not saved: {}", sys.render(e)); });
      }
      return st;
    };
    const auto ckpt_every = std::chrono::duration<double>(cfg.real("train.checkpoint_seconds"));
    auto next = start + std::chrono::duration_cast<clock_type::duration>(every);
    auto next_ckpt = start + std::chrono::duration_cast<clock_type::duration>(ckpt_every);
    std::string failure;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (stop && stop()) break;
      if (failure = learner_failure(); !failure.empty()) break;
      if (reached.load()) {  // the learner has its steps: a last progress line, and done
        collect();
        if (on_progress) on_progress(p);
        break;
      }
      if (on_checkpoint && clock_type::now() >= next_ckpt) {
        next_ckpt += std::chrono::duration_cast<clock_type::duration>(ckpt_every);
        collect();
        on_checkpoint(p, save());
      }
      if (clock_type::now() < next) continue;
      next += std::chrono::duration_cast<clock_type::duration>(every);
      collect();
      if (on_progress) on_progress(p);
      if (p.env_steps >= target) break;
    }
    if (sup) self->send(sup, halt_atom::value);
    if (!failure.empty()) {
      spdlog::error("training: {}; the run ends", failure);
      if (learners_alive() && on_checkpoint) {  // what was learnt so far is kept
        collect();
        on_checkpoint(p, save());
      }
      self->send_exit(learner, caf::exit_reason::user_shutdown);
      self->send_exit(rewards, caf::exit_reason::user_shutdown);
      self->send_exit(watch, caf::exit_reason::user_shutdown);
      run_error = core::make_error(core::errc::internal, failure);
    }
    // Labels still pending get a short while to arrive (they are saved with the run anyway).
    const auto drain_until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                     std::chrono::duration<double>(cfg.real("train.label_drain_seconds")));
    for (collect(); failure.empty() && p.labels_pending > 0 && clock_type::now() < drain_until && !(stop && stop());
         collect())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (hooks.stopping) hooks.stopping(sys);
    if (failure.empty()) {
      collect();
      out = save();
    }
    self->send_exit(learner, caf::exit_reason::user_shutdown);
    self->send_exit(rewards, caf::exit_reason::user_shutdown);
    self->send_exit(watch, caf::exit_reason::user_shutdown);
  }
  if (service) service->stop();
  if (run_error) return *run_error;
  return std::make_pair(p, out);
}

}  // namespace lantern::actors
