// envs/external/external_env.hpp: an environment served by another process over ZeroMQ, in any
// language (docs/external-envs.md has the wire protocol, version 1; docs/examples/env_server.py
// is a complete server in Python). Lantern connects a DEALER socket to the server's endpoint,
// says hello, reads the env's spec from the answer, then sends reset and step requests, each
// with a deadline. A server that does not answer in time, answers garbage or goes away makes
// reset/step throw std::runtime_error with a message that names the endpoint and what went
// wrong; the runner stepping it stops and its supervisor drops it.
//
//   lantern train --set train.env=external --set env.external.endpoint=tcp://127.0.0.1:7800
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/curve.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "envs/env.hpp"

namespace lantern::envs {

/// The protocol version this build speaks (a server answers hello with the version it speaks).
inline constexpr int external_protocol_version = 1;

/// Bounds on what a server may declare, checked before anything is allocated.
struct external_limits {
  size_t max_obs_bytes = size_t{64} << 20;  ///< all arrays of one observation together
  size_t max_arrays = 64, max_dims = 8;
  int64_t max_actions = 1 << 20;
  size_t max_text_bytes = size_t{1} << 20;  ///< observation text, caption, each candidate
  size_t max_candidates = 4096;
};

/// Reads the `spec` of a hello answer (JSON). Every field is checked: dtypes, dimensions (the
/// byte size of each array and of all together, without overflow, within the limits), the
/// action kind and count. Errors name the field and the array.
core::result<env_spec> parse_external_spec(std::string_view spec_json, const external_limits& limits = {});

/// Writes an obs answer (its JSON header and its array frames, raw little-endian) into `out`,
/// checked against the spec: the number and byte size of frames, the text and candidates'
/// types and sizes. Pure (no socket): the wire decoder the tests and the fuzzer drive.
core::status decode_external_obs(std::string_view header_json, const std::vector<std::string_view>& arrays,
                                 const env_spec& spec, slot& out, const external_limits& limits = {});

class external_env final : public env {
 public:
  static constexpr const char* name = "external";
  static constexpr const char* description =
      "an environment served by another process over ZeroMQ, in any language (docs/external-envs.md)";
  static void add_options(core::schema& s, const std::string& prefix);
  static core::result<std::unique_ptr<env>> create(const core::config_view& cfg);

  /// Connects to `endpoint` and says hello; an error names the endpoint and the reason. With
  /// `curve`, the connection proves that key pair and expects a server holding it.
  static core::result<std::unique_ptr<external_env>> connect(const std::string& endpoint,
                                                             std::chrono::milliseconds timeout,
                                                             const core::curve_keys* curve = nullptr);
  ~external_env() override;

  const env_spec& spec() const override { return spec_; }
  void reset(uint64_t seed, slot out) override;
  void step(const action& a, slot out) override;
  /// Steps in two halves: the request goes out now, the answer is read in end_step, so a
  /// runner's envs on one server wait for it once per step, not once each.
  bool begin_step(const action& a) override;
  void end_step(slot out) override;

 private:
  struct impl;
  explicit external_env(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
  env_spec spec_;
};

}  // namespace lantern::envs
