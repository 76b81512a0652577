// Learner throughput on one core: APPO samples/s and updates/s for the default text-game and
// NetHack networks (rollouts of T=32 steps from N=16 envs), acting speed (the runner's forward
// pass), and reward-model inference in captions/s. The baseline side by side is the retrieval
// table (a hash lookup per caption). One JSON line per result.
//
//   build/bin/learner_bench [--seconds 3]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "learners/appo.hpp"
#include "learners/policy.hpp"
#include "learners/reward_models.hpp"
#include "learners/runtime.hpp"

using namespace lantern;
using namespace lantern::learners;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds = 3.0;
double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

core::obs_layout text_layout() { return core::obs_layout{{}, true, true, core::action_kind::text, 0}; }
core::obs_layout nethack_layout() {
  core::obs_layout l;
  l.arrays = {{"tty_chars", core::dtype::u8, {24, 80}}, {"tty_colors", core::dtype::u8, {24, 80}},
              {"tty_cursor", core::dtype::i32, {2}}, {"stats", core::dtype::f32, {25}}};
  l.actions = core::action_kind::discrete;
  l.num_actions = 28;
  return l;
}

void fill(core::obs_batch& b, core::pcg32& rng, bool text) {
  for (size_t e = 0; e < b.size(); ++e) {
    if (text) {
      b.text[e] = "-= Kitchen =- You see a closed fridge and a wooden table. An exit leads north.";
      b.candidates[e] = {"examine fridge", "go north", "inventory", "look", "open fridge", "take apple from table"};
      continue;
    }
    uint8_t* c = b.array<uint8_t>(0, e);
    for (int i = 0; i < 24 * 80; ++i) c[i] = static_cast<uint8_t>(" .#|-@d$"[rng.below(8)]);
    b.array<int32_t>(2, e)[0] = 10;
    b.array<int32_t>(2, e)[1] = 40;
  }
}

void bench_policy(const char* name, const core::obs_layout& layout, bool text) {
  auto made = policy::make(layout, {});
  auto& pol = *made.value();
  appo_learner learner(pol, {});
  const size_t T = 32, N = 16;
  core::pcg32 rng(1);
  core::obs_batch now(layout, N), after(layout, N);
  std::vector<float> state(N * pol.state_size(), 0.0f), logp;
  std::vector<int32_t> actions;
  // Acting: forward passes for a batch of N envs.
  fill(now, rng, text);
  uint64_t acted = 0;
  auto t0 = clock_type::now();
  while (since(t0) < seconds / 2) {
    pol.act(now, state, actions, logp, rng);
    acted += N;
  }
  const double act_per_s = static_cast<double>(acted) / since(t0);
  // Learning: full APPO updates on T x N rollouts.
  core::rollout r(layout, T, N);
  r.initial_state = state;
  for (size_t t = 0; t < T; ++t) {
    fill(now, rng, text);
    pol.act(now, state, actions, logp, rng);
    after.reward.assign(N, 0.1f);
    if (t + 1 == T) fill(after, rng, text);
    r.append(now, actions, logp, {}, after);
  }
  uint64_t updates = 0;
  t0 = clock_type::now();
  while (since(t0) < seconds) {
    learner.update(r);
    ++updates;
  }
  const double secs = since(t0);
  std::printf("{\"name\": \"learner.appo.%s\", \"value\": %.0f, \"unit\": \"samples/s\", \"updates_per_s\": %.2f, "
              "\"rollout\": \"T=%zu x N=%zu\", \"parameters\": %zu, \"threads\": 1}\n",
              name, static_cast<double>(updates * T * N) / secs, static_cast<double>(updates) / secs, T, N,
              pol.parameter_count());
  std::printf("{\"name\": \"learner.act.%s\", \"value\": %.0f, \"unit\": \"env steps/s\", \"batch\": %zu}\n", name,
              act_per_s, N);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stod(argv[i + 1]);
  if (argc > 1 && std::strcmp(argv[argc - 1], "--default-allocator") == 0) {
    torch::set_num_threads(1);  // the baseline: glibc's default mmap threshold
  } else {
    configure_runtime(1);  // one core, as a learner thread gets
  }
  bench_policy("text", text_layout(), true);
  bench_policy("nethack", nethack_layout(), false);

  std::vector<std::string> captions;
  for (int i = 0; i < 1024; ++i) captions.push_back("You kill the monster number " + std::to_string(i) + "!");
  std::vector<labelled_caption> labels;
  for (int i = 0; i < 64; ++i) labels.push_back({captions[static_cast<size_t>(i)], i % 2});
  retrieval_model table;
  table.add_labels(labels);
  auto measure = [&](reward_model& m) {
    std::vector<float> out;
    uint64_t n = 0;
    auto t0 = clock_type::now();
    while (since(t0) < seconds / 3) {
      m.rewards(captions, out);
      n += captions.size();
    }
    return static_cast<double>(n) / since(t0);
  };
  const double base = measure(table);
  for (auto* kind : {"classification", "ranking"}) {
    auto m = std::string(kind) == "classification" ? make_classification_model({}) : make_ranking_model({});
    m->add_labels(labels);
    for (int i = 0; i < 32; ++i) m->add_pairs({{captions[static_cast<size_t>(i)], captions[static_cast<size_t>(i + 1)], i % 3}});
    m->train(1);
    const double per_s = measure(*m);
    std::printf("{\"name\": \"reward_model.inference.%s\", \"value\": %.0f, \"unit\": \"captions/s\", \"batch\": 1024, "
                "\"baseline\": \"retrieval table\", \"baseline_value\": %.0f, \"ratio_to_baseline\": %.3f}\n",
                kind, per_s, base, per_s / base);
  }
  bow_model bow("kill monsters and gather gold");
  const double bow_per_s = measure(bow);
  std::printf("{\"name\": \"reward_model.inference.bow\", \"value\": %.0f, \"unit\": \"captions/s\", \"baseline_value\": "
              "%.0f, \"ratio_to_baseline\": %.3f}\n", bow_per_s, base, bow_per_s / base);
  return 0;
}
