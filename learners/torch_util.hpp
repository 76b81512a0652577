// learners/torch_util.hpp: small LibTorch helpers shared by Lantern's networks. Internal to
// learners/ (torch headers stay out of what actors/, cluster/ and apps/ include).
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/rng.hpp"
#include "learners/text_features.hpp"
#include "learners/weights_format.hpp"

namespace lantern::learners::detail {

/// Initialises every parameter from Lantern's own RNG: weights uniform in +-1/sqrt(fan_in)
/// (embeddings +-0.1), biases 0. torch's global generator is shared by all threads; a model
/// seeded here gives the same weights whichever thread builds it.
inline void init_parameters(torch::nn::Module& m, core::pcg32& rng) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.named_parameters()) {
    auto& t = p.value();
    if (p.key().find("bias") != std::string::npos) {
      t.zero_();
      continue;
    }
    const bool embedding = t.dim() == 2 && p.key().find("embed") != std::string::npos;
    const int64_t fan_in = t.dim() >= 2 ? t.numel() / t.size(0) : t.numel();
    const double k = embedding ? 0.1 : 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(1, fan_in)));
    auto cpu = t.contiguous();
    float* d = cpu.data_ptr<float>();
    for (int64_t i = 0; i < cpu.numel(); ++i) d[i] = static_cast<float>((2 * rng.uniform() - 1) * k);
    t.copy_(cpu);
  }
}

/// Bags of hashed features as EmbeddingBag inputs (flat ids, offsets).
struct bags {
  torch::Tensor ids, offsets;
};

/// The hashed features of n texts as one batch of bags (an empty text gets feature 0).
inline bags encode_texts(const std::string* texts, int64_t n, uint32_t buckets) {
  std::vector<int64_t> ids, offsets;
  for (int64_t i = 0; i < n; ++i) {
    offsets.push_back(static_cast<int64_t>(ids.size()));
    hashed_features(texts[i], buckets, ids);
    if (static_cast<int64_t>(ids.size()) == offsets.back()) ids.push_back(0);
  }
  return {torch::tensor(ids, torch::kInt64), torch::tensor(offsets, torch::kInt64)};
}

/// f(bags) for n texts, a row per text. With `distinct`, f runs once per distinct text and the
/// rows are gathered: the texts of a rollout repeat (a room's description, the commands it
/// offers, an empty message line), and the gather's gradient sums what the repeats would.
template <class F>
torch::Tensor per_text(const std::string* texts, int64_t n, uint32_t buckets, bool distinct, F&& f) {
  if (!distinct) return f(encode_texts(texts, n, buckets));
  std::unordered_map<std::string_view, int64_t> seen;
  seen.reserve(static_cast<size_t>(n));
  std::vector<std::string> unique;
  std::vector<int64_t> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    auto [it, fresh] = seen.try_emplace(texts[i], static_cast<int64_t>(seen.size()));
    if (fresh) unique.push_back(texts[i]);
    row[static_cast<size_t>(i)] = it->second;
  }
  auto out = f(encode_texts(unique.data(), static_cast<int64_t>(unique.size()), buckets));
  if (static_cast<int64_t>(unique.size()) == n) return out;
  return out.index_select(0, torch::tensor(row, torch::kInt64));
}

/// A module's weights in LibTorch's archive (a zip of pickled tensors): what Lantern wrote
/// before its flat format, still read from older checkpoints.
inline std::string archive_bytes(const torch::nn::Module& m) {
  std::ostringstream out;
  torch::serialize::OutputArchive ar;
  m.save(ar);
  ar.save_to(out);
  return out.str();
}

/// A module's parameters and buffers in Lantern's flat format (learners/weights_format.hpp).
inline std::string module_bytes(const torch::nn::Module& m) {
  auto params = m.named_parameters(true);
  auto buffers = m.named_buffers(true);
  size_t total = weights_magic.size() + 4;
  for (const auto* d : {&params, &buffers})
    for (const auto& t : *d) total += 12 + t.key().size() + static_cast<size_t>(t.value().numel()) * sizeof(float);
  std::string out;
  out.reserve(total);
  begin_weights(out, static_cast<uint32_t>(params.size() + buffers.size()));
  for (const auto* d : {&params, &buffers})
    for (const auto& t : *d) {
      auto v = t.value().detach().to(torch::kFloat32).contiguous();
      append_weights(out, t.key(), v.data_ptr<float>(), static_cast<uint64_t>(v.numel()));
    }
  return out;
}

/// Loads weights written by module_bytes (or, from older checkpoints, by archive_bytes); throws
/// when they are not this module's (other tensor names, counts or sizes): nothing is changed then.
// The flat weights' tensors, checked against m's parameters and buffers (names, sizes, float32);
// throws on the first mismatch and changes nothing.
inline std::vector<weights_entry> matching_weights(torch::nn::Module& m, const std::string& bytes,
                                                  std::vector<torch::Tensor>& targets) {
  auto parsed = parse_weights(bytes);
  if (!parsed) throw std::runtime_error(parsed.error().message);
  targets.clear();
  for (auto& t : m.named_parameters(true)) targets.push_back(t.value());
  for (auto& t : m.named_buffers(true)) targets.push_back(t.value());
  std::vector<std::string> names;
  for (const auto& t : m.named_parameters(true)) names.push_back(t.key());
  for (const auto& t : m.named_buffers(true)) names.push_back(t.key());
  const auto& entries = parsed.value();
  if (entries.size() != targets.size())
    throw std::runtime_error("weights: " + std::to_string(entries.size()) + " tensors, this network has " +
                             std::to_string(targets.size()));
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].name != names[i] || entries[i].elements != static_cast<uint64_t>(targets[i].numel()) ||
        targets[i].scalar_type() != torch::kFloat32)
      throw std::runtime_error("weights: tensor " + std::to_string(i) + " is '" + std::string(entries[i].name) + "' of " +
                               std::to_string(entries[i].elements) + " values; this network's is '" + names[i] + "' of " +
                               std::to_string(targets[i].numel()));
  return std::move(parsed.value());
}

/// Throws unless `bytes` are flat weights that fit m exactly; changes nothing.
inline void check_module_bytes(torch::nn::Module& m, const std::string& bytes) {
  if (!is_flat_weights(bytes)) throw std::runtime_error("weights: not in Lantern's flat format");
  std::vector<torch::Tensor> targets;
  matching_weights(m, bytes, targets);
}

inline void load_module_bytes(torch::nn::Module& m, const std::string& bytes) {
  if (!is_flat_weights(bytes)) {
    std::istringstream in(bytes);
    torch::serialize::InputArchive ar;
    ar.load_from(in);
    m.load(ar);
    return;
  }
  std::vector<torch::Tensor> targets;
  const auto entries = matching_weights(m, bytes, targets);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& t = targets[i];
    if (t.is_contiguous()) {
      std::memcpy(t.data_ptr<float>(), entries[i].data, entries[i].elements * sizeof(float));
    } else {
      auto tmp = torch::empty({t.numel()});
      std::memcpy(tmp.data_ptr<float>(), entries[i].data, entries[i].elements * sizeof(float));
      t.copy_(tmp.view(t.sizes()));
    }
    t.unsafeGetTensorImpl()->bump_version();  // as copy_ would: a graph that saved t sees the change
  }
}

template <class Optimizer>
std::string optimizer_bytes(const Optimizer& o) {
  std::ostringstream out;
  torch::serialize::OutputArchive ar;
  o.save(ar);
  ar.save_to(out);
  return out.str();
}

template <class Optimizer>
void load_optimizer_bytes(Optimizer& o, const std::string& bytes) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive ar;
  ar.load_from(in);
  o.load(ar);
}

}  // namespace lantern::learners::detail
