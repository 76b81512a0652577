#include "envs/nethack/terminal.hpp"

#include <signal.h>

#include <gtest/gtest.h>

namespace lantern::envs::nethack {
namespace {

using std::chrono::milliseconds;

TEST(Terminal, KnowsWhenAProgramWaitsForInputAndDecodesItsScreen) {
  terminal t;
  ASSERT_TRUE(t.start({"/bin/cat"}, {"TERM=xterm"}, "/", 24, 80, milliseconds(2000)));
  ASSERT_EQ(t.send("hello\r", milliseconds(2000)), terminal::wait::ready);
  // The pty echoes the line, then cat writes it back.
  EXPECT_EQ(t.row_text(0).substr(0, 5), "hello");
  EXPECT_EQ(t.row_text(1).substr(0, 5), "hello");
  EXPECT_EQ(t.row_text(0).size(), 80u);
  EXPECT_EQ(t.cursor_row(), 2);
  std::vector<uint8_t> chars(24 * 80), colors(24 * 80);
  t.decode(chars.data(), colors.data());
  EXPECT_EQ(chars[0], 'h');
  EXPECT_EQ(colors[0], 7);
  EXPECT_GT(t.child_rss_kib(), 0);
}

TEST(Terminal, AProgramThatExitsIsReportedNotWaitedFor) {
  terminal t;
  auto st = t.start({"/bin/true"}, {}, "/", 24, 80, milliseconds(2000));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("exited at start"), std::string::npos) << st.error().message;
  EXPECT_FALSE(t.running());
}

TEST(Terminal, AHungProgramTimesOut) {
  terminal t;
  ASSERT_TRUE(t.start({"/bin/cat"}, {}, "/", 24, 80, milliseconds(2000)));
  ::kill(t.pid(), SIGSTOP);
  EXPECT_EQ(t.send("x", milliseconds(100)), terminal::wait::timeout);
  t.kill();
  EXPECT_FALSE(t.running());
  EXPECT_EQ(t.send("x", milliseconds(100)), terminal::wait::exited);
}

TEST(Terminal, AKilledProgramIsSeenAsExited) {
  terminal t;
  ASSERT_TRUE(t.start({"/bin/cat"}, {}, "/", 24, 80, milliseconds(2000)));
  ::kill(t.pid(), SIGKILL);
  EXPECT_EQ(t.send("x", milliseconds(2000)), terminal::wait::exited);
}

}  // namespace
}  // namespace lantern::envs::nethack
