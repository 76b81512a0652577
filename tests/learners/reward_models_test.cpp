#include "learners/reward_models.hpp"

#include <gtest/gtest.h>

#include "learners/runtime.hpp"
#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <sstream>
#include <thread>

#include "core/rng.hpp"
#include "learners/shaping.hpp"

namespace lantern::learners {
namespace {

TEST(Retrieval, SeenCaptionsGiveTheirLabelUnseenGiveZero) {
  retrieval_model m;
  m.add_labels({{"You kill the newt!", 1}, {"It's a wall.", 0}});
  std::vector<float> r;
  m.rewards({"You kill the newt!", "It's a wall.", "Never seen."}, r);
  EXPECT_EQ(r, (std::vector<float>{1, 0, 0}));
  m.add_labels({{"You kill the newt!", 0}});  // a later label replaces an earlier one
  m.rewards({"You kill the newt!"}, r);
  EXPECT_EQ(r[0], 0.0f);
  std::stringstream ss;
  ASSERT_TRUE(m.save(ss));
  retrieval_model back;
  ASSERT_TRUE(back.load(ss));
  EXPECT_EQ(back.dataset_size(), 2u);
}

TEST(Shaping, IntrinsicRewardIsDividedByTheCountToTheBeta) {
  shaping s{0.1, 0.4, 3.0, 1.0, 10.0};
  caption_counter counts(2);
  EXPECT_EQ(counts.bump(0, "You kill the newt!"), 1u);
  EXPECT_FLOAT_EQ(s.total(0, 1, 1), 0.4f);
  EXPECT_EQ(counts.bump(0, "You kill the newt!"), 2u);
  EXPECT_FLOAT_EQ(s.total(0, 1, 2), 0.4f / 8);
  EXPECT_EQ(counts.bump(1, "You kill the newt!"), 1u) << "counts are per env";
  counts.reset(0);
  EXPECT_EQ(counts.count(0, "You kill the newt!"), 0u);
  EXPECT_FLOAT_EQ(s.total(50, 0, 1), 0.1f * 10) << "scaled extrinsic is clipped before its coefficient";
  shaping reward_free{0.0, 1.0, 3.0, 1.0, 10.0};
  EXPECT_FLOAT_EQ(reward_free.total(5, 0.5f, 1), 0.5f);
}

TEST(Bow, CaptionsSharingGoalWordsScoreHigher) {
  bow_model m("gather gold coins");
  std::vector<float> r;
  m.rewards({"you find gold coins", "the door is locked", ""}, r);
  EXPECT_GT(r[0], 0.5f);
  EXPECT_GT(r[0], r[1]);
  EXPECT_EQ(r[2], 0.0f);
}

// A separable caption set: progress vs no progress, with held-out monsters and numbers.
std::vector<labelled_caption> captions(int from, int to) {
  static const char* monsters[] = {"newt", "jackal", "rat", "gnome", "kobold", "orc", "bat", "lichen", "dingo", "fox",
                                   "hobbit", "dwarf", "acid blob", "gecko", "iguana", "yak", "eel", "troll", "ant", "bee"};
  std::vector<labelled_caption> out;
  for (int i = from; i < to; ++i) {
    const std::string m = monsters[i % 20];
    const std::string n = std::to_string(i * 7 + 3);
    out.push_back({"You kill the " + m + "!", 1});
    out.push_back({"You see here " + n + " gold pieces.", 1});
    out.push_back({"Welcome to experience level " + std::to_string(i % 30 + 2) + ".", 1});
    out.push_back({"The " + m + " bites!", 0});
    out.push_back({"You miss the " + m + ".", 0});
    out.push_back({"It's a wall. (" + n + ")", 0});
  }
  return out;
}

TEST(Classification, ReachesNinetyFivePercentHeldOutAccuracyOnASeparableSet) {
  configure_runtime(1);
  auto m = make_classification_model({});
  m->add_labels(captions(0, 10));  // monsters 0-9 seen in training
  auto st = m->train(300);
  EXPECT_GT(st.accuracy, 0.9f);
  auto held = captions(10, 20);  // monsters 10-19, other numbers: never seen
  std::vector<std::string> text;
  for (const auto& h : held) text.push_back(h.caption);
  std::vector<float> r;
  m->rewards(text, r);
  int right = 0;
  for (size_t i = 0; i < held.size(); ++i) right += (r[i] > 0.5f) == (held[i].label == 1);
  EXPECT_GE(static_cast<double>(right) / static_cast<double>(held.size()), 0.95);
}

TEST(Classification, GivesNoRewardBeforeEnoughLabels) {
  auto m = make_classification_model({});
  std::vector<float> r;
  m->add_labels({{"You kill the newt!", 1}});
  m->rewards({"You kill the newt!"}, r);
  EXPECT_EQ(r[0], 0.0f) << "an untrained net's output is noise, not reward";
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return v[x] < v[y]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size(); ++i) r[idx[i]] = static_cast<double>(i);
    return r;
  };
  auto ra = ranks(a), rb = ranks(b);
  double n = static_cast<double>(a.size()), d2 = 0;
  for (size_t i = 0; i < a.size(); ++i) d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
  return 1 - 6 * d2 / (n * (n * n - 1));
}

TEST(Ranking, RecoversTheOrderOfAHiddenRewardFromNoisyPairs) {
  torch::set_num_threads(1);
  core::pcg32 rng(5);
  const std::vector<std::string> words = {"gold", "kill", "descend", "wall", "hungry", "door", "potion", "trap",
                                          "altar", "fountain", "shop", "bite", "miss", "level", "stairs", "dark"};
  std::vector<double> weight;
  for (size_t i = 0; i < words.size(); ++i) weight.push_back(rng.uniform() * 4 - 2);
  std::vector<std::string> caps;
  std::vector<double> hidden;
  for (int i = 0; i < 60; ++i) {
    std::string c;
    double h = 0;
    for (int k = 0; k < 3; ++k) {
      size_t w = rng.below(static_cast<uint32_t>(words.size()));
      c += (k ? " " : "") + words[w];
      h += weight[w];
    }
    caps.push_back(c);
    hidden.push_back(h);
  }
  std::vector<labelled_pair> pairs;
  for (int i = 0; i < 3000; ++i) {
    size_t a = rng.below(60), b = rng.below(60);
    double noise = (rng.uniform() - 0.5) * 0.6;  // noisy judgments
    double d = hidden[a] - hidden[b] + noise;
    pairs.push_back({caps[a], caps[b], std::fabs(d) < 0.2 ? 2 : d > 0 ? 0 : 1});
  }
  auto m = make_ranking_model({});
  m->add_pairs(pairs);
  m->train(600);
  auto scores = ranking_scores(*m, caps);
  std::vector<double> s(scores.begin(), scores.end());
  EXPECT_GE(spearman(s, hidden), 0.9);
  std::vector<float> r;
  m->rewards(caps, r);
  int kept = 0;
  for (float x : r) kept += x != 0.0f;
  EXPECT_GT(kept, 10) << "normalised rewards above the threshold are kept";
  EXPECT_LT(kept, 60) << "and those below it are cut";
}

// Optimiser archives name parameters by address, so checkpoints are compared by what they
// restore: the weights (bit for bit) and the training that follows (the Adam moments and RNG).
TEST(Checkpoints, ARoundTripRestoresBitIdenticalParametersAndOptimiserState) {
  torch::set_num_threads(1);
  for (auto make : {+[] { return make_classification_model({}); }, +[] { return make_ranking_model({}); }}) {
    auto m = make();
    m->add_labels(captions(0, 3));
    m->add_pairs({{"You kill the newt!", "It's a wall.", 0}, {"a", "b", 2}});
    m->train(20);
    std::stringstream saved;
    ASSERT_TRUE(m->save(saved));
    auto back = make();
    ASSERT_TRUE(back->load(saved)) << m->name();
    EXPECT_TRUE(back->snapshot() == m->snapshot()) << m->name() << ": parameters differ after a reload";
    EXPECT_EQ(back->dataset_size(), m->dataset_size());
    m->train(5);
    back->train(5);
    EXPECT_TRUE(back->snapshot() == m->snapshot()) << m->name() << ": training after a reload diverged";
  }
}

TEST(Snapshots, ASnapshotGivesAnotherProcessTheSameRewards) {
  torch::set_num_threads(1);
  auto trainer = make_classification_model({});
  trainer->add_labels(captions(0, 5));
  trainer->train(50);
  classifier_options other;
  other.seed = 77;  // other initial weights, same settings
  auto user = make_classification_model(other);
  ASSERT_TRUE(user->load_snapshot(trainer->snapshot()));
  std::vector<std::string> probe = {"You kill the yak!", "It's a wall. (99)"};
  std::vector<float> a, b;
  trainer->rewards(probe, a);
  user->rewards(probe, b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(user->version(), trainer->version());
  retrieval_model r1, r2;
  r1.add_labels({{"x", 1}});
  ASSERT_TRUE(r2.load_snapshot(r1.snapshot()));
  r2.rewards({"x"}, a);
  EXPECT_EQ(a[0], 1.0f);
}

TEST(Threads, TwoModelsTrainedInTwoThreadsMatchOneTrainedAlone) {
  torch::set_num_threads(1);
  auto train = [] {
    torch::set_num_threads(1);  // per thread: OpenMP settings do not carry over to new threads
    auto m = make_classification_model({});
    m->add_labels(captions(0, 5));
    m->train(50);
    return m->snapshot();
  };
  const std::string alone = train();
  std::string a, b;
  std::thread t1([&] { a = train(); }), t2([&] { b = train(); });
  t1.join();
  t2.join();
  EXPECT_TRUE(a == alone) << "the first thread's model differs from the one trained alone";
  EXPECT_TRUE(b == alone) << "the second thread's model differs from the one trained alone";
}

}  // namespace
}  // namespace lantern::learners
