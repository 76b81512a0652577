// learners/shaping.hpp: how extrinsic and intrinsic rewards combine (notes/oni.md, "Reward
// combination"): total = extrinsic_coef x clip(reward_scale x extrinsic, +-reward_clip)
//                      + intrinsic_coef x intrinsic / N^beta,
// N the number of times this caption has been seen in the episode so far (this one included).
// Extrinsic-only is intrinsic_coef = 0; reward-free is extrinsic_coef = 0.
//
//   shaping s{0.1, 0.4, 3.0, 1.0, 10.0};
//   caption_counter counts(num_envs);
//   float r = s.total(extrinsic, intrinsic, counts.bump(env, caption));
//   if (done) counts.reset(env);
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace lantern::learners {

struct shaping {
  double extrinsic_coef = 1.0;
  double intrinsic_coef = 0.0;
  double beta = 3.0;          ///< count exponent (ONI's default)
  double reward_scale = 1.0;  ///< applied to the extrinsic reward before clipping
  double reward_clip = 10.0;  ///< |scaled extrinsic| is clipped to this (0: no clip)

  float total(float extrinsic, float intrinsic, uint32_t count) const {
    double e = reward_scale * extrinsic;
    if (reward_clip > 0) e = std::fmax(-reward_clip, std::fmin(reward_clip, e));
    double i = count == 0 ? 0.0 : intrinsic / std::pow(static_cast<double>(count), beta);
    return static_cast<float>(extrinsic_coef * e + intrinsic_coef * i);
  }
};

/// Per-episode caption counts, one table per env.
class caption_counter {
 public:
  explicit caption_counter(size_t num_envs) : counts_(num_envs) {}
  /// Counts one more occurrence of `caption` in env's episode; returns the count (>= 1).
  uint32_t bump(size_t env, const std::string& caption) { return ++counts_[env][caption]; }
  uint32_t count(size_t env, const std::string& caption) const {
    auto it = counts_[env].find(caption);
    return it == counts_[env].end() ? 0 : it->second;
  }
  /// A new episode starts in env.
  void reset(size_t env) { counts_[env].clear(); }

 private:
  std::vector<std::unordered_map<std::string, uint32_t>> counts_;
};

}  // namespace lantern::learners
