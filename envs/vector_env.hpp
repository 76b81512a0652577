// envs/vector_env.hpp: N envs of one kind stepped together into one preallocated batch.
// Each env has its own seed (derived from the runner's seed and its index); episode k of env i
// is seeded with derive_seed(env_seed(i), k), so every episode can be replayed on its own.
// A finished episode is reset at once: the slot then holds the last step's caption, reward and
// done flags, and the next episode's first observation (text, candidates, arrays). The final
// observation of a truncated episode (the learner bootstraps from its value) is kept aside in
// final_observations(). The spec's max_episode_steps is enforced here: an episode that reaches
// it is truncated, whatever the env says. Envs that split their steps (servers in other
// processes) all have their requests in flight before any answer is awaited.
//
//   envs::vector_env vec(std::move(envs), /*seed=*/7);
//   const auto& obs = vec.reset();
//   const auto& next = vec.step(actions);     // std::vector<int32_t>, one per env
//   for (const auto& ep : vec.drain_finished()) ...   // returns, lengths, successes
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/buffers.hpp"
#include "core/config.hpp"
#include "envs/env.hpp"
#include "envs/registry.hpp"

namespace lantern::envs {

/// A finished episode.
struct episode_record {
  size_t env = 0;
  uint64_t seed = 0;
  float episode_return = 0;
  int32_t length = 0;
  bool success = false;
  bool truncated = false;
  float score = 0;
  std::string note;  ///< why it ended abnormally, if it did (a hung or crashed game)
};

class vector_env {
 public:
  /// Takes ownership of envs, which must all share one spec (one kind, one config).
  vector_env(std::vector<std::unique_ptr<env>> envs, uint64_t seed);

  /// Builds `n` envs named `name` from `cfg` through the registry.
  static core::result<vector_env> create(const env_registry& reg, const std::string& name, const core::config& cfg,
                                         size_t n, uint64_t seed);

  size_t size() const noexcept { return envs_.size(); }
  const env_spec& spec() const { return envs_.front()->spec(); }
  uint64_t env_seed(size_t i) const noexcept;
  uint64_t episode_seed(size_t i) const noexcept;

  /// Resets every env; returns the first observations.
  const core::obs_batch& reset();
  /// Steps env i with actions[i] (an index: a fixed action, or a candidate command).
  const core::obs_batch& step(const std::vector<int32_t>& actions);
  /// Steps with full actions (free text allowed for text envs).
  const core::obs_batch& step(const std::vector<action>& actions);

  const core::obs_batch& batch() const noexcept { return batch_; }
  /// Env i's final observation (arrays, text, candidates) when the last step truncated its
  /// episode (batch().truncated[i] and not terminated); other slots are stale.
  const core::obs_batch& final_observations() const noexcept { return final_; }
  /// Episodes finished since the last call, oldest first.
  std::vector<episode_record> drain_finished();
  uint64_t total_steps() const noexcept { return total_steps_; }
  uint64_t total_episodes() const noexcept { return total_episodes_; }

 private:
  void after_step(size_t i);

  std::vector<std::unique_ptr<env>> envs_;
  uint64_t seed_;
  core::obs_batch batch_;
  core::obs_batch final_;
  std::vector<uint64_t> episode_index_;
  std::vector<float> running_return_;
  std::vector<episode_record> finished_;
  uint64_t total_steps_ = 0;
  uint64_t total_episodes_ = 0;
  std::string saved_caption_, saved_note_;
  std::vector<action> picked_;
  std::vector<uint8_t> begun_;
};

}  // namespace lantern::envs
