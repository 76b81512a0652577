// actors/protocol.hpp: every message Lantern's actors exchange, as plain structs with an
// inspect() overload and a CAF type id, so that any actor can run on another node unchanged.
// Bulk payloads are flat buffers (a rollout's arrays are byte vectors with the layout's shapes).
//
//   caf::actor_system_config cfg;
//   actors::add_message_types(cfg);           // before the actor system starts, on every node
//   self->send(learner, actors::to_message(rollout, runner_id));
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/type_id.hpp>

#include "core/buffers.hpp"
#include "core/error.hpp"

namespace lantern::actors {

// Atoms of the messages without a payload struct (at most 10 characters each).
using tick_atom = caf::atom_constant<caf::atom("tick")>;        ///< a runner: step the next rollout
using poll_atom = caf::atom_constant<caf::atom("poll")>;        ///< the reward learner: poll labels
using stats_atom = caf::atom_constant<caf::atom("stats")>;      ///< a learner: answer with its typed status
using save_atom = caf::atom_constant<caf::atom("save")>;        ///< a learner: answer with its state
using join_atom = caf::atom_constant<caf::atom("join")>;        ///< a runner joins the learner
using halt_atom = caf::atom_constant<caf::atom("halt")>;        ///< a supervisor: stop every runner
using restart_atom = caf::atom_constant<caf::atom("restart")>;  ///< a supervisor: start a runner again
using pause_atom = caf::atom_constant<caf::atom("pause")>;      ///< runners: stop acting (true) or go on (false)
using captions_atom = caf::atom_constant<caf::atom("captions")>;  ///< the reward learner: recent labels
using set_atom = caf::atom_constant<caf::atom("set")>;          ///< a learner: a live setting, key and value

/// What a runner says of itself with every rollout (the learner keeps the latest).
struct runner_report {
  uint32_t mailbox = 0;    ///< messages waiting in its mailbox
  uint32_t in_flight = 0;  ///< rollouts sent and not yet acknowledged
  uint32_t attempt = 0;    ///< restarts of this runner so far
  uint64_t ticks = 0;      ///< rollouts it has made
};

/// T steps of N envs from one runner (core::rollout, flattened for the wire).
struct rollout_msg {
  uint64_t runner = 0;
  runner_report report;
  uint64_t policy_version = 0;  ///< the weights that acted: the learner measures policy lag
  uint32_t steps = 0, num_envs = 0;
  std::vector<std::vector<uint8_t>> arrays;  ///< per layout array: [T+1, N, shape...]
  std::vector<std::string> text, caption;    ///< text: [(T+1)*N]; caption: [T*N]
  std::vector<std::vector<std::string>> candidates;  ///< [(T+1)*N]
  std::vector<int32_t> action;
  std::vector<float> behaviour_logp, behaviour_value, reward, initial_state;
  std::vector<uint8_t> done, truncated;
  std::vector<uint32_t> final_index;  ///< final observations of truncated episodes (core::rollout)
  std::vector<std::vector<uint8_t>> final_arrays;
  std::vector<std::string> final_text;
  std::vector<std::vector<std::string>> final_candidates;
};

/// Versioned policy weights, broadcast by the policy learner to the runners.
struct policy_weights {
  uint64_t version = 0;
  std::string bytes;
};

/// The learner's answer to each rollout: it was taken, and with it the newest weights when the
/// runner's are train.weights_every or more updates old (weights.bytes empty otherwise). Weights
/// reach a runner only this way (and once when it joins), so a runner gets at most one weights
/// message per rollout, however slow its link: versions that were superseded before its next
/// ack are never sent (the learner counts them as weights_skipped).
struct rollout_ack {
  policy_weights weights;
};

/// Versioned reward-model snapshot, published by the reward learner.
struct reward_snapshot {
  uint64_t version = 0;
  std::string model;  ///< "retrieval", "classification", ...
  std::string bytes;
};

/// Captions that need a label (sent once: the sender keeps a pending set).
struct caption_batch {
  std::vector<std::string> captions;
};

/// Labels for captions (classification) or pairs (ranking: caption2 non-empty).
struct label_batch {
  std::vector<std::string> captions, captions2;
  std::vector<int32_t> labels;
};

/// Finished episodes, reported by a runner.
struct episode_batch {
  uint64_t runner = 0;
  std::vector<float> returns, scores;
  std::vector<int32_t> lengths;
  std::vector<uint8_t> successes;
};

/// A command from the operator (pause, resume, checkpoint, set a coefficient).
struct control_msg {
  std::string command;
  std::string argument;
};

/// A runner as the policy learner last heard of it. Typed, like every status below, so that a
/// renamed field fails to compile instead of silently reading zero.
struct runner_status {
  uint64_t id = 0, node = 0;  ///< node: the id's top bits (runner ids are node << 24 | ...)
  uint64_t rollouts = 0, steps = 0;
  double steps_per_second = 0;  ///< over its recent rollouts, as the learner received them
  double seconds_since = 0;     ///< since its last rollout
  runner_report report;
  uint64_t weights = 0;  ///< weights messages sent to it (its join's, then at most one per rollout)
  bool paused = false;
};

/// The policy learner's status (stats_atom).
struct learner_status {
  uint64_t env_steps = 0, updates = 0, episodes = 0, policy_version = 0, reward_version = 0;
  double mean_return = 0, success_rate = 0, policy_lag = 0, updates_per_second = 0;
  double policy_loss = 0, value_loss = 0, entropy = 0, intrinsic_mean = 0, intrinsic_nonzero = 0;
  double intrinsic_coef = 0, extrinsic_coef = 0;  ///< shaping as it is now (live-changeable)
  double intrinsic_return = 0;  ///< what the intrinsic reward added to each of the last 100 episodes, mean
  std::string guard;            ///< shaping.guard
  uint64_t weights_sent = 0;     ///< weights messages sent to runners (joins and acks)
  uint64_t weights_skipped = 0;  ///< versions a runner never got because a newer one went instead
  bool finite = true;
  uint32_t mailbox = 0;
  std::vector<runner_status> runners;
};

/// The reward learner's status (stats_atom). requested = received + given_up + pending.
struct reward_status {
  std::string model;
  uint64_t requested = 0, received = 0, pending = 0, given_up = 0, dropped = 0, retries = 0, in_flight = 0;
  uint64_t unanswered = 0, lost = 0, dataset = 0, snapshot_version = 0;
  bool annotator_known = true;
  double loss = 0, accuracy = 0;
  /// Reward drift: the distance between the model's rewards on the probe captions now and at
  /// the previous measurement (learners/drift.hpp); NaN before the second measurement.
  double drift = std::nan("");
  uint64_t drift_probes = 0, drift_measurements = 0;
  /// Labels the model trusts less because its members confidently disagree with them (ensemble).
  uint64_t contested = 0;
  double disagreement = 0;  ///< the members' mean disagreement on the probe captions (ensemble)
  uint32_t members = 0;     ///< an ensemble's members (0: a single model)
  bool trains = false;      ///< the model fits its labels: loss and accuracy mean something
  uint32_t mailbox = 0;
};

/// A labelled caption as the trainer received it (captions_atom: the most recent first).
struct caption_record {
  std::string caption, caption2, label, backend, model, prompt_version;
  double seconds = 0;  ///< since the epoch, when it arrived
};

/// Where the annotator service is (a ZeroMQ endpoint): the reward learner (re)connects to it.
struct annotator_at {
  std::string endpoint;
};

/// Version of the cluster messages below; a node of another version is refused when it joins.
inline constexpr uint32_t cluster_protocol_version = 3;  // 2: weights ride on rollout acks; 3: status carries guard, drift, ensemble

/// A node asks the head's directory to admit it (the sender is the node's agent actor, which
/// the directory monitors).
struct join_request {
  uint32_t version = cluster_protocol_version;
  std::string token, node, roles;
  std::string annotator_endpoint;  ///< annotator nodes: where their ZeroMQ service listens
};

/// The directory's answer: the node's stable id (by name), the run's config and the learner.
struct join_reply {
  uint64_t node_id = 0;
  std::string config;  ///< the head's config as TOML: every node acts with the same settings
  caf::actor learner;
};

/// An operator's command to the cluster (`lantern envs attach|detach|list`), with the token.
struct control_request {
  std::string token, command;
  std::vector<std::string> args;
};

/// The answer to a control_request: ok, or refused with a reason; text for a person.
struct control_reply {
  bool ok = false;
  std::string text;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rollout_msg& x) {
  return f(caf::meta::type_name("rollout_msg"), x.runner, x.report, x.policy_version, x.steps, x.num_envs, x.arrays, x.text,
           x.caption, x.candidates, x.action, x.behaviour_logp, x.behaviour_value, x.reward, x.initial_state, x.done,
           x.truncated, x.final_index, x.final_arrays, x.final_text, x.final_candidates);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_weights& x) {
  return f(caf::meta::type_name("policy_weights"), x.version, x.bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rollout_ack& x) {
  return f(caf::meta::type_name("rollout_ack"), x.weights);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reward_snapshot& x) {
  return f(caf::meta::type_name("reward_snapshot"), x.version, x.model, x.bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caption_batch& x) {
  return f(caf::meta::type_name("caption_batch"), x.captions);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, label_batch& x) {
  return f(caf::meta::type_name("label_batch"), x.captions, x.captions2, x.labels);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, episode_batch& x) {
  return f(caf::meta::type_name("episode_batch"), x.runner, x.returns, x.scores, x.lengths, x.successes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_msg& x) {
  return f(caf::meta::type_name("control_msg"), x.command, x.argument);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runner_report& x) {
  return f(caf::meta::type_name("runner_report"), x.mailbox, x.in_flight, x.attempt, x.ticks);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runner_status& x) {
  return f(caf::meta::type_name("runner_status"), x.id, x.node, x.rollouts, x.steps, x.steps_per_second,
           x.seconds_since, x.report, x.weights, x.paused);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, learner_status& x) {
  return f(caf::meta::type_name("learner_status"), x.env_steps, x.updates, x.episodes, x.policy_version,
           x.reward_version, x.mean_return, x.success_rate, x.policy_lag, x.updates_per_second, x.policy_loss,
           x.value_loss, x.entropy, x.intrinsic_mean, x.intrinsic_nonzero, x.intrinsic_coef, x.extrinsic_coef,
           x.intrinsic_return, x.guard, x.weights_sent, x.weights_skipped, x.finite, x.mailbox, x.runners);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reward_status& x) {
  return f(caf::meta::type_name("reward_status"), x.model, x.requested, x.received, x.pending, x.given_up, x.dropped,
           x.retries, x.in_flight, x.unanswered, x.lost, x.dataset, x.snapshot_version, x.annotator_known, x.loss,
           x.accuracy, x.drift, x.drift_probes, x.drift_measurements, x.contested, x.disagreement, x.members, x.trains, x.mailbox);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caption_record& x) {
  return f(caf::meta::type_name("caption_record"), x.caption, x.caption2, x.label, x.backend, x.model,
           x.prompt_version, x.seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, annotator_at& x) {
  return f(caf::meta::type_name("annotator_at"), x.endpoint);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("join_request"), x.version, x.token, x.node, x.roles, x.annotator_endpoint);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_reply& x) {
  return f(caf::meta::type_name("join_reply"), x.node_id, x.config, x.learner);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_request& x) {
  return f(caf::meta::type_name("control_request"), x.token, x.command, x.args);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_reply& x) {
  return f(caf::meta::type_name("control_reply"), x.ok, x.text);
}

/// Registers every message type (call on every node, before the actor system starts).
void add_message_types(caf::actor_system_config& cfg);

/// Largest rollout a learner accepts: steps and envs as train.rollout and train.envs_per_runner
/// allow, and at most this many transitions (checked before anything is allocated).
inline constexpr uint64_t max_rollout_transitions = uint64_t{1} << 20;

/// core::rollout <-> rollout_msg. from_message checks every size against the layout, every
/// action against the action set (or the step's candidates) and every value for being finite
/// before it allocates the rollout.
rollout_msg to_message(const core::rollout& r, uint64_t runner);
core::result<core::rollout> from_message(const rollout_msg& m, const core::obs_layout& layout);

}  // namespace lantern::actors

CAF_BEGIN_TYPE_ID_BLOCK(lantern, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(lantern, (lantern::actors::rollout_msg))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::policy_weights))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::reward_snapshot))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::caption_batch))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::label_batch))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::episode_batch))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::control_msg))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::runner_report))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::runner_status))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::learner_status))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::reward_status))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::caption_record))
CAF_ADD_TYPE_ID(lantern, (std::vector<lantern::actors::caption_record>))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::annotator_at))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::join_request))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::join_reply))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::control_request))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::control_reply))
CAF_ADD_TYPE_ID(lantern, (lantern::actors::rollout_ack))
CAF_END_TYPE_ID_BLOCK(lantern)
