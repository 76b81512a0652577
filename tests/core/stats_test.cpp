#include "core/stats.hpp"

#include <gtest/gtest.h>

namespace lantern::core {
namespace {

TEST(Stats, MeanIntervalUsesStudentsT) {
  auto r = mean_ci({1.0, 2.0, 3.0, 4.0, 5.0});
  EXPECT_DOUBLE_EQ(r.mean, 3.0);
  // sd = sqrt(2.5), t(4) = 2.776: half-width 2.776 * 1.5811 / sqrt(5) = 1.9630
  EXPECT_NEAR(r.half_width(), 1.9630, 1e-3);
  EXPECT_DOUBLE_EQ(mean_ci({7.0}).half_width(), 0.0);
  EXPECT_DOUBLE_EQ(mean_ci({}).mean, 0.0);
}

TEST(Stats, WilsonIntervalIsRightAtTheEdges) {
  auto none = wilson_ci(0, 100);
  EXPECT_DOUBLE_EQ(none.mean, 0.0);
  EXPECT_DOUBLE_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, 0.0370, 1e-3) << "0 of 100 still allows up to 3.7%";
  auto half = wilson_ci(50, 100);
  EXPECT_NEAR(half.low, 0.4038, 1e-3);
  EXPECT_NEAR(half.high, 0.5962, 1e-3);
}

TEST(Stats, TQuantilesApproachTheNormal) {
  EXPECT_DOUBLE_EQ(t95(1), 12.706);
  EXPECT_NEAR(t95(1000000), 1.96, 1e-3);
  EXPECT_GT(t95(40), t95(100));
}

}  // namespace
}  // namespace lantern::core
