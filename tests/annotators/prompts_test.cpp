#include "annotators/prompts.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace lantern::annotators {
namespace {

const std::string prompts_dir = std::string(LANTERN_SOURCE_DIR) + "/annotators/prompts";

TEST(Prompts, ShippedPromptFilesLoadWithTheirGoalsAndVersions) {
  auto all = load_prompt_dir(prompts_dir);
  ASSERT_TRUE(all) << all.error().message;
  const auto& nh = all->at("nethack");
  EXPECT_EQ(nh.version(), "nethack-v1");
  EXPECT_EQ(nh.goals(), (std::vector<std::string>{"combat", "default", "descend", "gold"}));
  EXPECT_TRUE(all->at("textworld").has_goal("quest"));
}

TEST(Prompts, CaptionsWithQuotesNewlinesBracesAndNonAsciiRenderVerbatim) {
  auto all = load_prompt_dir(prompts_dir);
  ASSERT_TRUE(all);
  const std::string nasty = "He says \"{goal}\"\nand {caption} {{x}} \xc3\xa9\xff\x01 done";
  item it{kind::classification, "nethack", "gold", nasty, ""};
  auto text = all->at("nethack").render(it);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find(nasty), std::string::npos) << "the caption must appear unchanged";
  EXPECT_NE(text->find("gather as much gold"), std::string::npos);  // the goal's own text
  EXPECT_NE(text->find("Message: \"You see here 23 gold pieces.\"\nAnswer: yes"), std::string::npos);
  EXPECT_NE(text->find("Message: \"You kill the jackal! Welcome to experience level 2.\"\nAnswer: no"), std::string::npos);
  item pair{kind::ranking, "nethack", "default", "a {caption2} b", "c\nd"};
  auto r = all->at("nethack").render(pair);
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("Message 1: \"a {caption2} b\""), std::string::npos);
  EXPECT_NE(r->find("Message 2: \"c\nd\""), std::string::npos);
}

TEST(Prompts, UnknownGoalIsAnError) {
  auto all = load_prompt_dir(prompts_dir);
  item it{kind::classification, "nethack", "world-domination", "x", ""};
  auto text = all->at("nethack").render(it);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("unknown goal 'world-domination'"), std::string::npos);
}

TEST(Prompts, AFileWithoutAVersionIsRefusedNamingKeyAndFile) {
  const std::string path = ::testing::TempDir() + "broken.toml";
  std::ofstream(path) << "system = \"x\"\n[classification]\ntemplate = \"t\"\n[goals.a]\ntext = \"g\"\n";
  auto p = prompt_set::load(path);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, path + ": key 'version' is missing or not a string");
}

TEST(AnswerParsing, TheLastAnswerLineDecides) {
  EXPECT_EQ(parse_answer(kind::classification, "Thinking...\nAnswer: yes"), positive);
  EXPECT_EQ(parse_answer(kind::classification, "**Answer:** No"), negative);
  EXPECT_EQ(parse_answer(kind::classification, "Answer: no\nOn reflection:\nanswer: YES"), positive);
  EXPECT_EQ(parse_answer(kind::ranking, "Answer: 2"), second);
  EXPECT_EQ(parse_answer(kind::ranking, "answer: tie"), tie);
  EXPECT_EQ(parse_answer(kind::ranking, "Answer: 1."), first);
}

TEST(AnswerParsing, RepliesWithoutAStrictAnswerLineHaveNoLabel) {
  EXPECT_FALSE(parse_answer(kind::classification, "yes, clearly"));
  EXPECT_FALSE(parse_answer(kind::classification, "The answer is yes"));
  EXPECT_FALSE(parse_answer(kind::classification, "Answer: maybe"));
  EXPECT_FALSE(parse_answer(kind::ranking, "Answer: yes"));
  EXPECT_FALSE(parse_answer(kind::classification, ""));
}

TEST(Fill, PlaceholdersAreFilledInOnePass) {
  EXPECT_EQ(fill("{a}-{b}-{c}", {{"a", "{b}"}, {"b", "2"}}), "{b}-2-{c}");
}

}  // namespace
}  // namespace lantern::annotators
