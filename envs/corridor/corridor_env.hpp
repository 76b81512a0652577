// envs/corridor/corridor_env.hpp: a one-dimensional corridor with a lamp at its far end, the
// smallest complete Lantern environment. It exists to show how an environment is added (this
// file + one line in envs/builtin.cpp; docs/adding-an-environment.md walks through it) and to
// exercise fixed-action pipelines without NetHack.
//
//   lantern play --env corridor --set env.corridor.length=12
#pragma once

#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/rng.hpp"
#include "envs/env.hpp"

namespace lantern::envs {

class corridor_env final : public env {
 public:
  // 1. Name, description and knobs: the registry reads these.
  static constexpr const char* name = "corridor";
  static constexpr const char* description = "a corridor with a lamp at the far end (fixed actions: left, right)";
  static void add_options(core::schema& s, const std::string& prefix) {
    s.integer(prefix + ".length", 8, "cells in the corridor", 2, 1000);
    s.integer(prefix + ".max_steps", 50, "steps before an episode is truncated", 1, 1000000);
  }
  static core::result<std::unique_ptr<env>> create(const core::config_view& cfg) {
    return std::unique_ptr<env>(new corridor_env(static_cast<int>(cfg.integer("length")),
                                                 static_cast<int>(cfg.integer("max_steps"))));
  }

  // 2. The spec: one float array (where the agent is, and whether it just bumped into a wall), a
  //    caption, two fixed actions.
  corridor_env(int length, int max_steps) : length_(length), max_steps_(max_steps) {
    spec_.name = name;
    spec_.description = description;
    spec_.layout.arrays = {{"position", core::dtype::f32, {2}}};
    spec_.layout.has_text = true;
    spec_.layout.has_caption = true;
    spec_.layout.actions = core::action_kind::discrete;
    spec_.layout.num_actions = 2;
    spec_.max_episode_steps = max_steps;
  }
  const env_spec& spec() const override { return spec_; }

  // 3. reset and step write into the env's slot of the batch.
  void reset(uint64_t seed, slot out) override {
    core::pcg32 rng(seed);
    pos_ = static_cast<int>(rng.below(static_cast<uint32_t>(length_ / 2)));  // start in the near half
    steps_ = 0;
    bumped_ = false;
    write(out, "You stand in a long, dim corridor.", 0.0f, false);
  }
  void step(const action& a, slot out) override {
    ++steps_;
    const int before = pos_;
    if (a.index == 1 && pos_ < length_ - 1) ++pos_;
    if (a.index == 0 && pos_ > 0) --pos_;
    const bool lamp = pos_ == length_ - 1;
    bumped_ = pos_ == before;
    const char* caption = lamp                ? "You reach the lamp at the end of the corridor."
                          : pos_ == before    ? "You bump into the wall."
                          : a.index == 1      ? "You walk towards the light."
                                              : "You walk back into the dark.";
    write(out, caption, lamp ? 1.0f : 0.0f, lamp);
  }

 private:
  void write(slot& out, const char* caption, float reward, bool won) {
    float* p = out.array<float>(0);
    p[0] = static_cast<float>(pos_) / static_cast<float>(length_ - 1);
    p[1] = bumped_ ? 1.0f : 0.0f;  // not the time left: see appo.truncation in docs/learners.md
    out.caption() = caption;
    out.text() = caption;
    out.outcome(reward, won, !won && steps_ >= max_steps_, won, reward);
  }

  int length_, max_steps_;
  int pos_ = 0, steps_ = 0;
  bool bumped_ = false;
  env_spec spec_;
};

}  // namespace lantern::envs
