#include "annotators/service.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "annotators/client.hpp"
#include "annotators/helpers.hpp"
#include "annotators/wire.hpp"
#include "core/rng.hpp"
#include "fake_llm.hpp"

namespace lantern::annotators {
namespace {

using testing::annotator_config;
using testing::behaviour;
using testing::fake_llm;
using namespace std::chrono_literals;

item nh(const std::string& caption) { return item{kind::classification, "nethack", "default", caption, ""}; }

class Service : public ::testing::Test {
 protected:
  std::unique_ptr<annotator_service> start(std::vector<std::string> sets) {
    sets.push_back("annotator.store=" + store.path);
    auto s = annotator_service::start(annotator_config(sets), "tcp://127.0.0.1:0", ctx, metrics);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(s.value());
  }
  std::vector<std::string> openai(const fake_llm& llm) {
    return {"annotator.backend=openai", "annotator.openai.model=m", "annotator.openai.base_url=" + llm.base_url(),
            "annotator.openai.backoff_ms=10"};
  }
  uint64_t counter(const std::string& name) { return metrics.add_counter(name, "").value(); }
  testing::temp_store store;
  zmq::context_t ctx;
  core::metrics_registry metrics;
};

TEST_F(Service, LabelsThenAnswersTheSameCaptionFromTheStore) {
  auto svc = start({});
  annotator_client c(ctx, svc->endpoint());
  auto first_answer = c.annotate({nh("You kill the newt!")}, 5s);
  ASSERT_TRUE(first_answer) << first_answer.error().message;
  EXPECT_EQ(first_answer.value()[0].lab.value, positive);
  EXPECT_EQ(first_answer.value()[0].lab.from.prompt_version, "nethack-v1");
  EXPECT_EQ(counter("annotator_store_hits_total"), 0u);
  auto again = c.annotate({nh("You kill the newt!")}, 5s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value()[0].lab.value, positive);
  EXPECT_EQ(counter("annotator_store_hits_total"), 1u);
  EXPECT_EQ(svc->store().size(), 1u);
}

TEST_F(Service, TheSameCaptionAskedTwiceInFlightCostsOneBackendCall) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: yes", 300ms, false}; });
  auto svc = start(openai(llm));
  annotator_client a(ctx, svc->endpoint()), b(ctx, svc->endpoint());
  a.submit({nh("You kill the newt!")}, 5s);
  std::this_thread::sleep_for(50ms);
  b.submit({nh("You kill the newt!")}, 5s);
  std::vector<annotator_client::completed> got;
  for (int i = 0; i < 200 && got.size() < 2; ++i) {
    for (auto& x : a.poll(10ms)) got.push_back(x);
    for (auto& x : b.poll(10ms)) got.push_back(x);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].answers[0].lab.value, positive);
  EXPECT_EQ(got[1].answers[0].lab.value, positive);
  EXPECT_EQ(llm.calls(), 1);
}

TEST_F(Service, APassedDeadlineAnswersUnlabelledAndTheLabelIsStoredAnyway) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: no", 400ms, false}; });
  auto svc = start(openai(llm));
  annotator_client c(ctx, svc->endpoint());
  auto late = c.annotate({nh("It's a wall.")}, 100ms);
  ASSERT_TRUE(late);
  EXPECT_EQ(late.value()[0].result, outcome::unlabelled);
  EXPECT_NE(late.value()[0].error.find("deadline passed"), std::string::npos);
  for (int i = 0; i < 100 && svc->store().size() == 0; ++i) std::this_thread::sleep_for(10ms);
  auto later = c.annotate({nh("It's a wall.")}, 1s);
  ASSERT_TRUE(later);
  EXPECT_EQ(later.value()[0].result, outcome::labelled);
  EXPECT_EQ(llm.calls(), 1);
}

TEST_F(Service, AFullQueueRefusesNewCaptionsAsBusy) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: no", 200ms, false}; });
  auto sets = openai(llm);
  sets.push_back("annotator.queue_limit=4");
  sets.push_back("annotator.openai.concurrency=1");
  auto svc = start(sets);
  annotator_client c(ctx, svc->endpoint());
  std::vector<item> many;
  for (int i = 0; i < 12; ++i) many.push_back(nh("caption " + std::to_string(i)));
  auto out = c.annotate(many, 50ms);
  ASSERT_TRUE(out);
  int busy = 0;
  for (const auto& a : out.value()) busy += a.error.rfind("busy", 0) == 0;
  EXPECT_GE(busy, 8);
  EXPECT_GE(counter("annotator_busy_rejections_total"), 8u);
}

TEST_F(Service, AnUnknownGoalIsAnErrorForThatItemOnlyAndANewDomainTakesItsGoalAsText) {
  auto svc = start({});
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({item{kind::classification, "chess", "win the game", "You take the queen.", ""},
                         item{kind::classification, "nethack", "fame", "x", ""}, nh("You kill the newt!")}, 5s);
  ASSERT_TRUE(out);
  // chess has no prompt file: the generic prompts take the goal as text, and the rules backend
  // says which rules to write.
  EXPECT_EQ(out.value()[0].result, outcome::error);
  EXPECT_NE(out.value()[0].error.find("no rules for domain 'chess'"), std::string::npos) << out.value()[0].error;
  EXPECT_NE(out.value()[0].error.find("[[chess.any]]"), std::string::npos);
  EXPECT_EQ(out.value()[1].error, "unknown goal 'fame' for nethack");
  EXPECT_EQ(out.value()[2].result, outcome::labelled);
  EXPECT_TRUE(svc->check("chess", "win the game").error().message.find("annotator.rules_file") != std::string::npos);
  EXPECT_TRUE(svc->check("nethack", "default"));
  EXPECT_FALSE(svc->check("nethack", "fame"));
}

TEST_F(Service, ANewDomainIsJudgedByAnLlmWithTheGenericPromptsAndItsGoalText) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: yes", 0ms, false}; });
  auto svc = start(openai(llm));
  EXPECT_TRUE(svc->check("grid-world", "reach the goal square"));
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({item{kind::classification, "grid-world", "reach the goal square", "You reach the goal!", ""}}, 5s);
  ASSERT_TRUE(out);
  ASSERT_EQ(out.value()[0].result, outcome::labelled) << out.value()[0].error;
  EXPECT_EQ(out.value()[0].lab.from.prompt_version, "generic-v1");
  auto req = nlohmann::json::parse(llm.last_request());
  const std::string user = req["messages"][1]["content"];
  EXPECT_NE(user.find("Goal: reach the goal square"), std::string::npos) << user;
  EXPECT_NE(user.find("\"You reach the goal!\""), std::string::npos) << user;
}

TEST_F(Service, MalformedAndRandomFramesGetAnErrorReplyAndServingGoesOn) {
  auto svc = start({});
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(svc->endpoint());
  core::pcg32 rng(7);
  int errors = 0;
  for (int i = 0; i < 300; ++i) {
    std::string junk(rng.below(100), '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng.next());
    if (i % 3 == 0 && junk.size() > 6) junk.replace(0, 6, std::string("LNAN\x01\x01", 6));  // a plausible header
    raw.send(zmq::buffer(junk), zmq::send_flags::none);
    zmq::message_t m;
    zmq::pollitem_t it{static_cast<void*>(raw), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&it, 1, 2000ms) > 0 && raw.recv(m)) {
      auto r = wire::decode_reply(m.to_string_view());
      ASSERT_TRUE(r) << r.error().message;
      errors += r->type == wire::msg::error_reply;
    }
  }
  EXPECT_EQ(errors, 300);
  EXPECT_EQ(counter("annotator_malformed_requests_total"), 300u);
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({nh("You kill the newt!")}, 5s);
  ASSERT_TRUE(out) << "the service must keep serving";
  EXPECT_EQ(out.value()[0].result, outcome::labelled);
}

TEST_F(Service, ManyClientsOneService) {
  auto svc = start({});
  std::vector<std::thread> threads;
  std::atomic<int> labelled{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      annotator_client c(ctx, svc->endpoint());
      for (int i = 0; i < 25; ++i) {
        auto out = c.annotate({nh("You kill monster " + std::to_string(i % 10)), nh("client " + std::to_string(t))}, 5s);
        if (out && out.value()[0].result == outcome::labelled && out.value()[1].result == outcome::labelled) ++labelled;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(labelled.load(), 200);
  EXPECT_EQ(svc->store().size(), 18u);  // 10 shared captions + 8 per-client ones
}

TEST_F(Service, StatsReportTheMetrics) {
  auto svc = start({});
  annotator_client c(ctx, svc->endpoint());
  ASSERT_TRUE(c.annotate({nh("a")}, 5s));
  auto s = c.stats(2s);
  ASSERT_TRUE(s) << s.error().message;
  auto j = nlohmann::json::parse(s.value());
  EXPECT_EQ(j["annotator_requests_total"], 1);
  EXPECT_EQ(j["labels_stored"], 1);
}

TEST_F(Service, ARequestReceivedTwiceWhileOpenIsAnsweredOnce) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: yes", 300ms, false}; });
  auto svc = start(openai(llm));
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(svc->endpoint());
  wire::request r;
  r.type = wire::msg::annotate;
  r.id = 42;
  r.deadline_ms = 5000;
  r.items = {nh("You kill the newt!"), nh("You find a hidden door.")};
  const std::string bytes = wire::encode_request(r);
  for (int i = 0; i < 5; ++i) raw.send(zmq::buffer(bytes), zmq::send_flags::none);  // a client resending
  int replies = 0;
  for (auto until = std::chrono::steady_clock::now() + 1500ms; std::chrono::steady_clock::now() < until;) {
    zmq::pollitem_t it{static_cast<void*>(raw), 0, ZMQ_POLLIN, 0};
    zmq::message_t m;
    if (zmq::poll(&it, 1, 50ms) > 0 && raw.recv(m)) {
      auto rep = wire::decode_reply(m.to_string_view());
      ASSERT_TRUE(rep);
      EXPECT_EQ(rep->id, 42u);
      ++replies;
    }
  }
  EXPECT_EQ(replies, 1) << "one answer, however often the request came";
  EXPECT_EQ(counter("annotator_duplicate_requests_total"), 4u);
  EXPECT_EQ(counter("annotator_requests_total"), 1u);
}

TEST_F(Service, AnOldCaptionIsNotStarvedByAStreamOfNewerOnes) {
  // The backend takes 30 ms per call, one caption at a time; new captions arrive faster than
  // that, and the queue serves the newest first. The old caption still gets its label, once it
  // has waited annotator.max_queue_age_ms.
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: yes", 30ms, false}; });
  auto sets = openai(llm);
  sets.push_back("annotator.openai.concurrency=1");
  sets.push_back("annotator.max_queue_age_ms=300");
  auto svc = start(sets);
  annotator_client c(ctx, svc->endpoint());
  c.submit({nh("keeps the backend busy"), nh("and so does this")}, 20s);
  std::this_thread::sleep_for(10ms);
  const uint64_t old_id = c.submit({nh("the oldest caption")}, 20s);
  bool old_labelled = false;
  int n = 0;
  for (auto until = std::chrono::steady_clock::now() + 3s; std::chrono::steady_clock::now() < until && !old_labelled;) {
    for (int k = 0; k < 3; ++k) c.submit({nh("new caption " + std::to_string(n++))}, 20s);
    for (auto& done : c.poll(10ms))
      if (done.id == old_id) old_labelled = done.answers[0].result == outcome::labelled;
  }
  EXPECT_TRUE(old_labelled) << "starved behind " << n << " newer captions";
  EXPECT_GE(counter("annotator_aged_items_total"), 1u);
}

TEST_F(Service, LabelsAnotherBackendMadeAnswerOnlyWhenReuseIsAskedFor) {
  {
    auto rules = start({});  // the rules backend labels the newt positive
    annotator_client c(ctx, rules->endpoint());
    ASSERT_TRUE(c.annotate({nh("You kill the newt!")}, 5s));
  }
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: no", 0ms, false}; });
  {
    auto svc = start(openai(llm));
    annotator_client c(ctx, svc->endpoint());
    auto out = c.annotate({nh("You kill the newt!")}, 5s);
    ASSERT_TRUE(out);
    EXPECT_EQ(out.value()[0].lab.from.backend, "openai") << "an LLM run is not answered with the rules' labels";
    EXPECT_EQ(out.value()[0].lab.value, negative);
    EXPECT_EQ(llm.calls(), 1);
  }
  auto sets = openai(llm);
  sets.push_back("annotator.reuse_labels_from=rules");
  auto svc = start(sets);
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({nh("You kill the newt!"), nh("You see a fountain.")}, 5s);
  ASSERT_TRUE(out);
  // Its own label comes first; the rules' label answers only where it has none.
  EXPECT_EQ(out.value()[0].lab.from.backend, "openai");
  EXPECT_EQ(llm.calls(), 2) << "the fountain, which nobody had labelled";
  EXPECT_EQ(counter("annotator_reused_labels_total"), 0u);
}

TEST_F(Service, ReusedLabelsKeepTheirProvenance) {
  {
    auto rules = start({});
    annotator_client c(ctx, rules->endpoint());
    ASSERT_TRUE(c.annotate({nh("You kill the newt!")}, 5s));
  }
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: no", 0ms, false}; });
  auto sets = openai(llm);
  sets.push_back("annotator.reuse_labels_from=rules");
  auto svc = start(sets);
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({nh("You kill the newt!")}, 5s);
  ASSERT_TRUE(out);
  EXPECT_EQ(out.value()[0].lab.from.backend, "rules (heuristic)");
  EXPECT_EQ(out.value()[0].lab.value, positive);
  EXPECT_EQ(llm.calls(), 0);
  EXPECT_EQ(counter("annotator_reused_labels_total"), 1u);
}

TEST_F(Service, ALongCaptionIsCutBeforeItIsLabelledAndCounted) {
  auto svc = start({"annotator.max_caption_bytes=64"});
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({nh("You kill the newt! " + std::string(8 << 20, 'x'))}, 10s);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out.value()[0].result, outcome::labelled);
  EXPECT_EQ(counter("annotator_truncated_captions_total"), 1u);
}

TEST_F(Service, ARequestWithTooManyItemsIsRefusedWhole) {
  auto svc = start({"annotator.max_request_items=8"});
  annotator_client c(ctx, svc->endpoint());
  std::vector<item> many;
  for (int i = 0; i < 9; ++i) many.push_back(nh("caption " + std::to_string(i)));
  c.submit(many, 5s);
  for (int i = 0; i < 100 && c.errors().empty(); ++i) c.poll(20ms);
  ASSERT_EQ(c.errors().size(), 1u);
  EXPECT_NE(c.errors()[0].find("at most 8 (annotator.max_request_items)"), std::string::npos) << c.errors()[0];
  auto ok = c.annotate({nh("You kill the newt!")}, 5s);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value()[0].result, outcome::labelled);
}

TEST_F(Service, AMessageLargerThanTheLimitIsDroppedBeforeItIsReadAndServingGoesOn) {
  auto svc = start({"annotator.max_message_bytes=65536"});
  {
    zmq::socket_t raw(ctx, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 0);
    raw.connect(svc->endpoint());
    raw.send(zmq::buffer(std::string(1 << 20, 'x')), zmq::send_flags::none);  // 1 MB
    zmq::pollitem_t it{static_cast<void*>(raw), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq::poll(&it, 1, 500ms), 0) << "nothing is read, nothing is answered";
  }
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({nh("You kill the newt!")}, 5s);
  ASSERT_TRUE(out) << "the service must keep serving";
  EXPECT_EQ(out.value()[0].result, outcome::labelled);
  EXPECT_EQ(counter("annotator_malformed_requests_total"), 0u) << "the oversized message never reached the decoder";
}

TEST_F(Service, StoppingEndsACallInFlightInsteadOfWaitingForItsTimeout) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, "Answer: yes", 60000ms, false}; });
  auto sets = openai(llm);
  sets.push_back("annotator.openai.timeout_ms=120000");
  auto svc = start(sets);
  annotator_client c(ctx, svc->endpoint());
  c.submit({nh("You kill the newt!")}, 60s);
  for (int i = 0; i < 200 && llm.calls() == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(llm.calls(), 1);
  const auto t0 = std::chrono::steady_clock::now();
  svc->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s) << "the call would have held stop() for a minute";
}

TEST_F(Service, AnUnparsableLlmReplyIsStoredCutToTheLimit) {
  fake_llm llm([](const nlohmann::json&, int) { return behaviour{200, std::string(100000, 'z'), 0ms, false}; });
  auto sets = openai(llm);
  sets.push_back("annotator.max_stored_reply_bytes=1000");
  sets.push_back("annotator.openai.parse_retries=0");
  auto svc = start(sets);
  annotator_client c(ctx, svc->endpoint());
  auto out = c.annotate({nh("It is a wall.")}, 5s);
  ASSERT_TRUE(out);
  ASSERT_EQ(out.value()[0].result, outcome::labelled);
  EXPECT_TRUE(out.value()[0].lab.from.resolved_by_policy);
  std::stringstream dump;
  ASSERT_TRUE(svc->store().export_jsonl(dump));
  auto row = nlohmann::json::parse(dump.str().substr(0, dump.str().find('\n')));
  const std::string raw = row["raw_reply"];
  EXPECT_LT(raw.size(), 1100u);
  EXPECT_NE(raw.find("99000 more bytes not kept"), std::string::npos) << raw.substr(990);
}

TEST_F(Service, AClientOfADeadEndpointTimesOutWithAClearError) {
  annotator_client c(ctx, "tcp://127.0.0.1:9");
  auto out = c.annotate({nh("x")}, 200ms);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("did not answer within 200 ms"), std::string::npos);
}

}  // namespace
}  // namespace lantern::annotators
