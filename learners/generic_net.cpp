// The generic policy network: built from an observation layout, one encoder per array chosen
// by its dtype and shape, a text encoder when the env has text, one recurrent core, a value head
// and a policy head for the action kind.
//
//   encoder                         for
//   embedding (16) + 2 convolutions 2-D integer arrays (u8, i16, i32): grids of small ids
//   MLP on the flattened values     everything else (f32 of any shape, 1-D integers)
//   bag of hashed text features     the observation text
//   policy head                     discrete: a linear layer over the action set;
//                                   text: each candidate command scored against the state
//
// Integer grids are ids (a wall, a door, a monster), not quantities: they are embedded, with
// ids outside [0, 255] clamped. Floats are used as they are: scale them in the env.
#include <algorithm>
#include <cmath>

#include "learners/nets.hpp"
#include "learners/torch_util.hpp"

namespace lantern::learners::detail {
namespace {

constexpr int64_t grid_ids = 256;

bool is_grid(const core::array_spec& a) { return a.shape.size() == 2 && a.type != core::dtype::f32; }

// One array, as a float tensor [B, elements] or an id tensor [B, H, W].
torch::Tensor floats_of(const core::array_spec& a, const std::byte* p, int64_t batch) {
  const auto n = static_cast<int64_t>(a.elements());
  switch (a.type) {
    case core::dtype::f32:
      return torch::from_blob(const_cast<std::byte*>(p), {batch, n}, torch::kFloat32).clone();
    case core::dtype::u8:
      return torch::from_blob(const_cast<std::byte*>(p), {batch, n}, torch::kUInt8).to(torch::kFloat32);
    case core::dtype::i16:
      return torch::from_blob(const_cast<std::byte*>(p), {batch, n}, torch::kInt16).to(torch::kFloat32);
    case core::dtype::i32:
      return torch::from_blob(const_cast<std::byte*>(p), {batch, n}, torch::kInt32).to(torch::kFloat32);
  }
  return {};
}

torch::Tensor ids_of(const core::array_spec& a, const std::byte* p, int64_t batch) {
  const int64_t h = a.shape[0], w = a.shape[1];
  torch::ScalarType t = a.type == core::dtype::u8 ? torch::kUInt8 : a.type == core::dtype::i16 ? torch::kInt16 : torch::kInt32;
  return torch::from_blob(const_cast<std::byte*>(p), {batch, h, w}, t).to(torch::kInt64).clamp(0, grid_ids - 1);
}

class generic_net final : public net {
 public:
  generic_net(const core::obs_layout& l, const policy_options& o) : layout_(l), o_(o) {
    int64_t features = 0;
    for (size_t a = 0; a < l.arrays.size(); ++a) {
      const auto& spec = l.arrays[a];
      const std::string name = "a" + std::to_string(a) + "_";
      if (is_grid(spec)) {
        // Two 3x3 convolutions keep the grid's size, then a pool to at most 4x4.
        auto embed = register_module(name + "embed", torch::nn::Embedding(grid_ids, 16));
        auto c1 = register_module(name + "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)));
        auto c2 = register_module(name + "conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 32, 3).padding(1)));
        const int64_t ph = std::min<int64_t>(4, spec.shape[0]), pw = std::min<int64_t>(4, spec.shape[1]);
        auto out = register_module(name + "out", torch::nn::Linear(32 * ph * pw, o.hidden));
        grids_.push_back({a, embed, c1, c2, out, ph, pw});
      } else {
        const auto n = static_cast<int64_t>(spec.elements());
        auto l1 = register_module(name + "fc1", torch::nn::Linear(n, o.hidden));
        auto l2 = register_module(name + "fc2", torch::nn::Linear(o.hidden, o.hidden));
        vectors_.push_back({a, l1, l2});
      }
      features += o.hidden;
    }
    if (l.has_text) {
      text_embed_ = register_module("text_embed", torch::nn::EmbeddingBag(
                                                      torch::nn::EmbeddingBagOptions(o.buckets, o.embed).mode(torch::kMean)));
      text_in_ = register_module("text_in", torch::nn::Linear(o.embed, o.hidden));
      features += o.hidden;
    }
    join_ = register_module("join", torch::nn::Linear(std::max<int64_t>(features, 1), o.hidden));
    core_ = register_module("core", torch::nn::GRUCell(o.hidden, o.hidden));
    value_ = register_module("value", torch::nn::Linear(o.hidden, 1));
    if (l.actions == core::action_kind::discrete) {
      pi_ = register_module("pi", torch::nn::Linear(o.hidden, l.num_actions));
    } else {
      cmd_embed_ = register_module("cmd_embed", torch::nn::EmbeddingBag(
                                                    torch::nn::EmbeddingBagOptions(o.buckets, o.embed).mode(torch::kMean)));
      cmd_in_ = register_module("cmd_in", torch::nn::Linear(o.embed, o.hidden));
      query_ = register_module("query", torch::nn::Linear(o.hidden, o.hidden));
    }
  }

  int64_t state_size() const override { return o_.hidden; }

  torch::Tensor encode(const step_view& v) override {
    const int64_t B = v.batch;
    std::vector<torch::Tensor> parts;
    for (auto& g : grids_) {
      auto x = g.embed(ids_of(layout_.arrays[g.array], v.arrays[g.array], B)).permute({0, 3, 1, 2});  // [B, 16, H, W]
      x = torch::elu(g.conv2(torch::elu(g.conv1(x))));
      x = torch::adaptive_avg_pool2d(x, {g.ph, g.pw}).flatten(1);
      parts.push_back(torch::elu(g.out(x)));
    }
    for (auto& m : vectors_)
      parts.push_back(torch::elu(m.fc2(torch::elu(m.fc1(floats_of(layout_.arrays[m.array], v.arrays[m.array], B))))));
    if (layout_.has_text) {
      parts.push_back(per_text(v.text, B, o_.buckets, !o_.reference,
                               [&](const bags& b) { return torch::elu(text_in_(text_embed_(b.ids, b.offsets))); }));
    }
    auto x = parts.empty() ? torch::zeros({B, 1}) : torch::cat(parts, 1);
    return torch::elu(join_(x));
  }

  torch::nn::GRUCell& recurrent() override { return core_; }

  std::pair<torch::Tensor, torch::Tensor> heads(const step_view& v, const torch::Tensor& h) override {
    auto value = value_(h).squeeze(1);
    if (layout_.actions == core::action_kind::discrete) return {pi_(h), value};
    return {score_candidates(v, query_(h), cmd_embed_, cmd_in_, o_.buckets, !o_.reference), value};
  }

 private:
  struct grid_encoder {
    size_t array;
    torch::nn::Embedding embed;
    torch::nn::Conv2d conv1, conv2;
    torch::nn::Linear out;
    int64_t ph, pw;
  };
  struct vector_encoder {
    size_t array;
    torch::nn::Linear fc1, fc2;
  };
  core::obs_layout layout_;
  policy_options o_;
  std::vector<grid_encoder> grids_;
  std::vector<vector_encoder> vectors_;
  torch::nn::EmbeddingBag text_embed_{nullptr}, cmd_embed_{nullptr};
  torch::nn::Linear text_in_{nullptr}, join_{nullptr}, value_{nullptr}, pi_{nullptr}, cmd_in_{nullptr}, query_{nullptr};
  torch::nn::GRUCell core_{nullptr};
};

}  // namespace

std::shared_ptr<net> make_generic_net(const core::obs_layout& l, const policy_options& o) {
  return std::make_shared<generic_net>(l, o);
}

}  // namespace lantern::learners::detail
