// The annotator service as its own process, killed with SIGKILL in the middle of a batch and
// restarted: no label it acknowledged is lost, and the client's outstanding requests are
// answered after the restart.
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "annotators/client.hpp"
#include "annotators/helpers.hpp"
#include "annotators/store.hpp"
#include "fake_llm.hpp"

extern char** environ;

namespace lantern::annotators {
namespace {

using namespace std::chrono_literals;

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  return pid;
}

TEST(ServiceCrash, KilledMidBatchLosesNoCommittedLabelAndAnswersOutstandingAfterRestart) {
  testing::fake_llm llm([](const nlohmann::json&, int) {
    return testing::behaviour{200, "Answer: yes", 150ms, false};
  });
  testing::temp_store store;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  const std::vector<std::string> serve = {LANTERN_BIN, "annotator", "serve", "--bind", endpoint,
                                          "--set", "annotator.backend=openai", "--set", "annotator.openai.model=m",
                                          "--set", "annotator.openai.base_url=" + llm.base_url(),
                                          "--set", "annotator.openai.concurrency=1",
                                          "--set", "annotator.store=" + store.path};
  pid_t svc = spawn(serve);
  zmq::context_t ctx;
  annotator_client client(ctx, endpoint, 300ms);
  std::map<uint64_t, std::string> asked;
  for (int i = 0; i < 12; ++i) {
    std::string caption = "You kill monster number " + std::to_string(i) + "!";
    asked[client.submit({item{kind::classification, "nethack", "default", caption, ""}}, 30s)] = caption;
  }
  // Let a few labels land, then kill the service while the rest are being labelled.
  std::set<uint64_t> answered;
  auto collect = [&](std::chrono::milliseconds for_how_long) {
    auto until = std::chrono::steady_clock::now() + for_how_long;
    while (std::chrono::steady_clock::now() < until && answered.size() < asked.size())
      for (auto& done : client.poll(20ms)) {
        ASSERT_EQ(done.answers[0].result, outcome::labelled) << done.answers[0].error;
        answered.insert(done.id);
      }
  };
  for (int i = 0; i < 300 && answered.size() < 3; ++i) collect(20ms);
  ASSERT_GE(answered.size(), 3u) << "the service never answered";
  ::kill(svc, SIGKILL);
  int st = 0;
  waitpid(svc, &st, 0);
  ASSERT_LT(answered.size(), asked.size()) << "the kill came too late to be mid-batch";

  {  // Every label the client heard of is in the store.
    auto s = label_store::open(store.path);
    ASSERT_TRUE(s) << s.error().message;
    for (uint64_t id : answered) {
      item it{kind::classification, "nethack", "default", asked[id], ""};
      EXPECT_TRUE(s.value()->find(it.key("nethack-v1", "openai:m"))) << "acknowledged but not stored: " << asked[id];
    }
  }

  svc = spawn(serve);  // the same endpoint and store
  collect(20s);
  EXPECT_EQ(answered.size(), asked.size()) << "outstanding requests were not answered after the restart";
  EXPECT_EQ(client.outstanding(), 0u);
  ::kill(svc, SIGTERM);
  waitpid(svc, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "SIGTERM should stop the service cleanly";
  auto s = label_store::open(store.path);
  EXPECT_EQ(s.value()->size(), asked.size());
}

}  // namespace
}  // namespace lantern::annotators
