#include "learners/vtrace.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace lantern::learners {
namespace {

torch::Tensor col(std::vector<float> v) { return torch::tensor(v).view({static_cast<int64_t>(v.size()), 1}); }

void expect_near(const torch::Tensor& t, std::vector<float> want) {
  auto c = t.contiguous().view({-1});
  ASSERT_EQ(c.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(c[static_cast<int64_t>(i)].item<float>(), want[i], 1e-4) << i;
}

TEST(VTrace, OnPolicyIsTheDiscountedReturnBootstrappedFromTheLastValue) {
  auto zeros = col({0, 0, 0}), ones = col({1, 1, 1});
  // next values: V(x_1), V(x_2), and the bootstrap V(x_3) = 2
  auto v = vtrace(zeros, zeros, col({1, 2, 3}), col({0.5, 1.0, 1.5}), col({1.0, 1.5, 2.0}), col({0.9, 0.9, 0.9}), ones);
  // vs_2 = 3 + .9*2; vs_1 = 2 + .9*vs_2; vs_0 = 1 + .9*vs_1
  expect_near(v.vs, {6.688f, 6.32f, 4.8f});
  // A_t = r_t + .9 vs_{t+1} - V_t
  expect_near(v.pg_advantages, {6.188f, 5.32f, 3.3f});
}

TEST(VTrace, AnEpisodeEndInsideTheRolloutCutsTheReturn) {
  auto zeros = col({0, 0, 0});
  // terminated at t = 1: no discount and no trace past it
  auto v = vtrace(zeros, zeros, col({1, 2, 3}), col({0.5, 1.0, 1.5}), col({1.0, 1.5, 2.0}), col({0.9, 0.0, 0.9}),
                  col({1, 0, 1}));
  expect_near(v.vs, {2.8f, 2.0f, 4.8f});
  expect_near(v.pg_advantages, {2.3f, 1.0f, 3.3f});
}

TEST(VTrace, ATruncatedEpisodeBootstrapsFromItsFinalObservationNotTheNextEpisode) {
  auto zeros = col({0, 0, 0});
  // Truncated at t = 1: the discount stays, the next value is V(final observation) = 10, and
  // the next episode's start (V(x_2) = 1.5, its reward 3) does not flow back.
  auto v = vtrace(zeros, zeros, col({1, 2, 3}), col({0.5, 1.0, 1.5}), col({1.0, 10.0, 2.0}), col({0.9, 0.9, 0.9}),
                  col({1, 0, 1}));
  // vs_2 = 3 + .9*2 = 4.8; vs_1 = 2 + .9*10 = 11; vs_0 = 1 + .9*11 = 10.9
  expect_near(v.vs, {10.9f, 11.0f, 4.8f});
  expect_near(v.pg_advantages, {10.4f, 10.0f, 3.3f});
  // Read as a termination (the old behaviour), the same step would learn vs_1 = 2.
  auto as_end = vtrace(zeros, zeros, col({1, 2, 3}), col({0.5, 1.0, 1.5}), col({1.0, 10.0, 2.0}),
                       col({0.9, 0.0, 0.9}), col({1, 0, 1}));
  EXPECT_NEAR(as_end.vs[1][0].item<float>(), 2.0f, 1e-4);
}

TEST(VTrace, ImportanceRatiosBelowOneWeightTheCorrections) {
  auto behaviour = col({std::log(0.5f), std::log(0.5f)}), target = col({std::log(0.25f), std::log(0.25f)});
  auto v = vtrace(behaviour, target, col({1, 1}), col({0, 0}), col({0, 0}), col({1, 1}), col({1, 1}));
  // rho = c = 0.5: vs_1 = .5; vs_0 = .5 + .5 * .5
  expect_near(v.vs, {0.75f, 0.5f});
  expect_near(v.pg_advantages, {0.75f, 0.5f});
}

TEST(VTrace, RhoBarClipsLargeRatios) {
  auto behaviour = col({std::log(0.5f), std::log(0.5f)}), target = col({0.0f, 0.0f});  // ratio 2
  auto v = vtrace(behaviour, target, col({1, 1}), col({0, 0}), col({0, 0}), col({1, 1}), col({1, 1}), 0.3, 1.0);
  expect_near(v.vs, {0.6f, 0.3f});
  expect_near(v.pg_advantages, {0.39f, 0.3f});
  auto unclipped = vtrace(behaviour, target, col({1, 1}), col({0, 0}), col({0, 0}), col({1, 1}), col({1, 1}), 1.0, 1.0);
  expect_near(unclipped.vs, {2.0f, 1.0f});  // rho clipped at 1: on-policy returns
}

TEST(PPO, GradientPushesTowardsPositiveAdvantageInsideTheClipRange) {
  auto logp = torch::zeros({4}, torch::requires_grad());
  auto loss = ppo_policy_loss(logp, torch::zeros({4}), torch::tensor({1.0f, 1.0f, -1.0f, -1.0f}), 0.1);
  loss.backward();
  auto g = logp.grad();
  EXPECT_LT(g[0].item<float>(), 0) << "descending the loss must raise logp where A > 0";
  EXPECT_GT(g[2].item<float>(), 0) << "and lower it where A < 0";
}

TEST(PPO, GradientVanishesOutsideTheClipRangeInTheClippedDirection) {
  auto logp = torch::full({2}, std::log(1.5f), torch::requires_grad());  // ratio 1.5 > 1 + 0.1
  auto loss = ppo_policy_loss(logp, torch::zeros({2}), torch::tensor({1.0f, -1.0f}), 0.1);
  loss.backward();
  auto g = logp.grad();
  EXPECT_FLOAT_EQ(g[0].item<float>(), 0.0f) << "A > 0 and ratio above 1 + eps: clipped, no gradient";
  EXPECT_GT(g[1].item<float>(), 0.0f) << "A < 0: the pessimistic (unclipped) term still pulls the ratio down";
}

TEST(PPO, ValueLossIsClippedAroundTheOldValues) {
  auto v = torch::tensor({3.0f}, torch::requires_grad());
  auto loss = clipped_value_loss(v, torch::tensor({0.0f}), torch::tensor({0.0f}), 1.0);
  EXPECT_FLOAT_EQ(loss.item<float>(), 4.5f);  // max((3-0)^2, (0+1-0)^2) / 2
}

}  // namespace
}  // namespace lantern::learners
