#include "learners/policy.hpp"

#include <gtest/gtest.h>

#include "learners/runtime.hpp"
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <sstream>

#include "learners/appo.hpp"
#include "learners/checkpoint.hpp"

#include "learners/layouts.hpp"

namespace lantern::learners {
namespace {

using testing::nethack_layout;
using testing::text_layout;

// A text bandit: two commands, in a random order each step; "take the gold" pays 1.
void fill_bandit(core::obs_batch& b, core::pcg32& rng) {
  for (size_t e = 0; e < b.size(); ++e) {
    b.text[e] = "A room with a chest.";
    b.candidates[e] = rng.chance(0.5) ? std::vector<std::string>{"take the gold", "kick the wall"}
                                      : std::vector<std::string>{"kick the wall", "take the gold"};
  }
}

TEST(Policy, TextPolicyPicksOneOfEachEnvsCandidates) {
  auto p = policy::make(text_layout(), {});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value()->kind(), "text");
  core::obs_batch b(text_layout(), 3);
  b.text = {"a", "b", "c"};
  b.candidates = {{"one"}, {"one", "two", "three"}, {"x", "y"}};
  std::vector<float> state;
  std::vector<int32_t> actions;
  std::vector<float> logp;
  core::pcg32 rng(1);
  for (int i = 0; i < 50; ++i) {
    p.value()->act(b, state, actions, logp, rng);
    EXPECT_EQ(actions[0], 0);
    EXPECT_LT(actions[1], 3);
    EXPECT_LT(actions[2], 2);
    EXPECT_NEAR(logp[0], 0.0f, 1e-5) << "a single candidate is certain";
    EXPECT_LE(logp[1], 0.0f);
  }
  EXPECT_EQ(state.size(), 3 * p.value()->state_size());
}

TEST(Policy, NetHackPolicyActsOnTheScreen) {
  auto p = policy::make(nethack_layout(), {});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value()->kind(), "nethack");
  core::obs_batch b(nethack_layout(), 2);
  for (size_t e = 0; e < 2; ++e) {
    std::fill(b.array<uint8_t>(0, e), b.array<uint8_t>(0, e) + 24 * 80, static_cast<uint8_t>('.'));
    b.array<int32_t>(2, e)[0] = 10;
    b.array<int32_t>(2, e)[1] = static_cast<int32_t>(e == 0 ? 0 : 79);  // the crop pads at the edges
    b.array<float>(3, e)[12] = 16;
  }
  std::vector<float> state;
  std::vector<int32_t> actions;
  std::vector<float> logp;
  core::pcg32 rng(2);
  p.value()->act(b, state, actions, logp, rng);
  EXPECT_LT(actions[0], 28);
  EXPECT_TRUE(std::isfinite(logp[1]));
}

TEST(Policy, AnyLayoutGetsTheGenericNetworkAndANamedNetworkThatCannotReadItIsRefused) {
  core::obs_layout l;
  l.arrays = {{"position", core::dtype::f32, {2}}, {"grid", core::dtype::u8, {7, 9}}, {"ids", core::dtype::i32, {3, 3}}};
  l.num_actions = 5;
  auto p = policy::make(l, {});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value()->kind(), "generic");
  core::obs_batch b(l, 3);
  b.array<int32_t>(2, 1)[4] = 1 << 20;  // an id far outside [0, 255]: clamped, not read out of bounds
  std::vector<float> state, logp, values;
  std::vector<int32_t> actions;
  core::pcg32 rng(2);
  p.value()->act(b, state, actions, logp, rng, false, &values);
  for (int32_t a : actions) EXPECT_LT(a, 5);
  EXPECT_EQ(values.size(), 3u);
  policy_options text;
  text.net = "text";
  auto refused = policy::make(l, text);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("policy.net = 'text' cannot read this layout"), std::string::npos)
      << refused.error().message;
  core::obs_layout huge;
  huge.arrays = {{"pixels", core::dtype::f32, {512, 512, 3}}};
  huge.num_actions = 2;
  auto big = policy::make(huge, {});
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("more than the generic network's MLP reads"), std::string::npos);
}

TEST(Policy, TheGenericNetworkReadsArraysTextAndScoresCandidateCommands) {
  core::obs_layout l;
  l.arrays = {{"gold", core::dtype::f32, {1}}};
  l.has_text = true;
  l.has_caption = true;
  l.actions = core::action_kind::text;
  auto p = policy::make(l, {});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value()->kind(), "generic") << "text with arrays: the text network would ignore the arrays";
  core::obs_batch b(l, 2);
  b.text = {"a vault", "a hall"};
  b.candidates = {{"open the vault", "go north", "look"}, {"look"}};
  std::vector<float> state, logp;
  std::vector<int32_t> actions;
  core::pcg32 rng(3);
  for (int i = 0; i < 20; ++i) {
    p.value()->act(b, state, actions, logp, rng);
    EXPECT_LT(actions[0], 3);
    EXPECT_EQ(actions[1], 0);
  }
}

TEST(Appo, TheGenericNetworkLearnsWhichActionAnArraySaysPays) {
  // A contextual bandit: an f32 one-hot of 4 says which of 4 actions pays 1.
  configure_runtime(1);
  core::obs_layout l;
  l.arrays = {{"hint", core::dtype::f32, {4}}};
  l.num_actions = 4;
  auto made = policy::make(l, {});
  ASSERT_TRUE(made) << made.error().message;
  auto& pol = *made.value();
  appo_options o;
  o.lr = 3e-3;
  o.entropy_coef = 0.01;
  appo_learner learner(pol, o);
  const size_t T = 8, N = 16;
  core::pcg32 rng(5);
  core::obs_batch now(l, N), after(l, N);
  auto fill = [&](core::obs_batch& b) {
    for (size_t e = 0; e < N; ++e) {
      float* h = b.array<float>(0, e);
      std::fill(h, h + 4, 0.0f);
      h[rng.below(4)] = 1.0f;
    }
  };
  auto paid = [&](const core::obs_batch& b, size_t e, int32_t a) { return b.array<float>(0, e)[a] > 0.5f; };
  std::vector<float> state, logp, values;
  std::vector<int32_t> actions;
  for (int update = 0; update < 150; ++update) {
    core::rollout r(l, T, N);
    r.initial_state.assign(N * pol.state_size(), 0.0f);
    fill(now);
    for (size_t t = 0; t < T; ++t) {
      std::fill(state.begin(), state.end(), 0.0f);
      pol.act(now, state, actions, logp, rng, false, &values);
      for (size_t e = 0; e < N; ++e) {
        after.reward[e] = paid(now, e, actions[e]) ? 1.0f : 0.0f;
        after.terminated[e] = 1;
      }
      fill(after);  // the next one-step episode
      r.append(now, actions, logp, values, after);
      now = after;
    }
    ASSERT_TRUE(learner.update(r));
  }
  int good = 0;
  for (int i = 0; i < 20; ++i) {
    fill(now);
    state.clear();
    pol.act(now, state, actions, logp, rng, true);
    for (size_t e = 0; e < N; ++e) good += paid(now, e, actions[e]);
  }
  EXPECT_GT(good / (20.0 * N), 0.9) << "a random policy is right a quarter of the time";
}

TEST(Policy, ArraysNamedLikeNetHacksWithOtherShapesAreRefusedNotReadOutOfBounds) {
  auto l = nethack_layout();
  l.arrays[0].shape = {4, 4};  // tty_chars, but 4x4: the NetHack net would read 24x80 bytes
  auto generic = policy::make(l, {});
  ASSERT_TRUE(generic) << generic.error().message;
  EXPECT_EQ(generic.value()->kind(), "generic") << "auto picks the network that can read it";
  policy_options nethack;
  nethack.net = "nethack";
  auto p = policy::make(l, nethack);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("tty_chars u8[4x4], the NetHack network reads tty_chars u8[24x80]"), std::string::npos)
      << p.error().message;
}

TEST(Appo, LearnsTheRewardingCommandOfATextBandit) {
  configure_runtime(1);
  auto made = policy::make(text_layout(), {});
  auto& pol = *made.value();
  appo_options o;
  o.entropy_coef = 0.01;
  o.lr = 3e-3;
  appo_learner learner(pol, o);
  const size_t T = 8, N = 16;
  core::pcg32 rng(3);
  core::obs_batch now(text_layout(), N), after(text_layout(), N);
  std::vector<float> state, values;
  std::vector<int32_t> actions;
  std::vector<float> logp;
  auto good_rate = [&] {
    int good = 0;
    for (int i = 0; i < 20; ++i) {
      fill_bandit(now, rng);
      pol.act(now, state, actions, logp, rng);
      for (size_t e = 0; e < N; ++e) good += now.candidates[e][static_cast<size_t>(actions[e])] == "take the gold";
    }
    return good / (20.0 * N);
  };
  const double before = good_rate();
  for (int update = 0; update < 60; ++update) {
    core::rollout r(text_layout(), T, N);
    r.initial_state = state;
    if (r.initial_state.empty()) r.initial_state.assign(N * pol.state_size(), 0.0f);
    fill_bandit(now, rng);
    for (size_t t = 0; t < T; ++t) {
      pol.act(now, state, actions, logp, rng, false, &values);
      for (size_t e = 0; e < N; ++e) {
        after.reward[e] = now.candidates[e][static_cast<size_t>(actions[e])] == "take the gold" ? 1.0f : 0.0f;
        after.terminated[e] = 1;  // one-step episodes
        after.caption[e] = "";
      }
      if (t + 1 == T) fill_bandit(after, rng);  // the bootstrap observation
      r.append(now, actions, logp, values, after);
      std::fill(state.begin(), state.end(), 0.0f);
      fill_bandit(now, rng);
    }
    auto st = learner.update(r);
    ASSERT_TRUE(st) << st.error().message;
    ASSERT_TRUE(std::isfinite(st.value().policy_loss));
  }
  const double trained = good_rate();
  EXPECT_GT(trained, 0.9) << "before training: " << before;
  EXPECT_EQ(learner.version(), 60u);
}

// A corridor of n cells with one command; each step produces `reward(position)`, and an
// episode ends after n steps (terminated, or truncated by a step limit). A rollout holds
// `episodes` whole episodes, so the last episode ends on the step that ends the rollout.
// Cells are named ("cellar", "hall", ...) or, with `same_cells`, all alike.
struct corridor {
  size_t n = 4, envs = 8, episodes = 1;
  bool truncate = false, same_cells = false;
  std::function<float(size_t)> reward;

  std::string cell(size_t k) const {
    static const char* names[] = {"cellar", "hall", "stairs", "tower", "roof"};
    return same_cells ? "a long corridor" : names[k % 5];
  }
  void fill(core::obs_batch& b, size_t k) const {
    for (size_t e = 0; e < b.size(); ++e) {
      b.text[e] = cell(k);
      b.candidates[e] = {"walk on"};
    }
  }
  core::rollout play(policy& pol) const {
    core::obs_batch now(text_layout(), envs), after(text_layout(), envs), finals(text_layout(), envs);
    const size_t T = n * episodes;
    core::rollout r(text_layout(), T, envs);
    std::vector<float> state(envs * pol.state_size(), 0.0f), logp, values;
    r.initial_state = state;
    std::vector<int32_t> actions;
    core::pcg32 rng(11);
    for (size_t t = 0; t < T; ++t) {
      const size_t k = t % n;
      const bool last = k + 1 == n;
      fill(now, k);
      pol.act(now, state, actions, logp, rng, false, &values);
      fill(after, last ? 0 : k + 1);  // at an episode's end the slot holds the next one's start
      fill(finals, k + 1);            // what a truncated episode saw last
      for (size_t e = 0; e < envs; ++e) {
        after.reward[e] = reward(k);
        after.terminated[e] = last && !truncate;
        after.truncated[e] = last && truncate;
        if (last) pol.reset_state(state, e);
      }
      r.append(now, actions, logp, values, after, &finals);
    }
    return r;
  }
  // The values the policy gives along one episode, from its start.
  std::vector<float> values(policy& pol) const {
    core::obs_batch now(text_layout(), 1);
    std::vector<float> state, logp, v, out;
    std::vector<int32_t> actions;
    core::pcg32 rng(12);
    for (size_t k = 0; k < n; ++k) {
      fill(now, k);
      pol.act(now, state, actions, logp, rng, false, &v);
      out.push_back(v[0]);
    }
    return out;
  }
};

TEST(Appo, LearnsARewardThatComesOnlyOnTheLastStepOfARollout) {
  // The win comes on the step that ends the rollout. When the last transition served only as
  // the bootstrap, this reward was never learned: the values drifted together, unanchored.
  configure_runtime(1);
  auto made = policy::make(text_layout(), {});
  auto& pol = *made.value();
  appo_options o;
  o.lr = 3e-3;
  o.gamma = 0.5;
  appo_learner learner(pol, o);
  corridor c;
  c.reward = [&](size_t k) { return k + 1 == c.n ? 1.0f : 0.0f; };
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(learner.update(c.play(pol)));
  auto v = c.values(pol);
  EXPECT_NEAR(v[3], 1.0f, 0.15f) << "the winning step's value";
  EXPECT_NEAR(v[2], 0.5f, 0.15f);
  EXPECT_NEAR(v[0], 0.125f, 0.1f) << "and the start's, discounted";
}

TEST(Appo, ATruncatedEpisodeBootstrapsFromTheValueOfItsFinalObservation) {
  // Reward 1 on every step of a corridor that never ends but is cut after 4 steps, twice per
  // rollout: the true value of every cell is 1 / (1 - gamma) = 10. Read as a termination, the
  // cut teaches the returns of a 4-step game instead (3.4 at the start, 1 before the cut).
  configure_runtime(1);
  auto made = policy::make(text_layout(), {});
  auto& pol = *made.value();
  appo_options o;
  o.lr = 3e-3;
  o.gamma = 0.9;
  o.value_clip = 100;
  appo_learner learner(pol, o);
  corridor c;
  c.truncate = true;
  c.same_cells = true;
  c.episodes = 2;
  c.reward = [](size_t) { return 1.0f; };
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(learner.update(c.play(pol)));
  auto v = c.values(pol);
  EXPECT_GT(v[3], 7.0f) << "the last step before the cut";
  EXPECT_GT(v[0], 7.0f) << "the start";
  // appo.truncation = terminal reads the cut as an end: the returns of a 4-step game.
  auto made2 = policy::make(text_layout(), {});
  o.truncation = truncation_bootstrap::terminal;
  appo_learner as_end(*made2.value(), o);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(as_end.update(c.play(*made2.value())));
  auto w = c.values(*made2.value());
  EXPECT_LT(w[0], 4.5f) << "1 + .9 + .81 + .729 = 3.4 at the start";
  EXPECT_LT(w[3], 2.0f) << "1 before the cut";
}

TEST(Appo, TheValueLossIsClippedAroundTheBehaviourPolicysValues) {
  // Two learners, one clipping at 0.2 and one not at all, on one rollout whose behaviour values
  // are 5 above the current values. Clipping against the current values (the old behaviour)
  // never bites, so both losses were equal.
  configure_runtime(1);
  auto a = policy::make(text_layout(), {}), b = policy::make(text_layout(), {});
  appo_options clipped, unclipped;
  clipped.value_clip = 0.2;
  unclipped.value_clip = 1e9;
  appo_learner la(*a.value(), clipped), lb(*b.value(), unclipped);
  corridor c;
  c.reward = [](size_t) { return 0.0f; };
  auto r = c.play(*a.value());
  for (auto& v : r.behaviour_value) v += 5.0f;
  auto sa = la.update(r), sb = lb.update(r);
  ASSERT_TRUE(sa && sb);
  EXPECT_GT(sa.value().value_loss, sb.value().value_loss + 1.0f)
      << "clipped " << sa.value().value_loss << ", unclipped " << sb.value().value_loss;
  EXPECT_FALSE(a.value()->weights() == b.value()->weights());
}

TEST(Appo, ARolloutWhoseFinalObservationsDoNotMatchItsTruncationsIsRefused) {
  auto made = policy::make(text_layout(), {});
  appo_learner learner(*made.value(), {});
  corridor c;
  c.truncate = true;
  c.reward = [](size_t) { return 0.0f; };
  auto r = c.play(*made.value());
  r.final_text.pop_back();
  EXPECT_FALSE(learner.update(r));
  r = c.play(*made.value());
  r.final_index.clear();
  auto st = learner.update(r);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("final observations"), std::string::npos) << st.error().message;
}

TEST(Appo, UpdatesANetHackPolicyOnARollout) {
  torch::set_num_threads(1);
  auto made = policy::make(nethack_layout(), {});
  auto& pol = *made.value();
  appo_learner learner(pol, {});
  core::obs_batch b(nethack_layout(), 4), after(nethack_layout(), 4);
  for (size_t e = 0; e < 4; ++e) std::fill(b.array<uint8_t>(0, e), b.array<uint8_t>(0, e) + 24 * 80, static_cast<uint8_t>(' '));
  core::rollout r(nethack_layout(), 4, 4);
  std::vector<float> state(4 * pol.state_size(), 0.0f);
  r.initial_state = state;
  std::vector<int32_t> actions;
  std::vector<float> logp;
  core::pcg32 rng(4);
  for (int t = 0; t < 4; ++t) {
    pol.act(b, state, actions, logp, rng);
    after.reward.assign(4, 1.0f);
    after.terminated.assign(4, t == 2);
    r.append(b, actions, logp, {}, after);
  }
  const std::string before = pol.weights();
  auto st = learner.update(r);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(pol.weights() != before);
  EXPECT_GT(st.value().entropy, 0.0f);
}

TEST(Appo, ACheckpointRestoresPolicyAndOptimiserExactly) {
  torch::set_num_threads(1);
  auto a = policy::make(text_layout(), {});
  appo_learner la(*a.value(), {});
  core::obs_batch b(text_layout(), 2), after(text_layout(), 2);
  core::pcg32 rng(5);
  auto rollout = [&](policy& p) {
    core::rollout r(text_layout(), 3, 2);
    std::vector<float> state(2 * p.state_size(), 0.0f);
    r.initial_state = state;
    core::pcg32 local(9);
    std::vector<int32_t> actions;
    std::vector<float> logp;
    for (int t = 0; t < 3; ++t) {
      fill_bandit(b, local);
      p.act(b, state, actions, logp, local);
      after.reward.assign(2, 0.5f);
      fill_bandit(after, local);
      r.append(b, actions, logp, {}, after);
    }
    return r;
  };
  ASSERT_TRUE(la.update(rollout(*a.value())));
  checkpoint c;
  c.parts["policy"] = a.value()->weights();
  std::stringstream opt;
  ASSERT_TRUE(la.save(opt));
  c.parts["appo"] = opt.str();
  const std::string path = ::testing::TempDir() + "lantern-ckpt-" + std::to_string(::getpid()) + ".bin";
  ASSERT_TRUE(c.write(path));
  auto back = checkpoint::read(path);
  ASSERT_TRUE(back) << back.error().message;
  policy_options other;
  other.seed = 99;  // other initial weights
  auto p2 = policy::make(text_layout(), other);
  ASSERT_TRUE(p2.value()->load_weights(back->parts["policy"]));
  appo_learner lb(*p2.value(), {});
  std::stringstream in(back->parts["appo"]);
  ASSERT_TRUE(lb.load(in));
  EXPECT_TRUE(p2.value()->weights() == a.value()->weights());
  EXPECT_EQ(lb.version(), 1u);
  // The next update is the same on both: the optimiser's moments were restored.
  ASSERT_TRUE(la.update(rollout(*a.value())));
  ASSERT_TRUE(lb.update(rollout(*p2.value())));
  EXPECT_TRUE(p2.value()->weights() == a.value()->weights());
  std::filesystem::remove(path);
  EXPECT_FALSE(checkpoint::read(path));
}

}  // namespace
}  // namespace lantern::learners
