// learners/nets.hpp: the networks behind learners::policy (internal: torch types). A net takes
// one time step of a batch of envs (a step_view of an obs_batch, or of a rollout at time t)
// and the recurrent state, and returns action logits, values and the next state.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/buffers.hpp"
#include "learners/policy.hpp"

namespace lantern::learners::detail {

/// One time step of B envs, pointing into an obs_batch or a rollout.
struct step_view {
  int64_t batch = 0;
  std::vector<const std::byte*> arrays;                    ///< per layout array: [B, shape...]
  const std::string* text = nullptr;                       ///< B observation texts
  const std::vector<std::string>* candidates = nullptr;    ///< B candidate lists
};

step_view view_of(const core::obs_batch& b);
step_view view_of(const core::rollout& r, size_t t);

struct step_out {
  torch::Tensor logits;  ///< [B, A]; text nets pad missing candidates with a large negative logit
  torch::Tensor value;   ///< [B]
  torch::Tensor state;   ///< [B, H]
};

/// A recurrent policy in three parts, so that a learner can run the parts that do not depend on
/// the recurrent state over all frames of a rollout at once and only the core step by step:
/// `encode` (frames -> features), `advance` (features and state -> next state through the
/// recurrent core, the one sequential part) and `heads` (frames and states -> logits and values).
class net : public torch::nn::Module {
 public:
  virtual int64_t state_size() const = 0;
  /// Features of B frames [B, F]; they depend on the frames only.
  virtual torch::Tensor encode(const step_view& v) = 0;
  /// The recurrent core: a GRU cell from features [B, F] to states [B, H].
  virtual torch::nn::GRUCell& recurrent() = 0;
  /// The next recurrent state [B, H] from features [B, F] and the state [B, H].
  torch::Tensor advance(const torch::Tensor& features, const torch::Tensor& state) {
    return recurrent()(features, state);
  }
  /// Logits [B, A] and values [B] of B frames from the states `advance` gave them.
  virtual std::pair<torch::Tensor, torch::Tensor> heads(const step_view& v, const torch::Tensor& h) = 0;

  /// One time step: heads(v, advance(encode(v), state)).
  step_out step(const step_view& v, const torch::Tensor& state) {
    auto h = advance(encode(v), state);
    auto [logits, value] = heads(v, h);
    return {logits, value, h};
  }
};

/// Text actions: each env's candidate commands (bags of hashed features through `embed` and
/// `in`, each distinct command once when `distinct`) scored against the env's query row;
/// [B, most candidates], missing ones at -1e9.
torch::Tensor score_candidates(const step_view& v, const torch::Tensor& query, torch::nn::EmbeddingBag& embed,
                               torch::nn::Linear& in, uint32_t buckets, bool distinct);

std::shared_ptr<net> make_text_net(const policy_options& o);
std::shared_ptr<net> make_nethack_net(const core::obs_layout& layout, const policy_options& o);
std::shared_ptr<net> make_generic_net(const core::obs_layout& layout, const policy_options& o);

}  // namespace lantern::learners::detail

namespace lantern::learners {

struct policy::impl {
  std::string kind;
  std::shared_ptr<detail::net> model;
  core::obs_layout layout;
};

}  // namespace lantern::learners
