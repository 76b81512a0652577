#include "core/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace lantern::core {
namespace {

schema test_schema() {
  schema s;
  s.integer("env.rooms", 5, "rooms", 1, 100);
  s.real("train.lr", 3e-4, "learning rate", 0.0);
  s.boolean("train.verbose", false, "chatty");
  s.string("env.family", "custom", "family", {"custom", "coin"});
  s.string("run.name", "lantern", "free text");
  return s;
}

TEST(Config, DefaultsApplyWhenNoFileIsGiven) {
  auto s = test_schema();
  auto c = config::load(s, "");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->integer("env.rooms"), 5);
  EXPECT_DOUBLE_EQ(c->real("train.lr"), 3e-4);
  EXPECT_EQ(c->origin("env.rooms"), "default");
}

TEST(Config, FileValuesOverrideDefaultsAndIntegersWidenToReals) {
  auto s = test_schema();
  auto c = config::parse(s, "[env]\nrooms = 8\nfamily = \"coin\"\n[train]\nlr = 1\n", "a.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->integer("env.rooms"), 8);
  EXPECT_EQ(c->string("env.family"), "coin");
  EXPECT_DOUBLE_EQ(c->real("train.lr"), 1.0);
  EXPECT_EQ(c->origin("env.rooms"), "a.toml");
}

TEST(Config, DottedKeysAndNestedTablesAreTheSame) {
  auto s = test_schema();
  auto c = config::parse(s, "env.rooms = 9\n", "a.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->integer("env.rooms"), 9);
}

TEST(Config, UnknownKeyIsAnErrorNamingKeyFileAndLine) {
  auto s = test_schema();
  auto c = config::parse(s, "[env]\nrooms = 3\nromos = 4\n", "configs/x.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::config);
  EXPECT_NE(c.error().message.find("configs/x.toml:3: unknown key 'env.romos'"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("did you mean 'env.rooms'"), std::string::npos);
}

TEST(Config, ARetiredKeyInAFileIsIgnoredButSettingItIsAnError) {
  auto s = test_schema();
  s.retired("env.doors", "rooms have no doors any more");
  // A saved run's config from a past release still loads.
  auto c = config::parse(s, "[env]\nrooms = 3\ndoors = 4\n", "runs/old/config.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->integer("env.rooms"), 3);
  ASSERT_NE(s.retired_reason("env.doors"), nullptr);
  EXPECT_EQ(s.retired_reason("env.rooms"), nullptr);
  // Asking for it now is a mistake to report.
  auto d = config::load(s, "", {"env.doors=4"});
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("unknown key 'env.doors'"), std::string::npos) << d.error().message;
}

TEST(Config, UnknownTableIsAnError) {
  auto s = test_schema();
  auto c = config::parse(s, "[nosuch]\nx = 1\n", "x.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown table 'nosuch'"), std::string::npos) << c.error().message;
}

TEST(Config, WrongTypeIsAnErrorNamingKeyAndFile) {
  auto s = test_schema();
  auto c = config::parse(s, "[env]\nrooms = \"five\"\n", "x.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("x.toml:2: key 'env.rooms': expected an integer, got string"), std::string::npos)
      << c.error().message;
}

TEST(Config, OutOfRangeAndBadChoiceAreErrors) {
  auto s = test_schema();
  auto c = config::parse(s, "[env]\nrooms = 0\nfamily = \"maze\"\n", "x.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("key 'env.rooms': value 0 is out of range: must be between 1 and 100"),
            std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("key 'env.family': value 'maze' is not allowed"), std::string::npos);
}

TEST(Config, EveryProblemIsReportedNotJustTheFirst) {
  auto s = test_schema();
  auto c = config::parse(s, "a = 1\nb = 2\n", "x.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("'a'"), std::string::npos);
  EXPECT_NE(c.error().message.find("'b'"), std::string::npos);
}

TEST(Config, SyntaxErrorGivesLineAndColumn) {
  auto s = test_schema();
  auto c = config::parse(s, "[env]\nrooms = = 3\n", "x.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("x.toml:2:"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("TOML syntax error"), std::string::npos);
}

TEST(Config, OverridesApplyAfterTheFileAndAreChecked) {
  auto s = test_schema();
  auto c = config::parse(s, "[env]\nrooms = 8\n", "x.toml", {"env.rooms=12", "train.verbose=true", "run.name=\"a b\""});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->integer("env.rooms"), 12);
  EXPECT_TRUE(c->boolean("train.verbose"));
  EXPECT_EQ(c->string("run.name"), "a b");
  EXPECT_EQ(c->origin("env.rooms"), "--set");

  auto bad = config::parse(s, "", "", {"env.rooms=lots", "nokey=1", "novalue"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("--set: key 'env.rooms': expected an integer, got 'lots'"), std::string::npos);
  EXPECT_NE(bad.error().message.find("--set: unknown key 'nokey'"), std::string::npos);
  EXPECT_NE(bad.error().message.find("--set 'novalue': expected key=value"), std::string::npos);
}

TEST(Config, MissingFileIsAClearError) {
  auto s = test_schema();
  auto c = config::load(s, "/nonexistent/lantern.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("cannot open config file '/nonexistent/lantern.toml'"), std::string::npos);
}

TEST(Config, ResolvedConfigRoundTripsThroughToml) {
  auto s = test_schema();
  auto c = config::parse(s, "", "", {"env.rooms=7", "run.name=quote\"d"});
  ASSERT_TRUE(c);
  auto again = config::parse(s, c->to_toml(), "copy.toml");
  ASSERT_TRUE(again) << again.error().message << "\n" << c->to_toml();
  EXPECT_EQ(again->integer("env.rooms"), 7);
  EXPECT_EQ(again->string("run.name"), "quote\"d");
  EXPECT_DOUBLE_EQ(again->real("train.lr"), 3e-4);
}

TEST(Config, SchemaRendersEveryKeyAsMarkdown) {
  auto md = test_schema().to_markdown();
  EXPECT_NE(md.find("| `env.rooms` | integer | `5` | rooms (between 1 and 100) |"), std::string::npos) << md;
  EXPECT_NE(md.find("`env.family`"), std::string::npos);
}

TEST(Config, ViewReadsKeysUnderAPrefix) {
  auto s = test_schema();
  auto c = config::parse(s, "", "", {"env.rooms=4"});
  ASSERT_TRUE(c);
  config_view v(*c, "env");
  EXPECT_EQ(v.integer("rooms"), 4);
  EXPECT_EQ(v.origin("rooms"), "--set");
}

}  // namespace
}  // namespace lantern::core
