#include "annotators/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

namespace lantern::annotators {
namespace {

class Store : public ::testing::Test {
 protected:
  void SetUp() override {
    path = ::testing::TempDir() + "store-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sqlite";
    std::filesystem::remove(path);
  }
  void TearDown() override {
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
  }
  static label_store::entry make(const std::string& caption, int value, const std::string& backend = "openai") {
    label_store::entry e;
    e.what = item{kind::classification, "nethack", "default", caption, ""};
    e.lab.value = value;
    e.lab.from = provenance{backend, "test-model", "nethack-v1", 1700000000.5, false};
    return e;
  }
  std::string path;
};

TEST_F(Store, ALabelPutIsFoundAndSurvivesReopening) {
  {
    auto s = label_store::open(path);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE(s.value()->put({make("You kill the newt!", positive), make("It's a wall.", negative)}));
    auto hit = s.value()->find(make("You kill the newt!", 0).what.key("nethack-v1"));
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->value, positive);
    EXPECT_EQ(s.value()->provenance_of(*hit).model, "test-model");
  }
  auto again = label_store::open(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value()->size(), 2u);
  auto hit = again.value()->find(make("It's a wall.", 0).what.key("nethack-v1"));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->value, negative);
  EXPECT_FALSE(again.value()->find(make("It's a wall.", 0).what.key("nethack-v2"))) << "keys include the prompt version";
}

TEST_F(Store, TheStoreIsInWalMode) {
  auto s = label_store::open(path);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s.value()->put({make("x", positive)}));
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

TEST_F(Store, ExportAndImportRoundTripEveryField) {
  auto s = label_store::open(path);
  auto e = make("quote \" newline \n bytes \x01", positive);
  e.lab.raw_reply = "Answer: yes";
  label_store::entry pair;
  pair.what = item{kind::ranking, "textworld", "quest", "You take the key.", "You go north."};
  pair.lab.value = first;
  pair.lab.from = provenance{"rules (heuristic)", "rules-v1", "textworld-v1", 5, false};
  ASSERT_TRUE(s.value()->put({e, pair}));
  std::stringstream jsonl;
  ASSERT_TRUE(s.value()->export_jsonl(jsonl));
  const std::string text = jsonl.str();
  EXPECT_NE(text.find("\"caption2\":\"You go north.\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"label\":\"first\""), std::string::npos);

  const std::string other = path + ".copy";
  {
    auto t = label_store::open(other);
    auto n = t.value()->import_jsonl(jsonl);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(n.value(), 2u);
    auto hit = t.value()->find(pair.what.key("textworld-v1"));
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->value, first);
    EXPECT_TRUE(t.value()->find(e.what.key("nethack-v1")));
  }
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(other + ext);
}

TEST_F(Store, ABadImportLineIsAnErrorNamingTheLine) {
  auto s = label_store::open(path);
  std::stringstream in("{\"kind\":\"classification\",\"domain\":\"nethack\",\"goal\":\"default\",\"caption\":\"a\","
                       "\"label\":\"positive\",\"backend\":\"x\",\"prompt_version\":\"v\"}\n"
                       "{\"kind\":\"classification\",\"label\":\"sideways\"}\n");
  auto n = s.value()->import_jsonl(in);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("line 2"), std::string::npos) << n.error().message;
}

TEST_F(Store, StatsCountByBackendAndPrompt) {
  auto s = label_store::open(path);
  ASSERT_TRUE(s.value()->put({make("a", 1), make("b", 0, "rules (heuristic)")}));
  auto st = s.value()->stats();
  EXPECT_EQ(st["labels"], 2u);
  EXPECT_EQ(st["backend openai"], 1u);
  EXPECT_EQ(st["prompt nethack-v1"], 2u);
}

}  // namespace
}  // namespace lantern::annotators
