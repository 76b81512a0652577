#include "actors/protocol.hpp"

#include <cstring>

namespace lantern::actors {

void add_message_types(caf::actor_system_config& cfg) { cfg.add_message_types<caf::id_block::lantern>(); }

rollout_msg to_message(const core::rollout& r, uint64_t runner) {
  rollout_msg m;
  m.runner = runner;
  m.policy_version = r.policy_version;
  m.steps = static_cast<uint32_t>(r.steps());
  m.num_envs = static_cast<uint32_t>(r.num_envs());
  for (const auto& a : r.arrays) {
    m.arrays.emplace_back(a.size());
    if (!a.empty()) std::memcpy(m.arrays.back().data(), a.data(), a.size());
  }
  m.text = r.text;
  m.caption = r.caption;
  m.candidates = r.candidates;
  m.action = r.action;
  m.behaviour_logp = r.behaviour_logp;
  m.reward = r.reward;
  m.initial_state = r.initial_state;
  m.done = r.done;
  m.truncated = r.truncated;
  return m;
}

core::result<core::rollout> from_message(const rollout_msg& m, const core::obs_layout& layout) {
  if (m.arrays.size() != layout.arrays.size())
    return core::make_error(core::errc::invalid_argument, "rollout: " + std::to_string(m.arrays.size()) +
                                                              " arrays, the layout has " +
                                                              std::to_string(layout.arrays.size()));
  core::rollout r(layout, m.steps, m.num_envs);
  const size_t n = static_cast<size_t>(m.steps) * m.num_envs;
  for (size_t a = 0; a < m.arrays.size(); ++a) {
    if (m.arrays[a].size() != r.arrays[a].size())
      return core::make_error(core::errc::invalid_argument, "rollout: array '" + layout.arrays[a].name +
                                                                "' has the wrong size");
    if (!m.arrays[a].empty()) std::memcpy(r.arrays[a].data(), m.arrays[a].data(), m.arrays[a].size());
  }
  auto sized = [&](size_t got, size_t want) { return got == want; };
  if (!sized(m.action.size(), n) || !sized(m.behaviour_logp.size(), n) || !sized(m.reward.size(), n) ||
      !sized(m.done.size(), n) || !sized(m.truncated.size(), n) || m.text.size() != r.text.size() ||
      m.caption.size() != r.caption.size() || m.candidates.size() != r.candidates.size())
    return core::make_error(core::errc::invalid_argument, "rollout: per-transition vectors have the wrong size");
  r.text = m.text;
  r.caption = m.caption;
  r.candidates = m.candidates;
  r.action = m.action;
  r.behaviour_logp = m.behaviour_logp;
  r.reward = m.reward;
  r.done = m.done;
  r.truncated = m.truncated;
  r.initial_state = m.initial_state;
  r.policy_version = m.policy_version;
  r.mark_full();
  return r;
}

}  // namespace lantern::actors
