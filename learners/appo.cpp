#include "learners/appo.hpp"

#include <cmath>
#include <cstring>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>

#include "learners/nets.hpp"
#include "learners/recurrent.hpp"
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

namespace {

// The final observations of the episodes truncated in envs [lo, hi), copied into one batch, and
// the flat transition index of each.
struct finals_batch {
  std::vector<uint32_t> index;
  std::vector<std::vector<std::byte>> arrays;
  std::vector<std::string> text;
  std::vector<std::vector<std::string>> candidates;
  detail::step_view view() const {
    detail::step_view v;
    v.batch = static_cast<int64_t>(index.size());
    for (const auto& a : arrays) v.arrays.push_back(a.data());
    v.text = text.empty() ? nullptr : text.data();
    v.candidates = candidates.empty() ? nullptr : candidates.data();
    return v;
  }
};

finals_batch finals_of(const core::rollout& r, int64_t lo, int64_t hi) {
  finals_batch f;
  const auto& layout = r.layout();
  f.arrays.resize(layout.arrays.size());
  for (size_t k = 0; k < r.final_index.size(); ++k) {
    const auto env = static_cast<int64_t>(r.final_index[k] % r.num_envs());
    if (env < lo || env >= hi) continue;
    f.index.push_back(r.final_index[k]);
    for (size_t a = 0; a < layout.arrays.size(); ++a) {
      const size_t bytes = layout.arrays[a].bytes();
      const std::byte* src = r.final_arrays[a].data() + k * bytes;
      f.arrays[a].insert(f.arrays[a].end(), src, src + bytes);
    }
    if (!r.final_text.empty()) f.text.push_back(r.final_text[k]);
    if (!r.final_candidates.empty()) f.candidates.push_back(r.final_candidates[k]);
  }
  return f;
}

// The T + 1 observations of envs [lo, hi) as one batch, time-major (frame t * n + e - lo): the
// rollout's own memory when the batch is every env, else a copy.
struct frames_batch {
  detail::step_view v;
  std::vector<std::vector<std::byte>> arrays;
  std::vector<std::string> text;
  std::vector<std::vector<std::string>> candidates;
};

void frames_of(const core::rollout& r, int64_t lo, int64_t hi, frames_batch& f) {
  const auto N = static_cast<int64_t>(r.num_envs()), slots = static_cast<int64_t>(r.obs_slots());
  const auto& layout = r.layout();
  f.v = detail::step_view{};
  f.v.batch = slots * (hi - lo);
  if (lo == 0 && hi == N) {
    for (const auto& a : r.arrays) f.v.arrays.push_back(a.data());
    f.v.text = r.text.empty() ? nullptr : r.text.data();
    f.v.candidates = r.candidates.empty() ? nullptr : r.candidates.data();
    return;
  }
  f.arrays.resize(layout.arrays.size());
  for (size_t a = 0; a < layout.arrays.size(); ++a) {
    const size_t bytes = layout.arrays[a].bytes();
    f.arrays[a].resize(static_cast<size_t>(f.v.batch) * bytes);
    for (int64_t t = 0; t < slots; ++t)
      std::memcpy(f.arrays[a].data() + static_cast<size_t>(t * (hi - lo)) * bytes,
                  r.arrays[a].data() + static_cast<size_t>(t * N + lo) * bytes, static_cast<size_t>(hi - lo) * bytes);
    f.v.arrays.push_back(f.arrays[a].data());
  }
  f.text.clear();
  f.candidates.clear();
  for (int64_t t = 0; t < slots; ++t)
    for (int64_t e = lo; e < hi; ++e) {
      if (!r.text.empty()) f.text.push_back(r.text[static_cast<size_t>(t * N + e)]);
      if (!r.candidates.empty()) f.candidates.push_back(r.candidates[static_cast<size_t>(t * N + e)]);
    }
  f.v.text = f.text.empty() ? nullptr : f.text.data();
  f.v.candidates = f.candidates.empty() ? nullptr : f.candidates.data();
}

// What a replay of the policy over a minibatch's T + 1 observations gives.
struct replayed {
  torch::Tensor logits;  // [T, n, A]
  torch::Tensor values;  // [T + 1, n]
  torch::Tensor after;   // [T, n, H], detached: the state each step left (a truncated episode's final
                         // observation follows it)
};

// The reference: the whole network step by step over every env, the minibatch's rows selected
// afterwards. Tests and benchmarks compare the batched replay against it.
replayed replay_stepwise(detail::net& model, const core::rollout& r, const torch::Tensor& envs, torch::Tensor h,
                         const torch::Tensor& done) {
  const auto T = static_cast<int64_t>(r.steps()), N = static_cast<int64_t>(r.num_envs());
  const int64_t H = model.state_size();
  std::vector<torch::Tensor> logits_t, values_t, after_t;
  for (int64_t t = 0; t <= T; ++t) {
    auto out = model.step(detail::view_of(r, static_cast<size_t>(t)), torch::zeros({N, H}).index_copy(0, envs, h));
    values_t.push_back(out.value.index_select(0, envs));
    if (t == T) break;
    logits_t.push_back(out.logits.index_select(0, envs));
    auto next = out.state.index_select(0, envs);
    after_t.push_back(next.detach());
    h = next * (1 - done[t]).unsqueeze(1);
  }
  // Candidate counts differ between steps of a text game: pad to one width.
  int64_t width = 0;
  for (const auto& l : logits_t) width = std::max(width, l.size(1));
  for (auto& l : logits_t)
    if (l.size(1) < width) l = torch::constant_pad_nd(l, {0, width - l.size(1)}, -1e9);
  return {torch::stack(logits_t), torch::stack(values_t), torch::stack(after_t)};
}

// The encoders once over the minibatch's (T + 1) x n frames, the recurrent core step by step,
// the heads once over every state: the same values as the reference, in a few large operations
// instead of T + 1 small ones, and with the other envs' rows never computed.
replayed replay_batched(detail::net& model, const core::rollout& r, int64_t lo, int64_t hi, torch::Tensor h,
                        const torch::Tensor& done, frames_batch& frames) {
  const auto T = static_cast<int64_t>(r.steps()), n = hi - lo;
  frames_of(r, lo, hi, frames);
  auto x = model.encode(frames.v);
  auto keep = (1 - done).unsqueeze(2);  // [T, n, 1]: the state is reset after an episode's end
  auto all = detail::gru_sequence(x.view({T + 1, n, x.size(1)}), h, keep, model.recurrent());  // [T + 1, n, H]
  auto [logits, values] = model.heads(frames.v, all.view({(T + 1) * n, all.size(2)}));
  return {logits.view({T + 1, n, logits.size(1)}).slice(0, 0, T), values.view({T + 1, n}),
          all.slice(0, 0, T).detach()};
}

}  // namespace

core::status check_rollout(const core::rollout& r) {
  const size_t T = r.steps(), N = r.num_envs(), K = r.final_index.size();
  if (!r.full() || T < 1 || N < 1) return core::make_error(core::errc::invalid_argument, "APPO needs a full rollout");
  if (r.behaviour_value.size() != T * N)
    return core::make_error(core::errc::invalid_argument, "APPO: the rollout has no behaviour values");
  size_t truncations = 0;
  for (size_t i = 0; i < T * N; ++i) truncations += r.truncated[i] != 0;
  if (truncations != K)
    return core::make_error(core::errc::invalid_argument, "APPO: " + std::to_string(truncations) +
                                                              " truncated steps but " + std::to_string(K) +
                                                              " final observations");
  for (size_t k = 0; k < K; ++k)
    if (r.final_index[k] >= T * N || !r.truncated[r.final_index[k]] || (k > 0 && r.final_index[k] <= r.final_index[k - 1]))
      return core::make_error(core::errc::invalid_argument, "APPO: a final observation's index is out of order");
  const auto& layout = r.layout();
  if (r.final_arrays.size() != layout.arrays.size())
    return core::make_error(core::errc::invalid_argument, "APPO: final observations lack an array");
  for (size_t a = 0; a < layout.arrays.size(); ++a)
    if (r.final_arrays[a].size() != K * layout.arrays[a].bytes())
      return core::make_error(core::errc::invalid_argument, "APPO: final array '" + layout.arrays[a].name +
                                                                "' has the wrong size");
  if (r.final_text.size() != (layout.has_text ? K : 0) ||
      r.final_candidates.size() != (layout.actions == core::action_kind::text ? K : 0))
    return core::make_error(core::errc::invalid_argument, "APPO: final observations lack their text");
  return {};
}

core::result<update_stats> appo_learner::update(const core::rollout& r, const std::vector<float>& rewards) {
  const auto T = static_cast<int64_t>(r.steps()), N = static_cast<int64_t>(r.num_envs());
  if (auto ok = check_rollout(r); !ok) return ok.error();
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
  auto truncated = torch::tensor(std::vector<float>(r.truncated.begin(), r.truncated.end())).view({T, N});
  auto actions = torch::tensor(r.action, torch::kInt64).view({T, N});
  auto behaviour = torch::tensor(r.behaviour_logp).view({T, N});
  auto behaviour_values = torch::tensor(r.behaviour_value).view({T, N});
  auto h0 = r.initial_state.empty() ? torch::zeros({N, H})
                                    : torch::tensor(r.initial_state).view({N, H});

  update_stats st;
  frames_batch frames;
  const int minibatches = std::max(1, std::min<int>(o.minibatches, static_cast<int>(N)));
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (int mb = 0; mb < minibatches; ++mb) {
      const int64_t lo = N * mb / minibatches, hi = N * (mb + 1) / minibatches;
      auto envs = torch::arange(lo, hi, torch::kInt64);
      auto h = h0.index_select(0, envs);
      auto rp = o.stepwise_replay ? replay_stepwise(model, r, envs, h, done.index_select(1, envs))
                                  : replay_batched(model, r, lo, hi, h, done.index_select(1, envs), frames);
      auto& all_values = rp.values;
      auto logp_all = torch::log_softmax(rp.logits, 2);
      auto act = actions.index_select(1, envs);
      auto logp = logp_all.gather(2, act.unsqueeze(2)).squeeze(2);
      auto entropy = -(torch::softmax(rp.logits, 2) * logp_all).sum(2);

      auto v = all_values.slice(0, 0, T);
      auto next_values = all_values.slice(0, 1, T + 1).detach().clone();
      auto sub_trunc = truncated.index_select(1, envs);
      // A truncated episode bootstraps from the value of its last observation: the one it acted
      // on (`last`), or the final one the cut left it in (`final`); `terminal` reads the cut as
      // an end (nothing follows).
      if (o.truncation == truncation_bootstrap::last)
        next_values = torch::where(sub_trunc > 0, v.detach(), next_values);
      auto finals = o.truncation == truncation_bootstrap::final_observation ? finals_of(r, lo, hi) : finals_batch{};
      if (!finals.index.empty()) {
        torch::NoGradGuard no_grad;
        std::vector<int64_t> rows_t, rows_e;
        for (uint32_t i : finals.index) {
          rows_t.push_back(static_cast<int64_t>(i) / N);
          rows_e.push_back(static_cast<int64_t>(i) % N - lo);
        }
        auto& after = rp.after;
        auto ti = torch::tensor(rows_t, torch::kInt64), ei = torch::tensor(rows_e, torch::kInt64);
        auto states = after.index({ti, ei});
        auto fv = model.step(finals.view(), states).value;
        next_values.index_put_({ti, ei}, fv);
      }
      auto sub_done = done.index_select(1, envs);
      auto ends = o.truncation == truncation_bootstrap::terminal ? sub_done : sub_done - sub_trunc;
      auto disc = o.gamma * (1 - ends);  // a termination zeroes the future
      auto traces = 1 - sub_done;
      auto beh = behaviour.index_select(1, envs);
      auto rew = all_rewards.index_select(1, envs);
      auto targets = vtrace(beh, logp.detach(), rew, v.detach(), next_values, disc, traces, o.rho_bar, o.c_bar);
      auto adv = targets.pg_advantages;
      if (o.normalize_advantages && adv.numel() > 1) adv = (adv - adv.mean()) / adv.std().clamp_min(1e-3);
      auto pl = ppo_policy_loss(logp, beh, adv, o.clip);
      auto vl = clipped_value_loss(v, behaviour_values.index_select(1, envs), targets.vs, o.value_clip);
      auto ent = entropy.mean();
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
      auto ratio = torch::exp(logp.detach() - beh);
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

core::status appo_learner::set_option(const std::string& key, double value) {
  if (!std::isfinite(value) || value < 0) return core::make_error(core::errc::invalid_argument, key + " must be >= 0");
  if (key == "appo.entropy_coef") {
    p_->o.entropy_coef = value;
    return {};
  }
  if (key == "appo.lr") {
    if (value > 1) return core::make_error(core::errc::invalid_argument, "appo.lr must be at most 1");
    p_->o.lr = value;
    for (auto& group : p_->opt.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(value);
    return {};
  }
  return core::make_error(core::errc::invalid_argument, "'" + key + "' is not a live APPO setting");
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
