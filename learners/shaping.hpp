// learners/shaping.hpp: how extrinsic and intrinsic rewards combine (notes/oni.md, "Reward
// combination"): total = extrinsic_coef x clip(reward_scale x extrinsic, +-reward_clip)
//                      + intrinsic_coef x guard(intrinsic / N^beta),
// N the number of times this caption has been seen in the episode so far (this one included).
// Extrinsic-only is intrinsic_coef = 0; reward-free is extrinsic_coef = 0.
//
// The guard bounds what an episode's intrinsic reward can add up to, whatever its length (Gao et
// al. 2024, "On Designing Effective RL Reward at Training Time for LLM Reasoning"), so that a
// learned reward paying for a repeatable action cannot be farmed:
//   none   the step's value as it is;
//   clip   min(value - eta, 0): no step earns more than 0, so busywork cannot earn;
//   delta  value - (the previous captioned step's value in the episode): the episode's sum
//          telescopes to its last captioned step's value, at most the model's largest reward.
// Only steps with a caption have a learned value: the guard leaves a step without one at 0 (clip
// does not charge it, delta does not forget the last value). A value that is not finite counts 0.
//
//   shaping s{0.1, 0.4, 3.0, 1.0, 10.0};
//   caption_counter counts(num_envs);
//   float r = s.total(extrinsic, intrinsic, counts.bump(env, caption), &counts.previous(env));
//   if (done) counts.reset(env);
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace lantern::learners {

enum class reward_guard { none, clip, delta };

inline const char* to_string(reward_guard g) {
  return g == reward_guard::clip ? "clip" : g == reward_guard::delta ? "delta" : "none";
}

struct shaping {
  double extrinsic_coef = 1.0;
  double intrinsic_coef = 0.0;
  double beta = 3.0;          ///< count exponent (ONI's default)
  double reward_scale = 1.0;  ///< applied to the extrinsic reward before clipping
  double reward_clip = 10.0;  ///< |scaled extrinsic| is clipped to this (0: no clip)
  reward_guard guard = reward_guard::none;
  double guard_eta = 1.0;     ///< clip: the value subtracted before the cap at 0

  /// The intrinsic term of one step, before intrinsic_coef: count-scaled, then guarded.
  /// `previous` (delta) holds the env's previous count-scaled value in this episode and is
  /// updated; without it the previous value reads as 0. `captioned`: whether the step has a
  /// caption (a learned value) at all.
  double intrinsic_term(float intrinsic, uint32_t count, double* previous = nullptr, bool captioned = true) const {
    double v = count == 0 ? 0.0 : intrinsic / std::pow(static_cast<double>(count), beta);
    if (!std::isfinite(v)) v = 0.0;
    if (!captioned) return guard == reward_guard::none ? v : 0.0;
    switch (guard) {
      case reward_guard::clip: return std::fmin(v - guard_eta, 0.0);
      case reward_guard::delta: {
        const double before = previous ? *previous : 0.0;
        if (previous) *previous = v;
        return v - before;
      }
      case reward_guard::none: break;
    }
    return v;
  }

  /// The extrinsic term of one step, before extrinsic_coef: scaled, then clipped.
  double extrinsic_term(float extrinsic) const {
    const double e = reward_scale * extrinsic;
    return reward_clip > 0 ? std::fmax(-reward_clip, std::fmin(reward_clip, e)) : e;
  }

  float total(float extrinsic, float intrinsic, uint32_t count, double* previous = nullptr,
              bool captioned = true) const {
    return static_cast<float>(extrinsic_coef * extrinsic_term(extrinsic) +
                              intrinsic_coef * intrinsic_term(intrinsic, count, previous, captioned));
  }
};

/// Per-episode state of each env: caption counts, the guard's previous value and the intrinsic
/// return so far.
class caption_counter {
 public:
  explicit caption_counter(size_t num_envs) : counts_(num_envs), previous_(num_envs, 0.0), intrinsic_(num_envs, 0.0) {}
  /// Counts one more occurrence of `caption` in env's episode; returns the count (>= 1).
  uint32_t bump(size_t env, const std::string& caption) { return ++counts_[env][caption]; }
  uint32_t count(size_t env, const std::string& caption) const {
    auto it = counts_[env].find(caption);
    return it == counts_[env].end() ? 0 : it->second;
  }
  /// The guard's memory of env's previous intrinsic value (delta).
  double& previous(size_t env) { return previous_[env]; }
  /// What the intrinsic reward (times its coefficient) has added to env's episode so far.
  double& intrinsic_return(size_t env) { return intrinsic_[env]; }
  /// A new episode starts in env.
  void reset(size_t env) {
    counts_[env].clear();
    previous_[env] = 0.0;
    intrinsic_[env] = 0.0;
  }

 private:
  std::vector<std::unordered_map<std::string, uint32_t>> counts_;
  std::vector<double> previous_, intrinsic_;
};

}  // namespace lantern::learners
