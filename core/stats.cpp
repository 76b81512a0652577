#include "core/stats.hpp"

#include <cmath>

namespace lantern::core {

double t95(uint64_t dof) {
  // Two-sided 95% quantiles of Student's t (standard tables), dof 1..30, then by interpolation
  // in 1/dof towards the normal 1.96.
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof == 0) return 0;
  if (dof <= 30) return table[dof - 1];
  const double z = 1.959964, at30 = 2.042;
  return z + (at30 - z) * 30.0 / static_cast<double>(dof);
}

interval mean_ci(const std::vector<double>& sample) {
  interval r;
  const size_t n = sample.size();
  if (n == 0) return r;
  double sum = 0;
  for (double x : sample) sum += x;
  r.mean = sum / static_cast<double>(n);
  r.low = r.high = r.mean;
  if (n < 2) return r;
  double ss = 0;
  for (double x : sample) ss += (x - r.mean) * (x - r.mean);
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  const double half = t95(n - 1) * sd / std::sqrt(static_cast<double>(n));
  r.low = r.mean - half;
  r.high = r.mean + half;
  return r;
}

interval wilson_ci(uint64_t successes, uint64_t n) {
  interval r;
  if (n == 0) return r;
  const double z = 1.959964, nn = static_cast<double>(n), p = static_cast<double>(successes) / nn;
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  r.mean = p;
  r.low = std::fmax(0.0, centre - half);
  r.high = std::fmin(1.0, centre + half);
  return r;
}

}  // namespace lantern::core
