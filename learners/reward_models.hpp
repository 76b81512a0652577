// learners/reward_models.hpp: intrinsic reward models (notes/oni.md): retrieval (a table of
// labelled captions), classification (a text classifier trained on labelled captions), ranking
// (a scalar reward trained with Bradley-Terry on labelled pairs, normalised and thresholded),
// bag-of-words similarity to the goal (an ELLM-style baseline that needs no labels), and an
// ensemble of classifiers on bootstrap resamples that discounts its own disagreement.
// No torch in this header: the trained models keep their networks behind a pimpl.
//
//   auto m = make_classification_model({});
//   m->add_labels({{"You kill the newt!", 1}, {"It's a wall.", 0}});
//   m->train(32);
//   std::vector<float> r;  m->rewards({"You kill the jackal!"}, r);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace lantern::learners {

struct labelled_caption {
  std::string caption;
  int label = 0;  ///< 1 positive, 0 negative
};

struct labelled_pair {
  std::string first, second;
  int label = 2;  ///< 0 first shows more progress, 1 second, 2 tie
};

/// What a training call did.
struct train_stats {
  int steps = 0;
  float loss = 0;
  float accuracy = 0;  ///< on the batches trained (ranking: non-tie pairs)
};

class reward_model {
 public:
  virtual ~reward_model() = default;
  virtual std::string name() const = 0;
  /// Intrinsic reward of each caption (before the count scaling of shaping.hpp).
  virtual void rewards(const std::vector<std::string>& captions, std::vector<float>& out) = 0;
  /// The model's score of each caption before any threshold, with no side effect (no running
  /// statistics move): what reward drift compares (learners/drift.hpp). By default the rewards.
  virtual void probe(const std::vector<std::string>& captions, std::vector<float>& out) { rewards(captions, out); }
  /// Labels to learn from; models that do not learn from them ignore them.
  virtual void add_labels(const std::vector<labelled_caption>&) {}
  virtual void add_pairs(const std::vector<labelled_pair>&) {}
  /// Gradient steps on the labelled data (none for untrained models).
  virtual train_stats train(int steps) {
    (void)steps;
    return {};
  }
  /// Whether train() fits anything (a loss and an accuracy mean something); a lookup table or a
  /// fixed similarity does not.
  virtual bool trains() const { return false; }
  /// How many labelled examples the model holds.
  virtual size_t dataset_size() const { return 0; }
  /// What the policy learner needs to compute the same rewards (weights or the table, with the
  /// normalisation statistics): the versioned snapshot the reward learner publishes.
  /// (By default the whole saved state: right for the small table and the bag-of-words model.)
  virtual std::string snapshot() const;
  virtual core::status load_snapshot(const std::string& bytes);
  /// Everything needed to restore the model exactly (weights, optimiser, dataset, RNG).
  virtual core::status save(std::ostream& out) const = 0;
  virtual core::status load(std::istream& in) = 0;
  /// What an ensemble says of itself (zeros for single models).
  struct diagnostics {
    uint64_t contested = 0;   ///< labels down-weighted: the members confidently disagree with them
    double disagreement = 0;  ///< the members' mean standard deviation on the last captions scored
    uint32_t members = 0;     ///< 0 for a single model
  };
  virtual diagnostics diagnose() const { return {}; }
  /// Bumped whenever the rewards the model gives may have changed.
  uint64_t version() const { return version_; }

 protected:
  uint64_t version_ = 0;
};

/// Retrieval: caption -> its label (1 or 0); an unseen caption gives 0. Later labels replace earlier.
class retrieval_model final : public reward_model {
 public:
  std::string name() const override { return "retrieval"; }
  void rewards(const std::vector<std::string>& captions, std::vector<float>& out) override;
  void add_labels(const std::vector<labelled_caption>& labels) override;
  size_t dataset_size() const override { return table_.size(); }
  core::status save(std::ostream& out) const override;
  core::status load(std::istream& in) override;

 private:
  std::unordered_map<std::string, int> table_;
};

/// Bag-of-words cosine similarity to the goal text, with Lantern's own hashed word vectors
/// (deterministic pseudo-random vectors per word: no pre-trained embeddings are available).
/// reward = cos if cos > threshold, else 0. A baseline needing no labels.
class bow_model final : public reward_model {
 public:
  bow_model(std::string goal, int dim = 64, double threshold = 0.0);
  std::string name() const override { return "bow"; }
  void rewards(const std::vector<std::string>& captions, std::vector<float>& out) override;
  core::status save(std::ostream& out) const override;
  core::status load(std::istream& in) override;
  /// The embedding of a text (sum of its word vectors).
  std::vector<float> embed(const std::string& text) const;

 private:
  std::string goal_;
  int dim_;
  double threshold_;
  std::vector<float> goal_vec_;
};

struct classifier_options {
  uint32_t buckets = 1 << 14;  ///< hashed feature buckets
  int embed_dim = 32, hidden = 64, batch = 64;
  double lr = 1e-3;
  double threshold = 0.5;      ///< reward = 1 if P(positive) > threshold ...
  bool raw = false;            ///< ... or the probability itself
  bool balance = true;         ///< weight classes by inverse frequency
  size_t min_labels = 16;      ///< reward 0 until this many labels (an untrained net gives noise)
  uint64_t seed = 1;
};

struct ranker_options {
  uint32_t buckets = 1 << 14;
  int embed_dim = 32, hidden = 64, batch = 64;
  double lr = 1e-3;
  double threshold = -0.5;     ///< in normalised units: z below it gives 0
  bool raw = false;            ///< reproduce the reference implementation: the raw score is used
  size_t min_pairs = 16;
  double grad_clip = 10.0;
  uint64_t seed = 1;
};

/// An ensemble of classifiers, each trained on its own bootstrap resample of the labels
/// (learners/ensemble_model.cpp; docs/learners.md, "Ensembles against noisy labels").
struct ensemble_options {
  classifier_options member;   ///< each member's net and training (threshold, raw: of the ensemble's score)
  int members = 5;
  double disagreement = 1.0;   ///< score = mean P(positive) - disagreement x their standard deviation
  bool bootstrap = true;       ///< each label weighs Poisson(1) times in each member (false: once in all)
  bool same_seed = false;      ///< every member starts from member.seed (tests: identical members)
  double downweight = 0.1;     ///< weight of a contested label (1: no peer review)
  double confidence = 0.8;     ///< contested: every member that did not train on it gives its class P below 1 - this
  int review_every = 32;       ///< training steps between reviews of the labels
};

std::unique_ptr<reward_model> make_classification_model(const classifier_options& o);
std::unique_ptr<reward_model> make_ensemble_model(const ensemble_options& o);
/// An ensemble's per-caption standard deviation of P(positive) over its members (empty for other
/// models): for tests and diagnostics.
std::vector<float> ensemble_disagreement(reward_model& m, const std::vector<std::string>& captions);
/// An ensemble's training weight of each label, in the order they were first added (empty for
/// other models): 1 trusted, reward.ensemble.downweight contested at the last review.
std::vector<float> ensemble_trust(reward_model& m);
std::unique_ptr<reward_model> make_ranking_model(const ranker_options& o);
/// A ranking model's raw scores (empty for other models): for tests and diagnostics.
std::vector<float> ranking_scores(reward_model& m, const std::vector<std::string>& captions);

}  // namespace lantern::learners
