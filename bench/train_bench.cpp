// End-to-end training throughput, measured in one run and printed as ratios:
//   1. the main job (the default TextWorld config: runner + APPO learner + reward learner +
//      annotator) against the same job on the reference paths (learner.reference = true: the
//      step-by-step replay, every text encoded; train.scheduler = work-stealing), and against
//      raw env steps/s of the same envs stepped by a random agent;
//   2. NetHack Score (configs/train-nethack-score.toml) the same way (target: 2,000 env steps/s);
//   3. training env steps/s with a slow annotator (an OpenAI-compatible server that takes 2 s per
//      call) against the same job with the rules annotator, which answers at once (target: at
//      least 0.9: the policy never waits for labels), and against no reward model at all (which
//      also spares the reward learner's training and the intrinsic rewards: not waiting, work);
//   4. peak resident memory of the process.
// Steps/s are steady-state rates (from the first progress line to the last: start-up excluded).
// LibTorch's allocator (learners/runtime.hpp) is process-wide and serves both sides. One JSON
// line per result.
//
//   build/bin/train_bench [--steps 150000] [--nethack-steps 30000]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

#include "actors/training.hpp"
#include "annotators/fake_llm.hpp"
#include "core/rng.hpp"
#include "envs/vector_env.hpp"

using namespace lantern;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int64_t steps = 150000, nethack_steps = 30000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--steps") == 0) steps = std::stoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--nethack-steps") == 0) nethack_steps = std::stoll(argv[i + 1]);
  }
  envs::env_registry registry;
  envs::register_builtin_envs(registry);
  core::schema schema;
  actors::add_run_options(schema, registry);
  const std::string dir = std::filesystem::temp_directory_path().string() + "/lantern-train-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  int runs = 0;
  auto config = [&](std::vector<std::string> sets, const std::string& file = "train-textworld.toml") {
    sets.push_back("annotator.store=" + dir + "/labels-" + std::to_string(runs++) + ".sqlite");
    sets.push_back("train.steps=" + std::to_string(file == "train-textworld.toml" ? steps : nethack_steps));
    sets.push_back("train.progress_seconds=1");
    auto c = core::config::load(schema, std::string(LANTERN_SOURCE_DIR) + "/configs/" + file, sets);
    if (!c) {
      std::fprintf(stderr, "%s\n", c.error().message.c_str());
      std::exit(1);
    }
    return std::move(c.value());
  };
  // Steady-state env steps/s: from the first progress report to the end of the run.
  auto train = [&](const core::config& c) {
    std::optional<actors::progress> first;
    auto r = actors::run_training(c, registry, nullptr, [&](const actors::progress& p) {
      if (!first && p.env_steps > 0) first = p;
    });
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      std::exit(1);
    }
    const auto& last = r.value().first;
    if (!first || last.seconds <= first->seconds) return static_cast<double>(last.env_steps) / last.seconds;
    return static_cast<double>(last.env_steps - first->env_steps) / (last.seconds - first->seconds);
  };
  const std::vector<std::string> reference = {"learner.reference=true", "train.scheduler=work-stealing"};

  // 1. Raw env steps with the same envs, then training.
  auto base = config({});
  const auto n = static_cast<size_t>(base.integer("train.envs_per_runner") * base.integer("train.runners"));
  auto vec = envs::vector_env::create(registry, "textworld", base, n, 1);
  core::pcg32 rng(1);
  std::vector<int32_t> actions(n);
  const core::obs_batch* obs = &vec->reset();
  uint64_t raw = 0;
  auto t0 = clock_type::now();
  while (std::chrono::duration<double>(clock_type::now() - t0).count() < 3.0) {
    for (size_t e = 0; e < n; ++e) actions[e] = static_cast<int32_t>(rng.below(static_cast<uint32_t>(obs->candidates[e].size())));
    obs = &vec->step(actions);
    raw += n;
  }
  const double raw_per_s = static_cast<double>(raw) / std::chrono::duration<double>(clock_type::now() - t0).count();
  const double trained = train(base);
  const double trained_ref = train(config(reference));
  std::printf("{\"name\": \"train.steps_per_s.textworld\", \"value\": %.0f, \"unit\": \"env steps/s\", \"envs\": %zu, "
              "\"baseline\": \"same job, reference paths\", \"baseline_value\": %.0f, \"ratio_to_baseline\": %.2f, "
              "\"raw_env_steps_per_s\": %.0f, \"ratio_to_raw\": %.3f}\n",
              trained, n, trained_ref, trained / trained_ref, raw_per_s, trained / raw_per_s);
  std::fflush(stdout);

  const double nethack = train(config({}, "train-nethack-score.toml"));
  const double nethack_ref = train(config(reference, "train-nethack-score.toml"));
  std::printf("{\"name\": \"train.steps_per_s.nethack_score\", \"value\": %.0f, \"unit\": \"env steps/s\", "
              "\"baseline\": \"same job, reference paths\", \"baseline_value\": %.0f, \"ratio_to_baseline\": %.2f, "
              "\"target\": 2000, \"ratio_to_target\": %.2f}\n",
              nethack, nethack_ref, nethack / nethack_ref, nethack / 2000.0);
  std::fflush(stdout);

  // 2. A slow annotator (2 s per call) against none.
  annotators::testing::fake_llm slow([](const nlohmann::json&, int) {
    return annotators::testing::behaviour{200, "Answer: yes", std::chrono::milliseconds(2000), false};
  });
  const double with_slow = train(config({"annotator.backend=openai", "annotator.openai.model=m",
                                         "annotator.openai.base_url=" + slow.base_url(),
                                         "annotator.openai.endpoint=completions", "annotator.openai.batch_size=64",
                                         "annotator.openai.timeout_ms=30000"}));
  const double without = train(config({"reward.model=none", "shaping.intrinsic_coef=0"}));
  std::printf("{\"name\": \"train.steps_per_s.slow_annotator\", \"value\": %.0f, \"unit\": \"env steps/s\", "
              "\"annotator\": \"2 s per call\", \"baseline\": \"the rules annotator (answers at once)\", "
              "\"baseline_value\": %.0f, \"ratio_to_baseline\": %.3f, \"target_ratio\": 0.9, "
              "\"no_reward_model_value\": %.0f, \"ratio_to_no_reward_model\": %.3f}\n",
              with_slow, trained, with_slow / trained, without, with_slow / without);

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"name\": \"train.peak_rss\", \"value\": %.0f, \"unit\": \"MB\"}\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  std::filesystem::remove_all(dir);
  return 0;
}
