#include "learners/policy.hpp"

#include <algorithm>
#include <cmath>

#include "learners/nets.hpp"
#include "learners/text_features.hpp"
#include "learners/torch_util.hpp"

namespace lantern::learners {
namespace detail {

step_view view_of(const core::obs_batch& b) {
  step_view v;
  v.batch = static_cast<int64_t>(b.size());
  for (size_t a = 0; a < b.layout().arrays.size(); ++a) v.arrays.push_back(b.array_bytes(a).data());
  v.text = b.text.data();
  v.candidates = b.candidates.data();
  return v;
}

step_view view_of(const core::rollout& r, size_t t) {
  step_view v;
  const size_t n = r.num_envs();
  v.batch = static_cast<int64_t>(n);
  for (const auto& arr : r.arrays) v.arrays.push_back(arr.data() + t * (arr.size() / r.obs_slots()));
  v.text = r.text.empty() ? nullptr : &r.text[t * n];
  v.candidates = r.candidates.empty() ? nullptr : &r.candidates[t * n];
  return v;
}

torch::Tensor score_candidates(const step_view& v, const torch::Tensor& query, torch::nn::EmbeddingBag& embed,
                               torch::nn::Linear& in, uint32_t buckets, bool distinct) {
  constexpr float masked_logit = -1e9f;
  // All candidates of all envs in one bag; then scatter the scores into [B, max].
  std::vector<std::string> flat;
  std::vector<int64_t> owner, slot;
  int64_t widest = 1;
  for (int64_t b = 0; b < v.batch; ++b) {
    const auto& c = v.candidates[b];
    widest = std::max<int64_t>(widest, static_cast<int64_t>(c.size()));
    for (size_t k = 0; k < c.size(); ++k) {
      flat.push_back(c[k]);
      owner.push_back(b);
      slot.push_back(static_cast<int64_t>(k));
    }
  }
  auto logits = torch::full({v.batch, widest}, masked_logit);
  if (!flat.empty()) {
    auto cmd = per_text(flat.data(), static_cast<int64_t>(flat.size()), buckets, distinct,
                        [&](const bags& b) { return torch::relu(in(embed(b.ids, b.offsets))); });  // [C, H]
    auto own = torch::tensor(owner, torch::kInt64);
    auto q = query.index_select(0, own);                       // [C, H]
    auto scores = (q * cmd).sum(1) / std::sqrt(static_cast<double>(query.size(1)));
    logits = logits.index_put({own, torch::tensor(slot, torch::kInt64)}, scores);
  }
  return logits;
}

namespace {


// Text games: a bag of hashed features of the observation text -> GRU; each candidate command
// is encoded the same way (its own embedding) and scored against the state.
class text_net final : public net {
 public:
  explicit text_net(const policy_options& o)
      : o_(o),
        obs_embed(register_module("obs_embed", torch::nn::EmbeddingBag(
                                                   torch::nn::EmbeddingBagOptions(o.buckets, o.embed).mode(torch::kMean)))),
        cmd_embed(register_module("cmd_embed", torch::nn::EmbeddingBag(
                                                   torch::nn::EmbeddingBagOptions(o.buckets, o.embed).mode(torch::kMean)))),
        obs_in(register_module("obs_in", torch::nn::Linear(o.embed, o.hidden))),
        cmd_in(register_module("cmd_in", torch::nn::Linear(o.embed, o.hidden))),
        core(register_module("core", torch::nn::GRUCell(o.hidden, o.hidden))),
        query(register_module("query", torch::nn::Linear(o.hidden, o.hidden))),
        value(register_module("value", torch::nn::Linear(o.hidden, 1))) {}

  int64_t state_size() const override { return o_.hidden; }

  torch::Tensor encode(const step_view& v) override {
    return per_text(v.text, v.batch, o_.buckets, !o_.reference,
                    [&](const bags& b) { return torch::relu(obs_in(obs_embed(b.ids, b.offsets))); });
  }
  torch::nn::GRUCell& recurrent() override { return core; }
  std::pair<torch::Tensor, torch::Tensor> heads(const step_view& v, const torch::Tensor& h) override {
    return {score_candidates(v, query(h), cmd_embed, cmd_in, o_.buckets, !o_.reference), value(h).squeeze(1)};
  }

 private:
  policy_options o_;
  torch::nn::EmbeddingBag obs_embed, cmd_embed;
  torch::nn::Linear obs_in, cmd_in;
  torch::nn::GRUCell core;
  torch::nn::Linear query, value;
};

// NetHack: characters and colours embedded per cell; a convolution over the map (rows 1-21)
// and one over a 9x9 crop around the hero (the cursor); an MLP over the scaled stats; the
// message line (row 0) as a bag of hashed features; a GRU; policy and value heads.
class nethack_net final : public net {
 public:
  nethack_net(const core::obs_layout& l, const policy_options& o)
      : o_(o),
        actions_(l.num_actions),
        char_embed(register_module("char_embed", torch::nn::Embedding(256, 16))),
        color_embed(register_module("color_embed", torch::nn::Embedding(16, 8))),
        map1(register_module("map1", torch::nn::Conv2d(torch::nn::Conv2dOptions(24, 32, 3).stride(2)))),
        map2(register_module("map2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 32, 3).stride(2)))),
        map_out(register_module("map_out", torch::nn::Linear(32 * 3 * 5, o.hidden / 2))),
        crop1(register_module("crop1", torch::nn::Conv2d(torch::nn::Conv2dOptions(24, 32, 3)))),
        crop_out(register_module("crop_out", torch::nn::Linear(32 * 7 * 7, o.hidden / 2))),
        stats1(register_module("stats1", torch::nn::Linear(25, 64))),
        stats2(register_module("stats2", torch::nn::Linear(64, 64))),
        msg_embed(register_module("msg_embed", torch::nn::EmbeddingBag(
                                                   torch::nn::EmbeddingBagOptions(o.buckets, o.embed).mode(torch::kMean)))),
        msg_out(register_module("msg_out", torch::nn::Linear(o.embed, 64))),
        join(register_module("join", torch::nn::Linear(o.hidden + 128, o.hidden))),
        core(register_module("core", torch::nn::GRUCell(o.hidden, o.hidden))),
        pi(register_module("pi", torch::nn::Linear(o.hidden, l.num_actions))),
        value(register_module("value", torch::nn::Linear(o.hidden, 1))) {
    for (size_t a = 0; a < l.arrays.size(); ++a) index_[l.arrays[a].name] = a;
  }

  int64_t state_size() const override { return o_.hidden; }

  torch::Tensor encode(const step_view& v) override {
    const int64_t B = v.batch;
    const auto* chars = reinterpret_cast<const uint8_t*>(v.arrays[index_.at("tty_chars")]);
    const auto* colors = reinterpret_cast<const uint8_t*>(v.arrays[index_.at("tty_colors")]);
    const auto* cursor = reinterpret_cast<const int32_t*>(v.arrays[index_.at("tty_cursor")]);
    const auto* stats = reinterpret_cast<const float*>(v.arrays[index_.at("stats")]);
    auto screen_c = torch::from_blob(const_cast<uint8_t*>(chars), {B, 24, 80}, torch::kUInt8);
    auto screen_k = torch::from_blob(const_cast<uint8_t*>(colors), {B, 24, 80}, torch::kUInt8);
    torch::Tensor map_cells, crop_cells;
    if (o_.reference) {  // the reference: embed the whole screen, then slice the map and each env's crop
      auto cells = embed_cells(screen_c.to(torch::kInt64), screen_k.to(torch::kInt64));  // [B, 24, 24, 80]
      map_cells = cells.slice(2, 1, 22);
      auto padded = torch::constant_pad_nd(cells, {4, 4, 4, 4});
      std::vector<torch::Tensor> crops;
      crops.reserve(static_cast<size_t>(B));
      for (int64_t b = 0; b < B; ++b) {
        int64_t r = std::clamp<int64_t>(cursor[2 * b], 0, 23), c = std::clamp<int64_t>(cursor[2 * b + 1], 0, 79);
        crops.push_back(padded[b].slice(1, r, r + 9).slice(2, c, c + 9));
      }
      crop_cells = torch::stack(crops);
    } else {
      // The map rows embedded, and each crop's ids gathered first and embedded on their own: the
      // same values and gradients without a screen-sized gradient per env. Cells outside the
      // screen are zero vectors, as the padding of the reference gives.
      map_cells = embed_cells(screen_c.slice(1, 1, 22).to(torch::kInt64), screen_k.slice(1, 1, 22).to(torch::kInt64));
      auto ids_c = torch::zeros({B, 9, 9}, torch::kInt64), ids_k = torch::zeros({B, 9, 9}, torch::kInt64);
      auto inside = torch::zeros({B, 1, 9, 9}, torch::kFloat32);
      auto* pc = ids_c.data_ptr<int64_t>();
      auto* pk = ids_k.data_ptr<int64_t>();
      auto* pin = inside.data_ptr<float>();
      for (int64_t b = 0; b < B; ++b) {
        const int64_t r = std::clamp<int64_t>(cursor[2 * b], 0, 23), c = std::clamp<int64_t>(cursor[2 * b + 1], 0, 79);
        for (int64_t dy = 0; dy < 9; ++dy) {
          const int64_t row = r + dy - 4;
          if (row < 0 || row >= 24) continue;
          for (int64_t dx = 0; dx < 9; ++dx) {
            const int64_t col = c + dx - 4;
            if (col < 0 || col >= 80) continue;
            const int64_t k = b * 81 + dy * 9 + dx;
            pc[k] = chars[b * 24 * 80 + row * 80 + col];
            pk[k] = colors[b * 24 * 80 + row * 80 + col];
            pin[k] = 1.0f;
          }
        }
      }
      crop_cells = embed_cells(ids_c, ids_k) * inside;
    }
    auto m = torch::elu(map2(torch::elu(map1(map_cells))));
    m = torch::adaptive_avg_pool2d(m, {3, 5}).flatten(1);
    auto map_feat = torch::elu(map_out(m));
    auto crop_feat = torch::elu(crop_out(torch::elu(crop1(crop_cells)).flatten(1)));
    static const float scale[25] = {1 / 79.f, 1 / 21.f, 1 / 25.f, 1 / 100.f, 1 / 25.f, 1 / 25.f, 1 / 25.f, 1 / 25.f,
                                    1 / 25.f, 1.f, 1 / 50.f, 1 / 1000.f, 1 / 100.f, 1 / 100.f, 1 / 100.f, 1 / 100.f,
                                    1 / 10.f, 1 / 30.f, 1 / 10000.f, 1 / 10000.f, 1 / 6.f, 1 / 5.f, 1 / 8192.f,
                                    1 / 10000.f, 1 / 50.f};
    auto st = torch::from_blob(const_cast<float*>(stats), {B, 25}, torch::kFloat32) *
              torch::from_blob(const_cast<float*>(scale), {25}, torch::kFloat32);
    auto stat_feat = torch::elu(stats2(torch::elu(stats1(st.clamp(-5, 5)))));
    std::vector<std::string> messages(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) messages[static_cast<size_t>(b)].assign(reinterpret_cast<const char*>(chars + b * 24 * 80), 80);
    auto msg_feat = per_text(messages.data(), B, o_.buckets, !o_.reference,
                             [&](const bags& b) { return torch::elu(msg_out(msg_embed(b.ids, b.offsets))); });
    return torch::elu(join(torch::cat({map_feat, crop_feat, stat_feat, msg_feat}, 1)));
  }
  torch::nn::GRUCell& recurrent() override { return core; }
  std::pair<torch::Tensor, torch::Tensor> heads(const step_view&, const torch::Tensor& h) override {
    return {pi(h), value(h).squeeze(1)};
  }

 private:
  // Characters and colours (ids, [B, R, C]) as cells of 24 channels [B, 24, R, C].
  torch::Tensor embed_cells(const torch::Tensor& c, const torch::Tensor& k) {
    return torch::cat({char_embed(c), color_embed(k.clamp(0, 15))}, 3).permute({0, 3, 1, 2});
  }

  policy_options o_;
  int32_t actions_;
  std::map<std::string, size_t> index_;
  torch::nn::Embedding char_embed, color_embed;
  torch::nn::Conv2d map1, map2;
  torch::nn::Linear map_out;
  torch::nn::Conv2d crop1;
  torch::nn::Linear crop_out, stats1, stats2;
  torch::nn::EmbeddingBag msg_embed;
  torch::nn::Linear msg_out, join;
  torch::nn::GRUCell core;
  torch::nn::Linear pi, value;
};

}  // namespace

std::shared_ptr<net> make_text_net(const policy_options& o) { return std::make_shared<text_net>(o); }
std::shared_ptr<net> make_nethack_net(const core::obs_layout& l, const policy_options& o) {
  return std::make_shared<nethack_net>(l, o);
}

}  // namespace detail

policy::policy(std::unique_ptr<impl> p) : p_(std::move(p)) {}
policy::~policy() = default;

core::result<std::unique_ptr<policy>> policy::make(const core::obs_layout& layout, const policy_options& o) {
  auto p = std::make_unique<impl>();
  p->layout = layout;
  auto has = [&](const char* name) {
    return std::any_of(layout.arrays.begin(), layout.arrays.end(), [&](const auto& a) { return a.name == name; });
  };
  // The NetHack net reads these arrays with exactly these shapes; arrays that only share the
  // names (an external env, say) must not be read out of bounds.
  static const core::array_spec nethack_arrays[] = {{"tty_chars", core::dtype::u8, {24, 80}},
                                                    {"tty_colors", core::dtype::u8, {24, 80}},
                                                    {"tty_cursor", core::dtype::i32, {2}},
                                                    {"stats", core::dtype::f32, {25}}};
  auto nethack_mismatch = [&]() -> std::string {
    for (const auto& want : nethack_arrays) {
      auto it = std::find_if(layout.arrays.begin(), layout.arrays.end(), [&](const auto& a) { return a.name == want.name; });
      if (it == layout.arrays.end()) return "no array '" + want.name + "'";
      if (!(*it == want)) {
        core::obs_layout got, expected;
        got.arrays = {*it};
        expected.arrays = {want};
        return "array " + core::describe(got).substr(0, core::describe(got).find(',')) + ", the NetHack network reads " +
               core::describe(expected).substr(0, core::describe(expected).find(','));
      }
    }
    return {};
  };
  auto refuse = [&](const std::string& why) {
    return core::make_error(core::errc::invalid_argument, "policy.net = '" + o.net + "' cannot read this layout (" +
                                                              core::describe(layout) + "): " + why);
  };
  const bool nethack_names = has("tty_chars") && has("tty_colors") && has("tty_cursor") && has("stats");
  const bool nethack_fits = layout.actions == core::action_kind::discrete && nethack_names && nethack_mismatch().empty();
  const bool text_only = layout.actions == core::action_kind::text && layout.has_text && layout.arrays.empty();
  std::string net = o.net;
  if (net == "auto") net = nethack_fits ? "nethack" : text_only ? "text" : "generic";
  if (net == "nethack") {
    if (layout.actions != core::action_kind::discrete) return refuse("the NetHack network takes discrete actions");
    if (auto why = nethack_mismatch(); !why.empty()) return refuse("the layout has " + why);
    p->kind = "nethack";
    p->model = detail::make_nethack_net(layout, o);
  } else if (net == "text") {
    if (!text_only)
      return refuse("the text network reads the observation text and scores candidate commands, nothing else "
                    "(policy.net = generic reads arrays too)");
    p->kind = "text";
    p->model = detail::make_text_net(o);
  } else if (net == "generic") {
    if (layout.actions == core::action_kind::discrete && layout.num_actions < 1) return refuse("no actions");
    for (const auto& a : layout.arrays)
      if (a.shape.size() != 2 || a.type == core::dtype::f32)
        if (a.elements() > 65536)
          return refuse("array '" + a.name + "' has " + std::to_string(a.elements()) +
                        " values, more than the generic network's MLP reads (65,536); serve it as a 2-D integer grid, "
                        "or smaller");
    p->kind = "generic";
    p->model = detail::make_generic_net(layout, o);
  } else {
    return refuse("policy.net is one of auto, generic, text, nethack");
  }
  core::pcg32 rng(core::derive_seed(o.seed, 0x706f6c));
  detail::init_parameters(*p->model, rng);
  return std::unique_ptr<policy>(new policy(std::move(p)));
}

std::string policy::kind() const { return p_->kind; }
size_t policy::state_size() const { return static_cast<size_t>(p_->model->state_size()); }
size_t policy::parameter_count() const {
  size_t n = 0;
  for (const auto& t : p_->model->parameters()) n += static_cast<size_t>(t.numel());
  return n;
}

void policy::act(const core::obs_batch& obs, std::vector<float>& state, std::vector<int32_t>& actions,
                 std::vector<float>& logp, core::pcg32& rng, bool greedy, std::vector<float>* values) {
  torch::NoGradGuard no_grad;
  const auto B = static_cast<int64_t>(obs.size());
  const int64_t H = p_->model->state_size();
  state.resize(static_cast<size_t>(B * H), 0.0f);
  auto h = torch::from_blob(state.data(), {B, H}, torch::kFloat32).clone();
  auto out = p_->model->step(detail::view_of(obs), h);
  auto probs = torch::softmax(out.logits, 1).contiguous();
  auto lp = torch::log_softmax(out.logits, 1).contiguous();
  const int64_t A = probs.size(1);
  const float* pd = probs.data_ptr<float>();
  const float* ld = lp.data_ptr<float>();
  actions.resize(static_cast<size_t>(B));
  logp.resize(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    const float* row = pd + b * A;
    int64_t pick = 0;
    if (greedy) {
      pick = std::max_element(row, row + A) - row;
    } else {  // inverse-CDF sampling with Lantern's RNG: reproducible, and no global torch state
      double u = rng.uniform(), acc = 0;
      pick = A - 1;
      for (int64_t a = 0; a < A; ++a) {
        acc += row[a];
        if (u < acc) {
          pick = a;
          break;
        }
      }
      while (pick > 0 && row[pick] <= 0.0f) --pick;  // never a padded (impossible) candidate
    }
    actions[static_cast<size_t>(b)] = static_cast<int32_t>(pick);
    logp[static_cast<size_t>(b)] = ld[b * A + pick];
  }
  if (values) {
    auto v = out.value.contiguous();
    values->assign(v.data_ptr<float>(), v.data_ptr<float>() + B);
  }
  auto hs = out.state.contiguous();
  std::copy(hs.data_ptr<float>(), hs.data_ptr<float>() + B * H, state.begin());
}

void policy::reset_state(std::vector<float>& state, size_t env) const {
  const size_t H = state_size();
  if ((env + 1) * H > state.size()) return;  // no state yet for this env: nothing to reset
  std::fill(state.begin() + static_cast<long>(env * H), state.begin() + static_cast<long>((env + 1) * H), 0.0f);
}

std::string policy::weights() const { return detail::module_bytes(*p_->model); }

core::status policy::load_weights(const std::string& bytes) {
  try {
    detail::load_module_bytes(*p_->model, bytes);
  } catch (const std::exception& e) {
    return core::make_error(core::errc::parse, std::string("policy weights do not load: ") + e.what());
  }
  return {};
}

}  // namespace lantern::learners
