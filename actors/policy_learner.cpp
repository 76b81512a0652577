// The policy learner (see learner_actors.hpp): each rollout's captions become intrinsic rewards
// with the latest reward snapshot, scaled by their count in the episode and shaped with the
// extrinsic reward; an APPO update; weights to the runners. It keeps what each runner last said
// of itself (with every rollout) for the console, and tells runners to pause and go on.
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "actors/harden.hpp"
#include "actors/learner_actors.hpp"
#include "actors/protocol.hpp"
#include "actors/training.hpp"
#include "learners/appo.hpp"
#include "learners/options.hpp"
#include "learners/policy.hpp"
#include "learners/reward_models.hpp"
#include "learners/runtime.hpp"
#include "learners/shaping.hpp"

namespace lantern::actors {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

struct learner_state {
  int torch_threads = 1;
  std::unique_ptr<learners::policy> pol;
  std::unique_ptr<learners::appo_learner> appo;
  std::unique_ptr<learners::reward_model> rewards;  // the latest snapshot, for intrinsic rewards
  learners::shaping shape;
  std::map<uint64_t, learners::caption_counter> counts;
  // Captions already forwarded to the reward learner (which owns the ledger of what was asked):
  // a cheap filter, cleared when it reaches max_forwarded, so a caption is sent about once.
  std::unordered_set<std::string> forwarded;
  size_t max_forwarded = 100000;
  struct runner_entry {
    caf::actor handle;
    runner_status status;
    std::deque<std::pair<clock_type::time_point, uint64_t>> recent;  // (arrival, steps) of its last rollouts
    clock_type::time_point last{};
    uint64_t weights_version = 0;  // the newest weights sent to it
  };
  std::map<uint64_t, runner_entry> runners;
  std::set<uint64_t> paused_nodes;  // runners of these nodes are told to pause (all_nodes: every one)
  std::deque<clock_type::time_point> update_times;
  caf::actor reward_learner;
  int weights_every = 1;
  uint64_t fail_at_update = 0;
  uint64_t env_steps = 0, updates = 0, episodes = 0, successes_total = 0, reward_version = 0;
  uint64_t weights_sent = 0, weights_skipped = 0;
  std::string weights_bytes;                 // the policy's weights, serialised once per version
  uint64_t weights_bytes_version = ~uint64_t{0};
  std::deque<float> recent_returns;
  std::deque<uint8_t> recent_success;
  std::deque<double> recent_intrinsic;  // intrinsic return of the last 100 episodes (as the learner shaped them)
  double lag_sum = 0, policy_loss = 0, value_loss = 0, entropy = 0, intrinsic_mean = 0, intrinsic_nonzero = 0;
  bool finite = true;
};

constexpr uint64_t all_nodes = ~uint64_t{0};

bool node_paused(const learner_state& st, uint64_t node) {
  return st.paused_nodes.count(all_nodes) || st.paused_nodes.count(node);
}

// The current weights, serialised once per version however many runners are sent them.
const std::string& current_weights(learner_state& st) {
  if (st.weights_bytes_version != st.appo->version()) {
    st.weights_bytes = st.pol->weights();
    st.weights_bytes_version = st.appo->version();
  }
  return st.weights_bytes;
}

// The newest weights for a runner, counted as sent to it (after its first, the versions it
// never got are counted as skipped).
policy_weights newest_for(learner_state& st, learner_state::runner_entry& e) {
  const uint64_t now = st.appo->version();
  if (e.status.weights > 0) st.weights_skipped += now - e.weights_version - 1;
  ++st.weights_sent;
  ++e.status.weights;
  e.weights_version = now;
  return {now, current_weights(st)};
}

// The answer to a rollout of `runner`: with the newest weights when the runner's are
// weights_every or more versions old. Nothing else carries weights after a join, so what a
// runner is sent is bounded by what it sends (train.max_in_flight rollouts), whatever its link.
rollout_ack ack_for(learner_state& st, uint64_t runner) {
  rollout_ack ack;
  auto it = st.runners.find(runner);
  if (it != st.runners.end() &&
      st.appo->version() >= it->second.weights_version + static_cast<uint64_t>(st.weights_every))
    ack.weights = newest_for(st, it->second);
  return ack;
}

caf::behavior policy_learner(caf::stateful_actor<learner_state>* self, const run_context* ctx, training_state resume) {
  auto& s = self->state;
  const auto& cfg = *ctx->cfg;
  auto pol = learners::policy::make(ctx->layout, learners::policy_options_from(cfg));
  if (!pol) throw std::runtime_error(pol.error().message);
  s.pol = std::move(pol.value());
  s.appo = std::make_unique<learners::appo_learner>(*s.pol, learners::appo_options_from(cfg));
  s.torch_threads = static_cast<int>(cfg.integer("learner.threads"));
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
    for (auto it = st.runners.begin(); it != st.runners.end();) {
      if (it->second.handle.address() != dm.source) {
        ++it;
        continue;
      }
      st.counts.erase(it->first);  // its episodes' state goes with it
      it = st.runners.erase(it);
    }
  });
  return {
      [=](caf::actor reward_learner) { self->state.reward_learner = reward_learner; },
      [=](join_atom, uint64_t id) {
        auto& st = self->state;
        auto who = caf::actor_cast<caf::actor>(self->current_sender());
        if (!who) return;
        self->monitor(who);  // a runner on a node that dies or is cut off leaves the map
        auto& entry = st.runners[id];
        entry = {};
        entry.handle = who;
        entry.status.id = id;
        entry.status.node = id >> 24;
        entry.last = clock_type::now();
        st.counts.erase(id);
        self->send(who, newest_for(st, entry));
        if (node_paused(st, id >> 24)) {
          entry.status.paused = true;
          self->send(who, pause_atom::value, true);
        }
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
      [=](const rollout_msg& m) -> rollout_ack {
        auto& st = self->state;
        // The run stops at the first whole rollout that reaches train.steps: later ones (in
        // flight when it did) are not learnt, so the counts stop there.
        if (ctx->target_steps > 0 && st.env_steps >= ctx->target_steps) return rollout_ack{};
        learners::configure_thread(st.torch_threads);
        if (auto it = st.runners.find(m.runner); it != st.runners.end()) {  // what the runner says of itself
          auto& e = it->second;
          const auto now = clock_type::now();
          const uint64_t steps = static_cast<uint64_t>(m.steps) * m.num_envs;
          e.status.report = m.report;
          ++e.status.rollouts;
          e.status.steps += steps;
          e.last = now;
          e.recent.emplace_back(now, steps);
          while (e.recent.size() > 8) e.recent.pop_front();
        }
        auto r = from_message(m, ctx->layout);
        if (!r) {
          spdlog::error("policy learner: dropped a rollout from runner {}: {}", m.runner, r.error().message);
          return ack_for(st, m.runner);
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
            const double term =
                st.shape.intrinsic_term(intrinsic[i], counts.bump(e, caption), &counts.previous(e), !caption.empty());
            total[i] = static_cast<float>(st.shape.extrinsic_coef * st.shape.extrinsic_term(r->reward[i]) +
                                          st.shape.intrinsic_coef * term);
            counts.intrinsic_return(e) += st.shape.intrinsic_coef * term;
            isum += intrinsic[i];
            inz += intrinsic[i] != 0.0f;
            if (r->done[i]) {
              st.recent_intrinsic.push_back(counts.intrinsic_return(e));
              if (st.recent_intrinsic.size() > 100) st.recent_intrinsic.pop_front();
              counts.reset(e);
            }
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
          return ack_for(st, m.runner);
        }
        const auto& u = up.value();
        st.update_times.push_back(clock_type::now());
        while (st.update_times.size() > 32) st.update_times.pop_front();
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
        return ack_for(st, m.runner);
      },
      [=](stats_atom) {
        auto& st = self->state;
        learner_status out;
        double ret = 0, succ = 0;
        for (float x : st.recent_returns) ret += x;
        for (uint8_t x : st.recent_success) succ += x;
        const double n = std::max<double>(1, static_cast<double>(st.recent_returns.size()));
        const auto now = clock_type::now();
        out.env_steps = st.env_steps;
        out.updates = st.updates;
        out.episodes = st.episodes;
        out.policy_version = st.appo->version();
        out.reward_version = st.reward_version;
        out.mean_return = ret / n;
        out.success_rate = succ / n;
        out.policy_lag = st.updates ? st.lag_sum / static_cast<double>(st.updates) : 0.0;
        if (st.update_times.size() > 1)
          out.updates_per_second = static_cast<double>(st.update_times.size() - 1) /
                                   std::max(1e-9, seconds(st.update_times.back() - st.update_times.front()));
        out.policy_loss = st.policy_loss;
        out.value_loss = st.value_loss;
        out.entropy = st.entropy;
        out.intrinsic_mean = st.intrinsic_mean;
        out.intrinsic_nonzero = st.intrinsic_nonzero;
        double ir = 0;
        for (double x : st.recent_intrinsic) ir += x;
        out.intrinsic_return = st.recent_intrinsic.empty() ? 0.0 : ir / static_cast<double>(st.recent_intrinsic.size());
        out.guard = learners::to_string(st.shape.guard);
        out.intrinsic_coef = st.shape.intrinsic_coef;
        out.extrinsic_coef = st.shape.extrinsic_coef;
        out.finite = st.finite;
        out.weights_sent = st.weights_sent;
        out.weights_skipped = st.weights_skipped;
        out.mailbox = static_cast<uint32_t>(self->mailbox().size());
        for (auto& [id, e] : st.runners) {
          runner_status r = e.status;
          r.seconds_since = seconds(now - e.last);
          if (e.recent.size() > 1) {
            uint64_t steps = 0;
            for (size_t i = 1; i < e.recent.size(); ++i) steps += e.recent[i].second;
            r.steps_per_second =
                static_cast<double>(steps) / std::max(1e-9, seconds(e.recent.back().first - e.recent.front().first));
          }
          if (r.seconds_since > 10) r.steps_per_second = 0;  // silent: paused, hung or gone
          out.runners.push_back(r);
        }
        return out;
      },
      [=](pause_atom, bool pause, uint64_t node) {
        auto& st = self->state;
        if (pause) st.paused_nodes.insert(node);
        else if (node == all_nodes) st.paused_nodes.clear();
        else st.paused_nodes.erase(node);
        uint64_t told = 0;
        for (auto& [id, e] : st.runners) {
          const bool now_paused = node_paused(st, id >> 24);
          if (now_paused == e.status.paused) continue;
          e.status.paused = now_paused;
          self->send(e.handle, pause_atom::value, now_paused);
          ++told;
        }
        return told;
      },
      [=](set_atom, const std::string& key, double value) -> std::string {
        auto& st = self->state;
        if (key == "shaping.intrinsic_coef") st.shape.intrinsic_coef = value;
        else if (key == "shaping.extrinsic_coef") st.shape.extrinsic_coef = value;
        else if (key == "appo.entropy_coef" || key == "appo.lr") {
          if (auto ok = st.appo->set_option(key, value); !ok) return ok.error().message;
        } else {
          return "'" + key + "' cannot change while a run goes on (live: " + live_settings_text() + ")";
        }
        spdlog::warn("policy learner: {} is now {} (set live)", key, value);
        return {};
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

}  // namespace

caf::actor spawn_policy_learner(caf::actor_system& sys, const run_context* ctx, training_state resume) {
  return sys.spawn(policy_learner, ctx, std::move(resume));
}

}  // namespace lantern::actors
