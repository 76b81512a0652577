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

class net : public torch::nn::Module {
 public:
  virtual int64_t state_size() const = 0;
  virtual step_out step(const step_view& v, const torch::Tensor& state) = 0;
};

/// Text actions: each env's candidate commands (bags of hashed features through `embed` and
/// `in`) scored against the env's query row; [B, most candidates], missing ones at -1e9.
torch::Tensor score_candidates(const step_view& v, const torch::Tensor& query, torch::nn::EmbeddingBag& embed,
                               torch::nn::Linear& in, uint32_t buckets);

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
