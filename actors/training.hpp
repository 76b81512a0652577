// actors/training.hpp: concurrent training with actors, in one process (ARCHITECTURE.md, "One
// training step, as data"): env runners act with a CPU copy of the policy and send one rollout
// per T steps; the policy learner turns captions into intrinsic rewards with its latest reward
// snapshot, shapes, takes APPO steps and broadcasts versioned weights; the reward learner sends
// each new caption once to the annotator service (asynchronously: the policy never waits for
// labels), trains the reward model on what comes back and publishes versioned snapshots; a
// supervisor restarts a runner that fails.
//
//   auto result = actors::run_training(cfg, registry, opts, [](const actors::progress& p) { ... });
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/curve.hpp"
#include "core/error.hpp"
#include "envs/registry.hpp"

namespace caf {
class actor;
class actor_system;
class actor_system_config;
}  // namespace caf

namespace lantern::actors {

/// What a training run reports, every few seconds and at the end.
struct progress {
  double seconds = 0;
  uint64_t env_steps = 0, episodes = 0, updates = 0, policy_version = 0, reward_version = 0;
  /// Captions asked of the annotator: requested = received + given up + pending at any time.
  uint64_t labels_requested = 0, labels_received = 0, labels_pending = 0, runner_restarts = 0;
  uint64_t labels_given_up = 0;  ///< asked train.label_attempts times without a label
  uint64_t labels_dropped = 0;   ///< refused: train.max_pending captions were waiting
  uint64_t labels_retries = 0;   ///< asks after a caption's first
  uint64_t labels_in_flight = 0; ///< asked and not yet answered
  uint64_t labels_unanswered = 0;  ///< answers that were not a label (the deadline passed, an error)
  uint64_t labels_lost = 0;        ///< asks whose request was never answered (the annotator was down)
  double steps_per_second = 0, mean_return = 0, success_rate = 0, policy_lag = 0;
  double policy_loss = 0, value_loss = 0, entropy = 0, intrinsic_mean = 0, intrinsic_nonzero = 0;
  double reward_loss = 0, reward_accuracy = 0;
  double intrinsic_return = 0;  ///< what the intrinsic reward added per episode (last 100, after the guard)
  double reward_drift = std::nan("");  ///< distance between successive reward snapshots (NaN: not yet measured)
  uint64_t reward_contested = 0;       ///< labels an ensemble's members confidently contradict
  double reward_disagreement = 0;      ///< an ensemble's mean disagreement on the probe captions
  uint64_t reward_dataset = 0;  ///< labelled captions (or pairs) the reward model holds
  uint64_t runners = 0;         ///< runners acting for the learner now (on every node)
  uint64_t weights_sent = 0;    ///< weights messages to runners (one per join, at most one per rollout)
  uint64_t weights_skipped = 0; ///< versions no runner needed: a newer one went with the next ack
  std::string policy_kind;      ///< the policy network: generic, text or nethack
  bool annotator_known = true;  ///< false: labels are needed and no annotator service is known
  bool finite = true;  ///< every loss so far was a finite number
};

struct learner_status;
struct reward_status;
struct caption_record;

/// A running training, as the control API (cluster/control.hpp) sees it. Thread-safe; every
/// call has a deadline; valid between training_hooks::control(this) and control(nullptr).
class run_control {
 public:
  virtual ~run_control() = default;
  /// The latest progress, and the learners' typed status as of now.
  struct status {
    progress p;
    std::shared_ptr<const learner_status> learner;
    std::shared_ptr<const reward_status> rewards;
    std::string annotator_json;  ///< the annotator service's metrics (JSON), if one is reachable
  };
  virtual core::result<status> now() = 0;
  /// Progress lines so far (at most the last 2,000).
  virtual std::vector<progress> history() = 0;
  /// The most recent labelled captions, newest first.
  virtual core::result<std::vector<caption_record>> captions(size_t n) = 0;
  /// Pauses (or resumes) the runners of a node (all_nodes: every runner); how many were told.
  virtual core::result<uint64_t> pause(bool pause, uint64_t node) = 0;
  /// Writes a checkpoint now; returns once it is written.
  virtual core::status checkpoint() = 0;
  /// Changes a live setting (see is_live_setting in `lantern options`).
  virtual core::status set(const std::string& key, const std::string& value) = 0;
  /// Ends the run as SIGTERM does: a checkpoint and the summary.
  virtual void stop() = 0;
  static constexpr uint64_t all_nodes = ~uint64_t{0};
};

/// The keys that may change while a run goes on (the control API's /api/set); `lantern options`
/// marks them live.
const std::vector<std::string>& live_settings();
bool is_live_setting(const std::string& key);
/// The live keys as one comma-separated line, for error messages.
std::string live_settings_text();

/// Everything a run needs to continue where it stopped.
struct training_state {
  std::map<std::string, std::string> parts;  ///< policy, appo, reward model, counters
};

/// What a cluster adds to a run (cluster/node.cpp fills it; `lantern train` passes none).
struct training_hooks {
  /// Called on the actor system's config before the system starts (middleman, heartbeats).
  std::function<void(caf::actor_system_config&)> configure;
  /// Called once the learners run, with them; an error stops the run before any step.
  std::function<core::status(caf::actor_system&, const caf::actor& learner, const caf::actor& rewards)> started;
  /// Called before the learners stop (unpublish, stop what `started` spawned).
  std::function<void(caf::actor_system&)> stopping;
  /// Called with the run's control once it runs, and with nullptr before it stops.
  std::function<void(run_control*)> control;
  /// Runners in this process; -1: train.runners (a head whose envs run on other nodes: 0).
  int local_runners = -1;
  /// The annotator service runs on another node: its endpoint arrives as an annotator_at message.
  bool remote_annotator = false;
  /// The keys that node's service requires (cluster.curve): the reward learner connects with CURVE.
  std::optional<core::curve_keys> annotator_keys;
};

/// Adds the train.* keys to the schema.
void add_training_options(core::schema& s);

/// Adds every key a training run reads: each registered env's, the annotator's, the learners'
/// and train.* (what `lantern train`, the training tests and train_bench share).
void add_run_options(core::schema& s, const envs::env_registry& registry);

/// Runs training until train.steps env steps (or `stop` returns true); calls `on_progress`
/// every train.progress_seconds from the calling thread. `resume` restores a saved state;
/// the returned state is the final one (for a checkpoint).
core::result<std::pair<progress, training_state>> run_training(
    const core::config& cfg, const envs::env_registry& registry, const training_state* resume,
    const std::function<void(const progress&)>& on_progress, const std::function<bool()>& stop = {},
    const std::function<void(const progress&, const training_state&)>& on_checkpoint = {},
    const training_hooks& hooks = {});

}  // namespace lantern::actors
