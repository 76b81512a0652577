// libFuzzer target: the TextWorld-style engine's parser of free-typed commands (a person, an
// LLM or an external agent types them), and the step that follows, in a generated game.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "envs/textworld/engine.hpp"
#include "envs/textworld/generator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lantern::envs::textworld;
  static const game g = [] {
    options o;
    o.family = "custom";
    o.rooms = 5;
    o.objects = 10;
    o.quest_length = 3;
    return generate(o, 42).value();
  }();
  static const engine eng(g);
  state s = g.initial;
  // Several commands per input, separated by newlines: a short session.
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string feedback;
  for (int i = 0; i < 8 && !rest.empty(); ++i) {
    const size_t nl = rest.find('\n');
    const std::string_view cmd = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    parsed p = eng.parse(s, cmd);
    if (!p.ok) continue;
    const failure f = eng.check(s, p.a);
    if (f == failure::none) eng.apply(s, p.a);
    feedback.clear();
    eng.feedback(s, p.a, f, feedback);
  }
  return 0;
}
