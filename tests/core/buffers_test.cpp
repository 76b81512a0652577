#include "core/buffers.hpp"

#include <gtest/gtest.h>

namespace lantern::core {
namespace {

obs_layout mixed_layout() {
  obs_layout l;
  l.arrays = {{"chars", dtype::u8, {2, 3}}, {"stats", dtype::f32, {4}}};
  l.has_text = true;
  l.has_caption = true;
  l.actions = action_kind::text;
  return l;
}

TEST(Buffers, ArraySpecSizes) {
  array_spec a{"tty", dtype::i16, {24, 80}};
  EXPECT_EQ(a.elements(), 24u * 80u);
  EXPECT_EQ(a.bytes(), 24u * 80u * 2u);
}

TEST(Buffers, BatchSlicesDoNotOverlap) {
  obs_batch b(mixed_layout(), 3);
  for (size_t i = 0; i < 3; ++i) {
    uint8_t* c = b.array<uint8_t>(0, i);
    for (int k = 0; k < 6; ++k) c[k] = static_cast<uint8_t>(10 * i + k);
    float* s = b.array<float>(1, i);
    for (int k = 0; k < 4; ++k) s[k] = static_cast<float>(i) + 0.25f * k;
  }
  EXPECT_EQ(b.array<uint8_t>(0, 2)[5], 25);
  EXPECT_FLOAT_EQ(b.array<float>(1, 1)[3], 1.75f);
  EXPECT_EQ(b.array_bytes(0).size(), 18u);
}

TEST(Buffers, RolloutRecordsWhatThePolicySawAndWhatItsActionProduced) {
  obs_layout l = mixed_layout();
  obs_batch before(l, 2), after(l, 2), finals(l, 2);
  rollout r(l, 2, 2);
  for (size_t t = 0; t < 2; ++t) {
    for (size_t e = 0; e < 2; ++e) {
      before.text[e] = "room " + std::to_string(t) + std::to_string(e);
      before.candidates[e] = {"look", "go north"};
      before.array<float>(1, e)[0] = static_cast<float>(t * 10 + e);
      after.caption[e] = "caption " + std::to_string(t) + std::to_string(e);
      after.reward[e] = static_cast<float>(t + e);
      after.terminated[e] = t == 1 && e == 0;
      after.truncated[e] = t == 1 && e == 1;
      after.text[e] = "next room " + std::to_string(e);
      after.array<float>(1, e)[0] = 100.0f + static_cast<float>(e);
      finals.text[e] = "final room " + std::to_string(e);
      finals.candidates[e] = {"wait"};
      finals.array<float>(1, e)[0] = 50.0f + static_cast<float>(e);
    }
    r.append(before, {1, 0}, {-0.5f, -0.7f}, {0.25f, 0.75f}, after, &finals);
  }
  EXPECT_TRUE(r.full());
  EXPECT_EQ(r.text[r.at(1, 0)], "room 10");
  EXPECT_EQ(r.caption[r.at(0, 1)], "caption 01");
  EXPECT_EQ(r.candidates[r.at(1, 1)][1], "go north");
  EXPECT_FLOAT_EQ(r.reward[r.at(1, 1)], 2.0f);
  EXPECT_EQ(r.done[r.at(1, 0)], 1);
  EXPECT_EQ(r.done[r.at(1, 1)], 1);
  EXPECT_EQ(r.truncated[r.at(1, 0)], 0);
  EXPECT_FLOAT_EQ(r.behaviour_logp[r.at(0, 1)], -0.7f);
  EXPECT_FLOAT_EQ(r.behaviour_value[r.at(1, 1)], 0.75f);
  const float* stats = reinterpret_cast<const float*>(r.arrays[1].data());
  EXPECT_FLOAT_EQ(stats[(1 * 2 + 1) * 4], 11.0f);  // t=1, env=1, element 0
  // Slot T holds the observation after the last step: the bootstrap.
  EXPECT_EQ(r.obs_slots(), 3u);
  EXPECT_EQ(r.text[r.at(2, 1)], "next room 1");
  EXPECT_FLOAT_EQ(stats[(2 * 2 + 0) * 4], 100.0f);
  // The truncated episode (env 1 at t=1) keeps its final observation; the terminated one does not.
  ASSERT_EQ(r.final_index, (std::vector<uint32_t>{static_cast<uint32_t>(r.at(1, 1))}));
  EXPECT_EQ(r.final_text[0], "final room 1");
  EXPECT_EQ(r.final_candidates[0], (std::vector<std::string>{"wait"}));
  EXPECT_FLOAT_EQ(reinterpret_cast<const float*>(r.final_arrays[1].data())[0], 51.0f);
  EXPECT_THROW(r.append(before, {0, 0}, {}, {}, after), std::logic_error);
  r.clear();
  EXPECT_EQ(r.filled(), 0u);
  EXPECT_TRUE(r.final_index.empty());
}

}  // namespace
}  // namespace lantern::core
