// The reward-hacking guard, reward-model ensembles, reward drift and the reward-model registry
// (docs/learners.md, "Beyond ONI").
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "core/config.hpp"
#include "core/rng.hpp"
#include "learners/drift.hpp"
#include "learners/options.hpp"
#include "learners/reward_models.hpp"
#include "learners/reward_registry.hpp"
#include "learners/runtime.hpp"
#include "learners/shaping.hpp"

namespace lantern::learners {
namespace {

// An episode of `steps` steps that takes and drops the lamp again and again: the learned reward
// pays 1 for "You take the lamp." and `drop_pays` for "You drop the lamp."; what the intrinsic
// reward adds to the episode under `guard`.
double busywork_return(reward_guard guard, int steps, double beta, float drop_pays = 0.0f) {
  shaping s{0.0, 1.0, beta, 1.0, 10.0};
  s.guard = guard;
  caption_counter counts(1);
  double sum = 0;
  for (int t = 0; t < steps; ++t) {
    const bool take = t % 2 == 0;
    const std::string caption = take ? "You take the lamp." : "You drop the lamp.";
    sum += s.total(0.0f, take ? 1.0f : drop_pays, counts.bump(0, caption), &counts.previous(0));
  }
  return sum;
}

TEST(Guard, WithoutItBusyworkPaysInProportionToTheEpisodesLength) {
  EXPECT_DOUBLE_EQ(busywork_return(reward_guard::none, 1000, 0.0), 500.0);
  EXPECT_DOUBLE_EQ(busywork_return(reward_guard::none, 1000, 0.0, 1.0f), 1000.0);
  // ONI's count scaling bounds identical captions, not captions that vary.
  EXPECT_LT(busywork_return(reward_guard::none, 1000, 3.0), 1.21);
}

TEST(Guard, ClipBoundsEveryEpisodesIntrinsicReturnByZero) {
  for (int steps : {1, 10, 1000})
    for (float drop : {0.0f, 0.5f, 1.0f}) {
      const double r = busywork_return(reward_guard::clip, steps, 0.0, drop);
      EXPECT_LE(r, 0.0) << steps << " steps";
    }
  shaping s{0.0, 1.0, 0.0, 1.0, 10.0};
  s.guard = reward_guard::clip;
  s.guard_eta = 1.0;
  EXPECT_DOUBLE_EQ(s.intrinsic_term(1.0f, 1), 0.0) << "a step paying the full reward earns 0";
  EXPECT_DOUBLE_EQ(s.intrinsic_term(0.25f, 1), -0.75) << "one paying less costs the difference";
  EXPECT_DOUBLE_EQ(s.intrinsic_term(0.0f, 1), -1.0) << "an unpaid caption costs eta";
  EXPECT_DOUBLE_EQ(s.intrinsic_term(0.0f, 1, nullptr, false), 0.0) << "a step without a caption costs nothing";
  s.guard_eta = 0.5;
  EXPECT_DOUBLE_EQ(s.intrinsic_term(0.8f, 1), 0.0);
  EXPECT_DOUBLE_EQ(s.intrinsic_term(0.0f, 1), -0.5);
  EXPECT_DOUBLE_EQ(s.intrinsic_term(std::nanf(""), 1), -0.5) << "a value that is not finite counts 0";
}

TEST(Guard, DeltaTelescopesAnEpisodeToItsLastValue) {
  for (int steps : {1, 2, 11, 1000}) {
    // Paid 1 and 0 in turn: the sum is the last step's value, never more than the largest reward.
    const double r = busywork_return(reward_guard::delta, steps, 0.0);
    EXPECT_DOUBLE_EQ(r, steps % 2 == 1 ? 1.0 : 0.0) << steps << " steps";
    EXPECT_DOUBLE_EQ(busywork_return(reward_guard::delta, steps, 0.0, 1.0f), 1.0) << steps << " steps";
  }
  // Steps without a caption have no learned value: the sum still telescopes over the captioned ones.
  {
    shaping d{0.0, 1.0, 0.0, 1.0, 10.0};
    d.guard = reward_guard::delta;
    caption_counter c(1);
    double sum = 0;
    for (int t = 0; t < 30; ++t) {
      const bool captioned = t % 3 == 0;
      const std::string caption = captioned ? "You take the lamp." : "";
      sum += d.total(0, captioned ? 1.0f : 0.0f, c.bump(0, caption), &c.previous(0), captioned);
    }
    EXPECT_DOUBLE_EQ(sum, 1.0) << "a paid caption is not taken back by the silent steps after it";
  }
  // A new episode starts from 0 again.
  shaping s{0.0, 1.0, 0.0, 1.0, 10.0};
  s.guard = reward_guard::delta;
  caption_counter counts(1);
  EXPECT_DOUBLE_EQ(s.total(0, 1, counts.bump(0, "a"), &counts.previous(0)), 1.0);
  counts.reset(0);
  EXPECT_DOUBLE_EQ(s.total(0, 1, counts.bump(0, "a"), &counts.previous(0)), 1.0);
  // The extrinsic reward is untouched by the guard.
  s.extrinsic_coef = 1.0;
  EXPECT_DOUBLE_EQ(s.total(3, 1, counts.bump(0, "a"), &counts.previous(0)), 3.0);
}

TEST(Drift, ZeroForIdenticalSnapshotsAndInvariantToPositiveAffineRescaling) {
  const std::vector<float> r = {0.1f, 0.9f, 0.4f, 0.0f, 0.7f, 0.3f};
  EXPECT_NEAR(reward_distance(r, r), 0.0, 1e-12);
  for (auto [a, b] : {std::pair{2.0f, 0.0f}, {0.01f, 5.0f}, {300.0f, -40.0f}}) {
    std::vector<float> scaled;
    for (float x : r) scaled.push_back(a * x + b);
    // (Within the float rounding of a x + b: 0.01 x + 5 keeps about 4 of x's digits.)
    EXPECT_NEAR(reward_distance(r, scaled), 0.0, 1e-4) << a << " x + " << b;
  }
  std::vector<float> negated, shuffled = {0.9f, 0.1f, 0.0f, 0.4f, 0.3f, 0.7f};
  for (float x : r) negated.push_back(-x);
  EXPECT_NEAR(reward_distance(r, negated), 1.0, 1e-6) << "an opposite reward is as far as it gets";
  const double d = reward_distance(r, shuffled);
  EXPECT_GT(d, 0.3);
  EXPECT_LT(d, 1.0);
  const std::vector<float> flat(6, 0.5f);
  EXPECT_DOUBLE_EQ(reward_distance(flat, std::vector<float>(6, 2.0f)), 0.0) << "no preference either way";
  EXPECT_NEAR(reward_distance(flat, r), 0.5, 1e-9);
  // Scale-free: a tiny spread is a preference, not a constant.
  std::vector<float> tiny;
  for (float x : r) tiny.push_back(1e-7f * x);
  EXPECT_NEAR(reward_distance(r, tiny), 0.0, 1e-5);
  std::vector<float> broken = r;
  broken[2] = std::nanf("");
  EXPECT_TRUE(std::isnan(reward_distance(r, broken))) << "a diverged model has no distance to report";
}

// Progress and no progress, as in reward_models_test.cpp.
std::vector<labelled_caption> labelled(int from, int to) {
  static const char* monsters[] = {"newt", "jackal", "rat", "gnome", "kobold", "orc", "bat", "lichen", "dingo", "fox"};
  std::vector<labelled_caption> out;
  for (int i = from; i < to; ++i) {
    const std::string m = monsters[i % 10], n = std::to_string(i * 7 + 3);
    out.push_back({"You kill the " + m + " " + n + "!", 1});
    out.push_back({"You see here " + n + " gold pieces.", 1});
    out.push_back({"The " + m + " bites! (" + n + ")", 0});
    out.push_back({"It's a wall. (" + n + ")", 0});
  }
  return out;
}

std::vector<std::string> texts(const std::vector<labelled_caption>& l) {
  std::vector<std::string> out;
  for (const auto& x : l) out.push_back(x.caption);
  return out;
}

TEST(Ensemble, IdenticalMembersDoNotDisagreeAndGiveTheirCommonReward) {
  configure_runtime(1);
  ensemble_options o;
  o.members = 4;
  o.bootstrap = false;
  o.same_seed = true;
  o.member.raw = true;
  auto e = make_ensemble_model(o);
  auto data = labelled(0, 20);
  e->add_labels(data);
  e->train(40);
  auto probe = texts(labelled(20, 25));
  auto sd = ensemble_disagreement(*e, probe);
  ASSERT_EQ(sd.size(), probe.size());
  for (float x : sd) EXPECT_EQ(x, 0.0f);
  // One member alone, trained the same way, gives the same reward.
  o.members = 1;
  auto one = make_ensemble_model(o);
  one->add_labels(data);
  one->train(40);
  std::vector<float> a, b;
  e->rewards(probe, a);
  one->rewards(probe, b);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
  EXPECT_EQ(e->diagnose().disagreement, 0.0);
}

TEST(Ensemble, MembersOnBootstrapResamplesDisagreeAndTheRewardDiscountsIt) {
  configure_runtime(1);
  // The same initial weights in every member: only their resamples of the labels differ.
  ensemble_options o;
  o.member.raw = true;
  o.same_seed = true;
  o.disagreement = 0.0;
  auto plain = make_ensemble_model(o);
  o.disagreement = 2.0;
  auto discounted = make_ensemble_model(o);
  for (auto* e : {plain.get(), discounted.get()}) {
    e->add_labels(labelled(0, 20));
    e->train(30);
  }
  auto probe = texts(labelled(20, 25));
  auto sd = ensemble_disagreement(*plain, probe);
  double mean_sd = 0;
  for (float x : sd) mean_sd += x;
  EXPECT_GT(mean_sd / static_cast<double>(sd.size()), 1e-3) << "different resamples, different members";
  std::vector<float> mean, less;
  plain->rewards(probe, mean);
  discounted->rewards(probe, less);
  for (size_t i = 0; i < probe.size(); ++i) EXPECT_NEAR(less[i], mean[i] - 2.0f * sd[i], 1e-5) << probe[i];
}

TEST(Ensemble, ContestsMostlyTheFlippedLabels) {
  configure_runtime(1);
  auto data = labelled(0, 60);  // 240 labels
  std::vector<bool> flipped(data.size(), false);
  core::pcg32 rng(7);
  for (size_t i = 0; i < data.size(); ++i)
    if (rng.chance(0.2)) {
      data[i].label = 1 - data[i].label;
      flipped[i] = true;
    }
  ensemble_options o;
  o.review_every = 1000000;  // reviewed by hand below, once the members have learnt
  auto e = make_ensemble_model(o);
  e->add_labels(data);
  e->train(150);
  o.review_every = 1;
  // A reload with review_every 1 reviews on its first step.
  std::stringstream ss;
  ASSERT_TRUE(e->save(ss));
  auto r = make_ensemble_model(o);
  ASSERT_TRUE(r->load(ss));
  r->train(1);
  const auto trust = ensemble_trust(*r);
  ASSERT_EQ(trust.size(), data.size());
  size_t n_flipped = 0, found = 0, wrong = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    n_flipped += flipped[i];
    found += flipped[i] && trust[i] < 1.0f;
    wrong += !flipped[i] && trust[i] < 1.0f;
  }
  EXPECT_EQ(r->diagnose().contested, found + wrong);
  EXPECT_GT(found, n_flipped / 3) << "flipped labels are contested (" << found << " of " << n_flipped << ")";
  EXPECT_LT(wrong, (data.size() - n_flipped) / 20) << "few correct ones are (" << wrong << ")";
  for (float t : trust) EXPECT_TRUE(t == 1.0f || t == static_cast<float>(o.downweight));
}

TEST(Ensemble, SaveAndSnapshotRestoreTheSameRewards) {
  configure_runtime(1);
  ensemble_options o;
  o.members = 3;
  o.member.raw = true;
  auto e = make_ensemble_model(o);
  e->add_labels(labelled(0, 10));
  e->train(20);
  auto probe = texts(labelled(10, 12));
  std::vector<float> want, got, snap;
  e->rewards(probe, want);
  std::stringstream ss;
  ASSERT_TRUE(e->save(ss));
  auto back = make_ensemble_model(o);
  ASSERT_TRUE(back->load(ss));
  back->rewards(probe, got);
  EXPECT_EQ(got, want);
  auto viewer = make_ensemble_model(o);
  ASSERT_TRUE(viewer->load_snapshot(e->snapshot()));
  viewer->rewards(probe, snap);
  EXPECT_EQ(snap, want);
  o.members = 2;
  auto other = make_ensemble_model(o);
  auto bad = other->load_snapshot(e->snapshot());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("reward.ensemble.members"), std::string::npos) << bad.error().message;
  // A checkpoint whose contents do not hold together is refused, and the model is unchanged.
  std::stringstream saved;
  ASSERT_TRUE(e->save(saved));
  std::string bytes = saved.str();
  for (size_t cut : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::stringstream in(bytes.substr(0, cut));
    EXPECT_FALSE(back->load(in)) << "cut at " << cut;
  }
  std::vector<float> still;
  back->rewards(probe, still);
  EXPECT_EQ(still, want) << "a failed load changes nothing";
}

// Builds an ensemble checkpoint field by field, as a hostile file could.
std::string ensemble_archive(std::vector<int> labels, std::vector<float> trust, int since) {
  configure_runtime(1);
  ensemble_options o;
  o.members = 1;
  auto donor = make_ensemble_model(o);
  std::vector<std::string> captions;
  for (size_t i = 0; i < labels.size(); ++i) captions.push_back("caption " + std::to_string(i));
  std::vector<labelled_caption> l;
  for (const auto& c : captions) l.push_back({c, 1});
  donor->add_labels(l);
  donor->train(1);
  // The real save, with the label and trust vectors replaced.
  std::stringstream real;
  EXPECT_TRUE(donor->save(real));
  std::string tag;
  uint64_t version = 0, contested = 0;
  int s = 0;
  std::vector<std::string> caps, nets, opts;
  std::vector<int> lab;
  std::vector<float> tr;
  std::vector<std::vector<uint8_t>> weights;
  std::vector<uint64_t> rng;
  {
    cereal::PortableBinaryInputArchive ar(real);
    ar(tag, version, caps, lab, tr, weights, rng, s, contested, nets, opts);
  }
  std::stringstream out;
  {
    cereal::PortableBinaryOutputArchive ar(out);
    ar(tag, version, caps, labels, trust, weights, rng, since, contested, nets, opts);
  }
  return out.str();
}

TEST(Ensemble, ACheckpointWithImpossibleValuesIsRefusedWithAReason) {
  ensemble_options o;
  o.members = 1;
  auto m = make_ensemble_model(o);
  {
    std::stringstream ok(ensemble_archive({1, 0}, {1.0f, 0.1f}, 3));
    auto st = m->load(ok);
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_EQ(m->diagnose().contested, 1u) << "counted from the trust, not from the file";
  }
  struct bad_case {
    std::vector<int> labels;
    std::vector<float> trust;
    int since;
    const char* says;
  };
  for (const auto& c : {bad_case{{1, 7}, {1.0f, 1.0f}, 0, "label of 7"},
                        bad_case{{1, 0}, {1.0f, std::nanf("")}, 0, "trust"},
                        bad_case{{1, 0}, {1.0f, -2.0f}, 0, "trust"},
                        bad_case{{1, 0}, {1.0f}, 0, "differ in number"},
                        bad_case{{1, 0}, {1.0f, 1.0f}, -5, "negative"}}) {
    std::stringstream in(ensemble_archive(c.labels, c.trust, c.since));
    auto st = m->load(in);
    ASSERT_FALSE(st) << c.says;
    EXPECT_NE(st.error().message.find(c.says), std::string::npos) << st.error().message;
  }
}

// A model of the test's own, registered with one line.
class constant_model final : public reward_model {
 public:
  std::string name() const override { return "constant"; }
  void rewards(const std::vector<std::string>& c, std::vector<float>& out) override { out.assign(c.size(), value); }
  core::status save(std::ostream&) const override { return {}; }
  core::status load(std::istream&) override { return {}; }
  float value = 0;
};

TEST(Registry, ANewModelIsOneEntryAndEverythingFollows) {
  reward_registry reg;
  register_builtin_reward_models(reg);
  reg.add({"constant", "pays a fixed amount", label_kind::pairs,
           [](core::schema& s, const std::string& p) { s.real(p + ".value", 0.25, "what it pays"); },
           [](const core::config& c, const std::string&) -> core::result<std::unique_ptr<reward_model>> {
             auto m = std::make_unique<constant_model>();
             m->value = static_cast<float>(c.real("reward.constant.value"));
             return std::unique_ptr<reward_model>(std::move(m));
           }});
  core::schema s;
  add_learner_options(s);
  reg.add_options(s);
  auto cfg = core::config::load(s, "", {"reward.model=constant", "reward.constant.value=0.5"});
  ASSERT_TRUE(cfg) << cfg.error().message;
  auto m = reg.create(cfg.value(), "goal");
  ASSERT_TRUE(m) << m.error().message;
  std::vector<float> r;
  m.value()->rewards({"x", "y"}, r);
  EXPECT_EQ(r, (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(reg.labels_of("constant"), label_kind::pairs);
  EXPECT_EQ(reg.labels_of("ranking"), label_kind::pairs);
  EXPECT_EQ(reg.labels_of("classification"), label_kind::captions);
  EXPECT_EQ(reg.labels_of("ensemble"), label_kind::captions);
  EXPECT_EQ(reg.labels_of("bow"), label_kind::none);
  EXPECT_EQ(reg.labels_of("none"), label_kind::none);
  auto none = core::config::load(s, "", {"reward.model=none"});
  ASSERT_TRUE(none);
  auto nothing = reg.create(none.value(), "goal");
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing.value(), nullptr);
  // A name the registry does not know is refused by the schema, naming the key.
  auto bad = core::config::load(s, "", {"reward.model=nosuch"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("reward.model"), std::string::npos) << bad.error().message;
  EXPECT_THROW(reg.add({"none", "", label_kind::none, nullptr, nullptr}), std::invalid_argument);
}

TEST(Registry, TheBuiltInModelsAreBuiltFromTheirNames) {
  core::schema s;
  add_learner_options(s);
  reward_models().add_options(s);
  for (const std::string name : {"retrieval", "classification", "ranking", "bow", "ensemble"}) {
    auto cfg = core::config::load(s, "", {"reward.model=" + name});
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto m = make_reward_model(cfg.value(), "take the lamp");
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_NE(m.value(), nullptr);
    EXPECT_EQ(m.value()->name(), name);
  }
}

}  // namespace
}  // namespace lantern::learners
