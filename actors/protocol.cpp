#include "actors/protocol.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lantern::actors {

void add_message_types(caf::actor_system_config& cfg) { cfg.add_message_types<caf::id_block::lantern>(); }

namespace {

std::vector<uint8_t> to_bytes(const std::vector<std::byte>& a) {
  std::vector<uint8_t> out(a.size());
  if (!a.empty()) std::memcpy(out.data(), a.data(), a.size());
  return out;
}

std::vector<std::byte> from_bytes(const std::vector<uint8_t>& a) {
  std::vector<std::byte> out(a.size());
  if (!a.empty()) std::memcpy(out.data(), a.data(), a.size());
  return out;
}

core::error_info bad(const std::string& what) { return core::make_error(core::errc::invalid_argument, "rollout: " + what); }

bool all_finite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

}  // namespace

rollout_msg to_message(const core::rollout& r, uint64_t runner) {
  rollout_msg m;
  m.runner = runner;
  m.policy_version = r.policy_version;
  m.steps = static_cast<uint32_t>(r.steps());
  m.num_envs = static_cast<uint32_t>(r.num_envs());
  for (const auto& a : r.arrays) m.arrays.push_back(to_bytes(a));
  m.text = r.text;
  m.caption = r.caption;
  m.candidates = r.candidates;
  m.action = r.action;
  m.behaviour_logp = r.behaviour_logp;
  m.behaviour_value = r.behaviour_value;
  m.reward = r.reward;
  m.initial_state = r.initial_state;
  m.done = r.done;
  m.truncated = r.truncated;
  m.final_index = r.final_index;
  for (const auto& a : r.final_arrays) m.final_arrays.push_back(to_bytes(a));
  m.final_text = r.final_text;
  m.final_candidates = r.final_candidates;
  return m;
}

core::result<core::rollout> from_message(const rollout_msg& m, const core::obs_layout& layout) {
  // Every size is checked against what the layout says before the rollout is allocated.
  const uint64_t T = m.steps, N = m.num_envs;
  if (T == 0 || N == 0) return bad("no steps or no envs");
  if (T * N > max_rollout_transitions)
    return bad(std::to_string(T) + " steps x " + std::to_string(N) + " envs is more than " +
               std::to_string(max_rollout_transitions) + " transitions");
  const uint64_t n = T * N, slots = (T + 1) * N;
  if (m.arrays.size() != layout.arrays.size())
    return bad(std::to_string(m.arrays.size()) + " arrays, the layout has " + std::to_string(layout.arrays.size()));
  for (size_t a = 0; a < m.arrays.size(); ++a)
    if (m.arrays[a].size() != layout.arrays[a].bytes() * slots)
      return bad("array '" + layout.arrays[a].name + "' has the wrong size");
  const bool text_actions = layout.actions == core::action_kind::text;
  if (m.action.size() != n || m.behaviour_logp.size() != n || m.behaviour_value.size() != n || m.reward.size() != n ||
      m.done.size() != n || m.truncated.size() != n || m.text.size() != (layout.has_text ? slots : 0) ||
      m.caption.size() != (layout.has_caption ? n : 0) || m.candidates.size() != (text_actions ? slots : 0))
    return bad("per-transition vectors have the wrong size");
  for (uint64_t i = 0; i < n; ++i) {
    const int32_t a = m.action[i];
    const uint64_t limit = text_actions ? m.candidates[i].size() : static_cast<uint64_t>(std::max(0, layout.num_actions));
    if (a < 0 || static_cast<uint64_t>(a) >= limit)
      return bad("action " + std::to_string(a) + " at transition " + std::to_string(i) + " is not one of the " +
                 std::to_string(limit) + " offered");
    if (m.truncated[i] && !m.done[i]) return bad("a truncated step that is not done");
  }
  if (!all_finite(m.behaviour_logp) || !all_finite(m.behaviour_value) || !all_finite(m.reward) ||
      !all_finite(m.initial_state))
    return bad("a log-probability, value, reward or state is not finite");
  const uint64_t K = m.final_index.size();
  if (K > n || m.final_arrays.size() != layout.arrays.size() || m.final_text.size() != (layout.has_text ? K : 0) ||
      m.final_candidates.size() != (text_actions ? K : 0))
    return bad("final observations do not match the truncated steps");
  for (size_t a = 0; a < m.final_arrays.size(); ++a)
    if (m.final_arrays[a].size() != layout.arrays[a].bytes() * K)
      return bad("final array '" + layout.arrays[a].name + "' has the wrong size");

  core::rollout r(layout, T, N);
  for (size_t a = 0; a < m.arrays.size(); ++a)
    if (!m.arrays[a].empty()) std::memcpy(r.arrays[a].data(), m.arrays[a].data(), m.arrays[a].size());
  r.text = m.text;
  r.caption = m.caption;
  r.candidates = m.candidates;
  r.action = m.action;
  r.behaviour_logp = m.behaviour_logp;
  r.behaviour_value = m.behaviour_value;
  r.reward = m.reward;
  r.done = m.done;
  r.truncated = m.truncated;
  r.initial_state = m.initial_state;
  r.policy_version = m.policy_version;
  r.final_index = m.final_index;
  for (size_t a = 0; a < m.final_arrays.size(); ++a) r.final_arrays[a] = from_bytes(m.final_arrays[a]);
  r.final_text = m.final_text;
  r.final_candidates = m.final_candidates;
  r.mark_full();
  return r;
}

}  // namespace lantern::actors
