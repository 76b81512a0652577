// libFuzzer target: the config loader: TOML text checked against a schema of every type.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lantern::core;
  static const schema s = [] {
    schema x;
    x.integer("train.steps", 100, "steps", 1);
    x.integer("train.seed", 1, "seed", 0);
    x.real("appo.lr", 1e-3, "lr", 0.0, 1.0);
    x.boolean("reward.raw", false, "raw");
    x.string("reward.model", "none", "model", {"none", "retrieval", "classification"});
    x.string("annotator.store", "", "store");
    return x;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = config::parse(s, text, "fuzz.toml", {"train.seed=7"});
  if (c) (void)c->to_toml();
  return 0;
}
