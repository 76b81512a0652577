// The external env against real server processes: the Python example (docs/examples/env_server.py)
// and a misbehaving one (tests/envs/bad_env_server.py), over ZeroMQ ipc endpoints.
#include "envs/external/external_env.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/rng.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"

extern char** environ;

namespace lantern::envs {
namespace {

using namespace std::chrono_literals;

std::string source_dir() { return LANTERN_SOURCE_DIR; }

/// A server process, killed (SIGKILL) and reaped at the end of the test.
class server {
 public:
  explicit server(std::vector<std::string> args) {
    static int counter = 0;
    endpoint_ = "ipc:///tmp/lantern-env-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    args.insert(args.begin(), "/usr/bin/python3");
    args.push_back("--bind");
    args.push_back(endpoint_);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  }
  ~server() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::unlink(endpoint_.substr(6).c_str());
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
};

server example(bool with_array = false) {
  std::vector<std::string> args{source_dir() + "/docs/examples/env_server.py"};
  if (with_array) args.push_back("--with-array");
  return server(args);
}

server bad(const std::string& mode, int after) {
  return server({source_dir() + "/tests/envs/bad_env_server.py", "--mode", mode, "--after", std::to_string(after)});
}

int index_of(const core::obs_batch& b, const std::string& command) {
  const auto& c = b.candidates[0];
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i] == command) return static_cast<int>(i);
  return -1;
}

TEST(ExternalEnv, PlaysThePythonExampleToAWin) {
  auto srv = example();
  auto env = external_env::connect(srv.endpoint(), 10s);
  ASSERT_TRUE(env) << env.error().message;
  const auto& spec = env.value()->spec();
  EXPECT_EQ(spec.name, "vault");
  EXPECT_TRUE(spec.layout.has_text);
  EXPECT_TRUE(spec.layout.has_caption);
  EXPECT_EQ(spec.layout.actions, core::action_kind::text);
  EXPECT_EQ(spec.max_episode_steps, 30);
  core::obs_batch b(spec.layout, 1);
  env.value()->reset(42, slot(b, 0));
  ASSERT_EQ(b.candidates[0].size(), 8u);
  EXPECT_NE(b.text[0].find("A "), std::string::npos);
  for (const char* cmd : {"take key", "unlock chest", "open chest"}) {
    const int i = index_of(b, cmd);
    ASSERT_GE(i, 0) << cmd;
    env.value()->step(action::pick(i), slot(b, 0));
  }
  EXPECT_EQ(b.caption[0], "You open the chest. A gem glitters inside!");
  EXPECT_EQ(b.reward[0], 1.0f);
  EXPECT_TRUE(b.terminated[0]);
  EXPECT_TRUE(b.success[0]);
}

TEST(ExternalEnv, TheSameSeedGivesTheSameEpisode) {
  auto srv = example();
  auto a = external_env::connect(srv.endpoint(), 10s);
  auto b = external_env::connect(srv.endpoint(), 10s);  // two connections: two games on one server
  ASSERT_TRUE(a && b);
  core::obs_batch x(a.value()->spec().layout, 1), y(b.value()->spec().layout, 1);
  a.value()->reset(7, slot(x, 0));
  b.value()->reset(7, slot(y, 0));
  EXPECT_EQ(x.text[0], y.text[0]);
  EXPECT_EQ(x.candidates[0], y.candidates[0]);
  b.value()->reset(8, slot(y, 0));
  a.value()->step(action::pick(0), slot(x, 0));
  EXPECT_FALSE(x.candidates[0] == y.candidates[0] && x.text[0] == y.text[0]);
}

TEST(ExternalEnv, ArraysCrossAsRawLittleEndianFrames) {
  auto srv = example(/*with_array=*/true);
  auto env = external_env::connect(srv.endpoint(), 10s);
  ASSERT_TRUE(env) << env.error().message;
  const auto& layout = env.value()->spec().layout;
  ASSERT_EQ(layout.arrays.size(), 1u);
  EXPECT_EQ(core::describe(layout), "progress f32[3], text, caption, text actions");
  core::obs_batch b(layout, 1);
  env.value()->reset(1, slot(b, 0));
  env.value()->step(action::say("take key"), slot(b, 0));  // a free-text command
  const float* p = b.array<float>(0, 0);
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[1], 0.0f);
  EXPECT_EQ(p[2], 0.0f);
}

TEST(ExternalEnv, RunsInAVectorEnvThroughTheRegistry) {
  auto srv = example();
  env_registry reg;
  register_builtin_envs(reg);
  core::schema s;
  reg.add_options(s);
  auto cfg = core::config::load(s, "", {"env.external.endpoint=" + srv.endpoint()});
  ASSERT_TRUE(cfg);
  auto vec = vector_env::create(reg, "external", *cfg, 4, 3);
  ASSERT_TRUE(vec) << vec.error().message;
  vec->reset();
  core::pcg32 rng(5);
  std::vector<int32_t> actions(4);
  for (int t = 0; t < 300; ++t) {
    for (auto& a : actions) a = static_cast<int32_t>(rng.below(8));
    vec->step(actions);
  }
  EXPECT_GT(vec->total_episodes(), 0u);  // 30-step limit: at least 40 episodes end in 1,200 steps
}

vector_env external_vector(const std::string& endpoint, size_t n) {
  env_registry reg;
  register_builtin_envs(reg);
  core::schema s;
  reg.add_options(s);
  auto cfg = core::config::load(s, "", {"env.external.endpoint=" + endpoint});
  EXPECT_TRUE(cfg);
  auto vec = vector_env::create(reg, "external", *cfg, n, 3);
  EXPECT_TRUE(vec) << vec.error().message;
  return std::move(vec.value());
}

TEST(ExternalEnv, AVectorOfEnvsHasEveryStepRequestInFlightAtOnce) {
  // The server reads everything already waiting before it answers and reports how many step
  // requests that was. Stepped one env after another (the first release), it was always 1.
  auto srv = bad("batch", 0);
  auto vec = external_vector(srv.endpoint(), 8);
  vec.reset();
  int most = 0;
  for (int t = 0; t < 10; ++t) {
    const auto& b = vec.step(std::vector<int32_t>(8, 1));
    for (const auto& c : b.caption) most = std::max(most, std::stoi(c.substr(c.rfind(' ') + 1)));
  }
  EXPECT_EQ(most, 8) << "the runner's 8 step requests should all be on the wire before it waits";
}

TEST(ExternalEnv, LanternCutsAnEpisodeAtTheSpecsStepLimitWhateverTheServerSays) {
  auto srv = bad("no-limit", 0);
  auto vec = external_vector(srv.endpoint(), 1);
  vec.reset();
  for (int t = 0; t < 5; ++t) vec.step(std::vector<int32_t>{1});  // never the winning sequence by index 1 alone
  auto eps = vec.drain_finished();
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_TRUE(eps[0].truncated);
  EXPECT_EQ(eps[0].length, 5);
}

TEST(ExternalEnv, NoServerIsAClearErrorAfterTheDeadline) {
  auto e = external_env::connect("ipc:///tmp/lantern-nobody-listens-here", 300ms);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            "external env at ipc:///tmp/lantern-nobody-listens-here: no answer to hello within 300 ms");
}

TEST(ExternalEnv, AnotherProtocolVersionIsRefused) {
  auto srv = bad("version", 0);
  auto e = external_env::connect(srv.endpoint(), 10s);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("expected a hello answer with version 1"), std::string::npos) << e.error().message;
}

// After `after` good steps, step must throw with a message naming the endpoint and the fault.
void expect_step_fails(const std::string& mode, const std::string& message) {
  auto srv = bad(mode, 2);
  auto warm = external_env::connect(srv.endpoint(), 10s);  // waits for the interpreter to start
  ASSERT_TRUE(warm) << warm.error().message;
  auto timeout_env = external_env::connect(srv.endpoint(), 500ms);
  ASSERT_TRUE(timeout_env);
  auto& e = *timeout_env.value();
  core::obs_batch b(e.spec().layout, 1);
  e.reset(1, slot(b, 0));
  e.step(action::pick(0), slot(b, 0));
  e.step(action::pick(0), slot(b, 0));
  try {
    e.step(action::pick(0), slot(b, 0));
    FAIL() << "the third step should have failed (" << mode << ")";
  } catch (const std::runtime_error& x) {
    EXPECT_NE(std::string(x.what()).find("external env at " + srv.endpoint() + ": step: "), std::string::npos);
    EXPECT_NE(std::string(x.what()).find(message), std::string::npos) << x.what();
  }
}

TEST(ExternalEnv, GarbageIsAnError) { expect_step_fails("garbage", "garbage answer to step: not a JSON object"); }
TEST(ExternalEnv, AHungServerMissesItsDeadline) { expect_step_fails("hang", "no answer to step within 500 ms"); }
TEST(ExternalEnv, ACrashedServerMissesItsDeadline) { expect_step_fails("crash", "no answer to step within 500 ms"); }
TEST(ExternalEnv, AWrongSizedArrayIsAnError) {
  expect_step_fails("short-array", "array 'progress' has 2 bytes, the spec says 12");
}

}  // namespace
}  // namespace lantern::envs

namespace lantern::envs {
namespace {

std::string spec_with(const std::string& arrays, const std::string& actions = "\"actions\": \"discrete\", \"num_actions\": 4") {
  return "{\"name\": \"hostile\", \"layout\": {\"arrays\": [" + arrays + "], " + actions + "}}";
}

TEST(ExternalSpec, DeclaredSizesAreBoundedAndMultipliedWithoutOverflow) {
  // 2^32 x 2^32 u8 overflowed to 0 bytes and was accepted; 2^24 x 2^24 gave a bare bad_alloc.
  auto overflow = parse_external_spec(spec_with(R"({"name": "big", "dtype": "u8", "shape": [4294967296, 4294967296]})"));
  ASSERT_FALSE(overflow);
  EXPECT_NE(overflow.error().message.find("array 'big' is larger than"), std::string::npos) << overflow.error().message;
  auto huge = parse_external_spec(spec_with(R"({"name": "screen", "dtype": "f32", "shape": [16777216, 16777216]})"));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("array 'screen'"), std::string::npos);
  auto together = parse_external_spec(spec_with(R"({"name": "a", "dtype": "u8", "shape": [40000000]},
                                                   {"name": "b", "dtype": "u8", "shape": [40000000]})"));
  ASSERT_FALSE(together);
  EXPECT_NE(together.error().message.find("together"), std::string::npos);
  for (const char* bad : {R"({"name": "x", "dtype": "u8", "shape": [0]})", R"({"name": "x", "dtype": "u8", "shape": [-3]})",
                          R"({"name": "x", "dtype": "u8", "shape": [2.5]})", R"({"name": "x", "dtype": "u8", "shape": []})",
                          R"({"name": "x", "dtype": "u8", "shape": "24x80"})", R"({"name": "x", "dtype": "f64", "shape": [2]})",
                          R"({"name": 7, "dtype": "u8", "shape": [2]})", R"([1, 2])"})
    EXPECT_FALSE(parse_external_spec(spec_with(bad))) << bad;
  auto ok = parse_external_spec(spec_with(R"({"name": "grid", "dtype": "u8", "shape": [9, 9]})"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->layout.arrays[0].bytes(), 81u);
}

TEST(ExternalSpec, AnActionCountThatIsNotASmallIntegerIsNamed) {
  // num_actions 10^30 gave a misleading error; a float or a string must not be read as a number.
  for (const char* n : {"1e30", "100000000000000000000", "4.5", "\"four\"", "-2"}) {
    auto r = parse_external_spec(spec_with("", std::string("\"actions\": \"discrete\", \"num_actions\": ") + n));
    ASSERT_FALSE(r) << n;
    EXPECT_NE(r.error().message.find("num_actions"), std::string::npos) << n << ": " << r.error().message;
  }
}

TEST(ExternalSpec, EveryFieldOfAnObservationIsCheckedBeforeTheSlotIsWritten) {
  auto spec = parse_external_spec(
      R"({"name": "t", "layout": {"arrays": [{"name": "pos", "dtype": "f32", "shape": [2]}], "text": true,
          "caption": true, "actions": "text"}})");
  ASSERT_TRUE(spec) << spec.error().message;
  core::obs_batch batch(spec->layout, 1);
  slot out(batch, 0);
  const std::string eight(8, '\0');
  const std::vector<std::string_view> frames{eight};
  auto ok = decode_external_obs(R"({"type": "obs", "text": "a room", "caption": "hi", "candidates": ["look"],
                                    "reward": 1.5, "terminated": true})", frames, *spec, out);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(batch.text[0], "a room");
  EXPECT_EQ(batch.reward[0], 1.5f);
  EXPECT_TRUE(batch.terminated[0]);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"type": "obs", "text": "a", "candidates": ["look"], "reward": "lots"})", "'reward' must be a finite number"},
      {R"({"type": "obs", "text": 5, "candidates": ["look"]})", "'text' must be a string"},
      {R"({"type": "obs", "text": "a", "candidates": "look"})", "'candidates' must be a list"},
      {R"({"type": "obs", "text": "a", "candidates": [1]})", "a candidate command is not a string"},
      {R"({"type": "obs", "text": "a", "candidates": []})", "offered no candidate"},
      {R"({"type": "obs", "text": "a", "candidates": ["x"], "terminated": "yes"})", "'terminated' must be true or false"},
      {R"({"type": 7})", "expected an obs answer"},
      {R"({"type": "error", "message": 12})", "the server reports"},
      {R"([])", "not a JSON object"},
  };
  for (const auto& [header, why] : bad) {
    batch.text[0] = "untouched";
    auto r = decode_external_obs(header, frames, *spec, out);
    ASSERT_FALSE(r) << header;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << header << ": " << r.error().message;
    EXPECT_EQ(batch.text[0], "untouched") << "a refused answer writes nothing";
  }
  auto wrong_size = decode_external_obs(R"({"type": "obs", "text": "a", "candidates": ["x"]})",
                                        {std::string_view(eight).substr(0, 7)}, *spec, out);
  ASSERT_FALSE(wrong_size);
  EXPECT_NE(wrong_size.error().message.find("array 'pos' has 7 bytes, the spec says 8"), std::string::npos);
}

}  // namespace
}  // namespace lantern::envs
