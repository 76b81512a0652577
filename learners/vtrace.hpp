// learners/vtrace.hpp: V-trace targets (Espeholt et al., 2018, "IMPALA", eq. 1 and the
// policy-gradient advantage of section 4.2) and the PPO-clipped losses APPO trains with.
// Internal to learners/ (torch types). Time-major tensors: [T, B].
//
//   auto v = vtrace(behaviour_logp, target_logp, rewards, values, next_values, discounts, traces);
//   auto loss = ppo_policy_loss(target_logp_with_grad, behaviour_logp, v.pg_advantages, 0.1);
#pragma once

#include <torch/torch.h>

namespace lantern::learners {

struct vtrace_returns {
  torch::Tensor vs;             ///< [T, B] value targets
  torch::Tensor pg_advantages;  ///< [T, B] rho_t (r_t + gamma_t vs_{t+1} - V(x_t))
};

/// V-trace over T steps of B sequences.
/// - values[t] = V(x_t); next_values[t] = V of the observation that step t led to: V(x_{t+1})
///   inside a sequence, the bootstrap V(x_T) at t = T-1, and V(final observation) where an
///   episode was truncated at t.
/// - discounts[t] = gamma, or 0 where the episode terminated at t (nothing follows).
/// - traces[t] = 1 if x_{t+1} continues the same episode, 0 where it ended (terminated or
///   truncated) at t: the correction of the next episode must not flow back into this one.
/// rho_bar and c_bar clip the importance ratios (1.0 in IMPALA).
vtrace_returns vtrace(const torch::Tensor& behaviour_logp, const torch::Tensor& target_logp,
                      const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& next_values,
                      const torch::Tensor& discounts, const torch::Tensor& traces, double rho_bar = 1.0,
                      double c_bar = 1.0);

/// PPO's clipped surrogate: -mean(min(ratio A, clip(ratio, 1-eps, 1+eps) A)), ratio =
/// exp(logp - behaviour_logp).
torch::Tensor ppo_policy_loss(const torch::Tensor& logp, const torch::Tensor& behaviour_logp,
                              const torch::Tensor& advantages, double clip);

/// Clipped value loss: 0.5 mean(max((V - vs)^2, (V_old + clip(V - V_old, -c, c) - vs)^2)),
/// V_old the values the behaviour policy computed when it acted (carried in the rollout).
torch::Tensor clipped_value_loss(const torch::Tensor& values, const torch::Tensor& old_values,
                                 const torch::Tensor& targets, double clip);

}  // namespace lantern::learners
