// `lantern train`: the whole system in one process, and `lantern eval`.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/training.hpp"
#include "apps/commands.hpp"
#include "envs/vector_env.hpp"
#include "learners/checkpoint.hpp"
#include "learners/options.hpp"
#include "learners/policy.hpp"
#include "learners/runtime.hpp"
#include "cluster/control.hpp"
#include "core/stats.hpp"

namespace lantern::apps {
namespace {

std::atomic<int> g_signal{0};  // set by the SIGINT/SIGTERM handler: the one global main() owns
extern "C" void on_signal(int sig) { g_signal = sig; }

std::string now_stamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return buf;
}

nlohmann::json to_json(const actors::progress& p) {
  return {{"seconds", p.seconds}, {"env_steps", p.env_steps}, {"episodes", p.episodes}, {"updates", p.updates},
          {"steps_per_second", p.steps_per_second}, {"mean_return", p.mean_return}, {"success_rate", p.success_rate},
          {"policy_version", p.policy_version}, {"reward_version", p.reward_version}, {"policy_lag", p.policy_lag},
          {"weights_sent", p.weights_sent}, {"weights_skipped", p.weights_skipped},
          {"labels_requested", p.labels_requested}, {"labels_received", p.labels_received},
          {"labels_pending", p.labels_pending}, {"labels_given_up", p.labels_given_up},
          {"labels_dropped", p.labels_dropped}, {"labels_retries", p.labels_retries}, {"labels_in_flight", p.labels_in_flight},
          {"labels_unanswered", p.labels_unanswered}, {"labels_lost", p.labels_lost},
          {"reward_loss", p.reward_loss}, {"reward_accuracy", p.reward_accuracy},
          {"policy_loss", p.policy_loss}, {"value_loss", p.value_loss}, {"entropy", p.entropy},
          {"intrinsic_mean", p.intrinsic_mean}, {"intrinsic_nonzero", p.intrinsic_nonzero},
          {"intrinsic_return", p.intrinsic_return},
          {"reward_drift", std::isfinite(p.reward_drift) ? nlohmann::json(p.reward_drift) : nlohmann::json(nullptr)},
          {"reward_contested", p.reward_contested}, {"reward_disagreement", p.reward_disagreement},
          {"runner_restarts", p.runner_restarts}, {"runners", p.runners}, {"finite", p.finite},
          {"policy_kind", p.policy_kind}, {"annotator_known", p.annotator_known}};
}

void write_plot(const std::string& dir, bool with_drift) {
  const std::string script = dir + "/plot.gp";
  std::ofstream gp(script);
  gp << "set terminal pngcairo size 1100,800 font 'sans,10'\n"
     << "set output '" << dir << "/curves.png'\n"
     << "set multiplot layout 3,1 title 'Lantern training: " << dir << "'\n"
     << "set grid\nset key left top\nset xlabel 'environment steps'\n"
     << "set ylabel 'return / success'\n"
     << "plot '" << dir << "/progress.tsv' using 1:2 with lines lw 2 title 'mean return (last 100 episodes)', "
     << "'' using 1:3 with lines lw 2 title 'success rate'\n"
     << "set ylabel 'labels'\n"
     << "plot '" << dir << "/progress.tsv' using 1:4 with lines lw 2 title 'labels requested', "
     << "'' using 1:5 with lines lw 2 title 'labels received'\n"
     << "set ylabel 'intrinsic return'\nset y2label 'reward drift'\nset y2tics\nset ytics nomirror\n"
     << "plot '" << dir << "/progress.tsv' using 1:6 with lines lw 2 title 'intrinsic return per episode'"
     << (with_drift ? ", '' using 1:7 axes x1y2 with linespoints lw 1 pt 7 ps 0.4 title 'reward drift (right axis)'" : "")
     << "\n"
     << "unset multiplot\n";
  gp.close();
  const std::string cmd = "gnuplot '" + script + "' 2> '" + dir + "/plot.log'";
  if (std::system(cmd.c_str()) != 0) std::cerr << "lantern train: the plot failed; see " << dir << "/plot.log\n";
}

}  // namespace

std::optional<trained_run> load_trained_run(const envs::env_registry& reg, const core::schema& schema,
                                            const common_flags& f, const std::string& dir, const char* who) {
  auto ck = learners::checkpoint::read(dir + "/checkpoint.bin");
  if (!ck) {
    std::cerr << who << ": " << ck.error().message << "\n";
    return std::nullopt;
  }
  auto cfg = core::config::parse(schema, ck->parts["config"], dir + "/config.toml", f.overrides);
  if (!cfg) {
    std::cerr << who << ": " << cfg.error().message << "\n";
    return std::nullopt;
  }
  learners::configure_runtime(1);
  auto probe = reg.create(cfg->string("train.env"), *cfg);
  if (!probe) {
    std::cerr << who << ": " << probe.error().message << "\n";
    return std::nullopt;
  }
  auto pol = learners::policy::make(probe.value()->spec().layout, learners::policy_options_from(*cfg));
  if (!pol) {
    std::cerr << who << ": " << pol.error().message << "\n";
    return std::nullopt;
  }
  if (auto ok = pol.value()->load_weights(ck->parts["policy"]); !ok) {
    std::cerr << who << ": the checkpoint's policy does not load: " << ok.error().message << "\n";
    return std::nullopt;
  }
  return trained_run{std::move(cfg.value()), std::move(pol.value())};
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return g_signal.load() != 0; }

// The control API of a run (cluster/control.hpp): the cluster token, or one made for this run
// and written to DIR/control.token (mode 0600); where it listens goes to DIR/control.json.
core::result<std::unique_ptr<cluster::control_server>> start_control(const core::schema& schema, const core::config& cfg,
                                                                     const std::string& dir, const std::string& listen,
                                                                     const std::string& resumed_from,
                                                                     const std::shared_ptr<cluster::head_control>& head) {
  cluster::control_options o;
  o.listen = listen.empty() ? cfg.string("control.listen") : listen;
  std::string token_file;
  if (auto token = cluster::load_token(cfg)) {
    o.token = token.value();
  } else {
    o.token = cluster::make_token();
    token_file = dir + "/control.token";
    const int fd = ::open(token_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::write(fd, (o.token + "\n").data(), o.token.size() + 1) != static_cast<ssize_t>(o.token.size() + 1)) {
      if (fd >= 0) ::close(fd);
      return core::make_error(core::errc::io, "cannot write " + token_file);
    }
    ::close(fd);
  }
  o.web_dir = cfg.string("control.web_dir").empty() ? std::string(LANTERN_SOURCE_DIR) + "/console/web"
                                                    : cfg.string("control.web_dir");
  o.chart_js = cfg.string("control.chart_js");
  o.run = {{"dir", dir}, {"env", cfg.string("train.env")}, {"reward_model", cfg.string("reward.model")},
           {"annotator_backend", cfg.string("annotator.backend")}, {"steps", cfg.integer("train.steps")},
           {"seed", cfg.integer("train.seed")}};
  if (head) {
    o.nodes = [head] { return head->nodes ? head->nodes() : std::vector<cluster::node_info>{}; };
    o.envs = [head](const std::string& c, const std::vector<std::string>& a) {
      return head->envs ? head->envs(c, a) : actors::control_reply{false, "the head is not set up yet"};
    };
  }
  auto server = std::make_unique<cluster::control_server>(o);
  if (auto ok = server->start(); !ok) {
    // Several runs on one machine (seeds side by side) all default to the same port: the later
    // ones take a free port and say so; control.json tells the console where. A port the user
    // chose is never swapped for another. A resumed run reads every key from its saved config,
    // so there the recorded default counts as a default.
    const auto* opt = schema.find("control.listen");
    const bool is_default = cfg.origin("control.listen") == "default" ||
                            (opt && std::get<std::string>(opt->default_value) == cfg.string("control.listen") &&
                             !resumed_from.empty() && cfg.origin("control.listen") == resumed_from + "/config.toml");
    if (!listen.empty() || !is_default) return ok.error();
    const std::string busy = o.listen;
    o.listen = busy.substr(0, busy.rfind(':')) + ":0";
    server = std::make_unique<cluster::control_server>(o);
    if (auto again = server->start(); !again) return again.error();
    std::cout << "lantern train: " << busy << " is in use (another run?); the control API takes a free port" << std::endl;
  }
  std::ofstream(dir + "/control.json") << nlohmann::json{{"url", server->url()}, {"token_file", token_file}}.dump() << "\n";
  std::cout << "lantern train: control API, dashboard and /metrics on " << server->url()
            << (token_file.empty() ? " (the cluster token)" : " (token in " + token_file + ")") << std::endl;
  return server;
}

int run_train(const envs::env_registry& reg, const core::schema& schema, const common_flags& f, const train_flags& t,
              const make_hooks_fn& make_hooks) {
  auto cfg = load_config(schema, f);
  if (!cfg) return 2;
  actors::training_state resume_state;
  const actors::training_state* resume = nullptr;
  std::string dir = t.run_dir;
  if (!t.resume.empty()) {
    auto ck = learners::checkpoint::read(t.resume + "/checkpoint.bin");
    if (!ck) {
      std::cerr << "lantern train: cannot resume: " << ck.error().message << "\n";
      return 2;
    }
    resume_state.parts = ck->parts;
    resume = &resume_state;
    if (dir.empty()) dir = t.resume;
    // The run's own config comes back first; flags and --set given now still apply on top.
    if (resume_state.parts.count("config")) {
      auto again = core::config::parse(schema, resume_state.parts["config"], t.resume + "/config.toml", f.overrides);
      if (!again) {
        std::cerr << "lantern train: " << again.error().message << "\n";
        return 2;
      }
      cfg = std::move(again.value());
    }
  }
  if (t.steps > 0)
    if (auto st = cfg->set("train.steps", std::to_string(t.steps), "command line"); !st) {
      std::cerr << "lantern train: " << st.error().message << "\n";
      return 2;
    }
  if (dir.empty()) dir = "runs/" + now_stamp();
  {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir)) {
      std::cerr << "lantern train: cannot use run directory '" << dir << "': "
                << (ec ? ec.message() : std::string("it is not a directory")) << "\n";
      return 2;
    }
  }
  const std::string config_text = cfg->to_toml();
  std::ofstream(dir + "/config.toml") << config_text;
  std::ofstream metrics(dir + "/metrics.jsonl", std::ios::app);
  std::ofstream tsv(dir + "/progress.tsv", resume ? std::ios::app : std::ios::trunc);
  if (!resume) tsv << "# env_steps\tmean_return\tsuccess_rate\tlabels_requested\tlabels_received\tintrinsic_return\treward_drift\n";

  std::cout << "lantern train: env " << cfg->string("train.env") << ", reward " << cfg->string("reward.model")
            << " (annotator backend " << cfg->string("annotator.backend") << "), " << cfg->integer("train.steps")
            << " steps, seed " << cfg->integer("train.seed") << ", run dir " << dir << (resume ? " (resumed)" : "")
            << std::endl;
  install_signal_handlers();

  auto write_checkpoint = [&](const actors::training_state& st) {
    learners::checkpoint c;
    c.parts = st.parts;
    c.parts["config"] = config_text;
    if (auto ok = c.write(dir + "/checkpoint.bin"); !ok) std::cerr << "lantern train: " << ok.error().message << "\n";
  };
  actors::training_hooks hooks;
  std::shared_ptr<cluster::head_control> head;
  if (make_hooks) {
    auto h = make_hooks(*cfg, config_text, head);
    if (!h) return 2;
    hooks = std::move(*h);
  }
  std::unique_ptr<cluster::control_server> control;
  if (cfg->boolean("control.enabled")) {
    auto c = start_control(schema, *cfg, dir, t.control, t.resume, head);
    if (!c) {
      std::cerr << "lantern train: " << c.error().message << "\n";
      return 2;
    }
    control = std::move(c.value());
    hooks.control = [&control](actors::run_control* run) { control->attach(run); };
  }
  bool any_drift = false;
  auto result = actors::run_training(
      *cfg, reg, resume,
      [&](const actors::progress& p) {
        std::printf("[%6.0fs] steps %9llu  %7.0f steps/s  episodes %6llu  return %6.3f  success %5.1f%%  labels %llu/%llu "
                    "(%s %llu)  reward acc %4.2f  policy v%llu lag %.1f  reward v%llu  runners %llu\n",
                    p.seconds, static_cast<unsigned long long>(p.env_steps), p.steps_per_second,
                    static_cast<unsigned long long>(p.episodes), p.mean_return, 100 * p.success_rate,
                    static_cast<unsigned long long>(p.labels_received), static_cast<unsigned long long>(p.labels_requested),
                    p.annotator_known ? "pending" : "NO ANNOTATOR, waiting",
                    static_cast<unsigned long long>(p.labels_pending), p.reward_accuracy,
                    static_cast<unsigned long long>(p.policy_version), p.policy_lag,
                    static_cast<unsigned long long>(p.reward_version), static_cast<unsigned long long>(p.runners));
        if (std::isfinite(p.reward_drift)) std::printf("         intrinsic per episode %.3f  reward drift %.4f\n",
                                                       p.intrinsic_return, p.reward_drift);
        std::fflush(stdout);
        metrics << to_json(p).dump() << "\n" << std::flush;
        tsv << p.env_steps << '\t' << p.mean_return << '\t' << p.success_rate << '\t' << p.labels_requested << '\t'
            << p.labels_received << '\t' << p.intrinsic_return << '\t';
        any_drift = any_drift || std::isfinite(p.reward_drift);
        if (std::isfinite(p.reward_drift)) tsv << p.reward_drift;
        else tsv << "NaN";  // not measured yet: gnuplot leaves a gap
        tsv << '\n' << std::flush;
      },
      [] { return g_signal.load() != 0; },
      [&](const actors::progress&, const actors::training_state& st) { write_checkpoint(st); }, hooks);
  if (control) {  // the API is gone with the run: control.json must not point at a dead port
    control.reset();
    std::error_code ignored;
    std::filesystem::remove(dir + "/control.json", ignored);
  }
  if (!result) {
    std::cerr << "lantern train: " << result.error().message << "\n";
    return 1;
  }
  const auto& [p, st] = result.value();
  write_checkpoint(st);
  write_plot(dir, any_drift);
  std::ostringstream summary;
  summary << "\n== summary: " << dir << (g_signal ? " (stopped by signal)" : "") << " ==\n"
          << "env steps        " << p.env_steps << " in " << static_cast<long>(p.seconds) << " s\n"
          << "episodes         " << p.episodes << "\n"
          << "mean return      " << p.mean_return << " (last 100 episodes)\n"
          << "success rate     " << 100 * p.success_rate << "%\n"
          << "policy network   " << p.policy_kind << "\n"
          << "policy updates   " << p.updates << " (version " << p.policy_version << ", mean lag " << p.policy_lag << ")\n"
          << "weights          " << p.weights_sent << " sent to runners (with rollout acks), " << p.weights_skipped
          << " superseded versions never sent\n"
          << "labels           " << p.labels_received << " received of " << p.labels_requested << " requested, "
          << p.labels_given_up << " given up, " << p.labels_pending << " pending (saved with the run), "
          << p.labels_dropped << " dropped over train.max_pending, " << p.labels_retries << " asked again\n"
          << "reward model     version " << p.reward_version << ", accuracy " << p.reward_accuracy << "\n"
          << "intrinsic reward mean " << p.intrinsic_mean << ", non-zero on " << 100 * p.intrinsic_nonzero
          << "% of steps, " << p.intrinsic_return << " per episode (guard " << cfg->string("shaping.guard") << ")\n"
          << "reward drift     "
          << (std::isfinite(p.reward_drift) ? std::to_string(p.reward_drift) : std::string("not measured"))
          << " (between the last two snapshots on the probe captions; 0 = the same preferences)\n"
          << "runner restarts  " << p.runner_restarts << "\n"
          << "losses finite    " << (p.finite ? "yes" : "NO") << "\n"
          << "files            " << dir << "/{config.toml, metrics.jsonl, checkpoint.bin, curves.png}\n";
  std::cout << summary.str();
  std::ofstream(dir + "/summary.txt") << summary.str();
  {  // the same, for scripts
    auto j = to_json(p);
    j["run_dir"] = dir;
    j["stopped_by_signal"] = g_signal.load() != 0;
    std::ofstream(dir + "/summary.json") << j.dump(2) << "\n";
  }
  return p.finite ? 0 : 1;
}

namespace {

int run_eval(const envs::env_registry& reg, const core::schema& schema, const common_flags& f, const eval_flags& e) {
  auto run = load_trained_run(reg, schema, f, e.run_dir, "lantern eval");
  if (!run) return 2;
  const auto& cfg = run->cfg;
  const std::string env = cfg.string("train.env");
  // Episodes are fixed in advance, `quota` per env, each played from its start: counting the
  // first N episodes to finish would favour short ones (quick deaths, quick wins).
  const int64_t k = std::min<int64_t>(e.envs, e.episodes);
  const uint64_t seed = e.seed >= 0 ? static_cast<uint64_t>(e.seed)
                                    : static_cast<uint64_t>(cfg.integer("train.seed")) + 1000003;  // held-out games
  try {
    auto vec = envs::vector_env::create(reg, env, cfg, static_cast<size_t>(k), seed);
    if (!vec) {
      std::cerr << "lantern eval: " << vec.error().message << "\n";
      return 2;
    }
    std::vector<int64_t> quota(static_cast<size_t>(k)), counted(static_cast<size_t>(k), 0);
    for (int64_t i = 0; i < k; ++i) quota[static_cast<size_t>(i)] = e.episodes / k + (i < e.episodes % k ? 1 : 0);
    std::vector<float> h, logp;
    std::vector<int32_t> actions;
    core::pcg32 rng(core::derive_seed(seed, 0x6576616c));
    const core::obs_batch* obs = &vec->reset();
    std::vector<double> returns, scores, lengths;
    uint64_t wins = 0;
    const bool random_agent = e.agent == "random";
    const auto& layout = vec->spec().layout;
    while (static_cast<int64_t>(returns.size()) < e.episodes) {
      if (random_agent) {  // the baseline: uniform over what is on offer, on the very same games
        actions.resize(vec->size());
        for (size_t i = 0; i < vec->size(); ++i) {
          const auto n = layout.actions == core::action_kind::text ? obs->candidates[i].size()
                                                                   : static_cast<size_t>(layout.num_actions);
          actions[i] = n == 0 ? 0 : static_cast<int32_t>(rng.below(static_cast<uint32_t>(n)));
        }
      } else {
        run->pol->act(*obs, h, actions, logp, rng, e.greedy);
      }
      obs = &vec->step(actions);
      if (!random_agent)
        for (size_t i = 0; i < vec->size(); ++i)
          if (obs->terminated[i] || obs->truncated[i]) run->pol->reset_state(h, i);
      for (const auto& ep : vec->drain_finished()) {
        if (counted[ep.env] >= quota[ep.env]) continue;
        ++counted[ep.env];
        returns.push_back(ep.episode_return);
        scores.push_back(ep.score);
        lengths.push_back(ep.length);
        wins += ep.success;
      }
    }
    const auto ret = core::mean_ci(returns), score = core::mean_ci(scores), len = core::mean_ci(lengths);
    const auto succ = core::wilson_ci(wins, returns.size());
    if (e.json) {
      nlohmann::json j = {{"run_dir", e.run_dir}, {"episodes", returns.size()}, {"envs", k}, {"seed", seed},
                          {"agent", e.agent}, {"greedy", e.greedy}, {"success", succ.mean}, {"success_low", succ.low},
                          {"success_high", succ.high}, {"return", ret.mean}, {"return_ci", ret.half_width()},
                          {"score", score.mean}, {"score_ci", score.half_width()}, {"length", len.mean}};
      std::cout << j.dump() << std::endl;
      return 0;
    }
    std::printf("lantern eval: %s, %zu episodes: mean return %.3f ± %.3f, success %.1f%% [%.1f, %.1f], "
                "mean score %.2f ± %.2f, mean length %.1f\n",
                e.run_dir.c_str(), returns.size(), ret.mean, ret.half_width(), 100 * succ.mean, 100 * succ.low,
                100 * succ.high, score.mean, score.half_width(), len.mean);
    std::printf("  (%lld envs, each playing its %lld or %lld episodes from their start; %s actions; games seeded from "
                "%llu; intervals are 95%%: Student t for means, Wilson for success)\n",
                static_cast<long long>(k), static_cast<long long>(e.episodes / k),
                static_cast<long long>(e.episodes / k + (e.episodes % k ? 1 : 0)), random_agent ? "uniformly random" : e.greedy ? "greedy" : "sampled",
                static_cast<unsigned long long>(seed));
  } catch (const std::exception& ex) {  // an env that fails (a crashed game, a dead server) ends the run clearly
    std::cerr << "lantern eval: " << ex.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_train_flags(CLI::App& cmd, train_flags& t) {
  cmd.add_option("--run-dir", t.run_dir, "where the run's config, metrics, checkpoints and plot go (default runs/<time>)");
  cmd.add_option("--resume", t.resume, "continue the run in this directory from its last checkpoint");
  cmd.add_option("--control", t.control, "where the control API and dashboard listen, HOST:PORT (control.listen; port "
                                         "0 picks one, written to RUN_DIR/control.json)");
  cmd.add_option("--steps", t.steps, "env steps to train for (train.steps)")
      ->check(strict_integer(1, std::numeric_limits<int64_t>::max()));
}

std::function<int()> add_train(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f) {
  auto t = std::make_shared<train_flags>();
  auto* cmd = app.add_subcommand("train", "train a policy with intrinsic rewards learned online (actors, one process)");
  add_common_flags(*cmd, f);
  add_train_flags(*cmd, *t);
  return [&reg, &s, &f, t] { return run_train(reg, s, f, *t, {}); };
}

std::function<int()> add_eval(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f) {
  auto e = std::make_shared<eval_flags>();
  auto* cmd = app.add_subcommand("eval", "evaluate a run's latest policy on held-out games");
  add_common_flags(*cmd, f);
  cmd->add_option("--run-dir", e->run_dir, "the run directory")->required();
  cmd->add_option("--episodes", e->episodes, "episodes to play, fixed in advance")
      ->capture_default_str()
      ->check(strict_integer(1, 100000000));
  cmd->add_option("--envs", e->envs, "envs playing at once (each plays its share of the episodes from their start)")
      ->capture_default_str()
      ->check(strict_integer(1, 4096));
  cmd->add_option("--seed", e->seed, "seed of the games (default: the run's seed + 1000003, games it never trained on)")
      ->check(strict_integer(0, std::numeric_limits<int64_t>::max()));
  cmd->add_flag("--greedy", e->greedy, "take the most likely action instead of sampling");
  cmd->add_option("--agent", e->agent, "policy (the run's) or random (uniform over the actions on offer, on the same "
                                       "games: the baseline)")
      ->capture_default_str()
      ->check(CLI::IsMember({"policy", "random"}));
  cmd->add_flag("--json", e->json, "print one JSON object");
  return [&reg, &s, &f, e] { return run_eval(reg, s, f, *e); };
}

}  // namespace lantern::apps
