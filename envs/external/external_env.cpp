#include "envs/external/external_env.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace lantern::envs {
namespace {

using json = nlohmann::json;

// One ZeroMQ context for every external env of the process (an I/O thread, not one per env).
// Never destroyed: a context's destructor waits for sockets that static destruction may not close.
zmq::context_t& shared_context() {
  static auto* ctx = new zmq::context_t(1);
  return *ctx;
}

core::result<core::dtype> parse_dtype(const std::string& s) {
  if (s == "u8") return core::dtype::u8;
  if (s == "i16") return core::dtype::i16;
  if (s == "i32") return core::dtype::i32;
  if (s == "f32") return core::dtype::f32;
  return core::make_error(core::errc::invalid_argument, "unknown dtype '" + s + "' (u8, i16, i32, f32)");
}

core::error_info bad(const std::string& what) { return core::make_error(core::errc::invalid_argument, what); }

// A string field of an answer, or "" when it is missing or not a string (json::value would throw).
std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A JSON integer within [lo, hi]: anything else (a float, a string, 10^30) is an error.
core::result<int64_t> bounded_int(const json& j, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer()) return bad("'" + std::string(key) + "' must be an integer, got " + it->dump().substr(0, 40));
  if (it->is_number_unsigned() ? it->get<uint64_t>() > static_cast<uint64_t>(hi) : it->get<int64_t>() < lo ||
                                                                                      it->get<int64_t>() > hi)
    return bad("'" + std::string(key) + "' is " + it->dump().substr(0, 40) + ", outside [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "]");
  return it->get<int64_t>();
}

core::result<std::string> bounded_string(const json& j, const char* key, size_t max, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return bad("'" + std::string(key) + "' is missing");
    return std::string();
  }
  if (!it->is_string()) return bad("'" + std::string(key) + "' must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max) return bad("'" + std::string(key) + "' is longer than " + std::to_string(max) + " bytes");
  return s;
}

core::result<bool> optional_bool(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (!it->is_boolean()) return bad("'" + std::string(key) + "' must be true or false");
  return it->get<bool>();
}

}  // namespace

core::result<env_spec> parse_external_spec(std::string_view spec_json, const external_limits& lim) {
  json j = json::parse(spec_json.begin(), spec_json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("the spec is not a JSON object");
  env_spec s;
  auto name = bounded_string(j, "name", 256, true);
  if (!name) return name.error();
  s.name = *name;
  auto description = bounded_string(j, "description", 4096, false);
  if (!description) return description.error();
  s.description = *description;
  auto l = j.find("layout");
  if (l == j.end() || !l->is_object()) return bad("the spec has no layout object");
  size_t total = 0;
  if (auto arrays = l->find("arrays"); arrays != l->end()) {
    if (!arrays->is_array()) return bad("layout.arrays must be a list");
    if (arrays->size() > lim.max_arrays)
      return bad(std::to_string(arrays->size()) + " arrays; at most " + std::to_string(lim.max_arrays));
    for (const auto& a : *arrays) {
      if (!a.is_object()) return bad("an entry of layout.arrays is not an object");
      core::array_spec as;
      auto an = bounded_string(a, "name", 256, true);
      if (!an) return an.error();
      as.name = *an;
      auto dt = bounded_string(a, "dtype", 16, true);
      if (!dt) return core::make_error(core::errc::invalid_argument, "array '" + as.name + "': " + dt.error().message);
      auto t = parse_dtype(*dt);
      if (!t) return core::make_error(core::errc::invalid_argument, "array '" + as.name + "': " + t.error().message);
      as.type = t.value();
      auto shape = a.find("shape");
      if (shape == a.end() || !shape->is_array() || shape->empty() || shape->size() > lim.max_dims)
        return bad("array '" + as.name + "': shape must be a list of 1 to " + std::to_string(lim.max_dims) +
                   " dimensions");
      // The byte size, multiplied out with an overflow check at every step.
      size_t bytes = core::dtype_size(as.type);
      for (const auto& d : *shape) {
        if (!d.is_number_integer() || (d.is_number_unsigned() ? d.get<uint64_t>() == 0 : d.get<int64_t>() <= 0))
          return bad("array '" + as.name + "': dimension " + d.dump().substr(0, 40) + " is not a positive integer");
        const auto dim = d.get<uint64_t>();
        if (dim > lim.max_obs_bytes / bytes)
          return bad("array '" + as.name + "' is larger than " + std::to_string(lim.max_obs_bytes) +
                     " bytes (env.external limits one observation to that)");
        bytes *= static_cast<size_t>(dim);
        as.shape.push_back(static_cast<int64_t>(dim));
      }
      if (bytes > lim.max_obs_bytes - total)
        return bad("the arrays together are larger than " + std::to_string(lim.max_obs_bytes) + " bytes");
      total += bytes;
      s.layout.arrays.push_back(std::move(as));
    }
  }
  auto text = optional_bool(*l, "text"), caption = optional_bool(*l, "caption");
  if (!text) return text.error();
  if (!caption) return caption.error();
  s.layout.has_text = *text;
  s.layout.has_caption = *caption;
  auto kind = bounded_string(*l, "actions", 16, true);
  if (!kind) return core::make_error(core::errc::invalid_argument, "layout: " + kind.error().message);
  if (*kind == "text") s.layout.actions = core::action_kind::text;
  else if (*kind == "discrete") s.layout.actions = core::action_kind::discrete;
  else return bad("layout.actions is '" + *kind + "' (text or discrete)");
  auto n = bounded_int(*l, "num_actions", 0, 0, lim.max_actions);
  if (!n) return core::make_error(core::errc::invalid_argument, "layout: " + n.error().message);
  s.layout.num_actions = static_cast<int32_t>(*n);
  if (s.layout.actions == core::action_kind::discrete && s.layout.num_actions < 1)
    return bad("a discrete env needs layout.num_actions >= 1");
  if (auto names = j.find("action_names"); names != j.end()) {
    if (!names->is_array() || names->size() > static_cast<size_t>(lim.max_actions))
      return bad("action_names must be a list of at most " + std::to_string(lim.max_actions) + " names");
    for (const auto& x : *names) {
      if (!x.is_string() || x.get_ref<const std::string&>().size() > 256) return bad("an action name is not a short string");
      s.action_names.push_back(x.get<std::string>());
    }
  }
  auto steps = bounded_int(j, "max_episode_steps", 0, 0, 1'000'000'000);
  if (!steps) return steps.error();
  s.max_episode_steps = static_cast<int32_t>(*steps);
  return s;
}

core::status decode_external_obs(std::string_view header_json, const std::vector<std::string_view>& arrays,
                                 const env_spec& spec, slot& out, const external_limits& lim) {
  json j = json::parse(header_json.begin(), header_json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("garbage answer: not a JSON object");
  if (text_of(j, "type") == "error")
    return core::make_error(core::errc::io, "the server reports: " + text_of(j, "message").substr(0, 1000));
  if (auto t = j.find("type"); t == j.end() || !t->is_string() || t->get_ref<const std::string&>() != "obs")
    return bad("expected an obs answer, got '" + j.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 80) + "'");
  const auto& layout = spec.layout;
  if (arrays.size() != layout.arrays.size())
    return bad("expected " + std::to_string(layout.arrays.size()) + " array frame(s), got " + std::to_string(arrays.size()));
  for (size_t a = 0; a < layout.arrays.size(); ++a)
    if (arrays[a].size() != layout.arrays[a].bytes())
      return bad("array '" + layout.arrays[a].name + "' has " + std::to_string(arrays[a].size()) + " bytes, the spec says " +
                 std::to_string(layout.arrays[a].bytes()));
  std::string text, caption;
  if (layout.has_text) {
    auto t = bounded_string(j, "text", lim.max_text_bytes, true);
    if (!t) return t.error();
    text = std::move(*t);
  }
  if (layout.has_caption) {
    auto c = bounded_string(j, "caption", lim.max_text_bytes, false);
    if (!c) return c.error();
    caption = std::move(*c);
  }
  std::vector<std::string> candidates;
  if (layout.actions == core::action_kind::text) {
    auto c = j.find("candidates");
    if (c == j.end() || !c->is_array()) return bad("'candidates' must be a list of commands");
    if (c->empty()) return bad("a text env offered no candidate commands");
    if (c->size() > lim.max_candidates)
      return bad(std::to_string(c->size()) + " candidate commands; at most " + std::to_string(lim.max_candidates));
    for (const auto& x : *c) {
      if (!x.is_string() || x.get_ref<const std::string&>().size() > lim.max_text_bytes)
        return bad("a candidate command is not a string of at most " + std::to_string(lim.max_text_bytes) + " bytes");
      candidates.push_back(x.get<std::string>());
    }
  }
  auto number = [&](const char* key) -> core::result<float> {
    auto it = j.find(key);
    if (it == j.end()) return 0.0f;
    if (!it->is_number() || !std::isfinite(it->get<double>())) return bad("'" + std::string(key) + "' must be a finite number");
    return static_cast<float>(it->get<double>());
  };
  auto reward = number("reward"), score = number("score");
  auto terminated = optional_bool(j, "terminated"), truncated = optional_bool(j, "truncated"),
       success = optional_bool(j, "success");
  if (!reward) return reward.error();
  if (!score) return score.error();
  if (!terminated) return terminated.error();
  if (!truncated) return truncated.error();
  if (!success) return success.error();
  // Only now, with everything checked, is the slot written.
  for (size_t a = 0; a < layout.arrays.size(); ++a) std::memcpy(out.array<std::byte>(a), arrays[a].data(), arrays[a].size());
  if (layout.has_text) out.text() = std::move(text);
  if (layout.has_caption) out.caption() = std::move(caption);
  if (layout.actions == core::action_kind::text) out.candidates() = std::move(candidates);
  out.outcome(*reward, *terminated, *truncated, *success, *score);
  return {};
}

namespace {

}  // namespace

struct external_env::impl {
  zmq::socket_t socket{shared_context(), zmq::socket_type::dealer};
  std::string endpoint;
  std::chrono::milliseconds timeout{5000};
  json request;
  std::vector<zmq::message_t> reply;

  [[noreturn]] void fail(const std::string& what) const {
    const std::string msg = "external env at " + endpoint + ": " + what;
    spdlog::error("{}", msg);
    throw std::runtime_error(msg);
  }

  // Sends one request; its answer is read by receive().
  core::status send(const json& req) {
    const std::string body = req.dump();
    std::array<zmq::const_buffer, 2> frames{zmq::const_buffer(nullptr, 0), zmq::buffer(body)};
    if (!zmq::send_multipart(socket, frames, zmq::send_flags::dontwait))
      return core::make_error(core::errc::io, "cannot send " + text_of(req, "type"));
    return {};
  }

  // Waits for the answer to a request of `type`: [empty delimiter, JSON header, array frames...].
  core::result<json> receive(const std::string& type) {
    zmq::pollitem_t item{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0)
      return core::make_error(core::errc::timeout, "no answer to " + type + " within " + std::to_string(timeout.count()) +
                                                       " ms");
    reply.clear();
    if (!zmq::recv_multipart(socket, std::back_inserter(reply), zmq::recv_flags::dontwait))
      return core::make_error(core::errc::io, "answer lost");
    if (reply.size() < 2 || reply[0].size() != 0)
      return core::make_error(core::errc::invalid_argument,
                              "garbage answer to " + type + ": expected an empty delimiter frame and a JSON frame");
    json j = json::parse(reply[1].to_string_view(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      return core::make_error(core::errc::invalid_argument, "garbage answer to " + type + ": not a JSON object");
    if (text_of(j, "type") == "error")
      return core::make_error(core::errc::io, "the server reports: " + text_of(j, "message").substr(0, 1000));
    return j;
  }

  core::result<json> call(const json& req) {
    if (auto ok = send(req); !ok) return ok.error();
    return receive(text_of(req, "type"));
  }

  json step_request(const action& a) const {
    json req{{"type", "step"}};
    if (a.index >= 0) req["action"] = a.index;
    else req["command"] = std::string(a.text);
    return req;
  }

  std::optional<core::error_info> send_failed;  // a step begun whose request could not be sent

  // Writes an observation answer into the env's slot.
  core::status observe(const json& j, const env_spec& spec, slot& out) {
    (void)j;
    std::vector<std::string_view> arrays;
    for (size_t f = 2; f < reply.size(); ++f) arrays.push_back(reply[f].to_string_view());
    return decode_external_obs(reply[1].to_string_view(), arrays, spec, out, limits);
  }
  external_limits limits;
};

void external_env::add_options(core::schema& s, const std::string& prefix) {
  s.string(prefix + ".endpoint", "tcp://127.0.0.1:7800", "ZeroMQ endpoint of the environment server");
  s.string(prefix + ".key_file", "",
           "a key file made by `lantern keys`: connect with CURVE, proving that key and expecting a server that "
           "holds it (docs/external-envs.md); empty: plain ZeroMQ");
  s.integer(prefix + ".timeout_ms", 5000, "deadline of each hello, reset and step answer (ms)", 1, 3600000);
  s.integer(prefix + ".restarts", 3, "lantern train: times a runner whose server failed is started again (with a "
            "backoff) before it is dropped; with no runner left the run ends with the reason", 0, 1000);
}

core::result<std::unique_ptr<env>> external_env::create(const core::config_view& cfg) {
  std::optional<core::curve_keys> keys;
  if (!cfg.string("key_file").empty()) {
    auto k = core::read_key_file(cfg.string("key_file"));
    if (!k) return core::make_error(k.error().code, "env.external.key_file: " + k.error().message);
    keys = k.value();
  }
  auto e = connect(cfg.string("endpoint"), std::chrono::milliseconds(cfg.integer("timeout_ms")), keys ? &*keys : nullptr);
  if (!e) return e.error();
  return std::unique_ptr<env>(std::move(e.value()));
}

core::result<std::unique_ptr<external_env>> external_env::connect(const std::string& endpoint,
                                                                  std::chrono::milliseconds timeout,
                                                                  const core::curve_keys* curve) {
  auto p = std::make_unique<impl>();
  p->endpoint = endpoint;
  p->timeout = timeout;
  p->socket.set(zmq::sockopt::linger, 0);
  if (curve) core::curve_client(p->socket, *curve);
  // A message larger than an observation may be (plus room for its header) is dropped by
  // ZeroMQ before it is allocated; the call then times out with a clear error.
  p->socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(p->limits.max_obs_bytes + (size_t{8} << 20)));
  try {
    p->socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return core::make_error(core::errc::invalid_argument, "external env: bad endpoint '" + endpoint + "': " + e.what());
  }
  auto hello = p->call({{"type", "hello"}, {"version", external_protocol_version}});
  if (!hello) return core::make_error(hello.error().code, "external env at " + endpoint + ": " + hello.error().message);
  const json& h = hello.value();
  auto version = h.find("version");
  if (text_of(h, "type") != "hello" || version == h.end() || !version->is_number_integer() ||
      version->get<int64_t>() != external_protocol_version)
    return core::make_error(core::errc::invalid_argument,
                            "external env at " + endpoint + ": expected a hello answer with version " +
                                std::to_string(external_protocol_version) + ", got " +
                                h.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 120));
  auto sj = h.find("spec");
  auto spec = parse_external_spec(sj == h.end() ? std::string("null") : sj->dump(), p->limits);
  if (!spec) return core::make_error(spec.error().code, "external env at " + endpoint + ": " + spec.error().message);
  auto e = std::unique_ptr<external_env>(new external_env(std::move(p)));
  e->spec_ = std::move(spec.value());
  return e;
}

external_env::external_env(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

external_env::~external_env() {
  // A polite goodbye; a server that is gone does not delay shutdown (no wait for the answer).
  const std::string body = json{{"type", "close"}}.dump();
  std::array<zmq::const_buffer, 2> frames{zmq::const_buffer(nullptr, 0), zmq::buffer(body)};
  (void)zmq::send_multipart(impl_->socket, frames, zmq::send_flags::dontwait);
}

void external_env::reset(uint64_t seed, slot out) {
  // JSON numbers are exact up to 2^53 in every language: the seed is reduced to 53 bits.
  auto r = impl_->call({{"type", "reset"}, {"seed", seed & ((uint64_t{1} << 53) - 1)}});
  if (!r) impl_->fail("reset: " + r.error().message);
  if (auto ok = impl_->observe(r.value(), spec_, out); !ok) impl_->fail("reset: " + ok.error().message);
}

void external_env::step(const action& a, slot out) {
  auto r = impl_->call(impl_->step_request(a));
  if (!r) impl_->fail("step: " + r.error().message);
  if (auto ok = impl_->observe(r.value(), spec_, out); !ok) impl_->fail("step: " + ok.error().message);
}

bool external_env::begin_step(const action& a) {
  impl_->send_failed.reset();
  if (auto ok = impl_->send(impl_->step_request(a)); !ok) impl_->send_failed = ok.error();
  return true;
}

void external_env::end_step(slot out) {
  if (impl_->send_failed) impl_->fail("step: " + impl_->send_failed->message);
  auto r = impl_->receive("step");
  if (!r) impl_->fail("step: " + r.error().message);
  if (auto ok = impl_->observe(r.value(), spec_, out); !ok) impl_->fail("step: " + ok.error().message);
}

}  // namespace lantern::envs
