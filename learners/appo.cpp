#include "learners/appo.hpp"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>

#include "learners/nets.hpp"
#include "learners/torch_util.hpp"
#include "learners/vtrace.hpp"

namespace lantern::learners {

struct appo_learner::impl {
  impl(policy& p, appo_options options)
      : pol(p), opt(p.internals().model->parameters(), torch::optim::AdamOptions(options.lr).eps(options.adam_eps)),
        o(options) {}
  policy& pol;
  torch::optim::Adam opt;
  appo_options o;
};

appo_learner::appo_learner(policy& p, appo_options o) : p_(std::make_unique<impl>(p, o)) {}
appo_learner::~appo_learner() = default;

core::result<update_stats> appo_learner::update(const core::rollout& r, const std::vector<float>& rewards) {
  const auto T = static_cast<int64_t>(r.steps()), N = static_cast<int64_t>(r.num_envs());
  if (!r.full() || T < 2) return core::make_error(core::errc::invalid_argument, "APPO needs a full rollout of at least 2 steps");
  if (!rewards.empty() && rewards.size() != static_cast<size_t>(T * N))
    return core::make_error(core::errc::invalid_argument, "APPO: one reward per transition is needed");
  auto& model = *p_->pol.internals().model;
  const int64_t H = model.state_size();
  if (!r.initial_state.empty() && r.initial_state.size() != static_cast<size_t>(N * H))
    return core::make_error(core::errc::invalid_argument, "APPO: the rollout's recurrent state has the wrong size");
  const auto& o = p_->o;
  model.train();

  auto all_rewards = torch::tensor(rewards.empty() ? r.reward : rewards).view({T, N});
  auto done = torch::tensor(std::vector<float>(r.done.begin(), r.done.end())).view({T, N});
  auto actions = torch::tensor(r.action, torch::kInt64).view({T, N});
  auto behaviour = torch::tensor(r.behaviour_logp).view({T, N});
  auto h0 = r.initial_state.empty() ? torch::zeros({N, H})
                                    : torch::tensor(r.initial_state).view({N, H});

  update_stats st;
  const int minibatches = std::max(1, std::min<int>(o.minibatches, static_cast<int>(N)));
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (int mb = 0; mb < minibatches; ++mb) {
      const int64_t lo = N * mb / minibatches, hi = N * (mb + 1) / minibatches;
      auto envs = torch::arange(lo, hi, torch::kInt64);
      // Replay the policy over the rollout, carrying the state and resetting it after an end.
      auto h = h0.index_select(0, envs);
      std::vector<torch::Tensor> logits_t, values_t;
      for (int64_t t = 0; t < T; ++t) {
        auto view = detail::view_of(r, static_cast<size_t>(t));
        auto out = model.step(view, torch::zeros({N, H}).index_copy(0, envs, h));
        auto lg = out.logits.index_select(0, envs);
        logits_t.push_back(lg);
        values_t.push_back(out.value.index_select(0, envs));
        h = out.state.index_select(0, envs) * (1 - done[t].index_select(0, envs)).unsqueeze(1);
      }
      // Candidate counts differ between steps of a text game: pad to one width.
      int64_t width = 0;
      for (const auto& l : logits_t) width = std::max(width, l.size(1));
      for (auto& l : logits_t)
        if (l.size(1) < width) l = torch::constant_pad_nd(l, {0, width - l.size(1)}, -1e9);
      auto logits = torch::stack(logits_t);  // [T, n, A]
      auto values = torch::stack(values_t);  // [T, n]
      auto logp_all = torch::log_softmax(logits, 2);
      auto act = actions.index_select(1, envs);
      auto logp = logp_all.gather(2, act.unsqueeze(2)).squeeze(2);
      auto entropy = -(torch::softmax(logits, 2) * logp_all).sum(2);

      // The last step is the bootstrap: learn from steps 0..T-2.
      const int64_t L = T - 1;
      auto beh = behaviour.index_select(1, envs).slice(0, 0, L);
      auto rew = all_rewards.index_select(1, envs).slice(0, 0, L);
      auto disc = o.gamma * (1 - done.index_select(1, envs).slice(0, 0, L));
      auto v = values.slice(0, 0, L);
      auto targets = vtrace(beh, logp.slice(0, 0, L).detach(), rew, v.detach(), values[L].detach(), disc, o.rho_bar,
                            o.c_bar);
      auto adv = targets.pg_advantages;
      if (o.normalize_advantages && adv.numel() > 1) adv = (adv - adv.mean()) / adv.std().clamp_min(1e-3);
      auto pl = ppo_policy_loss(logp.slice(0, 0, L), beh, adv, o.clip);
      auto vl = clipped_value_loss(v, v.detach(), targets.vs, o.value_clip);
      auto ent = entropy.slice(0, 0, L).mean();
      auto loss = pl + o.value_coef * vl - o.entropy_coef * ent;
      p_->opt.zero_grad();
      loss.backward();
      auto gn = torch::nn::utils::clip_grad_norm_(model.parameters(), o.grad_clip);
      p_->opt.step();
      ++st.optimizer_steps;
      st.policy_loss += pl.item<float>();
      st.value_loss += vl.item<float>();
      st.entropy += ent.item<float>();
      st.grad_norm += static_cast<float>(gn);
      st.mean_value += v.mean().item<float>();
      auto ratio = torch::exp(logp.slice(0, 0, L).detach() - beh);
      st.clip_fraction += ((ratio - 1).abs() > o.clip).to(torch::kFloat32).mean().item<float>();
    }
  }
  const float k = static_cast<float>(std::max(1, st.optimizer_steps));
  st.policy_loss /= k;
  st.value_loss /= k;
  st.entropy /= k;
  st.grad_norm /= k;
  st.mean_value /= k;
  st.clip_fraction /= k;
  st.policy_version = ++version_;
  return st;
}

core::status appo_learner::save(std::ostream& out) const {
  cereal::PortableBinaryOutputArchive ar(out);
  ar(std::string("appo-v1"), version_, detail::optimizer_bytes(p_->opt));
  return {};
}

core::status appo_learner::load(std::istream& in) {
  try {
    cereal::PortableBinaryInputArchive ar(in);
    std::string tag, opt;
    ar(tag);
    if (tag != "appo-v1") return core::make_error(core::errc::parse, "not an APPO learner checkpoint: '" + tag + "'");
    ar(version_, opt);
    detail::load_optimizer_bytes(p_->opt, opt);
  } catch (const std::exception& e) {
    return core::make_error(core::errc::parse, std::string("APPO learner: ") + e.what());
  }
  return {};
}

}  // namespace lantern::learners
