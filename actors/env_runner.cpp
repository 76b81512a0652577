// The env runners and their supervisor (see env_runner.hpp).
#include "actors/env_runner.hpp"

#include <spdlog/spdlog.h>

#include "actors/protocol.hpp"
#include "actors/harden.hpp"
#include "envs/vector_env.hpp"
#include "learners/options.hpp"
#include "learners/policy.hpp"
#include "learners/runtime.hpp"

namespace lantern::actors {
namespace {

using setup_ptr = std::shared_ptr<const runner_setup>;

// --- env runner ---------------------------------------------------------------------------

struct runner_state {
  uint64_t id = 0;
  int torch_threads = 1;
  std::unique_ptr<envs::vector_env> vec;
  std::unique_ptr<learners::policy> pol;
  std::vector<float> h, logp, values;
  std::vector<int32_t> actions;
  core::obs_batch before;
  core::pcg32 rng;
  uint64_t version = 0, ticks = 0;
  bool started = false, paused = false;
  int in_flight = 0, max_in_flight = 2, fail_at = 0, attempt = 0;
  size_t steps = 32;
  caf::actor learner;
};

// Loads weights newer than the runner's (or its first); empty bytes carry none.
void load(caf::stateful_actor<runner_state>* self, const policy_weights& w) {
  auto& st = self->state;
  if (w.bytes.empty() || (st.started && w.version < st.version)) return;
  if (auto ok = st.pol->load_weights(w.bytes); !ok) throw std::runtime_error(ok.error().message);
  st.version = w.version;
}

caf::behavior runner(caf::stateful_actor<runner_state>* self, uint64_t id, int attempt, setup_ptr ctx,
                     caf::actor learner) {
  harden(self, "runner " + std::to_string(id), false);  // its supervisor logs why it stopped
  auto& s = self->state;
  const auto& cfg = ctx->cfg;
  s.id = id;
  s.attempt = attempt;
  s.learner = learner;
  s.steps = static_cast<size_t>(cfg.integer("train.rollout"));
  s.max_in_flight = static_cast<int>(cfg.integer("train.max_in_flight"));
  s.torch_threads = static_cast<int>(cfg.integer("train.act_threads"));
  s.fail_at = attempt == 0 ? static_cast<int>(cfg.integer("train.fail_runner_at_tick")) : 0;
  const uint64_t seed = core::derive_seed(static_cast<uint64_t>(cfg.integer("train.seed")), id);
  auto vec = envs::vector_env::create(*ctx->registry, ctx->env, cfg, static_cast<size_t>(cfg.integer("train.envs_per_runner")),
                                      core::derive_seed(seed, static_cast<uint64_t>(attempt)));
  if (!vec) throw std::runtime_error(vec.error().message);
  if (!(vec->spec().layout == ctx->layout))
    throw std::runtime_error("env '" + ctx->env + "' (" + vec->spec().name +
                             ") produces " + core::describe(vec->spec().layout) +
                             "; the learner's policy takes " + core::describe(ctx->layout));
  s.vec = std::make_unique<envs::vector_env>(std::move(vec.value()));
  auto pol = learners::policy::make(ctx->layout, learners::policy_options_from(cfg));
  if (!pol) throw std::runtime_error(pol.error().message);
  s.pol = std::move(pol.value());
  s.rng.seed_with(core::derive_seed(seed, 0x72756e));
  s.vec->reset();
  s.h.assign(s.vec->size() * s.pol->state_size(), 0.0f);
  self->send(learner, join_atom::value, id);
  return {
      [=](const policy_weights& w) {  // once, when it joins: acting starts with the learner's weights
        auto& st = self->state;
        load(self, w);
        if (!st.started && st.version == w.version && !w.bytes.empty()) {
          st.started = true;
          if (!st.paused) self->send(self, tick_atom::value);
        }
      },
      [=](const rollout_ack& ack) {
        auto& st = self->state;
        load(self, ack.weights);
        if (--st.in_flight < st.max_in_flight && !st.paused) self->send(self, tick_atom::value);
      },
      [=](pause_atom, bool pause) {
        auto& st = self->state;
        if (st.paused == pause) return;
        st.paused = pause;
        if (!pause && st.started && st.in_flight < st.max_in_flight) self->send(self, tick_atom::value);
      },
      [=](tick_atom) {
        auto& st = self->state;
        if (st.in_flight >= st.max_in_flight || st.paused) return;
        learners::configure_thread(st.torch_threads);
        if (st.fail_at > 0 && static_cast<int>(st.ticks) == st.fail_at)
          throw std::runtime_error("runner " + std::to_string(st.id) + ": failure injected by train.fail_runner_at_tick");
        ++st.ticks;
        const size_t n = st.vec->size();
        core::rollout r(ctx->layout, st.steps, n);
        r.initial_state = st.h;
        r.policy_version = st.version;
        for (size_t t = 0; t < st.steps; ++t) {
          st.before = st.vec->batch();
          st.pol->act(st.before, st.h, st.actions, st.logp, st.rng, false, &st.values);
          const auto& after = st.vec->step(st.actions);
          r.append(st.before, st.actions, st.logp, st.values, after, &st.vec->final_observations());
          for (size_t e = 0; e < n; ++e)
            if (after.terminated[e] || after.truncated[e]) st.pol->reset_state(st.h, e);
        }
        episode_batch eps;
        eps.runner = st.id;
        for (const auto& ep : st.vec->drain_finished()) {
          eps.returns.push_back(ep.episode_return);
          eps.scores.push_back(ep.score);
          eps.lengths.push_back(ep.length);
          eps.successes.push_back(ep.success);
        }
        if (!eps.returns.empty()) self->send(st.learner, std::move(eps));
        auto msg = to_message(r, st.id);
        msg.report = {static_cast<uint32_t>(self->mailbox().size()), static_cast<uint32_t>(st.in_flight + 1),
                      static_cast<uint32_t>(st.attempt), st.ticks};
        self->send(st.learner, std::move(msg));
        if (++st.in_flight < st.max_in_flight) self->send(self, tick_atom::value);
      },
  };
}

// --- supervisor ---------------------------------------------------------------------------

struct supervisor_state {
  std::map<caf::actor_addr, std::pair<uint64_t, int>> runners;  // id, attempt
  uint64_t restarts = 0;
  int pending = 0;  // restarts scheduled but not yet started
  bool stopping = false;
};

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self, setup_ptr setup, caf::actor learner) {
  auto start = [=](uint64_t id, int attempt) {
    auto r = self->spawn<caf::monitored>(runner, id, attempt, setup, learner);
    self->state.runners[r.address()] = {id, attempt};
  };
  for (int i = 0; i < setup->runners; ++i) start(setup->first_id + static_cast<uint64_t>(i), 0);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.runners.find(dm.source);
    if (it == st.runners.end()) return;
    auto [id, attempt] = it->second;
    st.runners.erase(it);
    if (st.stopping) return;
    if (setup->max_restarts >= 0 && attempt >= setup->max_restarts) {
      spdlog::error("supervisor: runner {} ({}) dropped{}: {}", id, setup->env,
                    attempt > 0 ? " after " + std::to_string(attempt) + " restarts" : std::string(),
                    reason_text(self->system(), dm.reason));
      if (st.runners.empty() && st.pending == 0) self->quit(dm.reason);
      return;
    }
    ++st.restarts;
    ++st.pending;
    spdlog::warn("supervisor: runner {} stopped ({}); starting it again", id, reason_text(self->system(), dm.reason));
    // Quick failures in a row (an env that cannot start) back off up to 5 s instead of spinning.
    const auto delay = std::chrono::milliseconds(std::min(5000, 50 << std::min(attempt, 7)));
    self->delayed_send(self, delay, restart_atom::value, id, attempt + 1);
  });
  return {
      [=](restart_atom, uint64_t id, int attempt) {
        auto& st = self->state;
        --st.pending;
        if (!st.stopping) start(id, attempt);
      },
      [=](stats_atom) { return self->state.restarts; },
      [=](halt_atom) {
        auto& st = self->state;
        st.stopping = true;
        for (auto& [addr, _] : st.runners) self->send_exit(addr, caf::exit_reason::user_shutdown);
        self->quit();
      },
  };
}

}  // namespace

caf::error exit_reason_of(std::exception_ptr& e) {
  try {
    if (e) std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return caf::make_error(caf::sec::runtime_error, std::string(x.what()));
  } catch (...) {
  }
  return caf::make_error(caf::sec::runtime_error, std::string("unknown exception"));
}

std::string reason_text(caf::actor_system& sys, const caf::error& reason) {
  if (!reason) return "a normal exit";  // (an error without data has no context to read)
  const auto& ctx = reason.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) return ctx.get_as<std::string>(0);
  return sys.render(reason);
}

caf::actor spawn_runners(caf::actor_system& sys, std::shared_ptr<const runner_setup> setup, caf::actor learner) {
  return sys.spawn(supervisor, std::move(setup), std::move(learner));
}

}  // namespace lantern::actors
