// learners/text_net.hpp (internal to learners/): the reward models' network, hashed text
// features -> EmbeddingBag (mean) -> MLP, and the encoding of a batch of texts for it.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "learners/text_features.hpp"
#include "learners/torch_util.hpp"

namespace lantern::learners::detail {

struct text_net_impl : torch::nn::Module {
  text_net_impl(uint32_t buckets, int dim, int hidden, int outputs)
      : embed(register_module("embed", torch::nn::EmbeddingBag(
                                           torch::nn::EmbeddingBagOptions(buckets, dim).mode(torch::kMean)))),
        l1(register_module("l1", torch::nn::Linear(dim, hidden))),
        l2(register_module("l2", torch::nn::Linear(hidden, outputs))) {}
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& offsets) {
    return l2(torch::relu(l1(embed(ids, offsets))));
  }
  torch::nn::EmbeddingBag embed;
  torch::nn::Linear l1, l2;
};
TORCH_MODULE_IMPL(text_net, text_net_impl);

inline bags encode_texts(const std::vector<const std::string*>& texts, uint32_t buckets) {
  std::vector<int64_t> ids, offsets;
  offsets.reserve(texts.size());
  for (const auto* t : texts) {
    offsets.push_back(static_cast<int64_t>(ids.size()));
    hashed_features(*t, buckets, ids);
    if (static_cast<int64_t>(ids.size()) == offsets.back()) ids.push_back(0);  // empty text: bucket 0
  }
  return {torch::tensor(ids, torch::kInt64), torch::tensor(offsets, torch::kInt64)};
}

/// Class weights by inverse frequency, n / (2 n_class), for 0/1 labels; none when `balance` is
/// off or one class is missing.
inline std::optional<std::array<float, 2>> balanced_class_weights(const std::vector<int>& labels, bool balance) {
  size_t positives = 0;
  for (int l : labels) positives += static_cast<size_t>(l);
  if (!balance || positives == 0 || positives == labels.size()) return std::nullopt;
  const double n = static_cast<double>(labels.size()), p = static_cast<double>(positives);
  return std::array<float, 2>{static_cast<float>(n / (2.0 * (n - p))), static_cast<float>(n / (2.0 * p))};
}

inline std::vector<const std::string*> pointers(const std::vector<std::string>& v) {
  std::vector<const std::string*> out;
  out.reserve(v.size());
  for (const auto& s : v) out.push_back(&s);
  return out;
}

inline void check_tag(cereal::PortableBinaryInputArchive& ar, const char* want) {
  std::string tag;
  ar(tag);
  if (tag != want) throw std::runtime_error(std::string("expected a ") + want + " checkpoint, found '" + tag + "'");
}

}  // namespace lantern::learners::detail
