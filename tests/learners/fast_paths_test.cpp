// The fast paths of the learner against the straightforward computations they replace: the
// NetHack net's crop (ids cropped, then embedded, against slicing the embedded screen), each
// distinct text of a batch encoded once (against every text), and APPO's batched replay (encoders once over every frame, only the recurrent core step by step,
// only the minibatch's envs, against the whole network step by step over every env). Outputs,
// losses and gradients must agree to float rounding.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "learners/appo.hpp"
#include "learners/nets.hpp"
#include "learners/policy.hpp"
#include "learners/recurrent.hpp"
#include "learners/torch_util.hpp"
#include "learners/weights_format.hpp"
#include "learners/runtime.hpp"

#include "learners/layouts.hpp"

namespace lantern::learners {
namespace {

using testing::nethack_layout;
using testing::text_layout;

core::obs_layout grid_layout() {
  core::obs_layout l;
  l.arrays = {{"grid", core::dtype::u8, {7, 9}}, {"position", core::dtype::f32, {3}}};
  l.has_text = true;
  l.actions = core::action_kind::text;
  return l;
}

// Random screens; the hero (cursor) at the corners, the edges and inside, so crops run off
// every side of the screen.
void fill(core::obs_batch& b, core::pcg32& rng) {
  static const int32_t cursors[][2] = {{0, 0}, {23, 79}, {0, 79}, {23, 0}, {2, 3}, {12, 40}, {21, 77}, {5, 76}};
  const auto& layout = b.layout();
  for (size_t e = 0; e < b.size(); ++e) {
    for (size_t a = 0; a < layout.arrays.size(); ++a) {
      const auto& spec = layout.arrays[a];
      if (spec.name == "tty_cursor") {
        const auto& c = cursors[rng.below(8)];
        b.array<int32_t>(a, e)[0] = c[0];
        b.array<int32_t>(a, e)[1] = c[1];
      } else if (spec.type == core::dtype::u8) {
        auto* p = b.array<uint8_t>(a, e);
        for (size_t i = 0; i < spec.elements(); ++i) p[i] = static_cast<uint8_t>(spec.name == "tty_colors" ? rng.below(20) : rng.below(128));
        if (spec.name == "tty_chars" && rng.chance(0.5)) std::fill(p, p + 80, static_cast<uint8_t>(' '));  // no message
      } else {
        auto* p = b.array<float>(a, e);
        for (size_t i = 0; i < spec.elements(); ++i) p[i] = static_cast<float>(rng.uniform() * 40.0 - 10.0);
      }
    }
    if (layout.has_text) b.text[e] = "room " + std::to_string(rng.below(5)) + " with a chest and a key";  // repeats
    if (layout.actions == core::action_kind::text) {
      b.candidates[e].clear();
      const uint32_t k = 1 + rng.below(5);  // counts differ between envs and steps
      for (uint32_t i = 0; i < k; ++i) b.candidates[e].push_back("command " + std::to_string(rng.below(9)));
    }
  }
}

// A rollout of T steps from N envs acted by `pol`, with terminations and truncations (their
// final observations recorded) scattered through it.
core::rollout play(policy& pol, const core::obs_layout& layout, size_t T, size_t N, uint64_t seed) {
  core::pcg32 rng(seed);
  core::obs_batch now(layout, N), after(layout, N), finals(layout, N);
  core::rollout r(layout, T, N);
  std::vector<float> state(N * pol.state_size(), 0.0f), logp, values;
  for (auto& s : state) s = static_cast<float>(rng.uniform() - 0.5);
  r.initial_state = state;
  std::vector<int32_t> actions;
  fill(now, rng);
  for (size_t t = 0; t < T; ++t) {
    pol.act(now, state, actions, logp, rng, false, &values);
    fill(after, rng);
    fill(finals, rng);
    for (size_t e = 0; e < N; ++e) {
      after.reward[e] = static_cast<float>(rng.uniform());
      after.terminated[e] = rng.chance(0.08);
      after.truncated[e] = !after.terminated[e] && rng.chance(0.08);
    }
    r.append(now, actions, logp, values, after, &finals);
    for (size_t e = 0; e < N; ++e)
      if (after.terminated[e] || after.truncated[e]) pol.reset_state(state, e);
    std::swap(now, after);
  }
  return r;
}

// Largest difference between two tensors, relative to the larger magnitude (at least 1e-3 so
// that values near zero compare absolutely).
double rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max({a.abs().max().item<double>(), b.abs().max().item<double>(), 1e-3});
  return (a - b).abs().max().item<double>() / scale;
}

std::vector<torch::Tensor> grads_of(detail::net& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return out;
}

TEST(FastPaths, TheNetHackCropGivesTheOutputsAndGradientsOfSlicingTheEmbeddedScreen) {
  configure_runtime(1);
  policy_options fast_o, ref_o;
  ref_o.reference = true;
  auto fast = policy::make(nethack_layout(), fast_o), ref = policy::make(nethack_layout(), ref_o);
  ASSERT_TRUE(fast && ref);
  ASSERT_TRUE(fast.value()->load_weights(ref.value()->weights()));
  const size_t B = 24;
  core::obs_batch b(nethack_layout(), B);
  core::pcg32 rng(3);
  fill(b, rng);
  auto& fm = *fast.value()->internals().model;
  auto& rm = *ref.value()->internals().model;
  auto state = torch::randn({static_cast<int64_t>(B), fm.state_size()});
  auto fo = fm.step(detail::view_of(b), state);
  auto ro = rm.step(detail::view_of(b), state);
  EXPECT_LT(rel_diff(fo.logits, ro.logits), 1e-5);
  EXPECT_LT(rel_diff(fo.value, ro.value), 1e-5);
  EXPECT_LT(rel_diff(fo.state, ro.state), 1e-5);
  // A loss that reaches every output, weighted so that no gradient is symmetric.
  auto w = torch::randn(fo.logits.sizes());
  fm.zero_grad();
  rm.zero_grad();
  ((fo.logits * w).sum() + fo.value.pow(2).sum() + fo.state.sum()).backward();
  ((ro.logits * w).sum() + ro.value.pow(2).sum() + ro.state.sum()).backward();
  auto fg = grads_of(fm), rg = grads_of(rm);
  ASSERT_EQ(fg.size(), rg.size());
  auto names = fm.named_parameters().keys();
  for (size_t i = 0; i < fg.size(); ++i) EXPECT_LT(rel_diff(fg[i], rg[i]), 1e-4) << names[i];
  // The crop's layer and both embeddings got gradient from the crop (not zeros on both sides).
  EXPECT_GT(fm.named_parameters()["crop1.weight"].grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(fm.named_parameters()["char_embed.weight"].grad().abs().sum().item<double>(), 0.0);
}

TEST(FastPaths, TheGruSequenceGivesTheStatesAndGradientsOfAGruCellStepByStep) {
  configure_runtime(1);
  torch::manual_seed(5);
  torch::nn::GRUCell cell(7, 5);
  const int64_t S = 9, n = 4;
  auto x = torch::randn({S, n, 7}, torch::requires_grad());
  auto h0 = torch::randn({n, 5}, torch::requires_grad());
  auto keep = (torch::rand({S - 1, n, 1}) > 0.3).to(torch::kFloat32);  // episode ends reset the state
  auto w = torch::randn({S, n, 5});
  auto fast = detail::gru_sequence(x, h0, keep, cell);
  std::vector<torch::Tensor> ref_states;
  auto h = h0;
  for (int64_t t = 0; t < S; ++t) {
    auto next = cell(x[t], h);
    ref_states.push_back(next);
    if (t + 1 < S) h = next * keep[t];
  }
  auto ref = torch::stack(ref_states);
  EXPECT_LT(rel_diff(fast, ref), 1e-6);
  auto grads = [&](const torch::Tensor& out) {
    cell->zero_grad();
    x.mutable_grad() = torch::Tensor();
    h0.mutable_grad() = torch::Tensor();
    (out * w).sum().backward();
    std::vector<torch::Tensor> g{x.grad().clone(), h0.grad().clone()};
    for (const auto& p : cell->parameters()) g.push_back(p.grad().clone());
    return g;
  };
  auto fg = grads(fast), rg = grads(ref);
  const char* names[] = {"x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  ASSERT_EQ(fg.size(), 6u);
  for (size_t i = 0; i < fg.size(); ++i) EXPECT_LT(rel_diff(fg[i], rg[i]), 1e-5) << names[i];
}

TEST(FastPaths, LargeTensorBlocksAreKeptForReuseAcrossThreads) {
  configure_runtime(1);
  const size_t before = cached_tensor_bytes();
  {
    auto big = torch::ones({8 << 20});  // 32 MiB
    EXPECT_EQ(big.sum().item<double>(), 8 << 20);
  }
  EXPECT_GE(cached_tensor_bytes(), before + (32u << 20)) << "a freed 32 MiB block is kept";
  // Another thread takes it (no new mapping, no page faults) and gives it back; small tensors
  // and oneDNN's convolutions (which free through the raw deleter) work throughout.
  std::thread other([&] {
    configure_thread(1);
    auto again = torch::zeros({8 << 20});
    EXPECT_LT(cached_tensor_bytes(), before + (32u << 20)) << "the kept block served the next tensor of its size";
    auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(24, 32, 3).stride(2));
    auto y = conv(torch::randn({256, 24, 21, 80}));  // 41 MB in, through oneDNN
    EXPECT_EQ(y.size(0), 256);
    auto small = torch::arange(10);
    EXPECT_EQ(small.sum().item<int64_t>(), 45);
  });
  other.join();
  EXPECT_GE(cached_tensor_bytes(), before + (32u << 20));
}

TEST(FastPaths, FlatWeightsRoundTripAndOlderArchivesStillLoad) {
  configure_runtime(1);
  policy_options other;
  other.seed = 7;
  auto a = policy::make(nethack_layout(), {}), b = policy::make(nethack_layout(), other);
  ASSERT_TRUE(a && b);
  const std::string flat = a.value()->weights();
  ASSERT_TRUE(is_flat_weights(flat));
  ASSERT_FALSE(b.value()->weights() == flat);
  ASSERT_TRUE(b.value()->load_weights(flat));
  EXPECT_TRUE(b.value()->weights() == flat);
  // A checkpoint written before the flat format (LibTorch's archive) loads into the same weights.
  auto c = policy::make(nethack_layout(), other);
  ASSERT_TRUE(c.value()->load_weights(detail::archive_bytes(*a.value()->internals().model)));
  EXPECT_TRUE(c.value()->weights() == flat);
}

TEST(FastPaths, WeightsThatDoNotFitAreRefusedAndChangeNothing) {
  configure_runtime(1);
  auto text = policy::make(text_layout(), {}), nethack = policy::make(nethack_layout(), {});
  const std::string mine = nethack.value()->weights();
  auto refused = [&](const std::string& bytes) {
    auto ok = nethack.value()->load_weights(bytes);
    EXPECT_TRUE(nethack.value()->weights() == mine) << "nothing changed";
    return ok ? std::string() : ok.error().message;
  };
  EXPECT_NE(refused(text.value()->weights()).find("tensors"), std::string::npos) << "another network's weights";
  EXPECT_NE(refused(mine.substr(0, mine.size() - 3)).find("more values than the bytes hold"), std::string::npos);
  EXPECT_NE(refused(mine + "x").find("after the last tensor"), std::string::npos);
  std::string lying = mine;
  lying[weights_magic.size()] = '\xff';  // count 255+: more tensors than the bytes could hold, or a mismatch
  lying[weights_magic.size() + 3] = '\x7f';
  EXPECT_NE(refused(lying).find("declares"), std::string::npos);
  std::string renamed = mine;
  renamed[weights_magic.size() + 8] ^= 1;  // the first tensor's name
  EXPECT_NE(refused(renamed).find("this network's is"), std::string::npos);
  EXPECT_FALSE(refused("LNTWGT0").empty()) << "a truncated header";
  EXPECT_FALSE(refused("not weights at all").empty());
}

// Two learners on one rollout from identical policies, one replaying step by step over every
// env (the reference) and one batched: the same losses, and the same gradients on every
// parameter. The learning rate is 0, so both see the same weights in every minibatch, and the
// gradients of the last minibatch are compared.
void expect_same_update(const core::obs_layout& layout, int minibatches, truncation_bootstrap truncation) {
  configure_runtime(1);
  policy_options ref_o;
  ref_o.reference = true;
  auto fast = policy::make(layout, {}), ref = policy::make(layout, ref_o);
  ASSERT_TRUE(fast && ref) << (fast ? ref.error().message : fast.error().message);
  auto r = play(*ref.value(), layout, 12, 6, 17);
  size_t truncations = r.final_index.size(), ends = 0;
  for (auto d : r.done) ends += d;
  ASSERT_GT(truncations, 0u);
  ASSERT_GT(ends, truncations) << "terminations too";
  appo_options o;
  o.lr = 0;
  o.minibatches = minibatches;
  o.truncation = truncation;
  appo_learner fl(*fast.value(), o);
  o.stepwise_replay = true;
  appo_learner rl(*ref.value(), o);
  auto fs = fl.update(r), rs = rl.update(r);
  ASSERT_TRUE(fs) << fs.error().message;
  ASSERT_TRUE(rs) << rs.error().message;
  const auto& a = fs.value();
  const auto& b = rs.value();
  EXPECT_NEAR(a.policy_loss, b.policy_loss, 1e-4 * (1 + std::abs(b.policy_loss)));
  EXPECT_NEAR(a.value_loss, b.value_loss, 1e-4 * (1 + std::abs(b.value_loss)));
  EXPECT_NEAR(a.entropy, b.entropy, 1e-4 * (1 + std::abs(b.entropy)));
  EXPECT_NEAR(a.mean_value, b.mean_value, 1e-4 * (1 + std::abs(b.mean_value)));
  EXPECT_NEAR(a.grad_norm, b.grad_norm, 1e-4 * (1 + std::abs(b.grad_norm)));
  EXPECT_GT(b.grad_norm, 0.0f);
  auto& fm = *fast.value()->internals().model;
  auto& rm = *ref.value()->internals().model;
  auto fg = grads_of(fm), rg = grads_of(rm);
  auto names = fm.named_parameters().keys();
  ASSERT_EQ(fg.size(), rg.size());
  for (size_t i = 0; i < fg.size(); ++i) EXPECT_LT(rel_diff(fg[i], rg[i]), 2e-4) << names[i];
}

TEST(FastPaths, TheBatchedReplayGivesTheLossesAndGradientsOfTheStepwiseOne_Text) {
  expect_same_update(text_layout(), 1, truncation_bootstrap::final_observation);
  expect_same_update(text_layout(), 4, truncation_bootstrap::final_observation);
}

TEST(FastPaths, TheBatchedReplayGivesTheLossesAndGradientsOfTheStepwiseOne_NetHack) {
  expect_same_update(nethack_layout(), 1, truncation_bootstrap::final_observation);
  expect_same_update(nethack_layout(), 3, truncation_bootstrap::last);
}

TEST(FastPaths, TheBatchedReplayGivesTheLossesAndGradientsOfTheStepwiseOne_Generic) {
  expect_same_update(grid_layout(), 1, truncation_bootstrap::terminal);
  expect_same_update(grid_layout(), 2, truncation_bootstrap::final_observation);
}

}  // namespace
}  // namespace lantern::learners
