#include "envs/vector_env.hpp"

#include <cstring>
#include <stdexcept>

#include "core/rng.hpp"

namespace lantern::envs {

vector_env::vector_env(std::vector<std::unique_ptr<env>> envs, uint64_t seed)
    : envs_(std::move(envs)), seed_(seed) {
  if (envs_.empty()) throw std::invalid_argument("vector_env needs at least one env");
  for (const auto& e : envs_)
    if (e->spec().name != envs_.front()->spec().name)
      throw std::invalid_argument("vector_env: all envs must be of one kind");
  batch_ = core::obs_batch(spec().layout, envs_.size());
  final_ = core::obs_batch(spec().layout, envs_.size());
  episode_index_.assign(envs_.size(), 0);
  running_return_.assign(envs_.size(), 0.0f);
}

core::result<vector_env> vector_env::create(const env_registry& reg, const std::string& name, const core::config& cfg,
                                            size_t n, uint64_t seed) {
  if (n == 0) return core::make_error(core::errc::invalid_argument, "vector_env: number of envs must be positive");
  std::vector<std::unique_ptr<env>> envs;
  envs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto e = reg.create(name, cfg);
    if (!e) return e.error();
    envs.push_back(std::move(e.value()));
  }
  return vector_env(std::move(envs), seed);
}

uint64_t vector_env::env_seed(size_t i) const noexcept { return core::derive_seed(seed_, i); }

uint64_t vector_env::episode_seed(size_t i) const noexcept {
  return core::derive_seed(env_seed(i), episode_index_[i]);
}

const core::obs_batch& vector_env::reset() {
  for (size_t i = 0; i < envs_.size(); ++i) {
    envs_[i]->reset(episode_seed(i), slot(batch_, i));
    envs_[i]->prefetch_reset(core::derive_seed(env_seed(i), episode_index_[i] + 1));
    batch_.episode_step[i] = 0;
    running_return_[i] = 0.0f;
  }
  return batch_;
}

const core::obs_batch& vector_env::step(const std::vector<int32_t>& actions) {
  if (actions.size() != envs_.size()) throw std::invalid_argument("vector_env::step: one action per env");
  picked_.resize(actions.size());
  for (size_t i = 0; i < actions.size(); ++i) picked_[i] = action::pick(actions[i]);
  return step(picked_);
}

const core::obs_batch& vector_env::step(const std::vector<action>& actions) {
  if (actions.size() != envs_.size()) throw std::invalid_argument("vector_env::step: one action per env");
  // Every env that splits its steps has its request in flight before any answer is awaited.
  begun_.assign(envs_.size(), 0);
  for (size_t i = 0; i < envs_.size(); ++i) begun_[i] = envs_[i]->begin_step(actions[i]);
  for (size_t i = 0; i < envs_.size(); ++i) {
    batch_.note[i].clear();
    if (begun_[i]) envs_[i]->end_step(slot(batch_, i));
    else envs_[i]->step(actions[i], slot(batch_, i));
    after_step(i);
  }
  return batch_;
}

void vector_env::after_step(size_t i) {
  ++total_steps_;
  ++batch_.episode_step[i];
  // The spec's step limit holds whatever the env does: an episode that reaches it is cut.
  const int32_t limit = spec().max_episode_steps;
  if (limit > 0 && batch_.episode_step[i] >= limit && !batch_.terminated[i]) batch_.truncated[i] = 1;
  running_return_[i] += batch_.reward[i];
  if (!batch_.terminated[i] && !batch_.truncated[i]) return;

  episode_record rec;
  rec.env = i;
  rec.seed = episode_seed(i);
  rec.episode_return = running_return_[i];
  rec.length = batch_.episode_step[i];
  rec.success = batch_.success[i];
  rec.truncated = batch_.truncated[i];
  rec.score = batch_.score[i];
  rec.note = batch_.note[i];
  finished_.push_back(rec);
  ++total_episodes_;

  if (batch_.truncated[i] && !batch_.terminated[i]) {  // the learner bootstraps from this observation
    for (size_t a = 0; a < spec().layout.arrays.size(); ++a) {
      const size_t bytes = spec().layout.arrays[a].bytes();
      std::memcpy(final_.array<std::byte>(a, i), batch_.array<std::byte>(a, i), bytes);
    }
    final_.text[i] = batch_.text[i];
    final_.candidates[i] = batch_.candidates[i];
  }

  // Auto-reset, keeping the last step's outcome and caption in the slot.
  const float reward = batch_.reward[i];
  const bool term = batch_.terminated[i], trunc = batch_.truncated[i], succ = batch_.success[i];
  const float score = batch_.score[i];
  saved_caption_.swap(batch_.caption[i]);
  saved_note_.swap(batch_.note[i]);
  ++episode_index_[i];
  slot s(batch_, i);
  envs_[i]->reset(episode_seed(i), s);
  envs_[i]->prefetch_reset(core::derive_seed(env_seed(i), episode_index_[i] + 1));
  s.outcome(reward, term, trunc, succ, score);
  saved_caption_.swap(batch_.caption[i]);
  saved_note_.swap(batch_.note[i]);
  batch_.episode_step[i] = 0;
  running_return_[i] = 0.0f;
}

std::vector<episode_record> vector_env::drain_finished() {
  std::vector<episode_record> out;
  out.swap(finished_);
  return out;
}

}  // namespace lantern::envs
