// The reward learner (see learner_actors.hpp): the ledger of captions asked of the annotator
// (every caption ends labelled or counted as given up), the reward model trained on the labels
// that come back, versioned snapshots for the policy learner, and the latest labels for the
// console.
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <sstream>
#include <unordered_set>

#include "actors/harden.hpp"
#include "actors/learner_actors.hpp"
#include "actors/protocol.hpp"
#include "annotators/backend.hpp"
#include "annotators/client.hpp"
#include "annotators/ledger.hpp"
#include "annotators/prompts.hpp"
#include "core/rng.hpp"
#include "learners/drift.hpp"
#include "learners/options.hpp"
#include "learners/reward_models.hpp"
#include "learners/reward_registry.hpp"
#include "learners/runtime.hpp"

namespace lantern::actors {

// A domain with a prompt file of its own names its goal (train.goal); any other domain is judged
// by the generic prompts, whose goal is the run's train.goal_text.
std::string annotation_goal(const core::config& cfg) {
  return annotators::has_own_prompts(annotators::prompts_dir(cfg), cfg.string("train.domain"))
             ? cfg.string("train.goal")
             : cfg.string("train.goal_text");
}

namespace {

using clock_type = std::chrono::steady_clock;

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
  std::deque<caption_record> recent;  // the latest labels, newest first, for the console
  // Reward drift (learners/drift.hpp): the fixed probe captions, the model's scores on them at
  // the last measurement, and the distance between the last two measurements.
  std::vector<std::string> probes;
  std::unordered_set<std::string> probe_set;
  size_t max_probes = 0;
  std::vector<float> probe_scores;
  clock_type::duration drift_every{};
  clock_type::time_point drift_at{};
  double drift = std::nan("");
  uint64_t drift_measurements = 0;
};

double epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
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

caf::behavior reward_learner(caf::stateful_actor<reward_state>* self, const run_context* ctx, caf::actor learner,
                             training_state resume) {
  auto& s = self->state;
  const auto& cfg = *ctx->cfg;
  auto rm = learners::make_reward_model(cfg, cfg.string("train.goal_text"));
  if (!rm) throw std::runtime_error(rm.error().message);
  s.model = std::move(rm.value());
  s.learner = learner;
  s.domain = cfg.string("train.domain");
  s.goal = annotation_goal(cfg);
  const auto learns_from = learners::reward_models().labels_of(cfg.string("reward.model"));
  s.kind = learns_from == learners::label_kind::pairs ? annotators::kind::ranking : annotators::kind::classification;
  s.steps_per_batch = static_cast<int>(cfg.integer("train.reward_steps_per_batch"));
  s.deadline = std::chrono::milliseconds(cfg.integer("train.label_deadline_ms"));
  s.ledger = annotators::label_ledger(ledger_options_from(cfg));
  s.max_probes = static_cast<size_t>(cfg.integer("reward.drift_probes"));
  s.drift_every = std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(cfg.real("reward.drift_seconds")));
  s.rng.seed_with(static_cast<uint64_t>(cfg.integer("train.seed")) ^ 0x726577);
  s.needs_annotator = s.model && learns_from != learners::label_kind::none;
  if (s.model && resume.parts.count("reward_model")) {
    std::istringstream in(resume.parts["reward_model"]);
    if (auto ok = s.model->load(in); !ok) throw std::runtime_error(ok.error().message);
    s.dirty = true;
  }
  if (resume.parts.count("label_ledger"))
    if (auto ok = s.ledger.load(resume.parts["label_ledger"]); !ok) throw std::runtime_error(ok.error().message);
  if (!ctx->annotator_endpoint.empty()) {
    s.endpoint = ctx->annotator_endpoint;
    s.client = std::make_unique<annotators::annotator_client>(
        *ctx->zmq, ctx->annotator_endpoint, std::chrono::milliseconds(2000),
        ctx->annotator_keys ? &*ctx->annotator_keys : nullptr);
  }
  self->send(self, poll_atom::value);
  return {
      [=](const annotator_at& where) {
        auto& st = self->state;
        if (st.client && st.endpoint == where.endpoint) return;
        spdlog::info("reward learner: annotator service at {}", where.endpoint);
        st.endpoint = where.endpoint;
        st.client = std::make_unique<annotators::annotator_client>(
            *ctx->zmq, where.endpoint, std::chrono::milliseconds(2000),
            ctx->annotator_keys ? &*ctx->annotator_keys : nullptr);
        // What was asked of the old endpoint is asked again of the new one (the service dedupes).
        st.submitted.clear();
        st.ledger.requeue_in_flight(clock_type::now());
      },
      [=](const caption_batch& b) {
        auto& st = self->state;
        for (const auto& c : b.captions) {
          if (st.probes.size() >= st.max_probes) break;
          if (st.probe_set.insert(c).second) st.probes.push_back(c);
        }
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
              st.recent.push_front({items[i].caption, items[i].caption2, annotators::label_name(items[i].k, a.lab.value),
                                    a.lab.from.backend, a.lab.from.model, a.lab.from.prompt_version, epoch_seconds()});
              if (st.recent.size() > 200) st.recent.pop_back();
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
        // Reward drift: the model's scores on the probe captions against the previous measurement.
        // (From 32 probes on, or all of them if fewer are asked for: on a handful, a distance
        // says little.)
        if (st.model && st.probes.size() >= std::min<size_t>(32, st.max_probes) && !st.probes.empty() &&
            now - st.drift_at >= st.drift_every) {
          st.drift_at = now;
          std::vector<float> scores;
          st.model->probe(st.probes, scores);
          if (!st.probe_scores.empty()) st.drift = learners::reward_distance(st.probe_scores, scores);
          st.probe_scores = std::move(scores);
          ++st.drift_measurements;
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
        reward_status out;
        out.model = st.model ? st.model->name() : "none";
        out.requested = l.requested();
        out.received = l.received();
        out.pending = l.pending();
        out.given_up = l.given_up();
        out.dropped = l.dropped();
        out.retries = l.retries();
        out.in_flight = l.in_flight();
        out.unanswered = l.unanswered();
        out.lost = l.lost_asks();
        out.dataset = st.model ? st.model->dataset_size() : 0;
        out.snapshot_version = st.model ? st.model->version() : 0;
        out.annotator_known = st.client || !st.needs_annotator;
        out.loss = st.loss;
        out.accuracy = st.accuracy;
        out.drift = st.drift;
        out.drift_probes = st.probes.size();
        out.drift_measurements = st.drift_measurements;
        if (st.model) {
          const auto d = st.model->diagnose();
          out.contested = d.contested;
          out.disagreement = d.disagreement;
          out.members = d.members;
          out.trains = st.model->trains();
        }
        out.mailbox = static_cast<uint32_t>(self->mailbox().size());
        return out;
      },
      [=](captions_atom, uint32_t n) {
        auto& st = self->state;
        std::vector<caption_record> out(st.recent.begin(),
                                        st.recent.begin() + static_cast<long>(std::min<size_t>(n, st.recent.size())));
        return out;
      },
      [=](save_atom) {
        auto& st = self->state;
        std::ostringstream out;
        if (st.model) st.model->save(out);
        return std::vector<std::string>{"reward_model", out.str(), "label_ledger", st.ledger.save()};
      },
  };
}

}  // namespace

caf::actor spawn_reward_learner(caf::actor_system& sys, const run_context* ctx, caf::actor learner,
                                training_state resume) {
  return sys.spawn(reward_learner, ctx, std::move(learner), std::move(resume));
}

}  // namespace lantern::actors
