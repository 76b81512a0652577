// `lantern play`: any registered env in the terminal, played by a person, a random agent or a
// trained policy (`--agent policy --run-dir DIR`: the run's env and settings, its latest weights).
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>

#include "apps/commands.hpp"
#include "core/rng.hpp"
#include "envs/vector_env.hpp"

namespace lantern::apps {
namespace {

struct play_flags {
  std::string env, agent, show, run_dir;
  int64_t seed = -1, episodes = -1;
  bool greedy = false;
};

// Index of the array named `name` in the layout, or -1.
int array_index(const core::obs_layout& l, const std::string& name) {
  for (size_t i = 0; i < l.arrays.size(); ++i)
    if (l.arrays[i].name == name) return static_cast<int>(i);
  return -1;
}

// A terminal env (NetHack): print its screen.
void print_screen(const core::obs_batch& obs, int chars_index) {
  const auto& spec = obs.layout().arrays[static_cast<size_t>(chars_index)];
  const auto rows = static_cast<size_t>(spec.shape[0]), cols = static_cast<size_t>(spec.shape[1]);
  const uint8_t* c = obs.array<uint8_t>(static_cast<size_t>(chars_index), 0);
  for (size_t r = 0; r < rows; ++r) {
    std::string line(reinterpret_cast<const char*>(c + r * cols), cols);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

// Reads one key from stdin, raw when stdin is a terminal. Returns -1 at end of input.
int read_key() {
  unsigned char ch = 0;
  if (!isatty(STDIN_FILENO)) return ::read(STDIN_FILENO, &ch, 1) == 1 ? ch : -1;
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios raw = old;
  raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO | ISIG));
  raw.c_iflag &= static_cast<tcflag_t>(~(IXON | ICRNL));
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  ssize_t n = ::read(STDIN_FILENO, &ch, 1);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  return n == 1 ? ch : -1;
}

void print_commands(const std::vector<std::string>& cmds, bool numbered) {
  std::cout << "commands:";
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (numbered) std::cout << "\n  " << i << ". " << cmds[i];
    else std::cout << (i ? " | " : " ") << cmds[i];
  }
  std::cout << "\n";
}

int play(const envs::env_registry& reg, core::config& cfg, trained_run* trained, bool greedy) {
  const std::string agent = cfg.string("play.agent");
  const bool human = agent == "human";
  // A trained policy plays the env it was trained on, with that run's settings.
  const core::config& env_cfg = trained ? trained->cfg : cfg;
  const std::string env_name = trained ? trained->cfg.string("train.env") : cfg.string("play.env");
  const auto seed = static_cast<uint64_t>(cfg.integer("play.seed"));
  const int64_t episodes = cfg.integer("play.episodes");
  std::string show = cfg.string("play.show");
  if (show == "auto") show = human ? "steps" : "first";

  auto vec = envs::vector_env::create(reg, env_name, env_cfg, 1, seed);
  if (!vec) {
    std::cerr << "lantern play: " << vec.error().message << "\n";
    return 2;
  }
  const auto& spec = vec->spec();
  const bool text_actions = spec.layout.actions == core::action_kind::text;
  const int screen = array_index(spec.layout, "tty_chars");
  core::pcg32 agent_rng(core::derive_seed(seed, 0x61676e74));  // the agent's own stream
  std::cout << "lantern play: env " << env_name << " (" << spec.description << "), agent " << agent
            << (trained ? std::string(greedy ? " (greedy)" : " (sampling)") : std::string()) << ", seed " << seed << ", "
            << episodes << " episode(s)\n";
  std::vector<float> policy_state, logp;
  std::vector<int32_t> policy_actions;
  if (human && text_actions) std::cout << "Type a command, or the number of one on offer; 'quit' ends the game.\n";
  if (human && !text_actions) std::cout << "Keys go straight to the game; Ctrl-] ends the session.\n";

  const core::obs_batch* obs = &vec->reset();
  int64_t done_episodes = 0, won = 0;
  double sum_return = 0, sum_length = 0, sum_score = 0;
  int64_t step_in_episode = 0;
  auto start = std::chrono::steady_clock::now();
  auto show_steps = [&] { return show == "steps" || (show == "first" && done_episodes == 0); };
  auto show_obs = [&] {
    if (screen >= 0) print_screen(*obs, screen);
    else if (spec.layout.has_text) std::cout << "\n" << obs->text[0] << "\n";
  };
  if (show_steps()) show_obs();

  std::string line;
  while (done_episodes < episodes) {
    const auto& cands = obs->candidates[0];
    if (show_steps() && text_actions) print_commands(cands, human);
    envs::action a;
    std::string typed;
    if (human && !text_actions) {
      int key = read_key();
      if (key < 0 || key == 0x1d) break;  // end of input or Ctrl-]
      typed.assign(1, static_cast<char>(key));
      a = envs::action::say(typed);
    } else if (human) {
      std::cout << "> " << std::flush;
      if (!std::getline(std::cin, line) || line == "quit" || line == "q") break;
      bool number = !line.empty() && line.find_first_not_of("0123456789") == std::string::npos;
      if (number) a = envs::action::pick(std::stoi(line));
      else {
        typed = line;
        a = envs::action::say(typed);
      }
    } else {
      if (trained) {
        trained->pol->act(*obs, policy_state, policy_actions, logp, agent_rng, greedy);
        a = envs::action::pick(policy_actions[0]);
      } else {
        uint32_t n = text_actions ? static_cast<uint32_t>(cands.size()) : static_cast<uint32_t>(spec.layout.num_actions);
        a = envs::action::pick(static_cast<int32_t>(agent_rng.below(n)));
      }
      if (show_steps() && text_actions) std::cout << "> " << cands[static_cast<size_t>(a.index)] << "\n";
      if (show_steps() && !text_actions && static_cast<size_t>(a.index) < spec.action_names.size())
        std::cout << "> " << spec.action_names[static_cast<size_t>(a.index)] << "\n";
    }
    obs = &vec->step(std::vector<envs::action>{a});
    if (trained && (obs->terminated[0] || obs->truncated[0])) trained->pol->reset_state(policy_state, 0);
    ++step_in_episode;
    if (show_steps()) {
      if (screen >= 0) {
        if (human && isatty(STDOUT_FILENO)) std::cout << "\x1b[H\x1b[2J";
        print_screen(*obs, screen);
      } else {
        std::cout << obs->caption[0] << "\n";
      }
      std::cout << "[reward " << obs->reward[0] << ", score " << obs->score[0] << ", step " << step_in_episode
                << "]" << (obs->note[0].empty() ? "" : " note: " + obs->note[0]) << "\n";
    }
    for (const auto& ep : vec->drain_finished()) {
      ++done_episodes;
      won += ep.success;
      sum_return += ep.episode_return;
      sum_length += ep.length;
      sum_score += ep.score;
      step_in_episode = 0;
      if (show != "summary") {
        std::printf("episode %lld: %s after %d steps, return %.2f, score %.0f (game seed %016llx)\n",
                    static_cast<long long>(done_episodes), ep.success ? "won" : ep.truncated ? "out of steps" : "lost",
                    ep.length, static_cast<double>(ep.episode_return), static_cast<double>(ep.score),
                    static_cast<unsigned long long>(ep.seed));
      }
      if (show_steps() && done_episodes < episodes) show_obs();
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double n = static_cast<double>(std::max<int64_t>(done_episodes, 1));
  std::printf("\n== summary: %s, agent %s, seed %llu ==\n", env_name.c_str(), agent.c_str(),
              static_cast<unsigned long long>(seed));
  std::printf("episodes     %lld\n", static_cast<long long>(done_episodes));
  std::printf("won          %lld (%.1f%%)\n", static_cast<long long>(won), 100.0 * static_cast<double>(won) / n);
  std::printf("mean return  %.3f\n", sum_return / n);
  std::printf("mean score   %.2f\n", sum_score / n);
  std::printf("mean length  %.1f steps\n", sum_length / n);
  std::printf("steps        %llu in %.2f s (%.0f steps/s, including printing)\n",
              static_cast<unsigned long long>(vec->total_steps()), secs,
              static_cast<double>(vec->total_steps()) / std::max(secs, 1e-9));
  return 0;
}

}  // namespace

void add_play_options(core::schema& s) {
  s.string("play.env", "textworld", "environment to play (see `lantern envs`)");
  s.string("play.agent", "random", "who plays: human (types commands), random (uniform over the commands on offer) "
           "or policy (a trained run's policy: --run-dir)", {"human", "random", "policy"});
  s.integer("play.seed", 1, "seed of the episodes and of the random agent", 0);
  s.integer("play.episodes", 10, "episodes to play", 1);
  s.string("play.show", "auto",
           "what to print: steps, episodes or summary; auto = steps for a person, the first episode's steps and then "
           "one line per episode for the random agent",
           {"auto", "steps", "episodes", "summary"});
}

std::function<int()> add_play(CLI::App& app, const envs::env_registry& reg, const core::schema& s, common_flags& f) {
  auto flags = std::make_shared<play_flags>();
  auto* cmd = app.add_subcommand("play", "play an environment in the terminal (a person or a random agent)");
  add_common_flags(*cmd, f);
  cmd->add_option("--env", flags->env, "environment name (play.env)");
  cmd->add_option("--agent", flags->agent, "human, random or policy (play.agent)");
  cmd->add_option("--run-dir", flags->run_dir, "--agent policy: the run whose latest policy plays (its env and settings)");
  cmd->add_flag("--greedy", flags->greedy, "--agent policy: take the most likely action instead of sampling");
  cmd->add_option("--seed", flags->seed, "seed (play.seed)")->check(strict_integer(0, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--episodes", flags->episodes, "episodes to play (play.episodes)")->check(strict_integer(1, 1000000000));
  cmd->add_option("--show", flags->show, "steps, episodes or summary (play.show)");
  return [&reg, &s, &f, flags]() -> int {
    auto cfg = load_config(s, f);
    if (!cfg) return 2;
    std::vector<std::pair<std::string, std::string>> sets;
    if (!flags->env.empty()) sets.emplace_back("play.env", flags->env);
    if (!flags->agent.empty()) sets.emplace_back("play.agent", flags->agent);
    if (!flags->show.empty()) sets.emplace_back("play.show", flags->show);
    if (flags->seed >= 0) sets.emplace_back("play.seed", std::to_string(flags->seed));
    if (flags->episodes >= 0) sets.emplace_back("play.episodes", std::to_string(flags->episodes));
    for (const auto& [k, v] : sets) {
      if (auto st = cfg->set(k, v, "command line"); !st) {
        std::cerr << "lantern play: " << st.error().message << "\n";
        return 2;
      }
    }
    std::optional<trained_run> trained;
    if (cfg->string("play.agent") == "policy") {
      if (flags->run_dir.empty()) {
        std::cerr << "lantern play: --agent policy needs --run-dir DIR (a directory `lantern train` wrote)\n";
        return 2;
      }
      trained = load_trained_run(reg, s, f, flags->run_dir, "lantern play");
      if (!trained) return 2;
    }
    try {
      return play(reg, *cfg, trained ? &*trained : nullptr, flags->greedy);
    } catch (const std::exception& e) {
      std::cerr << "lantern play: " << e.what() << "\n";
      return 1;
    }
  };
}

}  // namespace lantern::apps
