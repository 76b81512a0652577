// Concurrent training in one process (see training.hpp): the learners (policy_learner.cpp,
// reward_learner.cpp), the runners and their supervisor (env_runner.cpp), the annotator service
// in-process or elsewhere, a watcher that ends the run when a learner stops or no runner is
// left, and the run's control for the console.
#include "actors/training.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/env_runner.hpp"
#include "actors/harden.hpp"
#include "actors/learner_actors.hpp"
#include "actors/protocol.hpp"
#include "annotators/backend.hpp"
#include "annotators/client.hpp"
#include "annotators/service.hpp"
#include "learners/options.hpp"
#include "learners/reward_registry.hpp"
#include "learners/policy.hpp"
#include "learners/runtime.hpp"

namespace lantern::actors {
namespace {

using clock_type = std::chrono::steady_clock;

void fill(progress& p, const learner_status& m) {
  p.env_steps = m.env_steps;
  p.updates = m.updates;
  p.episodes = m.episodes;
  p.policy_version = m.policy_version;
  p.reward_version = m.reward_version;
  p.mean_return = m.mean_return;
  p.success_rate = m.success_rate;
  p.policy_lag = m.policy_lag;
  p.policy_loss = m.policy_loss;
  p.value_loss = m.value_loss;
  p.entropy = m.entropy;
  p.intrinsic_mean = m.intrinsic_mean;
  p.intrinsic_nonzero = m.intrinsic_nonzero;
  p.intrinsic_return = m.intrinsic_return;
  p.finite = m.finite;
  p.runners = m.runners.size();
  p.weights_sent = m.weights_sent;
  p.weights_skipped = m.weights_skipped;
}

void fill(progress& p, const reward_status& m) {
  p.labels_requested = m.requested;
  p.labels_received = m.received;
  p.labels_pending = m.pending;
  p.labels_given_up = m.given_up;
  p.labels_dropped = m.dropped;
  p.labels_retries = m.retries;
  p.labels_in_flight = m.in_flight;
  p.labels_unanswered = m.unanswered;
  p.labels_lost = m.lost;
  p.annotator_known = m.annotator_known;
  p.reward_loss = m.loss;
  p.reward_accuracy = m.accuracy;
  p.reward_dataset = m.dataset;
  p.reward_drift = m.drift;
  p.reward_contested = m.contested;
  p.reward_disagreement = m.disagreement;
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

// The run as the control API sees it. Every call is a job that the run loop's own thread
// carries out with its scoped actor (blocking actors made in the API's threads kept CAF 0.17's
// actor system from shutting down); the API thread waits for it with a deadline.
class control_impl final : public run_control {
 public:
  using job = std::function<void(caf::scoped_actor&)>;

  control_impl(caf::actor_system& sys, const core::config& cfg, caf::actor learner, caf::actor rewards,
               zmq::context_t* zmq, std::string endpoint)
      : sys_(sys), cfg_(cfg), learner_(std::move(learner)), rewards_(std::move(rewards)), zmq_(zmq),
        endpoint_(std::move(endpoint)) {}

  core::result<status> now() override {
    core::result<status> out = core::make_error(core::errc::timeout, "the run did not answer");
    auto ok = run([&](caf::scoped_actor& self) {
      status st;
      {
        std::lock_guard lock(mutex_);
        st.p = latest_;
      }
      std::optional<core::error_info> err;
      self->request(learner_, std::chrono::seconds(5), stats_atom::value)
          .receive([&](const learner_status& m) { st.learner = std::make_shared<learner_status>(m); },
                   [&](const caf::error& e) { err = core::make_error(core::errc::timeout, "the policy learner: " + sys_.render(e)); });
      if (!err)
        self->request(rewards_, std::chrono::seconds(5), stats_atom::value)
            .receive([&](const reward_status& m) { st.rewards = std::make_shared<reward_status>(m); },
                     [&](const caf::error& e) { err = core::make_error(core::errc::timeout, "the reward learner: " + sys_.render(e)); });
      if (err) {
        out = *err;
        return;
      }
      fill(st.p, *st.learner);
      fill(st.p, *st.rewards);
      out = std::move(st);
    });
    if (!ok) return ok.error();
    if (out && !endpoint_.empty()) {  // the annotator's own stats, outside the run loop, with a deadline (in-process
                                      // or not, the service answers from its own thread)
      annotators::annotator_client c(*zmq_, endpoint_);
      if (auto j = c.stats(std::chrono::milliseconds(500))) out->annotator_json = j.value();
    }
    return out;
  }
  std::vector<progress> history() override {
    std::lock_guard lock(mutex_);
    return {history_.begin(), history_.end()};
  }
  core::result<std::vector<caption_record>> captions(size_t n) override {
    core::result<std::vector<caption_record>> out = std::vector<caption_record>{};
    auto ok = run([&](caf::scoped_actor& self) {
      self->request(rewards_, std::chrono::seconds(5), captions_atom::value, static_cast<uint32_t>(n))
          .receive([&](const std::vector<caption_record>& v) { out = v; },
                   [&](const caf::error& e) { out = core::make_error(core::errc::timeout, sys_.render(e)); });
    });
    if (!ok) return ok.error();
    return out;
  }
  core::result<uint64_t> pause(bool pause, uint64_t node) override {
    core::result<uint64_t> out = uint64_t{0};
    auto ok = run([&](caf::scoped_actor& self) {
      self->request(learner_, std::chrono::seconds(5), pause_atom::value, pause, node)
          .receive([&](uint64_t told) { out = told; },
                   [&](const caf::error& e) { out = core::make_error(core::errc::timeout, sys_.render(e)); });
    });
    if (!ok) return ok.error();
    return out;
  }
  core::status checkpoint() override {
    core::status out;
    if (auto ok = run([](caf::scoped_actor&) {}, &out, std::chrono::seconds(120)); !ok) return ok;
    return out;
  }
  core::status set(const std::string& key, const std::string& value) override {
    if (!is_live_setting(key))
      return core::make_error(core::errc::invalid_argument,
                              "'" + key + "' cannot change while a run goes on (live: " + live_settings_text() + ")");
    // A plain decimal only: no hexadecimal, no spaces, no bytes after a NUL.
    static const std::regex decimal(R"([-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?)");
    char* end = nullptr;
    errno = 0;
    const double v = value.size() <= 64 && std::regex_match(value, decimal) ? std::strtod(value.c_str(), &end) : NAN;
    if (!end || *end != '\0' || errno == ERANGE || !std::isfinite(v))
      return core::make_error(core::errc::invalid_argument, key + ": '" + value + "' is not a number");
    // The schema's limits hold for a live value as for one in a file (a negative coefficient,
    // a learning rate above 1 are refused with the same words).
    core::config probe = cfg_;
    if (auto ok = probe.set(key, value, "the control API"); !ok) return ok;
    core::status out;
    auto ok = run([&](caf::scoped_actor& self) {
      self->request(learner_, std::chrono::seconds(5), set_atom::value, key, v)
          .receive(
              [&](const std::string& why) {
                if (!why.empty()) out = core::make_error(core::errc::invalid_argument, why);
              },
              [&](const caf::error& e) { out = core::make_error(core::errc::timeout, sys_.render(e)); });
    });
    if (!ok) return ok;
    return out;
  }
  void stop() override { stop_.store(true); }

  // The run loop's side.
  bool stop_requested() const { return stop_.load(); }
  void record(const progress& p, bool keep) {
    std::lock_guard lock(mutex_);
    latest_ = p;
    if (keep) {
      history_.push_back(p);
      while (history_.size() > 2000) history_.pop_front();
    }
  }
  /// Carries out the jobs waiting; a checkpoint job writes the checkpoint (`write`) first.
  void serve(caf::scoped_actor& self, const std::function<core::status()>& write) {
    std::deque<pending> todo;
    {
      std::lock_guard lock(mutex_);
      todo.swap(jobs_);
    }
    for (auto& p : todo) {
      int queued = 0;  // a job whose caller gave up is skipped: its references are gone
      if (!p.state->compare_exchange_strong(queued, 1)) continue;
      if (p.checkpoint) *p.checkpoint = write();
      p.work(self);
      p.done.set_value();
    }
  }
  /// No more jobs: those waiting are dropped (their callers get an error).
  void close() {
    std::deque<pending> todo;
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
      todo.swap(jobs_);
    }
    for (auto& p : todo) p.done.set_value();  // work not done: the caller sees nothing changed
  }

 private:
  struct pending {
    job work;
    core::status* checkpoint = nullptr;  // non-null: write a checkpoint into it first
    std::promise<void> done;
    // 0 queued, 1 started by the run loop, 2 given up by its caller (the job refers to the
    // caller's locals, so once given up it must never run).
    std::shared_ptr<std::atomic<int>> state = std::make_shared<std::atomic<int>>(0);
  };
  // Hands a job to the run loop and waits for it.
  core::status run(job work, core::status* checkpoint = nullptr,
                   std::chrono::seconds deadline = std::chrono::seconds(15)) {
    std::future<void> done;
    auto ran = std::make_shared<bool>(false);  // set before `done`: the promise orders it
    std::shared_ptr<std::atomic<int>> state;
    {
      std::lock_guard lock(mutex_);
      if (closing_) return core::make_error(core::errc::invalid_argument, "the run is ending");
      jobs_.push_back({[ran, work = std::move(work)](caf::scoped_actor& self) {
                         *ran = true;
                         work(self);
                       },
                       checkpoint,
                       {}});
      done = jobs_.back().done.get_future();
      state = jobs_.back().state;
    }
    if (done.wait_for(deadline) != std::future_status::ready) {
      int queued = 0;
      if (state->compare_exchange_strong(queued, 2))
        return core::make_error(core::errc::timeout, "the run did not answer within " +
                                                         std::to_string(deadline.count()) + " s");
      done.wait();  // started: it ends by itself (every request in it has a deadline)
    }
    if (!*ran) return core::make_error(core::errc::invalid_argument, "the run is ending");
    return {};
  }

  caf::actor_system& sys_;
  const core::config& cfg_;  // the run's config: the limits a live value must keep
  caf::actor learner_, rewards_;
  zmq::context_t* zmq_;
  std::string endpoint_;
  std::mutex mutex_;
  progress latest_;
  std::deque<progress> history_;
  std::deque<pending> jobs_;
  std::atomic<bool> stop_{false};
  bool closing_ = false;
};

}  // namespace

const std::vector<std::string>& live_settings() {
  static const std::vector<std::string> keys = {"shaping.intrinsic_coef", "shaping.extrinsic_coef", "appo.entropy_coef",
                                                "appo.lr"};
  return keys;
}

bool is_live_setting(const std::string& key) {
  const auto& keys = live_settings();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string live_settings_text() {
  std::string out;
  for (const auto& k : live_settings()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

void add_training_options(core::schema& s) {
  s.string("train.env", "textworld", "environment to train on");
  s.integer("train.runners", 1, "env runner actors (each steps its own batch of envs)", 1, 256);
  s.integer("train.envs_per_runner", 16, "envs per runner", 1, 4096);
  s.integer("train.act_threads", 1, "LibTorch threads of each runner's forward pass (acting)", 1, 256);
  s.string("train.scheduler", "sharing", "how the process's actors share its threads: sharing (one queue; idle threads "
           "sleep until work comes) or work-stealing (idle threads poll each other's queues: on 2 cores the polling "
           "took the learner's time; see docs/learners.md)", {"sharing", "work-stealing"});
  s.integer("train.rollout", 32, "steps per rollout (the last one serves as the bootstrap value)", 2, 4096);
  s.integer("train.max_in_flight", 2, "rollouts a runner may have waiting at the learner", 1, 64);
  s.integer("train.steps", 200000, "env steps to train for: the run stops at the first whole rollout that reaches "
            "them (at most train.rollout x train.envs_per_runner more)", 1);
  s.integer("train.seed", 1, "seed of the run (envs, action sampling, pairs)", 0);
  s.integer("train.weights_every", 1, "a runner gets the newest weights with a rollout's ack when its own are K or more updates old", 1, 100000);
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
  learners::reward_models().add_options(s);
  add_training_options(s);
  for (const auto& k : live_settings()) s.mark_live(k);
}

core::result<std::pair<progress, training_state>> run_training(const core::config& cfg, const envs::env_registry& registry,
                                                                const training_state* resume,
                                                                const std::function<void(const progress&)>& on_progress,
                                                                const std::function<bool()>& stop,
                                                                const std::function<void(const progress&, const training_state&)>& on_checkpoint,
                                                                const training_hooks& hooks) {
  learners::configure_runtime(1);
  run_context ctx;
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
  const bool needs_labels = learners::reward_models().labels_of(cfg.string("reward.model")) != learners::label_kind::none;
  ctx.remote_annotator = hooks.remote_annotator;
  ctx.annotator_keys = hooks.annotator_keys;
  const std::string& connect = cfg.string("annotator.connect");
  if (needs_labels && !hooks.remote_annotator && !connect.empty()) {
    ctx.annotator_endpoint = connect;  // a service of its own (`lantern annotator serve`)
  } else if (needs_labels && !hooks.remote_annotator) {
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
  if (cfg.string("train.scheduler") == "sharing")
    ccfg.set("scheduler.policy", caf::atom("sharing"));
  else
    ccfg.set("scheduler.policy", caf::atom("stealing"));
  ccfg.set("logger.verbosity", caf::atom("quiet"));
  if (hooks.configure) hooks.configure(ccfg);
  training_state state_in = resume ? *resume : training_state{};
  std::optional<core::error_info> run_error;
  progress p;
  p.policy_kind = policy_kind;
  training_state out;
  {
    caf::actor_system sys{ccfg};
    auto learner = spawn_policy_learner(sys, &ctx, state_in);
    auto rewards = spawn_reward_learner(sys, &ctx, learner, state_in);
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
          .receive([&](const learner_status& m) { fill(p, m); },
                   [&](const caf::error& e) { spdlog::warn("training: no stats from the learner: {}", sys.render(e)); });
      self->request(rewards, std::chrono::seconds(5), stats_atom::value)
          .receive([&](const reward_status& m) { fill(p, m); }, [&](const caf::error&) {});
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
    control_impl control(sys, cfg, learner, rewards, &zctx, ctx.annotator_endpoint);
    if (hooks.control) hooks.control(&control);
    auto write_checkpoint = [&]() -> core::status {
      if (!on_checkpoint) return core::make_error(core::errc::invalid_argument, "this run writes no checkpoints");
      collect();
      on_checkpoint(p, save());
      return {};
    };
    auto stop_now = [&] { return (stop && stop()) || control.stop_requested(); };
    const auto ckpt_every = std::chrono::duration<double>(cfg.real("train.checkpoint_seconds"));
    auto next = start + std::chrono::duration_cast<clock_type::duration>(every);
    auto next_ckpt = start + std::chrono::duration_cast<clock_type::duration>(ckpt_every);
    std::string failure;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (stop_now()) break;
      if (failure = learner_failure(); !failure.empty()) break;
      control.serve(self, write_checkpoint);
      if (reached.load()) {  // the learner has its steps: a last progress line, and done
        collect();
        control.record(p, true);
        if (on_progress) on_progress(p);
        break;
      }
      if (on_checkpoint && clock_type::now() >= next_ckpt) {
        next_ckpt += std::chrono::duration_cast<clock_type::duration>(ckpt_every);
        write_checkpoint();
      }
      if (clock_type::now() < next) continue;
      next += std::chrono::duration_cast<clock_type::duration>(every);
      collect();
      control.record(p, true);
      if (on_progress) on_progress(p);
      if (p.env_steps >= target) break;
    }
    if (sup) self->send(sup, halt_atom::value);
    if (!failure.empty()) {
      spdlog::error("training: {}; the run ends", failure);
      if (learners_alive() && on_checkpoint) write_checkpoint();  // what was learnt so far is kept
      self->send_exit(learner, caf::exit_reason::user_shutdown);
      self->send_exit(rewards, caf::exit_reason::user_shutdown);
      self->send_exit(watch, caf::exit_reason::user_shutdown);
      run_error = core::make_error(core::errc::internal, failure);
    }
    // Labels still pending get a short while to arrive (they are saved with the run anyway).
    const auto drain_until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                     std::chrono::duration<double>(cfg.real("train.label_drain_seconds")));
    for (collect(); failure.empty() && p.labels_pending > 0 && clock_type::now() < drain_until && !stop_now(); collect()) {
      control.record(p, false);
      control.serve(self, write_checkpoint);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    control.close();
    if (hooks.control) hooks.control(nullptr);  // waits for the API's calls in flight (each has a deadline)
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
