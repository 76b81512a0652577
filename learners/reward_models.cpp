// Retrieval and bag-of-words: the reward models without a network.
#include <cmath>
#include <istream>
#include <ostream>
#include <sstream>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/unordered_map.hpp>

#include "core/rng.hpp"
#include "learners/reward_models.hpp"
#include "learners/reward_registry.hpp"
#include "learners/text_features.hpp"

namespace lantern::learners {

std::string reward_model::snapshot() const {
  std::ostringstream out;
  save(out);
  return out.str();
}

core::status reward_model::load_snapshot(const std::string& bytes) {
  std::istringstream in(bytes);
  return load(in);
}

void retrieval_model::rewards(const std::vector<std::string>& captions, std::vector<float>& out) {
  out.resize(captions.size());
  for (size_t i = 0; i < captions.size(); ++i) {
    auto it = table_.find(captions[i]);
    out[i] = it == table_.end() ? 0.0f : static_cast<float>(it->second);
  }
}

void retrieval_model::add_labels(const std::vector<labelled_caption>& labels) {
  for (const auto& l : labels) table_[l.caption] = l.label == 1 ? 1 : 0;
  if (!labels.empty()) ++version_;
}

core::status retrieval_model::save(std::ostream& out) const {
  cereal::PortableBinaryOutputArchive ar(out);
  ar(std::string("retrieval-v1"), version_, table_);
  return {};
}

core::status retrieval_model::load(std::istream& in) {
  try {
    cereal::PortableBinaryInputArchive ar(in);
    std::string tag;
    ar(tag);
    if (tag != "retrieval-v1") return core::make_error(core::errc::parse, "not a retrieval model: '" + tag + "'");
    ar(version_, table_);
  } catch (const std::exception& e) {
    return core::make_error(core::errc::parse, std::string("retrieval model: ") + e.what());
  }
  return {};
}

bow_model::bow_model(std::string goal, int dim, double threshold)
    : goal_(std::move(goal)), dim_(dim), threshold_(threshold), goal_vec_(embed(goal_)) {}

std::vector<float> bow_model::embed(const std::string& text) const {
  std::vector<float> v(static_cast<size_t>(dim_), 0.0f);
  std::vector<char> scratch;
  for (auto w : words_of(text, scratch)) {
    // A word's vector: Gaussian-like components from its own seeded stream (sum of uniforms).
    core::pcg32 rng(core::fnv1a(w));
    for (auto& x : v) x += static_cast<float>(rng.uniform() + rng.uniform() + rng.uniform() - 1.5);
  }
  return v;
}

void bow_model::rewards(const std::vector<std::string>& captions, std::vector<float>& out) {
  out.resize(captions.size());
  double gn = 0;
  for (float g : goal_vec_) gn += static_cast<double>(g) * g;
  for (size_t i = 0; i < captions.size(); ++i) {
    auto v = embed(captions[i]);
    double dot = 0, vn = 0;
    for (size_t k = 0; k < v.size(); ++k) {
      dot += static_cast<double>(v[k]) * goal_vec_[k];
      vn += static_cast<double>(v[k]) * v[k];
    }
    double cos = vn > 0 && gn > 0 ? dot / std::sqrt(vn * gn) : 0.0;
    out[i] = cos > threshold_ ? static_cast<float>(cos) : 0.0f;
  }
}

core::status bow_model::save(std::ostream& out) const {
  cereal::PortableBinaryOutputArchive ar(out);
  ar(std::string("bow-v1"), goal_, dim_, threshold_);
  return {};
}

core::status bow_model::load(std::istream& in) {
  try {
    cereal::PortableBinaryInputArchive ar(in);
    std::string tag;
    ar(tag);
    if (tag != "bow-v1") return core::make_error(core::errc::parse, "not a bag-of-words model: '" + tag + "'");
    ar(goal_, dim_, threshold_);
    goal_vec_ = embed(goal_);
  } catch (const std::exception& e) {
    return core::make_error(core::errc::parse, std::string("bow model: ") + e.what());
  }
  return {};
}

reward_entry retrieval_entry() {
  return {"retrieval", "a table of labelled captions", label_kind::captions, nullptr,
          [](const core::config&, const std::string&) -> core::result<std::unique_ptr<reward_model>> {
            return std::unique_ptr<reward_model>(new retrieval_model());
          }};
}

reward_entry bow_entry() {
  return {"bow", "bag-of-words similarity to the goal text, no labels", label_kind::none,
          [](core::schema& s, const std::string&) {
            // Named before the registry gave each model a prefix; kept so that configs still load.
            s.real("reward.bow_threshold", 0.0, "bag-of-words: cosine similarity below it gives 0", -1.0, 1.0);
          },
          [](const core::config& c, const std::string& goal) -> core::result<std::unique_ptr<reward_model>> {
            return std::unique_ptr<reward_model>(new bow_model(goal, 64, c.real("reward.bow_threshold")));
          }};
}

}  // namespace lantern::learners
