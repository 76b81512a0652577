// `lantern train`: the whole system in one process, and `lantern eval`.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/training.hpp"
#include "apps/commands.hpp"
#include "envs/vector_env.hpp"
#include "learners/checkpoint.hpp"
#include "learners/options.hpp"
#include "learners/policy.hpp"
#include "learners/runtime.hpp"

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
          {"labels_requested", p.labels_requested}, {"labels_received", p.labels_received},
          {"labels_pending", p.labels_pending}, {"labels_given_up", p.labels_given_up},
          {"labels_dropped", p.labels_dropped}, {"labels_retries", p.labels_retries}, {"labels_in_flight", p.labels_in_flight},
          {"labels_unanswered", p.labels_unanswered}, {"labels_lost", p.labels_lost},
          {"reward_loss", p.reward_loss}, {"reward_accuracy", p.reward_accuracy},
          {"policy_loss", p.policy_loss}, {"value_loss", p.value_loss}, {"entropy", p.entropy},
          {"intrinsic_mean", p.intrinsic_mean}, {"intrinsic_nonzero", p.intrinsic_nonzero},
          {"runner_restarts", p.runner_restarts}, {"runners", p.runners}, {"finite", p.finite}};
}

void write_plot(const std::string& dir) {
  const std::string script = dir + "/plot.gp";
  std::ofstream gp(script);
  gp << "set terminal pngcairo size 1100,800 font 'sans,10'\n"
     << "set output '" << dir << "/curves.png'\n"
     << "set multiplot layout 2,1 title 'Lantern training: " << dir << "'\n"
     << "set grid\nset key left top\nset xlabel 'environment steps'\n"
     << "set ylabel 'return / success'\n"
     << "plot '" << dir << "/progress.tsv' using 1:2 with lines lw 2 title 'mean return (last 100 episodes)', "
     << "'' using 1:3 with lines lw 2 title 'success rate'\n"
     << "set ylabel 'labels'\n"
     << "plot '" << dir << "/progress.tsv' using 1:4 with lines lw 2 title 'labels requested', "
     << "'' using 1:5 with lines lw 2 title 'labels received'\n"
     << "unset multiplot\n";
  gp.close();
  const std::string cmd = "gnuplot '" + script + "' 2> '" + dir + "/plot.log'";
  if (std::system(cmd.c_str()) != 0) std::cerr << "lantern train: the plot failed; see " << dir << "/plot.log\n";
}

}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return g_signal.load() != 0; }

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
  std::filesystem::create_directories(dir);
  const std::string config_text = cfg->to_toml();
  std::ofstream(dir + "/config.toml") << config_text;
  std::ofstream metrics(dir + "/metrics.jsonl", std::ios::app);
  std::ofstream tsv(dir + "/progress.tsv", resume ? std::ios::app : std::ios::trunc);
  if (!resume) tsv << "# env_steps\tmean_return\tsuccess_rate\tlabels_requested\tlabels_received\n";

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
  if (make_hooks) {
    auto h = make_hooks(*cfg, config_text);
    if (!h) return 2;
    hooks = std::move(*h);
  }
  auto result = actors::run_training(
      *cfg, reg, resume,
      [&](const actors::progress& p) {
        std::printf("[%6.0fs] steps %9llu  %7.0f steps/s  episodes %6llu  return %6.3f  success %5.1f%%  labels %llu/%llu "
                    "(pending %llu)  reward acc %4.2f  policy v%llu lag %.1f  reward v%llu  runners %llu\n",
                    p.seconds, static_cast<unsigned long long>(p.env_steps), p.steps_per_second,
                    static_cast<unsigned long long>(p.episodes), p.mean_return, 100 * p.success_rate,
                    static_cast<unsigned long long>(p.labels_received), static_cast<unsigned long long>(p.labels_requested),
                    static_cast<unsigned long long>(p.labels_pending), p.reward_accuracy,
                    static_cast<unsigned long long>(p.policy_version), p.policy_lag,
                    static_cast<unsigned long long>(p.reward_version), static_cast<unsigned long long>(p.runners));
        std::fflush(stdout);
        metrics << to_json(p).dump() << "\n" << std::flush;
        tsv << p.env_steps << '\t' << p.mean_return << '\t' << p.success_rate << '\t' << p.labels_requested << '\t'
            << p.labels_received << '\n' << std::flush;
      },
      [] { return g_signal.load() != 0; },
      [&](const actors::progress&, const actors::training_state& st) { write_checkpoint(st); }, hooks);
  if (!result) {
    std::cerr << "lantern train: " << result.error().message << "\n";
    return 1;
  }
  const auto& [p, st] = result.value();
  write_checkpoint(st);
  write_plot(dir);
  std::ostringstream summary;
  summary << "\n== summary: " << dir << (g_signal ? " (stopped by signal)" : "") << " ==\n"
          << "env steps        " << p.env_steps << " in " << static_cast<long>(p.seconds) << " s\n"
          << "episodes         " << p.episodes << "\n"
          << "mean return      " << p.mean_return << " (last 100 episodes)\n"
          << "success rate     " << 100 * p.success_rate << "%\n"
          << "policy updates   " << p.updates << " (version " << p.policy_version << ", mean lag " << p.policy_lag << ")\n"
          << "labels           " << p.labels_received << " received of " << p.labels_requested << " requested, "
          << p.labels_given_up << " given up, " << p.labels_pending << " pending (saved with the run), "
          << p.labels_dropped << " dropped over train.max_pending, " << p.labels_retries << " asked again\n"
          << "reward model     version " << p.reward_version << ", accuracy " << p.reward_accuracy << "\n"
          << "intrinsic reward mean " << p.intrinsic_mean << ", non-zero on " << 100 * p.intrinsic_nonzero
          << "% of steps\n"
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

int run_eval(const envs::env_registry& reg, const core::schema& schema, const common_flags& f, const std::string& dir,
             int64_t episodes) {
  auto ck = learners::checkpoint::read(dir + "/checkpoint.bin");
  if (!ck) {
    std::cerr << "lantern eval: " << ck.error().message << "\n";
    return 2;
  }
  auto cfg = core::config::parse(schema, ck->parts["config"], dir + "/config.toml", f.overrides);
  if (!cfg) {
    std::cerr << "lantern eval: " << cfg.error().message << "\n";
    return 2;
  }
  learners::configure_runtime(1);
  const std::string env = cfg->string("train.env");
  auto vec = envs::vector_env::create(reg, env, *cfg, 8, static_cast<uint64_t>(cfg->integer("train.seed")) + 1000003);
  if (!vec) {
    std::cerr << "lantern eval: " << vec.error().message << "\n";
    return 2;
  }
  auto pol = learners::policy::make(vec->spec().layout, learners::policy_options_from(*cfg));
  if (!pol || !pol.value()->load_weights(ck->parts["policy"])) {
    std::cerr << "lantern eval: the checkpoint's policy does not load\n";
    return 2;
  }
  std::vector<float> h, logp;
  std::vector<int32_t> actions;
  core::pcg32 rng(7);
  const core::obs_batch* obs = &vec->reset();
  int64_t done = 0, wins = 0;
  double ret = 0;
  while (done < episodes) {
    pol.value()->act(*obs, h, actions, logp, rng);
    obs = &vec->step(actions);
    for (size_t e = 0; e < vec->size(); ++e)
      if (obs->terminated[e] || obs->truncated[e]) pol.value()->reset_state(h, e);
    for (const auto& ep : vec->drain_finished()) {
      if (done >= episodes) break;
      ++done;
      wins += ep.success;
      ret += ep.episode_return;
    }
  }
  std::printf("lantern eval: %s, %lld episodes: mean return %.3f, success %.1f%%\n", dir.c_str(),
              static_cast<long long>(done), ret / static_cast<double>(done), 100.0 * static_cast<double>(wins) / static_cast<double>(done));
  return 0;
}

}  // namespace

void add_train_flags(CLI::App& cmd, train_flags& t) {
  cmd.add_option("--run-dir", t.run_dir, "where the run's config, metrics, checkpoints and plot go (default runs/<time>)");
  cmd.add_option("--resume", t.resume, "continue the run in this directory from its last checkpoint");
  cmd.add_option("--steps", t.steps, "env steps to train for (train.steps)");
}

std::function<int()> add_train(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f) {
  auto t = std::make_shared<train_flags>();
  auto* cmd = app.add_subcommand("train", "train a policy with intrinsic rewards learned online (actors, one process)");
  add_common_flags(*cmd, f);
  add_train_flags(*cmd, *t);
  return [&reg, &s, &f, t] { return run_train(reg, s, f, *t, {}); };
}

std::function<int()> add_eval(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f) {
  auto dir = std::make_shared<std::string>();
  auto episodes = std::make_shared<int64_t>(100);
  auto* cmd = app.add_subcommand("eval", "evaluate a run's latest policy");
  add_common_flags(*cmd, f);
  cmd->add_option("--run-dir", *dir, "the run directory")->required();
  cmd->add_option("--episodes", *episodes, "episodes to play")->capture_default_str();
  return [&reg, &s, &f, dir, episodes] { return run_eval(reg, s, f, *dir, *episodes); };
}

}  // namespace lantern::apps
