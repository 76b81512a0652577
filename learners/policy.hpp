// learners/policy.hpp: the policy networks (no torch in this header), chosen by `net`:
// - generic: built from any layout: one encoder per array by its dtype and shape (2-D integer
//   grids: embedding + convolutions; anything else: an MLP), a bag of hashed text features when
//   the env has text, and a head for its actions (discrete: a linear layer; text: each candidate
//   command scored against the state);
// - text: text games (the observation text and the candidate commands only);
// - nethack: NetHack's screen (an embedding of characters and colours, convolutions over the map
//   and over a crop around the hero), its stats and message line;
// - auto (the default): nethack for NetHack's exact arrays, text for a layout of text only,
//   generic for everything else.
// Each carries a recurrent (GRU) state per env and has a value head.
//
//   auto pol = policy::make(env.spec().layout, {});
//   std::vector<float> state(n * pol.value()->state_size());
//   pol.value()->act(batch, state, actions, logp, rng);   // one action per env
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/buffers.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace lantern::learners {

struct policy_options {
  int hidden = 128;            ///< recurrent state and feature width (defaults sized for 2 CPU cores)
  int embed = 32;              ///< embedding width of hashed text features
  uint32_t buckets = 1 << 14;  ///< hashed text feature buckets
  uint64_t seed = 1;
  std::string net = "auto";    ///< auto, generic, text or nethack
  /// The straightforward computations that tests and benchmarks compare the default ones
  /// against (same outputs and gradients, slower): the NetHack net crops around the hero by
  /// slicing the embedded screen (the default crops the ids, then embeds), and every text is
  /// encoded even when a batch repeats it (the default encodes each distinct text once).
  bool reference = false;
};

class policy {
 public:
  struct impl;
  ~policy();
  policy(const policy&) = delete;
  policy& operator=(const policy&) = delete;

  /// The network `o.net` names for `layout`; an error says why a named network cannot read the
  /// layout (and which arrays and shapes it expects).
  static core::result<std::unique_ptr<policy>> make(const core::obs_layout& layout, const policy_options& o);

  std::string kind() const;
  size_t state_size() const;
  size_t parameter_count() const;

  /// Samples (or, greedy, takes the most likely) one action per env; updates `state` (envs x
  /// state_size) in place and writes each action's log-probability and, if `values` is given,
  /// the value of each env's observation (APPO clips its value loss around these).
  void act(const core::obs_batch& obs, std::vector<float>& state, std::vector<int32_t>& actions,
           std::vector<float>& logp, core::pcg32& rng, bool greedy = false, std::vector<float>* values = nullptr);
  /// Zeroes env i's recurrent state (an episode ended).
  void reset_state(std::vector<float>& state, size_t env) const;

  /// Weights as bytes, and back (for broadcast to runners and checkpoints).
  std::string weights() const;
  core::status load_weights(const std::string& bytes);

  impl& internals() { return *p_; }

 private:
  explicit policy(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

}  // namespace lantern::learners
