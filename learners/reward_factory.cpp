// Kept apart from options.cpp: building a trained model links LibTorch, and programs that only
// need the learners' config keys (lantern play, annotate) should not load it.
#include "learners/options.hpp"

namespace lantern::learners {

core::result<std::unique_ptr<reward_model>> make_reward_model(const core::config& c, const std::string& goal) {
  const std::string& m = c.string("reward.model");
  if (m == "none") return std::unique_ptr<reward_model>();
  if (m == "retrieval") return std::unique_ptr<reward_model>(new retrieval_model());
  if (m == "bow") return std::unique_ptr<reward_model>(new bow_model(goal, 64, c.real("reward.bow_threshold")));
  if (m == "classification") return make_classification_model(classifier_options_from(c));
  return make_ranking_model(ranker_options_from(c));
}

}  // namespace lantern::learners
