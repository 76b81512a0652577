#include "annotators/ledger.hpp"

#include <gtest/gtest.h>

namespace lantern::annotators {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

item tw(const std::string& caption) { return item{kind::classification, "textworld", "quest", caption, ""}; }

answer labelled(int v) {
  answer a;
  a.result = outcome::labelled;
  a.lab.value = v;
  return a;
}

answer unlabelled() {
  answer a;
  a.result = outcome::unlabelled;
  a.error = "deadline passed";
  return a;
}

void expect_balanced(const label_ledger& l) {
  EXPECT_EQ(l.requested(), l.received() + l.given_up() + l.pending());
}

TEST(Ledger, ACaptionIsAskedOnceHoweverOftenItIsSeen) {
  label_ledger l;
  const auto now = clock_type::now();
  EXPECT_TRUE(l.add(tw("You open the chest."), now));
  EXPECT_FALSE(l.add(tw("You open the chest."), now));
  auto due = l.take_due(now, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(l.add(tw("You open the chest."), now)) << "in flight";
  l.answered(due[0], labelled(1), now);
  EXPECT_FALSE(l.add(tw("You open the chest."), now)) << "settled";
  EXPECT_TRUE(l.take_due(now + 1h, 10).empty());
  EXPECT_EQ(l.requested(), 1u);
  EXPECT_EQ(l.received(), 1u);
  EXPECT_EQ(l.asks(), 1u);
  expect_balanced(l);
}

TEST(Ledger, AnAnswerWithoutALabelIsAskedAgainAfterABackoffThatDoubles) {
  label_ledger l({100, 4096, 1000, 8, 1000ms, 30000ms});
  auto t = clock_type::now();
  l.add(tw("You take the key."), t);
  auto due = l.take_due(t, 10);
  l.answered(due[0], unlabelled(), t);
  EXPECT_TRUE(l.take_due(t + 999ms, 10).empty()) << "not before its backoff";
  due = l.take_due(t + 1000ms, 10);
  ASSERT_EQ(due.size(), 1u);
  t += 1000ms;
  l.answered(due[0], unlabelled(), t);
  EXPECT_TRUE(l.take_due(t + 1999ms, 10).empty()) << "the second wait is twice the first";
  due = l.take_due(t + 2000ms, 10);
  ASSERT_EQ(due.size(), 1u);
  l.answered(due[0], labelled(0), t + 2000ms);
  EXPECT_EQ(l.received(), 1u);
  EXPECT_EQ(l.retries(), 2u);
  EXPECT_EQ(l.pending(), 0u);
  expect_balanced(l);
}

TEST(Ledger, ACaptionNeverLabelledIsGivenUpAfterItsAttemptsAndCounted) {
  label_ledger l({100, 4096, 1000, 3, 10ms, 10ms});
  auto t = clock_type::now();
  l.add(tw("You burn the meal."), t);
  for (int i = 0; i < 3; ++i) {
    auto due = l.take_due(t, 10);
    ASSERT_EQ(due.size(), 1u) << "ask " << i;
    l.lost(due[0], t);  // the request never came back
    t += 10ms;
  }
  EXPECT_TRUE(l.take_due(t + 1h, 10).empty());
  EXPECT_EQ(l.given_up(), 1u);
  EXPECT_EQ(l.pending(), 0u);
  EXPECT_EQ(l.asks(), 3u);
  expect_balanced(l);
}

// Giving up settles the caption under its own name: the ledger once settled it through a
// reference into the entry it had just erased (a use after free that a busy run turned into a
// length_error killing the reward learner). A long caption lives on the heap, where a freed
// block is overwritten at once.
TEST(Ledger, ACaptionGivenUpIsRememberedAsSettledUnderItsOwnName) {
  label_ledger l({100, 4096, 1000, 2, 10ms, 10ms});
  auto t = clock_type::now();
  const std::string caption = "You open the old wooden chest and find nothing but dust and a note: " + std::string(200, 'x');
  ASSERT_TRUE(l.add(tw(caption), t));
  for (int i = 0; i < 2; ++i) {
    auto due = l.take_due(t, 10);
    ASSERT_EQ(due.size(), 1u);
    l.answered(due[0], unlabelled(), t);
    t += 10ms;
  }
  EXPECT_EQ(l.given_up(), 1u);
  EXPECT_FALSE(l.add(tw(caption), t)) << "settled: not asked again";
  label_ledger back({100, 4096, 1000, 2, 10ms, 10ms});
  ASSERT_TRUE(back.load(l.save()));
  EXPECT_FALSE(back.add(tw(caption), t)) << "the saved ledger remembers it";
}

TEST(Ledger, PendingAndInFlightCaptionsAreBounded) {
  label_ledger l({2, 1, 1000, 8, 10ms, 10ms});
  const auto now = clock_type::now();
  EXPECT_TRUE(l.add(tw("a"), now));
  EXPECT_TRUE(l.add(tw("b"), now));
  EXPECT_FALSE(l.add(tw("c"), now));
  EXPECT_EQ(l.dropped(), 1u);
  EXPECT_EQ(l.take_due(now, 10).size(), 1u) << "one in flight at most";
  EXPECT_TRUE(l.take_due(now, 10).empty());
  expect_balanced(l);
}

TEST(Ledger, SavedAndRestoredItKeepsCountersPendingCaptionsAndWhatWasSettled) {
  label_ledger a;
  const auto now = clock_type::now();
  a.add(tw("settled"), now);
  a.add(tw("waiting"), now);
  a.add(tw("in flight"), now);
  auto due = a.take_due(now, 1);
  a.answered(due[0], labelled(1), now);
  due = a.take_due(now, 1);  // "waiting" is in flight at the save: asked again after the resume
  label_ledger b;
  ASSERT_TRUE(b.load(a.save()));
  EXPECT_EQ(b.requested(), 3u);
  EXPECT_EQ(b.received(), 1u);
  EXPECT_EQ(b.pending(), 2u);
  EXPECT_FALSE(b.add(tw("settled"), now)) << "a settled caption stays settled";
  auto again = b.take_due(now, 10);
  EXPECT_EQ(again.size(), 2u);
  expect_balanced(b);
  EXPECT_FALSE(b.load("garbage"));
}

TEST(Ledger, RequeuedInFlightCaptionsAreAskedAgainAtOnceWithoutLosingAnAttempt) {
  label_ledger l({100, 4096, 1000, 1, 10ms, 10ms});
  const auto now = clock_type::now();
  l.add(tw("x"), now);
  ASSERT_EQ(l.take_due(now, 10).size(), 1u);
  l.requeue_in_flight(now);
  auto due = l.take_due(now, 10);
  ASSERT_EQ(due.size(), 1u);
  l.answered(due[0], labelled(1), now);
  EXPECT_EQ(l.received(), 1u) << "one attempt allowed, and the requeue did not use it";
}

}  // namespace
}  // namespace lantern::annotators
