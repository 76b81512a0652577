// libFuzzer target: rollout decoding (actors::from_message), which checks a rollout's every
// size against the layout, every action against what was offered and every value for being
// finite before it allocates. The fuzzer fills a rollout_msg field by field, with declared
// counts it chooses (CAF's own deserializer, which allocates what a header declares, is left to
// the cluster transport that replaces it).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "actors/protocol.hpp"

namespace {

template <class T>
std::vector<T> numbers(FuzzedDataProvider& in, size_t n) {
  std::vector<T> v;
  for (size_t i = 0; i < n && in.remaining_bytes() > 0; ++i) v.push_back(in.ConsumeIntegral<T>());
  return v;
}

std::vector<float> floats(FuzzedDataProvider& in, size_t n) {
  std::vector<float> v;
  for (size_t i = 0; i < n && in.remaining_bytes() > 0; ++i) v.push_back(in.ConsumeFloatingPoint<float>());
  return v;
}

std::vector<std::string> strings(FuzzedDataProvider& in, size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n && in.remaining_bytes() > 0; ++i) v.push_back(in.ConsumeRandomLengthString(64));
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lantern;
  static const core::obs_layout text{{{"grid", core::dtype::u8, {3, 4}}}, true, true, core::action_kind::text, 0};
  static const core::obs_layout discrete{{{"stats", core::dtype::f32, {5}}}, false, true, core::action_kind::discrete, 6};
  FuzzedDataProvider in(data, size);
  actors::rollout_msg m;
  // Declared counts may be anything; the vectors hold what the input can fill (a lie costs
  // nothing to allocate here, as over the wire a message's bytes bound what it can carry).
  m.steps = in.ConsumeIntegral<uint32_t>();
  m.num_envs = in.ConsumeIntegral<uint32_t>();
  const size_t n = in.ConsumeIntegralInRange<size_t>(0, 64), slots = in.ConsumeIntegralInRange<size_t>(0, 64);
  for (size_t a = 0, arrays = in.ConsumeIntegralInRange<size_t>(0, 3); a < arrays; ++a)
    m.arrays.push_back(numbers<uint8_t>(in, in.ConsumeIntegralInRange<size_t>(0, 512)));
  m.text = strings(in, slots);
  m.caption = strings(in, n);
  for (size_t i = 0; i < slots && in.remaining_bytes() > 0; ++i) m.candidates.push_back(strings(in, in.ConsumeIntegralInRange<size_t>(0, 4)));
  m.action = numbers<int32_t>(in, n);
  m.behaviour_logp = floats(in, n);
  m.behaviour_value = floats(in, n);
  m.reward = floats(in, n);
  m.done = numbers<uint8_t>(in, n);
  m.truncated = numbers<uint8_t>(in, n);
  m.initial_state = floats(in, in.ConsumeIntegralInRange<size_t>(0, 16));
  m.final_index = numbers<uint32_t>(in, in.ConsumeIntegralInRange<size_t>(0, 4));
  for (size_t a = 0, arrays = in.ConsumeIntegralInRange<size_t>(0, 2); a < arrays; ++a)
    m.final_arrays.push_back(numbers<uint8_t>(in, in.ConsumeIntegralInRange<size_t>(0, 64)));
  m.final_text = strings(in, m.final_index.size());
  auto r = actors::from_message(m, text);
  if (r) {  // what is accepted is whole: every per-transition vector has its size
    const size_t T = r->steps(), N = r->num_envs();
    if (r->action.size() != T * N || r->text.size() != (T + 1) * N) __builtin_trap();
    for (size_t i = 0; i < T * N; ++i)
      if (r->action[i] < 0 || static_cast<size_t>(r->action[i]) >= r->candidates[i].size()) __builtin_trap();
  }
  (void)actors::from_message(m, discrete);
  return 0;
}
