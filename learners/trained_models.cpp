// The classification and ranking reward models: hashed text features -> EmbeddingBag -> MLP.
#include <istream>
#include <ostream>
#include <sstream>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "learners/options.hpp"
#include "learners/reward_models.hpp"
#include "learners/reward_registry.hpp"
#include "learners/text_net.hpp"

namespace lantern::learners {
namespace {

using detail::check_tag;
using detail::pointers;
using detail::text_net;

detail::bags encode(const std::vector<const std::string*>& texts, uint32_t buckets) {
  return detail::encode_texts(texts, buckets);
}

class classification_model final : public reward_model {
 public:
  explicit classification_model(const classifier_options& o)
      : o_(o), rng_(o.seed), net_(o.buckets, o.embed_dim, o.hidden, 2),
        opt_(net_->parameters(), torch::optim::AdamOptions(o.lr)) {
    detail::init_parameters(*net_, rng_);
  }
  std::string name() const override { return "classification"; }
  bool trains() const override { return true; }

  void add_labels(const std::vector<labelled_caption>& labels) override {
    for (const auto& l : labels) {
      auto it = index_.find(l.caption);
      if (it != index_.end()) {
        labels_[it->second] = l.label == 1 ? 1 : 0;  // a later label replaces an earlier one
        continue;
      }
      index_.emplace(l.caption, captions_.size());
      captions_.push_back(l.caption);
      labels_.push_back(l.label == 1 ? 1 : 0);
    }
  }
  size_t dataset_size() const override { return captions_.size(); }

  train_stats train(int steps) override {
    train_stats st;
    if (captions_.empty()) return st;
    torch::Tensor weight;
    if (const auto w = detail::balanced_class_weights(labels_, o_.balance)) weight = torch::tensor({(*w)[0], (*w)[1]});
    double loss_sum = 0, correct = 0, seen = 0;
    net_->train();
    for (int s = 0; s < steps; ++s) {
      std::vector<const std::string*> batch;
      std::vector<int64_t> y;
      for (int b = 0; b < o_.batch; ++b) {
        size_t i = rng_.below(static_cast<uint32_t>(captions_.size()));
        batch.push_back(&captions_[i]);
        y.push_back(labels_[i]);
      }
      auto in = encode(batch, o_.buckets);
      auto target = torch::tensor(y, torch::kInt64);
      auto logits = net_->forward(in.ids, in.offsets);
      auto loss = torch::nn::functional::cross_entropy(
          logits, target, torch::nn::functional::CrossEntropyFuncOptions().weight(weight));
      opt_.zero_grad();
      loss.backward();
      opt_.step();
      loss_sum += loss.item<double>();
      correct += logits.argmax(1).eq(target).sum().item<double>();
      seen += static_cast<double>(y.size());
      ++st.steps;
    }
    st.loss = static_cast<float>(loss_sum / std::max(1, st.steps));
    st.accuracy = static_cast<float>(correct / std::max(1.0, seen));
    ++version_;
    return st;
  }

  void rewards(const std::vector<std::string>& captions, std::vector<float>& out) override {
    out.assign(captions.size(), 0.0f);
    // No noise from an untrained net. (A snapshot carries the trainer's label count.)
    if (captions.empty() || std::max<uint64_t>(captions_.size(), snapshot_labels_) < o_.min_labels) return;
    torch::NoGradGuard no_grad;
    net_->eval();
    auto in = encode(pointers(captions), o_.buckets);
    auto p = torch::softmax(net_->forward(in.ids, in.offsets), 1).select(1, 1).contiguous();
    const float* d = p.data_ptr<float>();
    for (size_t i = 0; i < captions.size(); ++i)
      out[i] = o_.raw ? d[i] : (d[i] > o_.threshold ? 1.0f : 0.0f);
  }

  void probe(const std::vector<std::string>& captions, std::vector<float>& out) override {
    out.assign(captions.size(), 0.0f);
    if (captions.empty()) return;
    torch::NoGradGuard no_grad;
    net_->eval();
    auto in = encode(pointers(captions), o_.buckets);
    auto p = torch::softmax(net_->forward(in.ids, in.offsets), 1).select(1, 1).contiguous();
    std::copy(p.data_ptr<float>(), p.data_ptr<float>() + p.numel(), out.begin());
  }

  std::string snapshot() const override {
    std::ostringstream out;
    {
      cereal::PortableBinaryOutputArchive ar(out);
      ar(std::string("classification-snapshot-v1"), version_, static_cast<uint64_t>(captions_.size()),
         detail::module_bytes(*net_));
    }
    return out.str();
  }

  core::status load_snapshot(const std::string& bytes) override {
    try {
      std::istringstream in(bytes);
      cereal::PortableBinaryInputArchive ar(in);
      check_tag(ar, "classification-snapshot-v1");
      std::string net;
      ar(version_, snapshot_labels_, net);
      detail::load_module_bytes(*net_, net);
    } catch (const std::exception& e) {
      return core::make_error(core::errc::parse, std::string("classification snapshot: ") + e.what());
    }
    return {};
  }

  core::status save(std::ostream& out) const override {
    cereal::PortableBinaryOutputArchive ar(out);
    ar(std::string("classification-v1"), version_, captions_, labels_, rng_.state(), rng_.increment(),
       detail::module_bytes(*net_), detail::optimizer_bytes(opt_));
    return {};
  }

  core::status load(std::istream& in) override {
    try {
      cereal::PortableBinaryInputArchive ar(in);
      check_tag(ar, "classification-v1");
      uint64_t state = 0, inc = 0;
      std::string net, opt;
      ar(version_, captions_, labels_, state, inc, net, opt);
      rng_.restore(state, inc);
      detail::load_module_bytes(*net_, net);
      detail::load_optimizer_bytes(opt_, opt);
      index_.clear();
      for (size_t i = 0; i < captions_.size(); ++i) index_.emplace(captions_[i], i);
    } catch (const std::exception& e) {
      return core::make_error(core::errc::parse, std::string("classification model: ") + e.what());
    }
    return {};
  }

 private:
  classifier_options o_;
  core::pcg32 rng_;
  text_net net_;
  torch::optim::Adam opt_;
  std::vector<std::string> captions_;
  std::vector<int> labels_;
  std::unordered_map<std::string, size_t> index_;
  uint64_t snapshot_labels_ = 0;
};

class ranking_model final : public reward_model {
 public:
  explicit ranking_model(const ranker_options& o)
      : o_(o), rng_(o.seed), net_(o.buckets, o.embed_dim, o.hidden, 1),
        opt_(net_->parameters(), torch::optim::AdamOptions(o.lr)) {
    detail::init_parameters(*net_, rng_);
  }
  std::string name() const override { return "ranking"; }
  bool trains() const override { return true; }

  void add_pairs(const std::vector<labelled_pair>& pairs) override {
    for (const auto& p : pairs) {
      if (p.first == p.second) continue;  // identical captions teach nothing
      pairs_.push_back(p);
    }
  }
  size_t dataset_size() const override { return pairs_.size(); }

  train_stats train(int steps) override {
    train_stats st;
    if (pairs_.empty()) return st;
    double loss_sum = 0, correct = 0, decided = 0;
    net_->train();
    for (int s = 0; s < steps; ++s) {
      std::vector<const std::string*> a, b;
      std::vector<float> p;
      for (int k = 0; k < o_.batch; ++k) {
        const auto& pr = pairs_[rng_.below(static_cast<uint32_t>(pairs_.size()))];
        a.push_back(&pr.first);
        b.push_back(&pr.second);
        p.push_back(pr.label == 0 ? 0.0f : pr.label == 1 ? 1.0f : 0.5f);  // ties count one half
      }
      auto ia = encode(a, o_.buckets), ib = encode(b, o_.buckets);
      auto ra = net_->forward(ia.ids, ia.offsets).squeeze(1), rb = net_->forward(ib.ids, ib.offsets).squeeze(1);
      auto logp = torch::log_softmax(torch::stack({ra, rb}, 1), 1);
      auto target = torch::tensor(p);
      // Bradley-Terry with soft labels: P(second better) = sigmoid(r_b - r_a).
      auto loss = -((1 - target) * logp.select(1, 0) + target * logp.select(1, 1)).mean();
      opt_.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net_->parameters(), o_.grad_clip);
      opt_.step();
      loss_sum += loss.item<double>();
      auto strict = target.ne(0.5f);
      auto predicted_second = rb.gt(ra);
      correct += predicted_second.eq(target.gt(0.5f)).logical_and(strict).sum().item<double>();
      decided += strict.sum().item<double>();
      ++st.steps;
    }
    st.loss = static_cast<float>(loss_sum / std::max(1, st.steps));
    st.accuracy = static_cast<float>(decided > 0 ? correct / decided : 0.0);
    ++version_;
    return st;
  }

  /// The raw scalar scores, without normalisation (for tests and diagnostics).
  std::vector<float> scores(const std::vector<std::string>& captions) {
    torch::NoGradGuard no_grad;
    net_->eval();
    auto in = encode(pointers(captions), o_.buckets);
    auto r = net_->forward(in.ids, in.offsets).squeeze(1).contiguous();
    return std::vector<float>(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
  }

  void probe(const std::vector<std::string>& captions, std::vector<float>& out) override {
    out = captions.empty() ? std::vector<float>{} : scores(captions);
  }

  void rewards(const std::vector<std::string>& captions, std::vector<float>& out) override {
    out.assign(captions.size(), 0.0f);
    if (captions.empty() || std::max<uint64_t>(pairs_.size(), snapshot_pairs_) < o_.min_pairs) return;
    auto r = scores(captions);
    // Running mean and variance of the scores (Chan et al.'s parallel merge).
    double bm = 0, bv = 0;
    for (float x : r) bm += x;
    bm /= static_cast<double>(r.size());
    for (float x : r) bv += (x - bm) * (x - bm);
    bv = r.size() > 1 ? bv / static_cast<double>(r.size() - 1) : 0.0;
    const double bn = static_cast<double>(r.size()), tot = count_ + bn, delta = bm - mean_;
    mean_ += delta * bn / tot;
    var_ = (var_ * count_ + bv * bn + delta * delta * count_ * bn / tot) / tot;
    count_ = tot;
    const double sd = std::sqrt(std::max(var_, 1e-8));
    for (size_t i = 0; i < r.size(); ++i) {
      if (o_.raw) {
        out[i] = r[i];
        continue;
      }
      const double z = (r[i] - mean_) / sd;  // the normalised value is the one used
      out[i] = z > o_.threshold ? static_cast<float>(z) : 0.0f;
    }
  }

  std::string snapshot() const override {
    std::ostringstream out;
    {
      cereal::PortableBinaryOutputArchive ar(out);
      ar(std::string("ranking-snapshot-v1"), version_, static_cast<uint64_t>(pairs_.size()), mean_, var_, count_,
         detail::module_bytes(*net_));
    }
    return out.str();
  }

  core::status load_snapshot(const std::string& bytes) override {
    try {
      std::istringstream in(bytes);
      cereal::PortableBinaryInputArchive ar(in);
      check_tag(ar, "ranking-snapshot-v1");
      std::string net;
      ar(version_, snapshot_pairs_, mean_, var_, count_, net);
      detail::load_module_bytes(*net_, net);
    } catch (const std::exception& e) {
      return core::make_error(core::errc::parse, std::string("ranking snapshot: ") + e.what());
    }
    return {};
  }

  core::status save(std::ostream& out) const override {
    std::vector<std::string> a, b;
    std::vector<int> l;
    for (const auto& p : pairs_) {
      a.push_back(p.first);
      b.push_back(p.second);
      l.push_back(p.label);
    }
    cereal::PortableBinaryOutputArchive ar(out);
    ar(std::string("ranking-v1"), version_, a, b, l, mean_, var_, count_, rng_.state(), rng_.increment(),
       detail::module_bytes(*net_), detail::optimizer_bytes(opt_));
    return {};
  }

  core::status load(std::istream& in) override {
    try {
      cereal::PortableBinaryInputArchive ar(in);
      check_tag(ar, "ranking-v1");
      std::vector<std::string> a, b;
      std::vector<int> l;
      uint64_t state = 0, inc = 0;
      std::string net, opt;
      ar(version_, a, b, l, mean_, var_, count_, state, inc, net, opt);
      pairs_.clear();
      for (size_t i = 0; i < a.size(); ++i) pairs_.push_back({a[i], b[i], l[i]});
      rng_.restore(state, inc);
      detail::load_module_bytes(*net_, net);
      detail::load_optimizer_bytes(opt_, opt);
    } catch (const std::exception& e) {
      return core::make_error(core::errc::parse, std::string("ranking model: ") + e.what());
    }
    return {};
  }

 private:
  ranker_options o_;
  core::pcg32 rng_;
  text_net net_;
  torch::optim::Adam opt_;
  std::vector<labelled_pair> pairs_;
  uint64_t snapshot_pairs_ = 0;
  double mean_ = 0, var_ = 1, count_ = 1e-4;
};

}  // namespace

std::unique_ptr<reward_model> make_classification_model(const classifier_options& o) {
  return std::make_unique<classification_model>(o);
}
std::unique_ptr<reward_model> make_ranking_model(const ranker_options& o) { return std::make_unique<ranking_model>(o); }

std::vector<float> ranking_scores(reward_model& m, const std::vector<std::string>& captions) {
  auto* r = dynamic_cast<ranking_model*>(&m);
  return r ? r->scores(captions) : std::vector<float>{};
}

reward_entry classification_entry() {
  return {"classification", "a text classifier trained on labelled captions", label_kind::captions, nullptr,
          [](const core::config& c, const std::string&) -> core::result<std::unique_ptr<reward_model>> {
            return make_classification_model(classifier_options_from(c));
          }};
}

reward_entry ranking_entry() {
  return {"ranking", "a scalar reward trained on labelled pairs, Bradley-Terry", label_kind::pairs, nullptr,
          [](const core::config& c, const std::string&) -> core::result<std::unique_ptr<reward_model>> {
            return make_ranking_model(ranker_options_from(c));
          }};
}

}  // namespace lantern::learners
