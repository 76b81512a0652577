// Throughput of the NetHack env: random-agent steps per second with the full observation
// decoded (24x80 characters and colours, cursor, parsed status), reset time, and resident
// memory per instance (the game process plus this process's share), for 1 and 2 instances
// stepping in parallel threads. One JSON line per result, with the ratio to the target
// (10,000 steps/s per instance, reset under 5 ms, under 10 MB per instance) and, for two
// instances, to the single instance measured in the same run.
//
//   build/bin/nethack_bench [--seconds 3]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/rng.hpp"
#include "envs/nethack/nethack_env.hpp"

using namespace lantern;
using namespace lantern::envs;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_per_case = 3.0;

long self_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

struct result {
  double steps_per_second = 0;
  double steps_per_second_with_resets = 0;
  double reset_ms_mean = 0;
  uint64_t resets = 0;
  long game_rss_kib = 0;
};

result run_instance(uint64_t seed, bool prespawn = false) {
  nethack::nethack_options opt;
  opt.prespawn = prespawn;
  auto made = nethack::nethack_env::make(opt);
  if (!made) {
    std::fprintf(stderr, "nethack_bench: %s\n", made.error().message.c_str());
    std::exit(1);
  }
  auto& env = *made.value();
  core::obs_batch batch(env.spec().layout, 1);
  slot out(batch, 0);
  core::pcg32 rng(seed);
  const auto n = static_cast<uint32_t>(env.spec().layout.num_actions);
  result r;
  double reset_seconds = 0;
  auto timed_reset = [&](uint64_t s) {
    auto t0 = clock_type::now();
    env.reset(s, out);
    reset_seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
    ++r.resets;
    env.prefetch_reset(s + 1);  // what vector_env does: the next episode's seed
  };
  timed_reset(seed);
  uint64_t steps = 0;
  double step_seconds = 0;
  auto start = clock_type::now();
  while (std::chrono::duration<double>(clock_type::now() - start).count() < seconds_per_case) {
    auto t0 = clock_type::now();
    for (int i = 0; i < 100; ++i) {
      env.step(action::pick(static_cast<int32_t>(rng.below(n))), out);
      ++steps;
      if (batch.terminated[0] || batch.truncated[0]) {
        step_seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
        if (r.game_rss_kib == 0) r.game_rss_kib = env.screen().child_rss_kib();
        timed_reset(seed + r.resets);  // = the prefetched seed
        t0 = clock_type::now();
      }
    }
    step_seconds += std::chrono::duration<double>(clock_type::now() - t0).count();
  }
  if (r.game_rss_kib == 0) r.game_rss_kib = env.screen().child_rss_kib();
  r.steps_per_second = static_cast<double>(steps) / step_seconds;
  r.steps_per_second_with_resets = static_cast<double>(steps) / (step_seconds + reset_seconds);
  r.reset_ms_mean = 1000.0 * reset_seconds / static_cast<double>(r.resets);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--seconds") == 0) seconds_per_case = std::stod(argv[i + 1]);
  const long rss_before = self_rss_kib();
  result one = run_instance(1);
  const long rss_harness = self_rss_kib() - rss_before;
  std::printf("{\"name\": \"nethack.steps.1_instance\", \"value\": %.0f, \"unit\": \"steps/s\", \"target\": 10000, "
              "\"ratio_to_target\": %.2f, \"with_resets\": %.0f}\n", one.steps_per_second, one.steps_per_second / 10000,
              one.steps_per_second_with_resets);
  std::printf("{\"name\": \"nethack.reset.1_instance\", \"value\": %.2f, \"unit\": \"ms\", \"resets\": %llu, "
              "\"target\": 5, \"ratio_to_target\": %.2f}\n", one.reset_ms_mean,
              static_cast<unsigned long long>(one.resets), one.reset_ms_mean / 5);
  const double per_instance_mb = static_cast<double>(one.game_rss_kib + std::max(0L, rss_harness)) / 1024.0;
  std::printf("{\"name\": \"nethack.memory.per_instance\", \"value\": %.1f, \"unit\": \"MB\", \"game_rss_mb\": %.1f, "
              "\"env_in_process_mb\": %.1f, \"target\": 10, \"ratio_to_target\": %.2f}\n",
              per_instance_mb, static_cast<double>(one.game_rss_kib) / 1024.0,
              static_cast<double>(std::max(0L, rss_harness)) / 1024.0, per_instance_mb / 10);
  std::fflush(stdout);

  result pre = run_instance(1, true);
  std::printf("{\"name\": \"nethack.reset.1_instance_prespawn\", \"value\": %.2f, \"unit\": \"ms\", \"baseline\": "
              "\"reset without prespawn, same run\", \"baseline_value\": %.2f, \"ratio_to_baseline\": %.2f, \"target\": 5, "
              "\"ratio_to_target\": %.2f, \"steps_per_s_with_resets\": %.0f, \"baseline_steps_per_s_with_resets\": %.0f}\n",
              pre.reset_ms_mean, one.reset_ms_mean, pre.reset_ms_mean / one.reset_ms_mean, pre.reset_ms_mean / 5,
              pre.steps_per_second_with_resets, one.steps_per_second_with_resets);
  std::fflush(stdout);

  std::vector<result> two(2);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 2; ++i) threads.emplace_back([&, i] { two[i] = run_instance(100 + i); });
  for (auto& t : threads) t.join();
  const double total = two[0].steps_per_second + two[1].steps_per_second;
  std::printf("{\"name\": \"nethack.steps.2_instances\", \"value\": %.0f, \"unit\": \"steps/s\", \"per_instance\": "
              "[%.0f, %.0f], \"baseline\": \"1 instance, same run\", \"ratio_to_baseline\": %.2f}\n",
              total, two[0].steps_per_second, two[1].steps_per_second, total / one.steps_per_second);
  std::printf("{\"name\": \"nethack.reset.2_instances\", \"value\": %.2f, \"unit\": \"ms\", \"target\": 5, "
              "\"ratio_to_target\": %.2f}\n", (two[0].reset_ms_mean + two[1].reset_ms_mean) / 2,
              (two[0].reset_ms_mean + two[1].reset_ms_mean) / 2 / 5);
  return 0;
}
