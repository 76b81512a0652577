#include "learners/drift.hpp"

#include <algorithm>
#include <cmath>

namespace lantern::learners {

std::vector<double> canonical_rewards(const std::vector<float>& r) {
  std::vector<double> c(r.begin(), r.end());
  if (c.empty()) return c;
  for (double x : c)
    if (!std::isfinite(x)) return std::vector<double>(c.size(), std::nan(""));
  double mean = 0;
  for (double x : c) mean += x;
  mean /= static_cast<double>(c.size());
  double norm = 0;
  for (double& x : c) {
    x -= mean;
    norm += x * x;
  }
  norm = std::sqrt(norm);
  // A spread within float rounding of the rewards' own size: a constant reward (no preference).
  double scale = 0;
  for (float x : r) scale = std::max(scale, static_cast<double>(std::fabs(x)));
  if (!(norm > 1e-6 * scale * std::sqrt(static_cast<double>(c.size())))) {
    std::fill(c.begin(), c.end(), 0.0);
    return c;
  }
  for (double& x : c) x /= norm;
  return c;
}

double reward_distance(const std::vector<float>& a, const std::vector<float>& b) {
  const size_t n = std::min(a.size(), b.size());
  if (n == 0) return 0.0;
  const auto ca = canonical_rewards(std::vector<float>(a.begin(), a.begin() + static_cast<long>(n)));
  const auto cb = canonical_rewards(std::vector<float>(b.begin(), b.begin() + static_cast<long>(n)));
  double d = 0;
  for (size_t i = 0; i < n; ++i) d += (ca[i] - cb[i]) * (ca[i] - cb[i]);
  return 0.5 * std::sqrt(d);  // NaN when either held a value that is not finite
}

}  // namespace lantern::learners
