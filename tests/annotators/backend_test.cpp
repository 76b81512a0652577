#include "annotators/backend.hpp"

#include <gtest/gtest.h>

#include "annotators/helpers.hpp"
#include "annotators/store.hpp"
#include "fake_llm.hpp"

namespace lantern::annotators {
namespace {

using testing::annotator_config;
using testing::behaviour;
using testing::fake_llm;
using namespace std::chrono_literals;

std::map<std::string, prompt_set> prompts() {
  auto p = load_prompt_dir(std::string(LANTERN_SOURCE_DIR) + "/annotators/prompts");
  EXPECT_TRUE(p);
  return std::move(p.value());
}

item nh(const std::string& caption, const std::string& goal = "default") {
  return item{kind::classification, "nethack", goal, caption, ""};
}

TEST(RulesBackend, LabelsByGoalAndSaysItIsAHeuristic) {
  core::metrics_registry m;
  auto p = prompts();
  auto b = make_backend(annotator_config({}), p, m);
  ASSERT_TRUE(b) << b.error().message;
  auto out = b.value()->label({nh("You kill the newt!"), nh("You kill the newt!", "gold"), nh("You see here 7 gold pieces.", "gold"),
                               nh("It's a wall."), item{kind::ranking, "nethack", "descend", "You hear a door open.",
                                                        "There is a staircase down here."}});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].lab.value, positive);
  EXPECT_EQ(out[1].lab.value, negative);
  EXPECT_EQ(out[2].lab.value, positive);
  EXPECT_EQ(out[3].lab.value, negative);
  EXPECT_EQ(out[4].lab.value, second);
  EXPECT_EQ(out[0].lab.from.backend, "rules (heuristic)");
  auto bad = b.value()->label({item{kind::classification, "nethack", "nosuchgoal", "x", ""}});
  EXPECT_EQ(bad[0].result, outcome::error);
}

TEST(RulesBackend, AVeryLongCaptionIsMatchedInLinearTimeWithoutRecursion) {
  // "you find " + 40,000 x (nethack) and "you put " + 40,000 x (textworld) overflowed the stack
  // inside std::regex (SIGSEGV). RE2 matches them like any other caption.
  core::metrics_registry m;
  auto p = prompts();
  auto b = make_backend(annotator_config({}), p, m);
  ASSERT_TRUE(b);
  auto out = b.value()->label({nh("you find " + std::string(40000, 'x')),
                               item{kind::classification, "textworld", "quest", "you put " + std::string(40000, 'x'), ""},
                               nh("You find " + std::string(2000000, 'x') + " gold")});
  ASSERT_EQ(out.size(), 3u);
  for (const auto& a : out) EXPECT_EQ(a.result, outcome::labelled) << a.error;
  EXPECT_EQ(out[2].lab.value, positive) << "'you find .* gold' still matches across 2 MB";
}

TEST(RulesBackend, TheDefaultRulesDoNotRestateTheGamesOwnReward) {
  // An intrinsic reward that pays for the win or score message is the extrinsic reward again:
  // no default rule may call those positive (the evidence on docs/results.md relies on it).
  core::metrics_registry m;
  auto p = prompts();
  auto b = make_backend(annotator_config({}), p, m);
  ASSERT_TRUE(b);
  std::vector<item> items;
  for (const char* c : {"*** You won! ***", "You won!", "Your score has just gone up by one point.",
                        "Your score has gone up.", "Congratulations, you have won the game."})
    items.push_back(item{kind::classification, "textworld", "quest", c, ""});
  const auto out = b.value()->label(items);
  for (const auto& a : out) {
    ASSERT_EQ(a.result, outcome::labelled);
    EXPECT_EQ(a.lab.value, negative);
  }
  auto again = b.value()->label({item{kind::classification, "textworld", "quest", "You unlock the cedar chest.", ""}});
  EXPECT_EQ(again[0].lab.value, positive) << "progress itself is still called positive";
}

TEST(ReplayBackend, AnswersOnlyWhatWasRecorded) {
  testing::temp_store recorded;
  {
    auto s = label_store::open(recorded.path);
    label_store::entry e{nh("You kill the newt!"), label{positive, provenance{"openai", "llama", "nethack-v1", 1, false}, ""}, ""};
    ASSERT_TRUE(s.value()->put({e}));
  }
  core::metrics_registry m;
  auto p = prompts();
  auto b = make_backend(annotator_config({"annotator.backend=replay", "annotator.replay_store=" + recorded.path}), p, m);
  ASSERT_TRUE(b) << b.error().message;
  auto out = b.value()->label({nh("You kill the newt!"), nh("Never seen before.")});
  EXPECT_EQ(out[0].result, outcome::labelled);
  EXPECT_EQ(out[0].lab.from.backend, "replay of openai");
  EXPECT_EQ(out[0].lab.from.model, "llama");
  EXPECT_EQ(out[1].result, outcome::unlabelled);
}

TEST(ReplayBackend, NeedsAStoreToReplay) {
  core::metrics_registry m;
  auto p = prompts();
  auto b = make_backend(annotator_config({"annotator.backend=replay"}), p, m);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("annotator.replay_store"), std::string::npos);
}

class OpenAI : public ::testing::Test {
 protected:
  std::unique_ptr<backend> make(const fake_llm& llm, std::vector<std::string> extra = {}) {
    std::vector<std::string> sets = {"annotator.backend=openai", "annotator.openai.model=test-model",
                                     "annotator.openai.base_url=" + llm.base_url(), "annotator.openai.backoff_ms=10",
                                     "annotator.openai.timeout_ms=500", "annotator.openai.breaker_cooldown_ms=60000"};
    sets.insert(sets.end(), extra.begin(), extra.end());
    auto b = make_backend(annotator_config(sets), prompts_, metrics);
    EXPECT_TRUE(b) << b.error().message;
    return std::move(b.value());
  }
  uint64_t counter(const std::string& name) { return metrics.add_counter(name, "").value(); }
  core::metrics_registry metrics;
  std::map<std::string, prompt_set> prompts_ = prompts();
};

TEST_F(OpenAI, AVerboseChatReplyIsLabelledWithProvenance) {
  fake_llm llm([](const nlohmann::json&, int) {
    return behaviour{200, "Let me think. Killing a monster gives experience, which raises the score.\n\nAnswer: yes", 0ms, false};
  });
  auto b = make(llm);
  auto out = b->label({nh("You kill the newt!")});
  ASSERT_EQ(out[0].result, outcome::labelled) << out[0].error;
  EXPECT_EQ(out[0].lab.value, positive);
  EXPECT_EQ(out[0].lab.from.backend, "openai");
  EXPECT_EQ(out[0].lab.from.model, "test-model");
  auto req = nlohmann::json::parse(llm.last_request());
  EXPECT_EQ(req["model"], "test-model");
  EXPECT_EQ(req["messages"][0]["role"], "system");
  EXPECT_NE(req["messages"][1]["content"].get<std::string>().find("\"You kill the newt!\""), std::string::npos);
  EXPECT_EQ(counter("annotator_prompt_tokens_total"), 100u);
  EXPECT_EQ(counter("annotator_completion_tokens_total"), 7u);
}

TEST_F(OpenAI, MalformedRepliesAreErrorsForTheirItemsNeverTheEndOfTheProcess) {
  // Each of these once aborted the process (nlohmann type_error, exit 134) on the completions
  // endpoint; now each is an error answer that names what was wrong.
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"[1, 2, 3]", "is a JSON array, not an object"},
      {"42", "is a JSON number, not an object"},
      {"\"text\"", "is a JSON string, not an object"},
      {"{\"choices\": {\"index\": 0}}", "choices as a object, not an array"},
      {"not json at all", "is not JSON"},
      {std::string(200, '[') + std::string(200, ']'), "nests more than 64 levels"},
  };
  for (const auto& [body, why] : bodies) {
    fake_llm llm([&](const nlohmann::json&, int) {
      behaviour b;
      b.raw_body = body;
      return b;
    });
    auto b = make(llm, {"annotator.openai.endpoint=completions", "annotator.openai.parse_retries=0"});
    auto out = b->label({nh("You kill the newt!"), nh("It's a wall.")});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].result, outcome::error) << body;
    EXPECT_NE(out[0].error.find(why), std::string::npos) << body << " -> " << out[0].error;
  }
  // Choices that are not objects, or with a string index, answer nothing for those prompts: no
  // label (resolved by the no-label policy), and no crash.
  for (const std::string body : {"{\"choices\": [1, \"x\", null]}", "{\"choices\": [{\"index\": \"0\", \"text\": \"Answer: yes\"}]}"}) {
    fake_llm llm([&](const nlohmann::json&, int) {
      behaviour b;
      b.raw_body = body;
      return b;
    });
    auto b = make(llm, {"annotator.openai.endpoint=completions", "annotator.openai.parse_retries=0"});
    auto out = b->label({nh("You kill the newt!")});
    EXPECT_EQ(out[0].result, outcome::labelled) << body;
    EXPECT_TRUE(out[0].lab.from.resolved_by_policy) << body;
  }
}

TEST_F(OpenAI, UsageThatIsNotANumberDoesNotSpoilAValidReply) {
  fake_llm llm([](const nlohmann::json&, int) {
    behaviour b;
    b.raw_body = "{\"usage\": \"lots\", \"choices\": [{\"index\": 0, \"text\": \"Progress.\\nAnswer: yes\"}]}";
    return b;
  });
  auto b = make(llm, {"annotator.openai.endpoint=completions"});
  auto out = b->label({nh("You kill the newt!")});
  ASSERT_EQ(out[0].result, outcome::labelled) << out[0].error;
  EXPECT_EQ(out[0].lab.value, positive);
  EXPECT_FALSE(out[0].lab.from.resolved_by_policy);
}

TEST_F(OpenAI, AServerThatTricklesBytesCannotHoldACallBeyondItsTimeout) {
  // One byte every 100 ms for 100,000 bytes: every read succeeds, so only a deadline on the
  // whole call ends it. timeout_ms is 500; the bound checked here is generous (not a speed test).
  fake_llm llm([](const nlohmann::json&, int) {
    behaviour b;
    b.trickle = 100ms;
    return b;
  });
  auto b = make(llm, {"annotator.openai.retries=0"});
  const auto t0 = std::chrono::steady_clock::now();
  auto out = b->label({nh("You kill the newt!")});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(out[0].result, outcome::error);
  EXPECT_NE(out[0].error.find("took longer than 500 ms"), std::string::npos) << out[0].error;
  EXPECT_LT(took, 10s) << "the trickle would last hours";
}

TEST_F(OpenAI, AReplyLongerThanTheLimitIsAnError) {
  fake_llm llm([](const nlohmann::json&, int) {
    behaviour b;
    b.raw_body = "{\"choices\": [{\"index\": 0, \"text\": \"" + std::string(50000, 'x') + "\"}]}";
    return b;
  });
  auto b = make(llm, {"annotator.openai.endpoint=completions", "annotator.openai.max_reply_bytes=4096"});
  auto out = b->label({nh("You kill the newt!")});
  EXPECT_EQ(out[0].result, outcome::error);
  EXPECT_NE(out[0].error.find("longer than 4096 bytes"), std::string::npos) << out[0].error;
}

TEST_F(OpenAI, TheApiKeyComesFromTheNamedEnvironmentVariable) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{}; });
  ::setenv("LANTERN_TEST_KEY", "sk-test-123", 1);
  auto b = make(llm, {"annotator.openai.api_key_env=LANTERN_TEST_KEY"});
  b->label({nh("x")});
  EXPECT_EQ(llm.saw_auth(), "Bearer sk-test-123");
}

TEST_F(OpenAI, CompletionsCarryManyPromptsPerCall) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: no", 0ms, false}; });
  auto b = make(llm, {"annotator.openai.endpoint=completions", "annotator.openai.batch_size=8"});
  std::vector<item> items;
  for (int i = 0; i < 20; ++i) items.push_back(nh("message " + std::to_string(i)));
  auto out = b->label(items);
  EXPECT_EQ(llm.calls(), 3);  // 8 + 8 + 4
  for (const auto& a : out) EXPECT_EQ(a.lab.value, negative);
}

TEST_F(OpenAI, AReplyWithNoLabelIsAskedAgainThenResolvedByPolicy) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "I'd rather not say.", 0ms, false}; });
  auto b = make(llm, {"annotator.openai.parse_retries=2"});
  auto out = b->label({nh("You hear someone counting money."),
                       item{kind::ranking, "nethack", "default", "a", "b"}});
  EXPECT_EQ(llm.calls(), 6);  // 2 items x (1 + 2 retries)
  EXPECT_EQ(counter("annotator_parse_failures_total"), 6u);
  ASSERT_EQ(out[0].result, outcome::labelled);
  EXPECT_EQ(out[0].lab.value, negative);
  EXPECT_TRUE(out[0].lab.from.resolved_by_policy);
  EXPECT_EQ(out[0].lab.raw_reply, "I'd rather not say.");
  EXPECT_EQ(out[1].lab.value, tie);

  auto skip = make(llm, {"annotator.openai.parse_retries=0", "annotator.openai.no_label_policy=skip"});
  auto s = skip->label({nh("x")});
  EXPECT_EQ(s[0].result, outcome::unlabelled);
}

TEST_F(OpenAI, ServerErrorsAreRetriedWithBackoffAndRecover) {
  fake_llm llm([](const nlohmann::json&, int call) {
    return call < 2 ? behaviour{500, "", 0ms, false} : behaviour{200, "Answer: yes", 0ms, false};
  });
  auto b = make(llm, {"annotator.openai.retries=3"});
  auto out = b->label({nh("You kill the newt!")});
  EXPECT_EQ(out[0].result, outcome::labelled) << out[0].error;
  EXPECT_EQ(llm.calls(), 3);
  EXPECT_EQ(counter("annotator_backend_retries_total"), 2u);
}

TEST_F(OpenAI, ASlowReplyTimesOutAndIsReportedAfterTheRetries) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: yes", 1500ms, false}; });
  auto b = make(llm, {"annotator.openai.timeout_ms=200", "annotator.openai.retries=1"});
  auto out = b->label({nh("You kill the newt!")});
  EXPECT_EQ(out[0].result, outcome::error);
  EXPECT_NE(out[0].error.find("after 2 attempts"), std::string::npos) << out[0].error;
  EXPECT_NE(out[0].error.find("Read"), std::string::npos) << "a read timeout, not a server answer: " << out[0].error;
  EXPECT_EQ(llm.calls(), 2);
}

TEST_F(OpenAI, ACutConnectionIsRetried) {
  fake_llm llm([](const nlohmann::json&, int call) {
    behaviour b;
    b.cut = call == 0;
    return b;
  });
  auto b = make(llm);
  auto out = b->label({nh("You kill the newt!")});
  EXPECT_EQ(out[0].result, outcome::labelled) << out[0].error;
  EXPECT_GE(llm.calls(), 2);
}

TEST_F(OpenAI, ADeadServerOpensTheCircuitBreaker) {
  int port;
  {
    fake_llm gone([](const nlohmann::json&, int) { return behaviour{}; });
    port = gone.port();
  }  // nothing listens there any more
  auto b = make_backend(annotator_config({"annotator.backend=openai", "annotator.openai.model=m",
                                          "annotator.openai.base_url=http://127.0.0.1:" + std::to_string(port) + "/v1",
                                          "annotator.openai.retries=0", "annotator.openai.breaker_failures=2",
                                          "annotator.openai.concurrency=1"}),
                        prompts_, metrics);
  ASSERT_TRUE(b);
  auto out = b.value()->label({nh("a"), nh("b")});
  EXPECT_EQ(out[0].result, outcome::error);
  EXPECT_EQ(counter("annotator_backend_failures_total"), 2u);
  auto refused = b.value()->label({nh("c")});
  EXPECT_EQ(refused[0].result, outcome::error);
  EXPECT_NE(refused[0].error.find("circuit breaker open"), std::string::npos) << refused[0].error;
  EXPECT_EQ(counter("annotator_backend_calls_total"), 2u) << "an open breaker makes no call";
}

TEST_F(OpenAI, ManyConcurrentChatCallsAllComeBack) {
  fake_llm llm([](const nlohmann::json& req, int) {
    std::string user = req["messages"][1]["content"];
    return behaviour{200, user.find("You kill it #") != std::string::npos ? "Answer: yes" : "Answer: no", 20ms, false};
  });
  auto b = make(llm, {"annotator.openai.concurrency=8"});
  std::vector<item> items;
  for (int i = 0; i < 32; ++i) items.push_back(nh(i % 2 ? "You kill it #" + std::to_string(i) : "A wall #" + std::to_string(i)));
  auto out = b->label(items);
  EXPECT_GT(llm.max_in_flight(), 1) << "chat calls must overlap";
  EXPECT_LE(llm.max_in_flight(), 8) << "at most `concurrency` at once";
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[static_cast<size_t>(i)].lab.value, i % 2 ? positive : negative);
}

TEST(FlippingBackend, FlipsAFixedShareOfItemsTheSameWayEveryTime) {
  core::metrics_registry m;
  auto p = prompts();
  std::vector<item> items;
  for (int i = 0; i < 2000; ++i)
    items.push_back(nh(i % 2 ? "You kill the newt number " + std::to_string(i) + "!" : "It's a wall " + std::to_string(i)));
  auto clean = make_backend(annotator_config({}), p, m).value()->label(items);
  for (double fraction : {0.0, 0.2, 0.4, 1.0}) {
    auto b = make_backend(annotator_config({"annotator.flip_fraction=" + std::to_string(fraction)}), p, m);
    ASSERT_TRUE(b) << b.error().message;
    auto once = b.value()->label(items), again = b.value()->label(items);
    int flipped = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      ASSERT_EQ(once[i].result, outcome::labelled);
      flipped += once[i].lab.value != clean[i].lab.value;
      EXPECT_EQ(once[i].lab.value, again[i].lab.value) << "a caption is flipped always or never";
    }
    EXPECT_NEAR(flipped / 2000.0, fraction, 0.03) << "fraction " << fraction;
    if (fraction > 0) {
      EXPECT_NE(b.value()->source(), "rules:rules-v2") << "flipped labels are not stored as the rules' own";
      EXPECT_NE(once[0].lab.from.backend.find("flipped"), std::string::npos) << once[0].lab.from.backend;
    }
  }
  // Ranking: first and second swap, a tie stays a tie.
  auto b = make_backend(annotator_config({"annotator.flip_fraction=1"}), p, m);
  auto r = b.value()->label({item{kind::ranking, "nethack", "descend", "You hear a door open.",
                                  "There is a staircase down here."},
                             item{kind::ranking, "nethack", "descend", "You hear a door open.", "You hear a door open!"}});
  EXPECT_EQ(r[0].lab.value, first);
  EXPECT_EQ(r[1].lab.value, tie);
}

}  // namespace
}  // namespace lantern::annotators
