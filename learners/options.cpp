#include "learners/options.hpp"

namespace lantern::learners {

void add_learner_options(core::schema& s) {
  s.integer("policy.hidden", 128, "recurrent state and feature width of the policy networks", 8, 4096);
  s.integer("policy.embed", 32, "embedding width of hashed text features", 4, 1024);
  s.integer("policy.buckets", 1 << 14, "hashed text feature buckets", 256, 1 << 24);
  s.integer("policy.seed", 1, "seed of the policy's initial weights and action sampling", 0);
  s.string("policy.net", "auto", "the policy network: generic (built from any observation layout), text (text games), "
           "nethack (NetHack's screen and stats), or auto (nethack for NetHack's arrays, text for text only, else "
           "generic)", {"auto", "generic", "text", "nethack"});

  s.real("appo.gamma", 0.99, "discount", 0.0, 1.0);
  s.real("appo.rho_bar", 1.0, "V-trace importance ratio clip for the targets", 0.0);
  s.real("appo.c_bar", 1.0, "V-trace importance ratio clip for the traces", 0.0);
  s.real("appo.clip", 0.1, "PPO ratio clip", 0.0, 1.0);
  s.real("appo.value_clip", 1.0, "value loss clip around the old values", 0.0);
  s.real("appo.value_coef", 0.5, "value loss coefficient", 0.0);
  s.real("appo.entropy_coef", 0.003, "entropy bonus coefficient", 0.0, 100.0);
  s.real("appo.lr", 3e-4, "Adam learning rate", 0.0, 1.0);
  s.real("appo.grad_clip", 4.0, "gradient norm clip", 0.0);
  s.integer("appo.epochs", 1, "passes over each rollout", 1, 100);
  s.string("appo.truncation", "final", "what an episode cut by a step limit bootstraps from: final (the value of the "
           "observation the cut left it in), last (the value of the last observation it acted on) or terminal "
           "(nothing: the cut read as an end). Use terminal when the observation shows the time left: the limit is "
           "then part of the task (docs/learners.md)", {"final", "last", "terminal"});
  s.integer("learner.threads", 1, "LibTorch threads of the policy learner's updates (on 2 cores, 1: the runners "
            "and the NetHack games need the other; see docs/learners.md)", 1, 256);
  s.boolean("learner.reference", false, "testing and benchmarks: the straightforward learner computations the fast ones "
            "are checked against (the whole network replayed step by step over every env, every text encoded, the "
            "NetHack crop sliced from the embedded screen); same results, slower");
  s.integer("appo.minibatches", 1, "minibatches per pass (split over envs, sequences kept whole)", 1, 1024);

  s.real("reward.threshold", 0.5, "classification: reward 1 when P(positive) is above it; ranking: normalised scores "
         "below minus this give 0", -10.0, 10.0);
  s.boolean("reward.raw", false, "use the raw probability (classification) or the raw score (ranking)");
  s.boolean("reward.balance", true, "classification: weight the classes by inverse frequency");
  s.integer("reward.min_labels", 16, "no intrinsic reward until the model has this many labels (or pairs)", 0);
  s.real("reward.lr", 1e-3, "reward model learning rate", 0.0, 1.0);
  s.integer("reward.batch", 64, "reward model batch size", 1, 65536);
  s.integer("reward.seed", 1, "reward model seed", 0);

  s.integer("reward.drift_probes", 256, "reward drift: the first this many distinct captions of the run are the fixed "
            "probe set the reward snapshots are compared on (0: no drift measured)", 0, 100000);
  s.real("reward.drift_seconds", 2.0, "reward drift: seconds between measurements (each compares the model now with "
         "the previous measurement)", 0.05, 86400.0);

  s.real("shaping.extrinsic_coef", 1.0, "weight of the (scaled, clipped) extrinsic reward; 0 = reward-free", 0.0, 1000.0);
  s.real("shaping.intrinsic_coef", 0.0, "weight of the intrinsic reward", 0.0, 1000.0);
  s.real("shaping.beta", 3.0, "the intrinsic reward is divided by (the caption's count in the episode)^beta", 0.0);
  s.real("shaping.reward_scale", 1.0, "extrinsic reward scale, applied before clipping", 0.0);
  s.real("shaping.reward_clip", 10.0, "clip of the scaled extrinsic reward (0: none)", 0.0);
  s.string("shaping.guard", "none", "bound on what an episode's intrinsic reward can add up to: none; clip (each "
           "step's value becomes min(value - guard_eta, 0)); delta (each step earns its value minus the previous "
           "step's, so an episode's sum telescopes to its last value). See docs/learners.md",
           {"none", "clip", "delta"});
  s.real("shaping.guard_eta", 1.0, "clip guard: a step whose intrinsic value reaches it earns 0, one below costs the "
         "difference (1: the classification model's positive reward)", 0.0, 1000.0);
}

policy_options policy_options_from(const core::config& c) {
  policy_options o;
  o.hidden = static_cast<int>(c.integer("policy.hidden"));
  o.embed = static_cast<int>(c.integer("policy.embed"));
  o.buckets = static_cast<uint32_t>(c.integer("policy.buckets"));
  o.seed = static_cast<uint64_t>(c.integer("policy.seed"));
  o.net = c.string("policy.net");
  o.reference = c.boolean("learner.reference");
  return o;
}

appo_options appo_options_from(const core::config& c) {
  appo_options o;
  o.gamma = c.real("appo.gamma");
  o.rho_bar = c.real("appo.rho_bar");
  o.c_bar = c.real("appo.c_bar");
  o.clip = c.real("appo.clip");
  o.value_clip = c.real("appo.value_clip");
  o.value_coef = c.real("appo.value_coef");
  o.entropy_coef = c.real("appo.entropy_coef");
  o.lr = c.real("appo.lr");
  o.grad_clip = c.real("appo.grad_clip");
  o.epochs = static_cast<int>(c.integer("appo.epochs"));
  o.minibatches = static_cast<int>(c.integer("appo.minibatches"));
  o.stepwise_replay = c.boolean("learner.reference");
  const std::string& t = c.string("appo.truncation");
  o.truncation = t == "last" ? truncation_bootstrap::last
                 : t == "terminal" ? truncation_bootstrap::terminal
                                   : truncation_bootstrap::final_observation;
  return o;
}

shaping shaping_from(const core::config& c) {
  shaping s{c.real("shaping.extrinsic_coef"), c.real("shaping.intrinsic_coef"), c.real("shaping.beta"),
            c.real("shaping.reward_scale"), c.real("shaping.reward_clip")};
  const std::string& g = c.string("shaping.guard");
  s.guard = g == "clip" ? reward_guard::clip : g == "delta" ? reward_guard::delta : reward_guard::none;
  s.guard_eta = c.real("shaping.guard_eta");
  return s;
}

classifier_options classifier_options_from(const core::config& c) {
  classifier_options o;
  o.buckets = static_cast<uint32_t>(c.integer("policy.buckets"));
  o.threshold = c.real("reward.threshold");
  o.raw = c.boolean("reward.raw");
  o.balance = c.boolean("reward.balance");
  o.min_labels = static_cast<size_t>(c.integer("reward.min_labels"));
  o.lr = c.real("reward.lr");
  o.batch = static_cast<int>(c.integer("reward.batch"));
  o.seed = static_cast<uint64_t>(c.integer("reward.seed"));
  return o;
}

ranker_options ranker_options_from(const core::config& c) {
  ranker_options o;
  o.buckets = static_cast<uint32_t>(c.integer("policy.buckets"));
  o.threshold = -c.real("reward.threshold");
  o.raw = c.boolean("reward.raw");
  o.min_pairs = static_cast<size_t>(c.integer("reward.min_labels"));
  o.lr = c.real("reward.lr");
  o.batch = static_cast<int>(c.integer("reward.batch"));
  o.seed = static_cast<uint64_t>(c.integer("reward.seed"));
  return o;
}

}  // namespace lantern::learners
