#include "learners/vtrace.hpp"

namespace lantern::learners {

vtrace_returns vtrace(const torch::Tensor& behaviour_logp, const torch::Tensor& target_logp,
                      const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& next_values,
                      const torch::Tensor& discounts, const torch::Tensor& traces, double rho_bar, double c_bar) {
  torch::NoGradGuard no_grad;
  const auto ratio = torch::exp(target_logp - behaviour_logp);
  const auto rho = torch::clamp_max(ratio, rho_bar);
  const auto c = torch::clamp_max(ratio, c_bar);
  const auto deltas = rho * (rewards + discounts * next_values - values);
  const auto carry = discounts * c * traces;
  const int64_t T = values.size(0);
  auto vs_minus_v = torch::zeros_like(values);
  auto acc = torch::zeros_like(values[0]);
  for (int64_t t = T - 1; t >= 0; --t) {
    acc = deltas[t] + carry[t] * acc;
    vs_minus_v[t] = acc;
  }
  vtrace_returns out;
  out.vs = vs_minus_v + values;
  // The target of the next state: vs_{t+1} inside an episode, the (bootstrap or final) value
  // where the sequence or the episode stops.
  auto next_vs = next_values.clone();
  if (T > 1) {
    auto inside = traces.slice(0, 0, T - 1);
    next_vs.slice(0, 0, T - 1) = inside * out.vs.slice(0, 1) + (1 - inside) * next_values.slice(0, 0, T - 1);
  }
  out.pg_advantages = rho * (rewards + discounts * next_vs - values);
  return out;
}

torch::Tensor ppo_policy_loss(const torch::Tensor& logp, const torch::Tensor& behaviour_logp,
                              const torch::Tensor& advantages, double clip) {
  const auto ratio = torch::exp(logp - behaviour_logp);
  const auto unclipped = ratio * advantages;
  const auto clipped = torch::clamp(ratio, 1.0 - clip, 1.0 + clip) * advantages;
  return -torch::min(unclipped, clipped).mean();
}

torch::Tensor clipped_value_loss(const torch::Tensor& values, const torch::Tensor& old_values,
                                 const torch::Tensor& targets, double clip) {
  const auto unclipped = (values - targets).pow(2);
  const auto clipped = (old_values + torch::clamp(values - old_values, -clip, clip) - targets).pow(2);
  return 0.5 * torch::max(unclipped, clipped).mean();
}

}  // namespace lantern::learners
