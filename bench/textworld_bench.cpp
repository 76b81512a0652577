// Throughput of the native TextWorld-style engine on one core: random-agent steps per second
// for a small world (5 rooms, 10 things) and a large one (100 rooms, 500 things), and the time
// to generate a world. Each result is one JSON line; throughput lines carry the ratio to the
// target (100,000 steps/s for the small world) and to a baseline measured side by side: the
// same agent typing its commands as free text, so that every step goes through the parser.
//
//   build/bin/textworld_bench [--seconds 1.0]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "envs/textworld/textworld_env.hpp"

using namespace lantern;
using namespace lantern::envs;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_per_case = 1.0;

struct world {
  const char* name;
  int rooms, objects, quest_length;
};

std::unique_ptr<textworld::textworld_env> make(const world& w, int pool) {
  textworld::options o;
  o.rooms = w.rooms;
  o.objects = w.objects;
  o.quest_length = w.quest_length;
  return std::make_unique<textworld::textworld_env>(o, textworld::reward_mode::dense, 100, pool, 1);
}

// Random agent over a pool of 16 games; as_text: type the command instead of picking its index.
double steps_per_second(const world& w, bool as_text) {
  auto env = make(w, 16);
  core::obs_batch batch(env->spec().layout, 1);
  slot out(batch, 0);
  core::pcg32 rng(1);
  uint64_t episode = 0, steps = 0;
  env->reset(episode++, out);
  std::string cmd;
  auto start = clock_type::now();
  double elapsed = 0;
  while (elapsed < seconds_per_case) {
    for (int i = 0; i < 1000; ++i) {
      auto n = static_cast<uint32_t>(batch.candidates[0].size());
      auto pick = static_cast<int32_t>(rng.below(n));
      if (as_text) {
        cmd = batch.candidates[0][static_cast<size_t>(pick)];
        env->step(action::say(cmd), out);
      } else {
        env->step(action::pick(pick), out);
      }
      ++steps;
      if (batch.terminated[0] || batch.truncated[0]) env->reset(episode++, out);
    }
    elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  }
  return static_cast<double>(steps) / elapsed;
}

double generation_microseconds(const world& w) {
  textworld::options o;
  o.rooms = w.rooms;
  o.objects = w.objects;
  o.quest_length = w.quest_length;
  uint64_t n = 0;
  auto start = clock_type::now();
  double elapsed = 0;
  while (elapsed < seconds_per_case) {
    auto g = textworld::generate(o, n++);
    if (!g) std::fprintf(stderr, "generation failed: %s\n", g.error().message.c_str());
    elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  }
  return elapsed * 1e6 / static_cast<double>(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--seconds") == 0) seconds_per_case = std::stod(argv[i + 1]);
  const world worlds[] = {{"small", 5, 10, 3}, {"large", 100, 500, 10}};
  const double target_small = 100000;  // steps/s, one core (the foundation issue's target)
  for (const auto& w : worlds) {
    std::vector<double> idx, txt, gen;
    for (int rep = 0; rep < 3; ++rep) {
      idx.push_back(steps_per_second(w, false));
      txt.push_back(steps_per_second(w, true));
      gen.push_back(generation_microseconds(w));
    }
    double by_index = median(idx), by_text = median(txt);
    std::printf("{\"name\": \"textworld.random_agent.%s\", \"value\": %.0f, \"unit\": \"steps/s\", "
                "\"rooms\": %d, \"objects\": %d, \"baseline\": \"free-text commands\", \"baseline_value\": %.0f, "
                "\"ratio_to_baseline\": %.2f",
                w.name, by_index, w.rooms, w.objects, by_text, by_index / by_text);
    if (std::string(w.name) == "small") std::printf(", \"target\": %.0f, \"ratio_to_target\": %.2f", target_small, by_index / target_small);
    std::printf("}\n");
    std::printf("{\"name\": \"textworld.random_agent_text.%s\", \"value\": %.0f, \"unit\": \"steps/s\"}\n", w.name, by_text);
    std::printf("{\"name\": \"textworld.generate.%s\", \"value\": %.1f, \"unit\": \"us/world\"}\n", w.name, median(gen));
    std::fflush(stdout);
  }
  return 0;
}
