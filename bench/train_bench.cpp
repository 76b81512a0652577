// End-to-end training throughput, measured in one run and printed as ratios:
//   1. training env steps/s (runners + APPO learner + reward learner + annotator, the default
//      TextWorld config) against raw env steps/s of the same number of envs stepped by a random
//      agent (target: at least 0.5 on 2 cores);
//   2. training env steps/s with a slow annotator (an OpenAI-compatible server that takes 2 s per
//      call) against training with no annotator at all (target: at least 0.9: the policy never
//      waits for labels);
//   3. peak resident memory of the process.
// One JSON line per result.
//
//   build/bin/train_bench [--steps 60000]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "actors/training.hpp"
#include "annotators/fake_llm.hpp"
#include "core/rng.hpp"
#include "envs/vector_env.hpp"

using namespace lantern;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int64_t steps = 60000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--steps") == 0) steps = std::stoll(argv[i + 1]);
  envs::env_registry registry;
  envs::register_builtin_envs(registry);
  core::schema schema;
  actors::add_run_options(schema, registry);
  const std::string dir = std::filesystem::temp_directory_path().string() + "/lantern-train-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto config = [&](std::vector<std::string> sets) {
    sets.push_back("annotator.store=" + dir + "/labels-" + std::to_string(sets.size()) + ".sqlite");
    sets.push_back("train.steps=" + std::to_string(steps));
    sets.push_back("train.progress_seconds=1");
    auto c = core::config::load(schema, std::string(LANTERN_SOURCE_DIR) + "/configs/train-textworld.toml", sets);
    if (!c) {
      std::fprintf(stderr, "%s\n", c.error().message.c_str());
      std::exit(1);
    }
    return std::move(c.value());
  };
  auto train = [&](const core::config& c) {
    auto r = actors::run_training(c, registry, nullptr, {});
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      std::exit(1);
    }
    return static_cast<double>(r.value().first.env_steps) / r.value().first.seconds;
  };

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
  std::printf("{\"name\": \"train.steps_per_s.textworld\", \"value\": %.0f, \"unit\": \"env steps/s\", \"envs\": %zu, "
              "\"baseline\": \"raw env steps, random agent, same envs\", \"baseline_value\": %.0f, \"ratio_to_baseline\": "
              "%.3f, \"target_ratio\": 0.5}\n", trained, n, raw_per_s, trained / raw_per_s);
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
              "\"annotator\": \"2 s per call\", \"baseline\": \"no annotator\", \"baseline_value\": %.0f, "
              "\"ratio_to_baseline\": %.3f, \"target_ratio\": 0.9}\n", with_slow, without, with_slow / without);

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"name\": \"train.peak_rss\", \"value\": %.0f, \"unit\": \"MB\"}\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  std::filesystem::remove_all(dir);
  return 0;
}
