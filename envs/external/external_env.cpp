#include "envs/external/external_env.hpp"

#include <array>
#include <cstring>
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

// The spec a server announces in its hello answer; every field is checked.
core::result<env_spec> parse_spec(const json& j) {
  try {
    env_spec s;
    s.name = j.at("name").get<std::string>();
    s.description = j.value("description", std::string());
    const json& l = j.at("layout");
    for (const auto& a : l.value("arrays", json::array())) {
      core::array_spec as;
      as.name = a.at("name").get<std::string>();
      auto t = parse_dtype(a.at("dtype").get<std::string>());
      if (!t) return t.error();
      as.type = t.value();
      as.shape = a.at("shape").get<std::vector<int64_t>>();
      for (int64_t d : as.shape)
        if (d <= 0 || d > (1 << 24))
          return core::make_error(core::errc::invalid_argument, "array '" + as.name + "' has a bad dimension");
      s.layout.arrays.push_back(std::move(as));
    }
    s.layout.has_text = l.value("text", false);
    s.layout.has_caption = l.value("caption", false);
    const std::string kind = l.at("actions").get<std::string>();
    if (kind == "text") s.layout.actions = core::action_kind::text;
    else if (kind == "discrete") s.layout.actions = core::action_kind::discrete;
    else return core::make_error(core::errc::invalid_argument, "layout.actions is '" + kind + "' (text or discrete)");
    s.layout.num_actions = l.value("num_actions", 0);
    if (s.layout.actions == core::action_kind::discrete && s.layout.num_actions < 1)
      return core::make_error(core::errc::invalid_argument, "a discrete env needs layout.num_actions >= 1");
    s.action_names = j.value("action_names", std::vector<std::string>());
    s.max_episode_steps = j.value("max_episode_steps", 0);
    return s;
  } catch (const json::exception& e) {
    return core::make_error(core::errc::invalid_argument, std::string("bad spec: ") + e.what());
  }
}

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

  // Sends one request and waits for its answer: [empty delimiter, JSON header, array frames...].
  core::result<json> call(const json& req) {
    const std::string body = req.dump();
    std::array<zmq::const_buffer, 2> frames{zmq::const_buffer(nullptr, 0), zmq::buffer(body)};
    if (!zmq::send_multipart(socket, frames, zmq::send_flags::dontwait))
      return core::make_error(core::errc::io, "cannot send " + req.value("type", std::string()));
    zmq::pollitem_t item{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0)
      return core::make_error(core::errc::timeout, "no answer to " + req.value("type", std::string()) + " within " +
                                                       std::to_string(timeout.count()) + " ms");
    reply.clear();
    if (!zmq::recv_multipart(socket, std::back_inserter(reply), zmq::recv_flags::dontwait))
      return core::make_error(core::errc::io, "answer lost");
    if (reply.size() < 2 || reply[0].size() != 0)
      return core::make_error(core::errc::invalid_argument,
                              "garbage answer to " + req.value("type", std::string()) +
                                  ": expected an empty delimiter frame and a JSON frame");
    json j = json::parse(reply[1].to_string_view(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      return core::make_error(core::errc::invalid_argument,
                              "garbage answer to " + req.value("type", std::string()) + ": not a JSON object");
    if (j.value("type", std::string()) == "error")
      return core::make_error(core::errc::io, "the server reports: " + j.value("message", std::string("?")));
    return j;
  }

  // Writes an observation answer into the env's slot.
  core::status observe(const json& j, const env_spec& spec, slot& out) {
    try {
      if (j.value("type", std::string()) != "obs")
        return core::make_error(core::errc::invalid_argument, "expected an obs answer, got '" + j.dump(-1).substr(0, 80) + "'");
      const auto& layout = spec.layout;
      if (reply.size() != 2 + layout.arrays.size())
        return core::make_error(core::errc::invalid_argument, "expected " + std::to_string(layout.arrays.size()) +
                                                                  " array frame(s), got " +
                                                                  std::to_string(reply.size() - 2));
      for (size_t a = 0; a < layout.arrays.size(); ++a) {
        if (reply[2 + a].size() != layout.arrays[a].bytes())
          return core::make_error(core::errc::invalid_argument,
                                  "array '" + layout.arrays[a].name + "' has " + std::to_string(reply[2 + a].size()) +
                                      " bytes, the spec says " + std::to_string(layout.arrays[a].bytes()));
        std::memcpy(out.array<std::byte>(a), reply[2 + a].data(), reply[2 + a].size());
      }
      if (layout.has_text) out.text() = j.at("text").get<std::string>();
      if (layout.has_caption) out.caption() = j.value("caption", std::string());
      if (layout.actions == core::action_kind::text) {
        auto& c = out.candidates();
        c.clear();
        for (const auto& x : j.at("candidates")) c.push_back(x.get<std::string>());
        if (c.empty()) return core::make_error(core::errc::invalid_argument, "a text env offered no candidate commands");
      }
      out.outcome(j.value("reward", 0.0f), j.value("terminated", false), j.value("truncated", false),
                  j.value("success", false), j.value("score", 0.0f));
      return {};
    } catch (const json::exception& e) {
      return core::make_error(core::errc::invalid_argument, std::string("bad obs answer: ") + e.what());
    }
  }
};

void external_env::add_options(core::schema& s, const std::string& prefix) {
  s.string(prefix + ".endpoint", "tcp://127.0.0.1:7800", "ZeroMQ endpoint of the environment server");
  s.integer(prefix + ".timeout_ms", 5000, "deadline of each hello, reset and step answer (ms)", 1, 3600000);
}

core::result<std::unique_ptr<env>> external_env::create(const core::config_view& cfg) {
  auto e = connect(cfg.string("endpoint"), std::chrono::milliseconds(cfg.integer("timeout_ms")));
  if (!e) return e.error();
  return std::unique_ptr<env>(std::move(e.value()));
}

core::result<std::unique_ptr<external_env>> external_env::connect(const std::string& endpoint,
                                                                  std::chrono::milliseconds timeout) {
  auto p = std::make_unique<impl>();
  p->endpoint = endpoint;
  p->timeout = timeout;
  p->socket.set(zmq::sockopt::linger, 0);
  try {
    p->socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return core::make_error(core::errc::invalid_argument, "external env: bad endpoint '" + endpoint + "': " + e.what());
  }
  auto hello = p->call({{"type", "hello"}, {"version", external_protocol_version}});
  if (!hello) return core::make_error(hello.error().code, "external env at " + endpoint + ": " + hello.error().message);
  const json& h = hello.value();
  if (h.value("type", std::string()) != "hello" || h.value("version", 0) != external_protocol_version)
    return core::make_error(core::errc::invalid_argument,
                            "external env at " + endpoint + ": expected a hello answer with version " +
                                std::to_string(external_protocol_version) + ", got " + h.dump().substr(0, 120));
  auto spec = parse_spec(h.value("spec", json::object()));
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
  json req{{"type", "step"}};
  if (a.index >= 0) req["action"] = a.index;
  else req["command"] = std::string(a.text);
  auto r = impl_->call(req);
  if (!r) impl_->fail("step: " + r.error().message);
  if (auto ok = impl_->observe(r.value(), spec_, out); !ok) impl_->fail("step: " + ok.error().message);
}

}  // namespace lantern::envs
