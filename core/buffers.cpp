#include "core/buffers.hpp"

#include <cstring>
#include <stdexcept>

namespace lantern::core {

bool operator==(const array_spec& a, const array_spec& b) noexcept {
  return a.name == b.name && a.type == b.type && a.shape == b.shape;
}

bool operator==(const obs_layout& a, const obs_layout& b) noexcept {
  return a.arrays == b.arrays && a.has_text == b.has_text && a.has_caption == b.has_caption &&
         a.actions == b.actions && (a.actions == action_kind::text || a.num_actions == b.num_actions);
}

std::string describe(const obs_layout& l) {
  static const char* types[] = {"u8", "i16", "i32", "f32"};
  std::string out;
  for (const auto& a : l.arrays) {
    out += (out.empty() ? "" : ", ") + a.name + " " + types[static_cast<int>(a.type)] + "[";
    for (size_t d = 0; d < a.shape.size(); ++d) out += (d ? "x" : "") + std::to_string(a.shape[d]);
    out += "]";
  }
  if (l.has_text) out += out.empty() ? "text" : ", text";
  if (l.has_caption) out += ", caption";
  out += l.actions == action_kind::text ? ", text actions" : ", " + std::to_string(l.num_actions) + " actions";
  return out;
}


size_t dtype_size(dtype t) noexcept {
  switch (t) {
    case dtype::u8: return 1;
    case dtype::i16: return 2;
    case dtype::i32: return 4;
    case dtype::f32: return 4;
  }
  return 1;
}

size_t array_spec::elements() const noexcept {
  size_t n = 1;
  for (auto d : shape) n *= static_cast<size_t>(d);
  return n;
}

obs_batch::obs_batch(const obs_layout& layout, size_t num_envs)
    : text(num_envs),
      caption(num_envs),
      candidates(num_envs),
      reward(num_envs, 0.0f),
      terminated(num_envs, 0),
      truncated(num_envs, 0),
      success(num_envs, 0),
      score(num_envs, 0.0f),
      episode_step(num_envs, 0),
      note(num_envs),
      layout_(layout),
      num_envs_(num_envs) {
  arrays_.reserve(layout.arrays.size());
  for (const auto& a : layout.arrays) arrays_.emplace_back(a.bytes() * num_envs);
}

rollout::rollout(const obs_layout& layout, size_t steps, size_t num_envs)
    : text(layout.has_text ? (steps + 1) * num_envs : 0),
      candidates(layout.actions == action_kind::text ? (steps + 1) * num_envs : 0),
      caption(layout.has_caption ? steps * num_envs : 0),
      action(steps * num_envs, 0),
      behaviour_logp(steps * num_envs, 0.0f),
      behaviour_value(steps * num_envs, 0.0f),
      reward(steps * num_envs, 0.0f),
      done(steps * num_envs, 0),
      truncated(steps * num_envs, 0),
      final_arrays(layout.arrays.size()),
      layout_(layout),
      steps_(steps),
      num_envs_(num_envs) {
  arrays.reserve(layout.arrays.size());
  for (const auto& a : layout.arrays) arrays.emplace_back(a.bytes() * (steps + 1) * num_envs);
}

void rollout::clear() noexcept {
  filled_ = 0;
  final_index.clear();
  for (auto& f : final_arrays) f.clear();
  final_text.clear();
  final_candidates.clear();
}

void rollout::copy_slot(size_t slot, const obs_batch& from) {
  for (size_t a = 0; a < arrays.size(); ++a) {
    const auto& src = from.array_bytes(a);
    std::memcpy(arrays[a].data() + slot * src.size(), src.data(), src.size());
  }
  for (size_t e = 0; e < num_envs_; ++e) {
    if (!text.empty()) text[slot * num_envs_ + e] = from.text[e];
    if (!candidates.empty()) candidates[slot * num_envs_ + e] = from.candidates[e];
  }
}

void rollout::append(const obs_batch& before, const std::vector<int32_t>& actions, const std::vector<float>& logp,
                     const std::vector<float>& values, const obs_batch& after, const obs_batch* finals) {
  if (full()) throw std::logic_error("rollout::append on a full rollout");
  if (before.size() != num_envs_ || after.size() != num_envs_ || actions.size() != num_envs_)
    throw std::invalid_argument("rollout::append: batch size does not match the rollout");
  if (finals && finals->size() != num_envs_)
    throw std::invalid_argument("rollout::append: final observations do not match the rollout");
  const size_t t = filled_;
  copy_slot(t, before);
  for (size_t e = 0; e < num_envs_; ++e) {
    size_t i = at(t, e);
    if (!caption.empty()) caption[i] = after.caption[e];
    action[i] = actions[e];
    behaviour_logp[i] = logp.empty() ? 0.0f : logp[e];
    behaviour_value[i] = values.empty() ? 0.0f : values[e];
    reward[i] = after.reward[e];
    done[i] = after.terminated[e] || after.truncated[e];
    truncated[i] = after.truncated[e] && !after.terminated[e];
    if (truncated[i] && finals) {
      final_index.push_back(static_cast<uint32_t>(i));
      for (size_t a = 0; a < final_arrays.size(); ++a) {
        const size_t bytes = layout_.arrays[a].bytes();
        const std::byte* src = finals->array_bytes(a).data() + e * bytes;
        final_arrays[a].insert(final_arrays[a].end(), src, src + bytes);
      }
      if (layout_.has_text) final_text.push_back(finals->text[e]);
      if (layout_.actions == action_kind::text) final_candidates.push_back(finals->candidates[e]);
    }
  }
  ++filled_;
  if (full()) copy_slot(steps_, after);
}

}  // namespace lantern::core
