// libFuzzer target: what an external environment server sends: the spec of its hello answer
// and its observation answers (a JSON header and raw array frames), decoded against the limits.
// Input: first byte 0 = a spec; otherwise an obs answer whose header and frames are separated
// by "\n--\n", checked against a fixed spec with two arrays, text, a caption and text actions.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "envs/external/external_env.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lantern;
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  envs::external_limits limits;
  limits.max_obs_bytes = 1 << 20;
  if (data[0] == 0) {
    (void)envs::parse_external_spec(rest, limits);
    return 0;
  }
  static const auto spec = envs::parse_external_spec(
      R"({"name": "f", "layout": {"arrays": [{"name": "grid", "dtype": "u8", "shape": [3, 4]},
          {"name": "pos", "dtype": "f32", "shape": [2]}], "text": true, "caption": true, "actions": "text"}})");
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t at; (at = rest.find("\n--\n", start)) != std::string_view::npos; start = at + 4)
    parts.push_back(rest.substr(start, at - start));
  parts.push_back(rest.substr(start));
  std::vector<std::string_view> frames(parts.begin() + 1, parts.end());
  core::obs_batch batch(spec->layout, 1);
  envs::slot out(batch, 0);
  (void)envs::decode_external_obs(parts[0], frames, *spec, out, limits);
  return 0;
}
