// core/buffers.hpp: the data that flows from environments to learners. One layout describes an
// environment's observation (fixed arrays, optional text, a caption, fixed actions or this
// step's candidate commands); an obs_batch holds N envs' current step in preallocated storage
// (envs write into their slot, EnvPool-style); a rollout holds T such steps, time-major.
//
//   core::obs_layout layout{{{"stats", core::dtype::f32, {27}}}, true, true, core::action_kind::text, 0};
//   core::obs_batch batch(layout, 16);        // allocated once
//   float* stats = batch.array<float>(0, 3);  // env 3's slice of array 0
//   batch.caption[3] = "You unlock the wooden door.";
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lantern::core {

/// Element type of an observation array.
enum class dtype : uint8_t { u8, i16, i32, f32 };

/// Size in bytes of one element of a dtype.
size_t dtype_size(dtype t) noexcept;

/// A fixed-shape observation array (per env), e.g. {"tty_chars", u8, {24, 80}}.
struct array_spec {
  std::string name;
  dtype type = dtype::f32;
  std::vector<int64_t> shape;

  size_t elements() const noexcept;
  size_t bytes() const noexcept { return elements() * dtype_size(type); }
};

/// How an agent acts: pick one of a fixed set, or one of this step's candidate commands.
enum class action_kind : uint8_t { discrete, text };

/// What every step of an environment produces.
struct obs_layout {
  std::vector<array_spec> arrays;  ///< fixed-shape arrays (may be empty for text games)
  bool has_text = false;           ///< an observation text (room description, feedback)
  bool has_caption = false;        ///< a caption: the message about the last action
  action_kind actions = action_kind::discrete;
  int32_t num_actions = 0;         ///< discrete: the size of the action set
};

bool operator==(const array_spec& a, const array_spec& b) noexcept;
bool operator==(const obs_layout& a, const obs_layout& b) noexcept;
/// A layout in words, for error messages: "text, caption, text actions" or "arrays tty_chars u8[24x80], ...".
std::string describe(const obs_layout& l);

/// The current step of N environments. Every buffer is sized once; strings and candidate
/// lists keep their capacity across steps, so steady-state stepping does not allocate.
class obs_batch {
 public:
  obs_batch() = default;
  obs_batch(const obs_layout& layout, size_t num_envs);

  size_t size() const noexcept { return num_envs_; }
  const obs_layout& layout() const noexcept { return layout_; }

  /// Env i's slice of array a (T must match the array's dtype).
  template <class T>
  T* array(size_t a, size_t i) noexcept {
    return reinterpret_cast<T*>(arrays_[a].data() + i * layout_.arrays[a].bytes());
  }
  template <class T>
  const T* array(size_t a, size_t i) const noexcept {
    return reinterpret_cast<const T*>(arrays_[a].data() + i * layout_.arrays[a].bytes());
  }
  /// Array a for all envs, contiguous: [num_envs, shape...].
  const std::vector<std::byte>& array_bytes(size_t a) const noexcept { return arrays_[a]; }

  std::vector<std::string> text;                     ///< observation text, per env
  std::vector<std::string> caption;                  ///< message about the last action, per env
  std::vector<std::vector<std::string>> candidates;  ///< text envs: this step's commands, per env
  std::vector<float> reward;                         ///< reward of the last step
  std::vector<uint8_t> terminated;                   ///< the episode ended in the game (won, lost, died)
  std::vector<uint8_t> truncated;                    ///< the episode was cut by a step limit
  std::vector<uint8_t> success;                      ///< the episode ended with its task achieved
  std::vector<float> score;                          ///< the game's own score so far
  std::vector<int32_t> episode_step;                 ///< steps taken in the current episode
  std::vector<std::string> note;                     ///< why an episode ended abnormally (a hung or crashed
                                                     ///< game restarted); empty on ordinary steps

 private:
  obs_layout layout_;
  size_t num_envs_ = 0;
  std::vector<std::vector<std::byte>> arrays_;
};

/// T steps of N environments, time-major ([t][env]): what a runner hands to the learner. The
/// observation at t is what the policy saw before acting; reward, done and the caption at t
/// are what its action produced. Observations have T + 1 slots: slot T is the observation
/// after the last step, whose value bootstraps the returns, so all T transitions are learned.
/// An episode truncated at step t (cut by a step limit, not ended in the game) keeps its final
/// observation in `final_*` (sparse: one entry per truncated transition), because slot t + 1
/// already holds the next episode's first observation.
class rollout {
 public:
  rollout() = default;
  rollout(const obs_layout& layout, size_t steps, size_t num_envs);

  size_t steps() const noexcept { return steps_; }
  size_t num_envs() const noexcept { return num_envs_; }
  /// Observation slots: steps() + 1.
  size_t obs_slots() const noexcept { return steps_ + 1; }
  size_t filled() const noexcept { return filled_; }
  bool full() const noexcept { return filled_ == steps_; }
  void clear() noexcept;
  /// Declares every step filled (a rollout rebuilt from a message).
  void mark_full() noexcept { filled_ = steps_; }
  const obs_layout& layout() const noexcept { return layout_; }

  /// Records one step: `before` is what the policy saw (with the behaviour policy's log-prob
  /// and value of each action), `after` what its actions produced. `finals` holds the final
  /// observation of every env that `after` marks truncated (envs::vector_env::final_observations);
  /// the last step also records `after` as the bootstrap observation (slot T).
  void append(const obs_batch& before, const std::vector<int32_t>& actions, const std::vector<float>& logp,
              const std::vector<float>& values, const obs_batch& after, const obs_batch* finals = nullptr);

  /// Index of (t, env) into the flat per-transition vectors.
  size_t at(size_t t, size_t env) const noexcept { return t * num_envs_ + env; }

  std::vector<std::vector<std::byte>> arrays;          ///< per array: [T+1, N, shape...]
  std::vector<std::string> text;                       ///< [(T+1)*N] observation text before acting
  std::vector<std::vector<std::string>> candidates;    ///< [(T+1)*N] commands offered before acting
  std::vector<std::string> caption;                    ///< [T*N] message the action produced
  std::vector<int32_t> action;                         ///< [T*N]
  std::vector<float> behaviour_logp;                   ///< [T*N] log-prob of the action when taken
  std::vector<float> behaviour_value;                  ///< [T*N] the behaviour policy's value of the observation
  std::vector<float> reward;                           ///< [T*N] extrinsic reward
  std::vector<uint8_t> done;                           ///< [T*N] terminated or truncated
  std::vector<uint8_t> truncated;                      ///< [T*N]
  std::vector<float> initial_state;                    ///< [N * state size]: recurrent state before step 0
  uint64_t policy_version = 0;                         ///< the policy that acted (policy lag is measured)

  std::vector<uint32_t> final_index;                   ///< [K] flat index (t * N + env) of each truncation
  std::vector<std::vector<std::byte>> final_arrays;    ///< per array: [K, shape...]
  std::vector<std::string> final_text;                 ///< [K] when the layout has text
  std::vector<std::vector<std::string>> final_candidates;  ///< [K] when actions are text

 private:
  void copy_slot(size_t slot, const obs_batch& from);
  obs_layout layout_;
  size_t steps_ = 0;
  size_t num_envs_ = 0;
  size_t filled_ = 0;
};

}  // namespace lantern::core
