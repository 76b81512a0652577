#include "annotators/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

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
    auto hit = s.value()->find(make("You kill the newt!", 0).what.key("nethack-v1", "openai:test-model"));
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->value, positive);
    EXPECT_EQ(s.value()->provenance_of(*hit).model, "test-model");
  }
  auto again = label_store::open(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value()->size(), 2u);
  auto hit = again.value()->find(make("It's a wall.", 0).what.key("nethack-v1", "openai:test-model"));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->value, negative);
  EXPECT_FALSE(again.value()->find(make("It's a wall.", 0).what.key("nethack-v2", "openai:test-model")))
      << "keys include the prompt version";
  EXPECT_FALSE(again.value()->find(make("It's a wall.", 0).what.key("nethack-v1", "rules:rules-v1")))
      << "and who made the label";
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
    auto hit = t.value()->find(pair.what.key("textworld-v1", "rules:rules-v1"));
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->value, first);
    EXPECT_TRUE(t.value()->find(e.what.key("nethack-v1", "openai:test-model")));
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

TEST_F(Store, CaptionsThatDifferOnlyAroundANulByteHaveTheirOwnRows) {
  // Schema 1 hashed NUL-joined fields: ("a\0b", "") and ("a", "b") were one key.
  auto s = label_store::open(path);
  label_store::entry x = make(std::string("a\0b", 3), positive), y = make("a", negative);
  x.what.k = y.what.k = kind::ranking;
  y.what.caption2 = "b";
  ASSERT_TRUE(s.value()->put({x, y}));
  EXPECT_EQ(s.value()->size(), 2u);
  EXPECT_EQ(s.value()->find(x.what.key("nethack-v1", "openai:test-model"))->value, positive);
  EXPECT_EQ(s.value()->find(y.what.key("nethack-v1", "openai:test-model"))->value, negative);
}

TEST_F(Store, LabelsOfOtherSourcesAreFoundOnlyWhenAskedFor) {
  auto s = label_store::open(path);
  ASSERT_TRUE(s.value()->put({make("You kill the newt!", positive, "rules (heuristic)")}));
  const item it = make("You kill the newt!", 0).what;
  EXPECT_FALSE(s.value()->find(it.key("nethack-v1", "openai:test-model")));
  EXPECT_EQ(s.value()->sources(), (std::vector<std::string>{"rules:test-model"}));
  auto any = [](const std::string&) { return true; };
  auto none = [](const std::string& src) { return source_listed(src, "openai"); };
  EXPECT_TRUE(s.value()->find_from(it, "nethack-v1", any));
  EXPECT_FALSE(s.value()->find_from(it, "nethack-v1", none));
  EXPECT_TRUE(source_listed("rules:rules-v1", "openai, rules"));
  EXPECT_TRUE(source_listed("openai:m", "openai:m"));
  EXPECT_FALSE(source_listed("openai:m2", "openai:m"));
  EXPECT_FALSE(source_listed("openai:m", ""));
  EXPECT_TRUE(source_listed("replay:/x", "*"));
}

TEST_F(Store, AStoreOfSchemaOneIsMigratedWithEveryLabelAndItsSource) {
  {  // schema 1 as the first release wrote it: a 64-bit hash as the key, no source column
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* sql =
        "CREATE TABLE labels (key INTEGER PRIMARY KEY, kind INTEGER NOT NULL, domain TEXT NOT NULL, goal TEXT NOT NULL,"
        " prompt_version TEXT NOT NULL, caption BLOB NOT NULL, caption2 BLOB NOT NULL, value INTEGER NOT NULL,"
        " backend TEXT NOT NULL, model TEXT NOT NULL, created_at REAL NOT NULL, resolved_by_policy INTEGER NOT NULL,"
        " raw_reply BLOB);"
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "INSERT INTO labels VALUES (17, 0, 'nethack', 'default', 'nethack-v1', 'You kill the newt!', '', 1,"
        " 'rules (heuristic)', 'rules-v1', 5.0, 0, NULL);"
        "INSERT INTO labels VALUES (18, 0, 'nethack', 'default', 'nethack-v1', 'It is a wall.', '', 0,"
        " 'openai', 'm', 6.0, 0, 'Answer: no');";
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = label_store::open(path);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s.value()->size(), 2u);
  item newt{kind::classification, "nethack", "default", "You kill the newt!", ""};
  item wall{kind::classification, "nethack", "default", "It is a wall.", ""};
  EXPECT_EQ(s.value()->find(newt.key("nethack-v1", "rules:rules-v1"))->value, positive);
  EXPECT_EQ(s.value()->find(wall.key("nethack-v1", "openai:m"))->value, negative);
  EXPECT_FALSE(s.value()->find(newt.key("nethack-v1", "openai:m")));
  std::stringstream out;
  ASSERT_TRUE(s.value()->export_jsonl(out));
  EXPECT_NE(out.str().find("\"raw_reply\":\"Answer: no\""), std::string::npos) << out.str();
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
