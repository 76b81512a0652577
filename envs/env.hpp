// envs/env.hpp: the environment interface. An env owns one game; it writes each step's result
// into its slot of a preallocated core::obs_batch (EnvPool-style), so that a vector of envs
// steps without allocating. Adding an environment = one file implementing this interface plus
// one line in envs/builtin.cpp (see docs/adding-an-environment.md).
//
//   auto env = registry.create("textworld", cfg);            // envs/registry.hpp
//   core::obs_batch batch(env.value()->spec().layout, 1);
//   env.value()->reset(42, envs::slot(batch, 0));
//   env.value()->step(envs::action::pick(0), envs::slot(batch, 0));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/buffers.hpp"

namespace lantern::envs {

/// What an environment is: its name, what each step produces, and its episode limit.
struct env_spec {
  std::string name;
  std::string description;
  core::obs_layout layout;
  std::vector<std::string> action_names;  ///< discrete envs: a name per action
  int32_t max_episode_steps = 0;          ///< 0: no limit
};

/// One action. Discrete envs read `index`; text envs read `index` as a position in this step's
/// candidate commands, or, when index < 0, `text` as a free command typed by a person or an LLM.
struct action {
  int32_t index = -1;
  std::string_view text;

  static action pick(int32_t i) { return action{i, {}}; }
  static action say(std::string_view command) { return action{-1, command}; }
};

/// An env's slot in a batch: where it writes one step's observation and outcome.
class slot {
 public:
  slot(core::obs_batch& batch, size_t index) : batch_(&batch), i_(index) {}

  template <class T>
  T* array(size_t a) noexcept { return batch_->array<T>(a, i_); }
  std::string& text() noexcept { return batch_->text[i_]; }
  std::string& caption() noexcept { return batch_->caption[i_]; }
  std::vector<std::string>& candidates() noexcept { return batch_->candidates[i_]; }
  std::string& note() noexcept { return batch_->note[i_]; }

  /// Writes the outcome of a step (reset writes zero reward and clear flags).
  void outcome(float reward, bool terminated, bool truncated, bool success, float score) noexcept {
    batch_->reward[i_] = reward;
    batch_->terminated[i_] = terminated;
    batch_->truncated[i_] = truncated;
    batch_->success[i_] = success;
    batch_->score[i_] = score;
  }
  size_t index() const noexcept { return i_; }
  core::obs_batch& batch() noexcept { return *batch_; }

 private:
  core::obs_batch* batch_;
  size_t i_;
};

/// An environment. Not thread-safe: one env is stepped by one thread at a time.
class env {
 public:
  virtual ~env() = default;
  virtual const env_spec& spec() const = 0;
  /// Starts a new episode; the same seed gives the same episode.
  virtual void reset(uint64_t seed, slot out) = 0;
  /// Takes one action. After a terminated or truncated step, the caller resets before stepping.
  virtual void step(const action& a, slot out) = 0;
  /// A hint: the next reset will probably use `seed`. An env whose reset is slow (a game process
  /// to start) may prepare that episode now; the default does nothing.
  virtual void prefetch_reset(uint64_t seed) { (void)seed; }
  /// A step in two halves, so that a vector of envs served elsewhere waits once per step rather
  /// than once per env: begin_step sends the action and returns true, and end_step writes the
  /// answer. An env that does not split its steps returns false, and step() is called instead.
  virtual bool begin_step(const action& a) {
    (void)a;
    return false;
  }
  virtual void end_step(slot out) { (void)out; }
};

}  // namespace lantern::envs
