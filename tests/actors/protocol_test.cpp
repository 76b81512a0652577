#include "actors/protocol.hpp"

#include <gtest/gtest.h>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include <cmath>

namespace lantern::actors {
namespace {

class Protocol : public ::testing::Test {
 protected:
  Protocol() : sys(init()) {}
  static caf::actor_system_config& init() {
    static caf::actor_system_config cfg;
    static bool done = false;
    if (!done) {
      add_message_types(cfg);
      cfg.set("scheduler.max-threads", 2);
      done = true;
    }
    return cfg;
  }
  // Through CAF's serializer and back: what crossing to another node does to a message.
  template <class T>
  T round_trip(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto e1 = sink(x);
    EXPECT_FALSE(e1) << sys.render(e1);
    T y;
    caf::binary_deserializer source{sys, buf};
    auto e2 = source(y);
    EXPECT_FALSE(e2) << sys.render(e2);
    return y;
  }
  caf::actor_system sys;
};

core::obs_layout layout() {
  core::obs_layout l;
  l.arrays = {{"chars", core::dtype::u8, {2, 3}}, {"stats", core::dtype::f32, {2}}};
  l.has_text = true;
  l.has_caption = true;
  l.actions = core::action_kind::text;
  return l;
}

core::rollout sample_rollout() {
  core::obs_batch before(layout(), 2), after(layout(), 2);
  core::rollout r(layout(), 2, 2);
  for (int t = 0; t < 2; ++t) {
    for (size_t e = 0; e < 2; ++e) {
      before.array<uint8_t>(0, e)[0] = static_cast<uint8_t>('a' + t + e);
      before.array<float>(1, e)[1] = 0.5f * static_cast<float>(t + e);
      before.text[e] = "room " + std::to_string(t);
      before.candidates[e] = {"look", "go north"};
      after.caption[e] = "caption \"quoted\"\n" + std::to_string(e);
      after.reward[e] = 1.5f;
      after.terminated[e] = t == 1 && e == 0;
      after.truncated[e] = t == 1 && e == 1;
    }
    r.append(before, {1, 0}, {-0.1f, -0.2f}, {0.5f, -0.5f}, after, &before);
  }
  r.initial_state = {0.25f, -0.25f};
  r.policy_version = 7;
  return r;
}

TEST_F(Protocol, ARolloutSurvivesTheWireExactly) {
  auto r = sample_rollout();
  auto m = round_trip(to_message(r, 3));
  EXPECT_EQ(m.runner, 3u);
  auto back = from_message(m, layout());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->arrays, r.arrays);
  EXPECT_EQ(back->text, r.text);
  EXPECT_EQ(back->candidates, r.candidates);
  EXPECT_EQ(back->caption, r.caption);
  EXPECT_EQ(back->action, r.action);
  EXPECT_EQ(back->behaviour_logp, r.behaviour_logp);
  EXPECT_EQ(back->reward, r.reward);
  EXPECT_EQ(back->done, r.done);
  EXPECT_EQ(back->truncated, r.truncated);
  EXPECT_EQ(back->behaviour_value, r.behaviour_value);
  EXPECT_EQ(back->final_index, r.final_index);
  EXPECT_EQ(back->final_arrays, r.final_arrays);
  EXPECT_EQ(back->final_text, r.final_text);
  EXPECT_EQ(back->final_candidates, r.final_candidates);
  EXPECT_EQ(back->initial_state, r.initial_state);
  EXPECT_EQ(back->policy_version, 7u);
  EXPECT_TRUE(back->full());
}

TEST_F(Protocol, ARolloutThatDoesNotFitTheLayoutIsRefused) {
  auto m = to_message(sample_rollout(), 0);
  m.arrays.pop_back();
  EXPECT_FALSE(from_message(m, layout()));
  m = to_message(sample_rollout(), 0);
  m.action.pop_back();
  EXPECT_FALSE(from_message(m, layout()));
}

TEST_F(Protocol, ARolloutWithAnActionNotOfferedOrAHugeDeclaredSizeIsRefusedBeforeAllocating) {
  auto m = to_message(sample_rollout(), 0);
  m.action[1] = 2;  // two candidates were offered
  auto r = from_message(m, layout());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not one of the 2 offered"), std::string::npos) << r.error().message;
  m = to_message(sample_rollout(), 0);
  m.action[0] = -1;
  EXPECT_FALSE(from_message(m, layout()));
  m = to_message(sample_rollout(), 0);
  m.reward[0] = std::nanf("");
  EXPECT_FALSE(from_message(m, layout()));
  m = to_message(sample_rollout(), 0);
  m.steps = 1u << 31;  // 2^31 x 2 envs declared: refused by its size, nothing allocated
  m.num_envs = 1u << 31;
  r = from_message(m, layout());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("transitions"), std::string::npos) << r.error().message;
}

TEST_F(Protocol, EveryOtherMessageSurvivesTheWire) {
  auto w = round_trip(policy_weights{5, std::string("\0\x01weights", 9)});
  EXPECT_EQ(w.version, 5u);
  EXPECT_EQ(w.bytes, std::string("\0\x01weights", 9));
  auto s = round_trip(reward_snapshot{2, "ranking", "bytes"});
  EXPECT_EQ(s.model, "ranking");
  EXPECT_EQ(round_trip(caption_batch{{"a", "", "c"}}).captions, (std::vector<std::string>{"a", "", "c"}));
  auto l = round_trip(label_batch{{"x", "y"}, {"", "z"}, {1, 2}});
  EXPECT_EQ(l.captions2[1], "z");
  EXPECT_EQ(l.labels, (std::vector<int32_t>{1, 2}));
  auto e = round_trip(episode_batch{4, {1.0f}, {2.0f}, {30}, {1}});
  EXPECT_EQ(e.lengths[0], 30);
  EXPECT_EQ(round_trip(control_msg{"set", "shaping.intrinsic_coef=0.4"}).argument, "shaping.intrinsic_coef=0.4");
  learner_status ls;
  ls.env_steps = 12;
  ls.runners.push_back(runner_status{7, 0, 3, 96, 1.5, 0.2, runner_report{1, 2, 0, 3}, 9, true});
  auto st = round_trip(ls);
  EXPECT_EQ(st.env_steps, 12u);
  ASSERT_EQ(st.runners.size(), 1u);
  EXPECT_EQ(st.runners[0].report.in_flight, 2u);
  EXPECT_EQ(st.runners[0].weights, 9u);
  EXPECT_TRUE(st.runners[0].paused);
  auto ack = round_trip(rollout_ack{policy_weights{7, "w"}});
  EXPECT_EQ(ack.weights.version, 7u);
  EXPECT_EQ(ack.weights.bytes, "w");
  auto caps = round_trip(std::vector<caption_record>{{"You open it.", "", "positive", "rules (heuristic)", "rules-v2",
                                                      "textworld-v1", 5.0}});
  EXPECT_EQ(caps[0].label, "positive");
}

TEST_F(Protocol, MessagesTravelBetweenActors) {
  auto echo = sys.spawn([]() -> caf::behavior {
    return {[](const rollout_msg& m) { return m; }, [](const policy_weights& w) { return w.version; }};
  });
  caf::scoped_actor self{sys};
  self->request(echo, std::chrono::seconds(5), to_message(sample_rollout(), 9))
      .receive([](const rollout_msg& m) { EXPECT_EQ(m.runner, 9u); },
               [&](const caf::error& err) { FAIL() << sys.render(err); });
  self->request(echo, std::chrono::seconds(5), policy_weights{11, "w"})
      .receive([](uint64_t v) { EXPECT_EQ(v, 11u); }, [&](const caf::error& err) { FAIL() << sys.render(err); });
  EXPECT_STREQ(caf::type_name<rollout_msg>::value, "lantern::actors::rollout_msg");
}

}  // namespace
}  // namespace lantern::actors
