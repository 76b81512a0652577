// The ensemble reward model: several classifiers, each trained on its own bootstrap resample of
// the labels (every label weighs Poisson(1) times in each member, the online form of a
// bootstrap: Oza and Russell 2001). The reward is the members' mean P(positive) less
// `disagreement` times their standard deviation, so a caption the members do not agree on pays
// less. Every `review_every` steps the members review the labels they did not train on (each
// label is out of bag for about 37% of them): a label that every such reviewer confidently
// assigns to the other class is contested and weighs `downweight` in training until a later
// review clears it. This is the peer-review idea of "Cooperative Reward Modeling" (the members
// judge each other's data) without its two-model set-up; the Poisson bootstrap gives each label
// reviewers that never fitted it.
#include <algorithm>
#include <cmath>
#include <istream>
#include <memory>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "learners/options.hpp"
#include "learners/reward_models.hpp"
#include "learners/reward_registry.hpp"
#include "learners/text_net.hpp"

namespace lantern::learners {
namespace {

using detail::text_net;

// Poisson(1) by Knuth's product of uniforms (a handful of draws on average), capped at 255.
uint8_t poisson_one(core::pcg32& rng) {
  const double limit = std::exp(-1.0);
  int k = 0;
  double p = rng.uniform();
  while (p > limit && k < 255) {
    ++k;
    p *= rng.uniform();
  }
  return static_cast<uint8_t>(k);
}

class ensemble_model final : public reward_model {
 public:
  explicit ensemble_model(const ensemble_options& o) : o_(o) {
    if (o.members < 1) throw std::invalid_argument("an ensemble needs at least one member");
    for (int k = 0; k < o.members; ++k) {
      const uint64_t seed = o.same_seed ? o.member.seed : o.member.seed + 7919ULL * static_cast<uint64_t>(k);
      // Weights and batch order from `seed`; the bootstrap draws from a stream of each member's own.
      member m{text_net(o.member.buckets, o.member.embed_dim, o.member.hidden, 2), nullptr, core::pcg32(seed),
               core::pcg32(o.member.seed ^ 0x626f6f747374ULL, 2 * static_cast<uint64_t>(k) + 1), {}};
      detail::init_parameters(*m.net, m.rng);
      m.opt = std::make_unique<torch::optim::Adam>(m.net->parameters(), torch::optim::AdamOptions(o.member.lr));
      members_.push_back(std::move(m));
    }
  }
  std::string name() const override { return "ensemble"; }
  bool trains() const override { return true; }

  void add_labels(const std::vector<labelled_caption>& labels) override {
    for (const auto& l : labels) {
      const int y = l.label == 1 ? 1 : 0;
      auto it = index_.find(l.caption);
      if (it != index_.end()) {  // a later label replaces an earlier one, and is trusted until reviewed
        labels_[it->second] = y;
        if (trust_[it->second] < 1.0f && contested_ > 0) --contested_;
        trust_[it->second] = 1.0f;
        continue;
      }
      index_.emplace(l.caption, captions_.size());
      captions_.push_back(l.caption);
      labels_.push_back(y);
      trust_.push_back(1.0f);
      for (auto& m : members_) m.weight.push_back(o_.bootstrap ? poisson_one(m.boot) : uint8_t{1});
    }
  }
  size_t dataset_size() const override { return captions_.size(); }

  train_stats train(int steps) override {
    train_stats st;
    if (captions_.empty()) return st;
    const auto class_weight =
        detail::balanced_class_weights(labels_, o_.member.balance).value_or(std::array<float, 2>{1.0f, 1.0f});
    const auto n = static_cast<uint32_t>(captions_.size());
    const auto batch = static_cast<size_t>(o_.member.batch);
    double loss_sum = 0, correct = 0, seen = 0;
    int member_steps = 0;
    std::vector<const std::string*> texts(batch);
    std::vector<int64_t> y(batch);
    std::vector<float> w(batch);
    for (int s = 0; s < steps; ++s) {
      for (auto& m : members_) {
        // A uniform batch, each example weighted by its bootstrap count, its trust and its class.
        double wsum = 0;
        for (size_t b = 0; b < batch; ++b) {
          const uint32_t i = m.rng.below(n);
          texts[b] = &captions_[i];
          y[b] = labels_[i];
          w[b] = static_cast<float>(m.weight[i]) * trust_[i] * class_weight[labels_[i]];
          wsum += w[b];
        }
        if (wsum <= 0) continue;
        m.net->train();
        auto in = detail::encode_texts(texts, o_.member.buckets);
        auto target = torch::tensor(y, torch::kInt64);
        auto weights = torch::tensor(w);
        auto logits = m.net->forward(in.ids, in.offsets);
        auto per = torch::nn::functional::cross_entropy(
            logits, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
        auto loss = (per * weights).sum() / static_cast<float>(wsum);
        m.opt->zero_grad();
        loss.backward();
        m.opt->step();
        loss_sum += loss.item<double>();
        correct += logits.argmax(1).eq(target).sum().item<double>();
        seen += static_cast<double>(batch);
        ++member_steps;
      }
      ++st.steps;
      if (++since_review_ >= o_.review_every) review();
    }
    st.loss = static_cast<float>(loss_sum / std::max(1, member_steps));
    st.accuracy = static_cast<float>(correct / std::max(1.0, seen));
    ++version_;
    return st;
  }

  void rewards(const std::vector<std::string>& captions, std::vector<float>& out) override {
    out.assign(captions.size(), 0.0f);
    if (captions.empty() || std::max<uint64_t>(captions_.size(), snapshot_labels_) < o_.member.min_labels) return;
    auto [mean, sd] = moments(captions);
    const float* m = mean.data_ptr<float>();
    const float* d = sd.data_ptr<float>();
    for (size_t i = 0; i < captions.size(); ++i) {
      const double score = m[i] - o_.disagreement * d[i];
      out[i] = o_.member.raw ? static_cast<float>(score) : (score > o_.member.threshold ? 1.0f : 0.0f);
    }
    last_disagreement_ = sd.mean().item<double>();
  }

  void probe(const std::vector<std::string>& captions, std::vector<float>& out) override {
    out.assign(captions.size(), 0.0f);
    if (captions.empty()) return;
    auto [mean, sd] = moments(captions);
    auto score = (mean - static_cast<float>(o_.disagreement) * sd).contiguous();
    std::copy(score.data_ptr<float>(), score.data_ptr<float>() + score.numel(), out.begin());
    last_disagreement_ = sd.mean().item<double>();
  }

  std::vector<float> disagreement(const std::vector<std::string>& captions) {
    if (captions.empty()) return {};
    auto sd = moments(captions).second;
    return std::vector<float>(sd.data_ptr<float>(), sd.data_ptr<float>() + sd.numel());
  }

  diagnostics diagnose() const override {
    return {contested_, last_disagreement_, static_cast<uint32_t>(members_.size())};
  }

  /// Each label's training weight from the last review (1 trusted, downweight contested).
  const std::vector<float>& trust() const { return trust_; }

  std::string snapshot() const override {
    std::ostringstream out;
    {
      cereal::PortableBinaryOutputArchive ar(out);
      ar(std::string("ensemble-snapshot-v1"), version_, static_cast<uint64_t>(captions_.size()), contested_,
         net_bytes());
    }
    return out.str();
  }

  core::status load_snapshot(const std::string& bytes) override {
    try {
      std::istringstream in(bytes);
      cereal::PortableBinaryInputArchive ar(in);
      detail::check_tag(ar, "ensemble-snapshot-v1");
      uint64_t version = 0, labels = 0, contested = 0;
      std::vector<std::string> nets;
      ar(version, labels, contested, nets);
      load_nets(nets);  // all or nothing
      version_ = version;
      snapshot_labels_ = labels;
      contested_ = contested;
    } catch (const std::exception& e) {
      return core::make_error(core::errc::parse, std::string("ensemble snapshot: ") + e.what());
    }
    return {};
  }

  core::status save(std::ostream& out) const override {
    std::vector<std::vector<uint8_t>> weights;
    std::vector<uint64_t> rng;
    std::vector<std::string> opts;
    for (const auto& m : members_) {
      weights.push_back(m.weight);
      for (const auto* r : {&m.rng, &m.boot}) {
        rng.push_back(r->state());
        rng.push_back(r->increment());
      }
      opts.push_back(detail::optimizer_bytes(*m.opt));
    }
    cereal::PortableBinaryOutputArchive ar(out);
    ar(std::string("ensemble-v1"), version_, captions_, labels_, trust_, weights, rng, since_review_, contested_,
       net_bytes(), opts);
    return {};
  }

  core::status load(std::istream& in) override {
    try {
      cereal::PortableBinaryInputArchive ar(in);
      detail::check_tag(ar, "ensemble-v1");
      uint64_t version = 0, contested = 0;
      int since = 0;
      std::vector<std::string> captions, nets, opts;
      std::vector<int> labels;
      std::vector<float> trust;
      std::vector<std::vector<uint8_t>> weights;
      std::vector<uint64_t> rng;
      ar(version, captions, labels, trust, weights, rng, since, contested, nets, opts);
      const size_t k = members_.size();
      if (weights.size() != k || rng.size() != 4 * k || opts.size() != k)
        throw std::runtime_error("saved with " + std::to_string(weights.size()) + " members, this run has " +
                                 std::to_string(k) + " (reward.ensemble.members)");
      if (labels.size() != captions.size() || trust.size() != captions.size())
        throw std::runtime_error("labels and captions differ in number");
      for (const auto& w : weights)
        if (w.size() != captions.size()) throw std::runtime_error("a member's weights and the captions differ in number");
      for (int l : labels)
        if (l != 0 && l != 1) throw std::runtime_error("a label of " + std::to_string(l) + " (0 or 1 expected)");
      for (float t : trust)
        if (!(t >= 0.0f && t <= 1.0f)) throw std::runtime_error("a label's trust outside [0, 1]");
      if (since < 0) throw std::runtime_error("a negative step count");
      std::unordered_map<std::string, size_t> index;
      for (size_t i = 0; i < captions.size(); ++i)
        if (!index.emplace(captions[i], i).second) throw std::runtime_error("a caption saved twice");
      // The optimisers' state is checked by loading it into scratch optimisers first.
      for (size_t i = 0; i < k; ++i) {
        text_net scratch(o_.member.buckets, o_.member.embed_dim, o_.member.hidden, 2);
        torch::optim::Adam adam(scratch->parameters(), torch::optim::AdamOptions(o_.member.lr));
        detail::load_optimizer_bytes(adam, opts[i]);
      }
      contested = 0;
      for (float t : trust) contested += t < 1.0f;
      load_nets(nets);  // all or nothing, and nothing else is changed before it
      for (size_t i = 0; i < k; ++i) {
        detail::load_optimizer_bytes(*members_[i].opt, opts[i]);
        members_[i].rng.restore(rng[4 * i], rng[4 * i + 1]);
        members_[i].boot.restore(rng[4 * i + 2], rng[4 * i + 3]);
        members_[i].weight = std::move(weights[i]);
      }
      version_ = version;
      captions_ = std::move(captions);
      labels_ = std::move(labels);
      trust_ = std::move(trust);
      since_review_ = since;
      contested_ = contested;
      index_ = std::move(index);
    } catch (const std::exception& e) {
      return core::make_error(core::errc::parse, std::string("ensemble model: ") + e.what());
    }
    return {};
  }

 private:
  struct member {
    text_net net;
    std::unique_ptr<torch::optim::Adam> opt;
    core::pcg32 rng;              // initial weights, then batches
    core::pcg32 boot;             // bootstrap counts
    std::vector<uint8_t> weight;  // bootstrap count of each label
  };

  // Every member's P(positive) of each caption: [members, captions].
  torch::Tensor probabilities(const std::vector<const std::string*>& texts) {
    torch::NoGradGuard no_grad;
    auto in = detail::encode_texts(texts, o_.member.buckets);
    std::vector<torch::Tensor> p;
    for (auto& m : members_) {
      m.net->eval();
      p.push_back(torch::softmax(m.net->forward(in.ids, in.offsets), 1).select(1, 1));
    }
    return torch::stack(p, 0);
  }

  std::pair<torch::Tensor, torch::Tensor> moments(const std::vector<std::string>& captions) {
    auto p = probabilities(detail::pointers(captions));
    return {p.mean(0).contiguous(), p.std(0, /*unbiased=*/false).contiguous()};
  }

  // The members judge the labels they did not train on, in chunks.
  void review() {
    since_review_ = 0;
    contested_ = 0;
    const size_t n = captions_.size(), chunk = 4096;
    const float low = static_cast<float>(1.0 - o_.confidence);
    for (size_t start = 0; start < n; start += chunk) {
      const size_t end = std::min(n, start + chunk);
      std::vector<const std::string*> texts;
      for (size_t i = start; i < end; ++i) texts.push_back(&captions_[i]);
      auto p = probabilities(texts).contiguous();  // [members, end - start]
      const float* d = p.data_ptr<float>();
      for (size_t i = start; i < end; ++i) {
        int reviewers = 0, against = 0;
        for (size_t k = 0; k < members_.size(); ++k) {
          if (members_[k].weight[i] != 0) continue;
          const float pk = d[k * (end - start) + (i - start)];
          const float p_label = labels_[i] == 1 ? pk : 1.0f - pk;
          ++reviewers;
          against += p_label < low;
        }
        const bool contested = reviewers > 0 && against == reviewers;
        trust_[i] = contested ? static_cast<float>(o_.downweight) : 1.0f;
        contested_ += contested;
      }
    }
  }

  std::vector<std::string> net_bytes() const {
    std::vector<std::string> out;
    for (const auto& m : members_) out.push_back(detail::module_bytes(*m.net));
    return out;
  }

  // Every member's weights, or none: each is checked before any is loaded.
  void load_nets(const std::vector<std::string>& nets) {
    if (nets.size() != members_.size())
      throw std::runtime_error("snapshot of " + std::to_string(nets.size()) + " members, this run has " +
                               std::to_string(members_.size()) + " (reward.ensemble.members)");
    for (size_t k = 0; k < nets.size(); ++k) detail::check_module_bytes(*members_[k].net, nets[k]);
    for (size_t k = 0; k < nets.size(); ++k) detail::load_module_bytes(*members_[k].net, nets[k]);
  }

  ensemble_options o_;
  std::vector<member> members_;
  std::vector<std::string> captions_;
  std::vector<int> labels_;
  std::vector<float> trust_;
  std::unordered_map<std::string, size_t> index_;
  uint64_t snapshot_labels_ = 0, contested_ = 0;
  int since_review_ = 0;
  double last_disagreement_ = 0;
};

}  // namespace

std::unique_ptr<reward_model> make_ensemble_model(const ensemble_options& o) {
  return std::make_unique<ensemble_model>(o);
}

std::vector<float> ensemble_disagreement(reward_model& m, const std::vector<std::string>& captions) {
  auto* e = dynamic_cast<ensemble_model*>(&m);
  return e ? e->disagreement(captions) : std::vector<float>{};
}

std::vector<float> ensemble_trust(reward_model& m) {
  auto* e = dynamic_cast<ensemble_model*>(&m);
  return e ? e->trust() : std::vector<float>{};
}

reward_entry ensemble_entry() {
  return {"ensemble", "classifiers on bootstrap resamples of the labels, discounted by their disagreement",
          label_kind::captions,
          [](core::schema& s, const std::string& p) {
            s.integer(p + ".members", 5, "ensemble: classifiers, each on its own bootstrap resample of the labels (each "
                      "costs a classifier's memory, training and inference)", 1, 16);
            s.real(p + ".disagreement", 1.0, "ensemble: the score is the members' mean P(positive) minus this times "
                   "their standard deviation (then reward.threshold applies, or reward.raw)", 0.0, 100.0);
            s.boolean(p + ".bootstrap", true, "ensemble: each label weighs Poisson(1) times in each member (false: "
                      "every member trains on every label once, and no label has a reviewer: no down-weighting)");
            s.real(p + ".downweight", 0.1, "ensemble: training weight of a label that every member that did not train "
                   "on it confidently assigns to the other class (1: no review)", 0.0, 1.0);
            s.real(p + ".confidence", 0.8, "ensemble: a reviewing member is confident when it gives the label's class "
                   "a probability below 1 minus this", 0.5, 1.0);
            s.integer(p + ".review_every", 32, "ensemble: training steps between reviews of the labels", 1, 1000000);
          },
          [](const core::config& c, const std::string&) -> core::result<std::unique_ptr<reward_model>> {
            ensemble_options o;
            o.member = classifier_options_from(c);
            o.members = static_cast<int>(c.integer("reward.ensemble.members"));
            o.disagreement = c.real("reward.ensemble.disagreement");
            o.bootstrap = c.boolean("reward.ensemble.bootstrap");
            o.downweight = c.real("reward.ensemble.downweight");
            o.confidence = c.real("reward.ensemble.confidence");
            o.review_every = static_cast<int>(c.integer("reward.ensemble.review_every"));
            return make_ensemble_model(o);
          }};
}

}  // namespace lantern::learners
