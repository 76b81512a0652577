// Learner throughput: APPO samples/s and updates/s for the default text-game and NetHack
// networks (rollouts of T=32 steps from N=16 envs, 1 and 4 minibatches), acting speed (the
// runner's forward pass), each beside the reference path measured in the same run; and
// reward-model inference in captions/s beside the retrieval table (a hash lookup per caption).
// One JSON line per result. --threads sets LibTorch's threads (default 1: one core).
//
//   build/bin/learner_bench [--seconds 3] [--threads 1] [--default-allocator] [--only text|nethack|rewards]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/rng.hpp"
#include "learners/appo.hpp"
#include "learners/nets.hpp"
#include "learners/torch_util.hpp"
#include "learners/policy.hpp"
#include "learners/reward_models.hpp"
#include "learners/runtime.hpp"

using namespace lantern;
using namespace lantern::learners;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds = 3.0;
int threads = 1;
std::string only;  // one network, or all
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

// Observations like the games': a text game's rooms and the feedback of the last command
// repeat across steps and envs, and each room offers its own commands; NetHack's map varies and
// its message line is often empty.
void fill(core::obs_batch& b, core::pcg32& rng, bool text) {
  static const char* rooms[] = {"Kitchen", "Pantry", "Cellar", "Garden", "Study", "Hall", "Attic", "Shed"};
  static const char* feedback[] = {"", "You take the apple.", "The fridge is locked.", "You open the chest.",
                                   "That's not a verb I recognise.", "You are carrying: a key, an apple."};
  for (size_t e = 0; e < b.size(); ++e) {
    if (text) {
      const uint32_t room = rng.below(8);
      b.text[e] = std::string("-= ") + rooms[room] + " =- You see a closed fridge and a wooden table. An exit leads north. " +
                  feedback[rng.below(6)];
      b.candidates[e] = {"examine fridge", "go north", "inventory", "look"};
      for (uint32_t k = 0; k < 2 + room % 4; ++k)
        b.candidates[e].push_back(std::string("take ") + rooms[(room + k) % 8] + " key from table");
      continue;
    }
    uint8_t* c = b.array<uint8_t>(0, e);
    for (int i = 0; i < 24 * 80; ++i) c[i] = static_cast<uint8_t>(" .#|-@d$"[rng.below(8)]);
    std::fill(c, c + 80, static_cast<uint8_t>(' '));
    if (rng.chance(0.3)) std::memcpy(c, "You hit the jackal!", 19);
    b.array<int32_t>(2, e)[0] = static_cast<int32_t>(1 + rng.below(21));
    b.array<int32_t>(2, e)[1] = static_cast<int32_t>(rng.below(80));
  }
}

struct figures {
  double samples_per_s = 0, updates_per_s = 0, act_per_s = 0;
  size_t parameters = 0;
};

// Acting (forward passes for a batch of N envs) and full APPO updates on one T x N rollout.
figures measure_policy(const core::obs_layout& layout, bool text, bool reference, int minibatches) {
  policy_options po;
  po.reference = reference;
  auto made = policy::make(layout, po);
  auto& pol = *made.value();
  appo_options ao;
  ao.stepwise_replay = reference;
  ao.minibatches = minibatches;
  appo_learner learner(pol, ao);
  const size_t T = 32, N = 16;
  core::pcg32 rng(1);
  core::obs_batch now(layout, N), after(layout, N);
  std::vector<float> state(N * pol.state_size(), 0.0f), logp;
  std::vector<int32_t> actions;
  fill(now, rng, text);
  figures f;
  f.parameters = pol.parameter_count();
  uint64_t acted = 0;
  auto t0 = clock_type::now();
  while (since(t0) < seconds / 4) {
    pol.act(now, state, actions, logp, rng);
    acted += N;
  }
  f.act_per_s = static_cast<double>(acted) / since(t0);
  core::rollout r(layout, T, N);
  r.initial_state = state;
  for (size_t t = 0; t < T; ++t) {
    fill(now, rng, text);
    pol.act(now, state, actions, logp, rng);
    after.reward.assign(N, 0.1f);
    if (t + 1 == T) fill(after, rng, text);
    r.append(now, actions, logp, {}, after);
  }
  learner.update(r);  // warm-up
  uint64_t updates = 0;
  t0 = clock_type::now();
  while (since(t0) < seconds / 2) {
    learner.update(r);
    ++updates;
  }
  const double secs = since(t0);
  f.samples_per_s = static_cast<double>(updates * T * N) / secs;
  f.updates_per_s = static_cast<double>(updates) / secs;
  return f;
}

// Each figure of the default path beside the reference path in the same run: the NetHack
// crop by slicing the embedded screen, every text encoded, the whole network replayed step by
// step over every env (what the learner did before the fast paths; same outputs and gradients,
// see tests/learners/fast_paths_test.cpp).
void bench_policy(const char* name, const core::obs_layout& layout, bool text) {
  for (int minibatches : {1, 4}) {
    const auto fast = measure_policy(layout, text, false, minibatches);
    const auto ref = measure_policy(layout, text, true, minibatches);
    const std::string suffix = minibatches == 1 ? "" : ".minibatches_" + std::to_string(minibatches);
    std::printf("{\"name\": \"learner.appo.%s%s\", \"value\": %.0f, \"unit\": \"samples/s\", \"updates_per_s\": %.2f, "
                "\"rollout\": \"T=32 x N=16\", \"minibatches\": %d, \"parameters\": %zu, \"threads\": %d, "
                "\"baseline\": \"reference path (stepwise replay of every env, every text encoded%s)\", \"baseline_value\": %.0f, "
                "\"ratio_to_baseline\": %.2f}\n",
                name, suffix.c_str(), fast.samples_per_s, fast.updates_per_s, minibatches, fast.parameters, threads,
                text ? "" : ", crop sliced from the embedded screen", ref.samples_per_s, fast.samples_per_s / ref.samples_per_s);
    if (minibatches == 1)
      std::printf("{\"name\": \"learner.act.%s\", \"value\": %.0f, \"unit\": \"env steps/s\", \"batch\": 16, "
                  "\"threads\": %d, \"baseline\": \"reference path\", \"baseline_value\": %.0f, \"ratio_to_baseline\": %.2f}\n",
                  name, fast.act_per_s, threads, ref.act_per_s, fast.act_per_s / ref.act_per_s);
    std::fflush(stdout);
  }
}

// What batching acting across runners would give (one forward pass for the envs of several
// runners, as a policy worker does): acting steps/s with one pass over k x 8 envs against k
// passes over 8 envs (k runners of 8 envs each acting on their own), same run.
void bench_act_batching(const char* name, const core::obs_layout& layout, bool text) {
  auto made = policy::make(layout, {});
  auto& pol = *made.value();
  core::pcg32 rng(1);
  auto rate = [&](size_t envs, int passes) {
    core::obs_batch obs(layout, envs);
    fill(obs, rng, text);
    std::vector<float> state(envs * pol.state_size(), 0.0f), logp;
    std::vector<int32_t> actions;
    pol.act(obs, state, actions, logp, rng);
    uint64_t acted = 0;
    auto t0 = clock_type::now();
    while (since(t0) < seconds / 8) {
      for (int p = 0; p < passes; ++p) pol.act(obs, state, actions, logp, rng);
      acted += envs * static_cast<uint64_t>(passes);
    }
    return static_cast<double>(acted) / since(t0);
  };
  for (int k : {2, 4}) {
    const double joined = rate(8 * static_cast<size_t>(k), 1), apart = rate(8, k);
    std::printf("{\"name\": \"learner.act_batching.%s.%d_runners\", \"value\": %.0f, \"unit\": \"env steps/s\", "
                "\"batch\": %d, \"threads\": %d, \"baseline\": \"%d passes of 8 envs\", \"baseline_value\": %.0f, "
                "\"ratio_to_baseline\": %.2f}\n",
                name, k, joined, 8 * k, threads, k, apart, joined / apart);
  }
  std::fflush(stdout);
}

// A weights broadcast (the learner writes the weights, a runner loads them: after every update)
// in Lantern's flat format against LibTorch's archive, same network, same run.
void bench_weights(const char* name, const core::obs_layout& layout) {
  auto from = policy::make(layout, {});
  policy_options other;
  other.seed = 2;
  auto to = policy::make(layout, other);
  auto& src = *from.value()->internals().model;
  auto& dst = *to.value()->internals().model;
  auto rate = [&](bool flat) {
    uint64_t n = 0;
    size_t bytes = 0;
    auto t0 = clock_type::now();
    while (since(t0) < seconds / 8) {
      const std::string w = flat ? learners::detail::module_bytes(src) : learners::detail::archive_bytes(src);
      learners::detail::load_module_bytes(dst, w);
      bytes = w.size();
      ++n;
    }
    return std::make_pair(static_cast<double>(n) / since(t0), bytes);
  };
  const auto [flat, flat_bytes] = rate(true);
  const auto [archive, archive_bytes] = rate(false);
  std::printf("{\"name\": \"learner.weights_round_trip.%s\", \"value\": %.0f, \"unit\": \"per s\", \"bytes\": %zu, "
              "\"baseline\": \"LibTorch archive\", \"baseline_value\": %.0f, \"baseline_bytes\": %zu, "
              "\"ratio_to_baseline\": %.2f}\n",
              name, flat, flat_bytes, archive, archive_bytes, flat / archive);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool default_allocator = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = std::stod(argv[++i]);
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = std::max(1, std::stoi(argv[++i]));
    else if (std::strcmp(argv[i], "--default-allocator") == 0) default_allocator = true;
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else {
      std::fprintf(stderr, "usage: learner_bench [--seconds S] [--threads N] [--default-allocator] [--only text|nethack|rewards]\n");
      return 2;
    }
  }
  if (default_allocator) {
    torch::set_num_threads(threads);  // glibc's default mmap threshold: compare with a run without the flag
  } else {
    configure_runtime(threads);
  }
  // In a thread of its own, as the learner and the runners run in training (glibc gives other
  // threads their own arenas, which treat large blocks differently from the main thread's).
  std::thread worker([&] {
    configure_thread(threads);
    if (only.empty() || only == "text") bench_policy("text", text_layout(), true);
    if (only.empty() || only == "nethack") bench_policy("nethack", nethack_layout(), false);
    if (only.empty() || only == "text") bench_act_batching("text", text_layout(), true);
    if (only.empty() || only == "nethack") bench_act_batching("nethack", nethack_layout(), false);
    if (only.empty() || only == "text") bench_weights("text", text_layout());
    if (only.empty() || only == "nethack") bench_weights("nethack", nethack_layout());
  });
  worker.join();
  if (!only.empty() && only != "rewards") return 0;

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
