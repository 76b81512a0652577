// The whole pipeline in one process: runners, policy learner, reward learner, annotator service.
#include "actors/training.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>

#include <caf/all.hpp>

#include "actors/protocol.hpp"
#include "annotators/fake_llm.hpp"

namespace lantern::actors {
namespace {

using namespace std::chrono_literals;

class Training : public ::testing::Test {
 protected:
  Training() {
    envs::register_builtin_envs(registry);
    add_run_options(schema, registry);
    store = ::testing::TempDir() + "train-labels-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sqlite";
  }
  ~Training() override {
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(store + ext);
  }
  core::config config(std::vector<std::string> sets) {
    std::vector<std::string> base = {"train.env=textworld", "train.envs_per_runner=8", "train.rollout=16",
                                     "train.progress_seconds=0.2", "reward.model=classification",
                                     "reward.min_labels=4", "shaping.intrinsic_coef=0.5", "annotator.store=" + store,
                                     "env.textworld.max_steps=50"};
    base.insert(base.end(), sets.begin(), sets.end());
    auto c = core::config::load(schema, "", base);
    EXPECT_TRUE(c) << c.error().message;
    return std::move(c.value());
  }
  envs::env_registry registry;
  core::schema schema;
  std::string store;
};

// The guard in the policy learner: a reward that pays for taking and dropping anything (every
// TextWorld step is captioned), count scaling off, 50-step episodes. Without a guard an episode
// collects intrinsic reward with its length; with one, what it adds is bounded.
TEST_F(Training, TheGuardBoundsWhatAnEpisodesIntrinsicRewardAddsUp) {
  const std::string rules = std::string(LANTERN_SOURCE_DIR) + "/bench/rules-take-drop.toml";
  auto run = [&](const std::string& guard) {
    auto cfg = config({"train.steps=24000", "annotator.rules_file=" + rules, "shaping.beta=0",
                       "shaping.intrinsic_coef=1", "reward.model=retrieval", "shaping.guard=" + guard,
                       "reward.drift_seconds=0.1"});
    auto r = run_training(cfg, registry, nullptr, [](const progress&) {});
    EXPECT_TRUE(r) << r.error().message;
    return r ? r.value().first : progress{};
  };
  const progress none = run("none"), clip = run("clip"), delta = run("delta");
  EXPECT_GT(none.intrinsic_return, 1.2) << "busywork pays without a guard, more than delta allows";
  EXPECT_LE(clip.intrinsic_return, 0.0) << "clip: no episode earns";
  EXPECT_LE(delta.intrinsic_return, 1.0 + 1e-6) << "delta: at most the largest reward (1) per episode";
  EXPECT_GE(delta.intrinsic_return, -1.0 - 1e-6);
  for (const auto* p : {&none, &clip, &delta}) {
    EXPECT_GT(p->episodes, 100u);
    EXPECT_TRUE(std::isfinite(p->reward_drift)) << "the reward learner measured the drift";
    EXPECT_GE(p->reward_drift, 0.0);
    EXPECT_LE(p->reward_drift, 1.0);
  }
}

TEST_F(Training, TheSignalFlowsFromCaptionsToLabelsToRewardsToThePolicy) {
  auto cfg = config({"train.steps=6000"});
  std::vector<progress> seen;
  auto r = run_training(cfg, registry, nullptr, [&](const progress& p) { seen.push_back(p); });
  ASSERT_TRUE(r) << r.error().message;
  const progress& p = r.value().first;
  EXPECT_GE(p.env_steps, 6000u);
  EXPECT_GT(p.labels_received, 0u) << "labels arrive";
  EXPECT_GT(p.reward_version, 0u) << "reward snapshots reach the policy learner";
  EXPECT_GT(p.policy_version, 1u) << "the policy is updated";
  EXPECT_GT(p.intrinsic_nonzero, 0.0) << "intrinsic rewards become non-zero";
  EXPECT_GT(p.episodes, 0u);
  EXPECT_TRUE(p.finite) << "losses stay finite";
  ASSERT_GE(seen.size(), 2u);
  EXPECT_LE(seen.front().env_steps, seen.back().env_steps);
  EXPECT_TRUE(r.value().second.parts.count("policy") && r.value().second.parts.count("reward_model"));
}

TEST_F(Training, ABlockedAnnotatorDelaysLabelsButNotTraining) {
  std::atomic<bool> released{false};
  annotators::testing::fake_llm llm([&](const nlohmann::json&, int) {
    for (int i = 0; i < 3000 && !released; ++i) std::this_thread::sleep_for(10ms);  // blocked until released
    return annotators::testing::behaviour{200, "Answer: yes", 0ms, false};
  });
  auto cfg = config({"train.steps=8000", "annotator.backend=openai", "annotator.openai.model=m",
                     "annotator.openai.base_url=" + llm.base_url(), "annotator.openai.timeout_ms=60000",
                     "annotator.openai.concurrency=4"});
  uint64_t labels_while_blocked = 1, steps_while_blocked = 0;
  auto r = run_training(cfg, registry, nullptr, [&](const progress& p) {
    if (!released && p.env_steps >= 3000) {
      labels_while_blocked = p.labels_received;
      steps_while_blocked = p.env_steps;
      released = true;
    }
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(labels_while_blocked, 0u) << "nothing can be labelled while the LLM does not answer";
  EXPECT_GE(steps_while_blocked, 3000u) << "training went on without labels";
  EXPECT_GE(r.value().first.env_steps, 8000u);
  EXPECT_GT(r.value().first.labels_received, 0u) << "once released, the pending labels arrive";
}

TEST_F(Training, WeightsRideOnRolloutAcksAtMostOnePerRollout) {
  // Four runners share one learner: every rollout is one update. Broadcast after each update,
  // as the first release did, each runner got about four weights messages per rollout of its
  // own (a slow runner's mailbox filled with stale weights); now each gets at most one per
  // rollout, the newest, plus the one of its join.
  caf::actor_system* sys = nullptr;
  caf::actor learner;
  training_hooks hooks;
  hooks.started = [&](caf::actor_system& s, const caf::actor& l, const caf::actor&) -> core::status {
    sys = &s;
    learner = l;
    return {};
  };
  learner_status last;
  auto cfg = config({"train.steps=12000", "train.runners=4", "reward.model=none", "train.max_in_flight=2"});
  auto r = run_training(
      cfg, registry, nullptr,
      [&](const progress&) {
        if (!sys) return;
        caf::scoped_actor self{*sys};
        self->request(learner, std::chrono::seconds(5), stats_atom::value)
            .receive([&](const learner_status& s) { last = s; }, [](const caf::error&) {});
      },
      {}, {}, hooks);
  ASSERT_TRUE(r) << r.error().message;
  const progress& p = r.value().first;
  ASSERT_EQ(last.runners.size(), 4u);
  uint64_t rollouts = 0;
  for (const auto& x : last.runners) {
    EXPECT_LE(x.weights, x.rollouts + 1) << "runner " << x.id << ": at most one weights message per rollout";
    EXPECT_GE(x.weights, 2u) << "runner " << x.id << ": newer weights reach it after its join";
    rollouts += x.rollouts;
  }
  EXPECT_GT(rollouts, 40u);
  EXPECT_LE(p.weights_sent, p.updates + 4) << "joins plus at most one per rollout learnt";
  EXPECT_GT(p.weights_skipped, 0u) << "four runners: versions superseded before a runner's next ack are skipped";
  EXPECT_LE(p.policy_lag, 8.0) << "runners act on recent weights (4 runners x 2 rollouts in flight)";
}

TEST_F(Training, TheRunStopsAtTheFirstWholeRolloutThatReachesItsSteps) {
  // 8 envs x 16 steps = 128 per rollout: 3000 steps end at 3072. (Checked every progress
  // interval, the first release ran on for seconds: 7168 steps for 3000.)
  auto r = run_training(config({"train.steps=3000", "reward.model=none", "train.progress_seconds=5"}), registry,
                        nullptr, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().first.env_steps, 3072u);
}

TEST_F(Training, ARunnerThatThrowsIsRestartedAndTrainingGoesOn) {
  auto cfg = config({"train.steps=4000", "train.fail_runner_at_tick=3", "reward.model=none"});
  auto r = run_training(cfg, registry, nullptr, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(r.value().first.runner_restarts, 1u);
  EXPECT_GE(r.value().first.env_steps, 4000u);
}

TEST_F(Training, ALearnerThatThrowsEndsTheRunWithItsReasonInsteadOfHanging) {
  // Before, the stats loop only logged "no stats from the learner" and waited for ever.
  auto r = run_training(config({"train.steps=1000000", "train.fail_learner_at_update=3"}), registry, nullptr, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("the policy learner stopped"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("train.fail_learner_at_update"), std::string::npos) << r.error().message;
}

TEST_F(Training, ARunThatNeedsLabelsAndHasNoAnnotatorSaysSo) {
  // A head without the annotator role, and no annotator node registered: the endpoint never
  // arrives. The progress says so instead of "labels 0/528" for ever.
  training_hooks hooks;
  hooks.remote_annotator = true;
  std::vector<progress> seen;
  auto r = run_training(config({"train.steps=8000"}), registry, nullptr, [&](const progress& p) { seen.push_back(p); },
                        {}, {}, hooks);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(seen.empty());
  EXPECT_FALSE(seen.back().annotator_known);
  EXPECT_GT(seen.back().labels_pending, 0u);
  auto fine = run_training(config({"train.steps=2000"}), registry, nullptr, {});
  ASSERT_TRUE(fine);
  EXPECT_TRUE(fine.value().first.annotator_known);
}

TEST_F(Training, ADomainNothingCanLabelStopsTheRunAtOnceSayingWhatToWrite) {
  auto r = run_training(config({"train.steps=2000", "train.domain=grid-world"}), registry, nullptr, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("train.domain 'grid-world'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("[[grid-world.any]]"), std::string::npos) << r.error().message;
}

TEST_F(Training, ResumeContinuesCountersLabelsAndTheRewardDataset) {
  auto first = run_training(config({"train.steps=3000"}), registry, nullptr, {});
  ASSERT_TRUE(first) << first.error().message;
  const progress a = first.value().first;
  ASSERT_GT(a.reward_dataset, 0u);
  ASSERT_GT(a.labels_requested, 0u);
  training_state saved = first.value().second;
  // What the learners hold the moment the resumed run starts, before any step: a fresh run
  // would start from zero everywhere and from other weights.
  learner_status at_start_learner;
  reward_status at_start_rewards;
  std::vector<std::string> weights_at_start;
  training_hooks hooks;
  hooks.started = [&](caf::actor_system& sys, const caf::actor& learner, const caf::actor& rewards) -> core::status {
    caf::scoped_actor self{sys};
    self->request(learner, std::chrono::seconds(10), stats_atom::value)
        .receive([&](const learner_status& m) { at_start_learner = m; }, [](const caf::error&) {});
    self->request(rewards, std::chrono::seconds(10), stats_atom::value)
        .receive([&](const reward_status& m) { at_start_rewards = m; }, [](const caf::error&) {});
    self->request(learner, std::chrono::seconds(10), save_atom::value)
        .receive([&](const std::vector<std::string>& kv) { weights_at_start = kv; }, [](const caf::error&) {});
    return {};
  };
  auto second = run_training(config({"train.steps=6000"}), registry, &saved, {}, {}, {}, hooks);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(at_start_learner.env_steps, a.env_steps);
  EXPECT_EQ(at_start_learner.updates, a.updates);
  EXPECT_EQ(at_start_learner.episodes, a.episodes);
  EXPECT_EQ(at_start_learner.policy_version, a.policy_version);
  EXPECT_EQ(at_start_rewards.requested, a.labels_requested);
  EXPECT_EQ(at_start_rewards.received, a.labels_received);
  EXPECT_EQ(at_start_rewards.dataset, a.reward_dataset);
  ASSERT_GE(weights_at_start.size(), 2u);
  EXPECT_TRUE(weights_at_start[1] == saved.parts["policy"]) << "the policy starts from the saved weights";
  const progress& b = second.value().first;
  EXPECT_GE(b.env_steps, 6000u);
  EXPECT_GT(b.updates, a.updates) << "the update counter continues";
  EXPECT_LE(b.updates - a.updates, (6000 - a.env_steps) / (8 * 16) + 8) << "only the remaining steps were trained";
  EXPECT_GE(b.reward_dataset, a.reward_dataset) << "the reward model keeps its dataset";
  EXPECT_GE(b.labels_requested, a.labels_requested) << "label counters continue";
  EXPECT_EQ(b.labels_requested, b.labels_received + b.labels_given_up + b.labels_pending);
}

}  // namespace
}  // namespace lantern::actors
