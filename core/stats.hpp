// core/stats.hpp: confidence intervals for what Lantern reports (evaluation, benchmarks): the
// mean of a sample with a 95% Student-t interval, and a proportion with a 95% Wilson interval
// (right even at 0% or 100% success, where the normal approximation gives an empty interval).
//
//   auto r = core::mean_ci({0.5, 0.7, 0.6});        // r.mean, r.low, r.high
//   auto s = core::wilson_ci(12, 200);               // 6% with its interval
#pragma once

#include <cstdint>
#include <vector>

namespace lantern::core {

struct interval {
  double mean = 0, low = 0, high = 0;
  double half_width() const { return (high - low) / 2; }
};

/// Mean and 95% confidence interval (Student t with n-1 degrees of freedom; n < 2: a point).
interval mean_ci(const std::vector<double>& sample);
/// Share of successes and its 95% Wilson score interval (n = 0: all zero).
interval wilson_ci(uint64_t successes, uint64_t n);
/// The two-sided 95% quantile of Student's t with `dof` degrees of freedom (1.96 from 1000 up).
double t95(uint64_t dof);

}  // namespace lantern::core
