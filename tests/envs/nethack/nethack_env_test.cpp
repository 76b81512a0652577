// Real NetHack in a pty: these tests start the game from Debian's nethack-console.
#include "envs/nethack/nethack_env.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/rng.hpp"

namespace lantern::envs::nethack {
namespace {

class NetHack : public ::testing::Test {
 protected:
  std::unique_ptr<nethack_env> make(nethack_options o = {}) {
    auto e = nethack_env::make(std::move(o));
    EXPECT_TRUE(e) << e.error().message;
    return std::move(e.value());
  }
  std::unique_ptr<core::obs_batch> batch_for(const nethack_env& e) {
    return std::make_unique<core::obs_batch>(e.spec().layout, 1);
  }
  static std::string screen_of(const core::obs_batch& b) {
    const uint8_t* c = b.array<uint8_t>(0, 0);
    return std::string(reinterpret_cast<const char*>(c), 24 * 80);
  }
  static int action_index(const nethack_env& e, const std::string& name) {
    const auto& names = e.spec().action_names;
    return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
  }
  // Wizard-mode keys need root (sysconf WIZARDS=root games).
  static bool can_wizard() { return geteuid() == 0; }
};

TEST_F(NetHack, StartsWithoutPromptsForSeveralCharacters) {
  struct character { const char *role, *race, *gender, *alignment, *rank; };
  for (const character& c : {character{"valkyrie", "human", "female", "neutral", "Stripling"},
                             character{"wizard", "elf", "male", "chaotic", "Evoker"},
                             character{"samurai", "human", "male", "lawful", "Hatamoto"},
                             character{"archeologist", "dwarf", "female", "lawful", "Digger"},
                             character{"healer", "gnome", "male", "neutral", "Rhizotomist"}}) {
    nethack_options o;
    o.role = c.role;
    o.race = c.race;
    o.gender = c.gender;
    o.alignment = c.alignment;
    auto env = make(o);
    auto b = batch_for(*env);
    env->reset(7, slot(*b, 0));
    EXPECT_NE(env->stats().title.find(c.rank), std::string::npos) << c.role << ": " << env->stats().title;
    EXPECT_EQ(env->stats().dlvl, 1) << c.role;
    EXPECT_GT(env->stats().hp_max, 0) << c.role;
    EXPECT_NE(b->caption[0].find("welcome to NetHack"), std::string::npos) << c.role << ": " << b->caption[0];
    // The hero is on the map and the game waits for a command.
    EXPECT_GE(env->screen().cursor_row(), 1);
    EXPECT_LE(env->screen().cursor_row(), 21);
  }
}

TEST_F(NetHack, AnImpossibleCharacterIsAClearError) {
  nethack_options o;
  o.role = "valkyrie";
  o.race = "orc";  // Valkyries are human or dwarf; NetHack would quietly make a human one
  auto env = nethack_env::make(o);
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().code, core::errc::config);
  EXPECT_NE(env.error().message.find("NetHack cannot make a neutral female orc valkyrie"), std::string::npos)
      << env.error().message;
  EXPECT_NE(env.error().message.find("You are a neutral human Valkyrie."), std::string::npos) << env.error().message;
}

TEST_F(NetHack, TheSameSeedAndActionsGiveTheSameScreens) {
  auto a = make(), b = make();
  auto ba = batch_for(*a), bb = batch_for(*b);
  a->reset(101, slot(*ba, 0));
  b->reset(101, slot(*bb, 0));
  core::pcg32 rng(5);
  const auto n = static_cast<uint32_t>(a->spec().layout.num_actions);
  for (int step = 0; step < 400; ++step) {
    ASSERT_EQ(screen_of(*ba), screen_of(*bb)) << "step " << step;
    ASSERT_EQ(ba->caption[0], bb->caption[0]) << "step " << step;
    if (ba->terminated[0] || ba->truncated[0]) {
      a->reset(102 + static_cast<uint64_t>(step), slot(*ba, 0));
      b->reset(102 + static_cast<uint64_t>(step), slot(*bb, 0));
      continue;
    }
    auto act = action::pick(static_cast<int32_t>(rng.below(n)));
    a->step(act, slot(*ba, 0));
    b->step(act, slot(*bb, 0));
  }
  auto c = make();
  auto bc = batch_for(*c);
  c->reset(999, slot(*bc, 0));
  a->reset(101, slot(*ba, 0));
  EXPECT_NE(screen_of(*ba), screen_of(*bc)) << "different seeds gave the same first screen";
}

TEST_F(NetHack, StatusLinesParseOverTwentyThousandRandomStepsAndDeathsEndEpisodes) {
  auto env = make();
  auto b = batch_for(*env);
  core::pcg32 rng(11);
  const auto n = static_cast<uint32_t>(env->spec().layout.num_actions);
  uint64_t seed = 1000;
  env->reset(seed, slot(*b, 0));
  int deaths = 0, episodes = 0;
  for (int step = 0; step < 20000; ++step) {
    env->step(action::pick(static_cast<int32_t>(rng.below(n))), slot(*b, 0));
    ASSERT_TRUE(b->note[0].empty()) << "step " << step << ": " << b->note[0];
    if (b->terminated[0] || b->truncated[0]) {
      if (b->caption[0].find("You die") != std::string::npos) ++deaths;
      ++episodes;
      env->reset(++seed, slot(*b, 0));
    }
  }
  EXPECT_EQ(env->status_parse_failures(), 0u) << env->last_parse_error();
  EXPECT_EQ(env->restarts(), 0u);
  EXPECT_GT(deaths, 0) << "no death in 20,000 random steps (" << episodes << " episodes)";
}

TEST_F(NetHack, AGameKilledMidEpisodeIsReportedAndTheNextResetRecovers) {
  auto env = make();
  auto b = batch_for(*env);
  env->reset(3, slot(*b, 0));
  env->step(action::pick(action_index(*env, "search")), slot(*b, 0));
  ::kill(env->screen().pid(), SIGKILL);
  env->step(action::pick(action_index(*env, "search")), slot(*b, 0));
  EXPECT_TRUE(b->terminated[0] || b->truncated[0]);
  EXPECT_FALSE(b->note[0].empty());
  env->reset(3, slot(*b, 0));
  EXPECT_EQ(env->stats().dlvl, 1);
  env->step(action::pick(action_index(*env, "search")), slot(*b, 0));
  EXPECT_FALSE(b->terminated[0] || b->truncated[0]);
  EXPECT_TRUE(b->note[0].empty());
}

TEST_F(NetHack, AHungGameIsKilledAtTheDeadlineAndRestarted) {
  nethack_options o;
  o.step_deadline_ms = 300;
  auto env = make(o);
  auto b = batch_for(*env);
  env->reset(4, slot(*b, 0));
  ::kill(env->screen().pid(), SIGSTOP);
  env->step(action::pick(action_index(*env, "search")), slot(*b, 0));
  EXPECT_TRUE(b->truncated[0]);
  EXPECT_NE(b->note[0].find("did not wait for a key within 300 ms"), std::string::npos) << b->note[0];
  EXPECT_EQ(env->restarts(), 1u);
  env->reset(4, slot(*b, 0));
  env->step(action::pick(action_index(*env, "search")), slot(*b, 0));
  EXPECT_TRUE(b->note[0].empty());
}

TEST_F(NetHack, StaleLocksAndHangupSavesNeverReachTheNextGame) {
  auto env = make();
  auto b = batch_for(*env);
  env->reset(5, slot(*b, 0));
  const std::string first = screen_of(*b);
  // A hangup makes NetHack save the game; a dead game leaves its lock files behind.
  pid_t pid = env->screen().pid();
  ::kill(pid, SIGHUP);
  const std::string save_dir = env->playground() + "/save";
  for (int i = 0; i < 500 && std::filesystem::is_empty(save_dir); ++i) usleep(10000);
  ASSERT_FALSE(std::filesystem::is_empty(save_dir)) << "the hangup did not save the game";
  for (const char* f : {"alock", "block", "clock", "dlock", "elock", "flock", "glock", "hlock", "ilock", "jlock"})
    std::ofstream(env->playground() + "/" + f) << "99999";
  env->reset(5, slot(*b, 0));
  EXPECT_EQ(b->caption[0].find("Restoring"), std::string::npos) << b->caption[0];
  EXPECT_EQ(b->caption[0].find("Too many"), std::string::npos) << b->caption[0];
  EXPECT_EQ(screen_of(*b), first) << "the same seed should give the same fresh game";
}

TEST_F(NetHack, ScoreRewardCountsDepthAndGold) {
  if (!can_wizard()) GTEST_SKIP() << "wizard mode needs root";
  nethack_options o;
  o.wizard = true;
  auto env = make(o);
  auto b = batch_for(*env);
  env->reset(6, slot(*b, 0));
  env->step(action::say("\x16"), slot(*b, 0));  // ^V: level teleport (wizard mode)
  env->step(action::say("3\r"), slot(*b, 0));
  EXPECT_EQ(env->stats().dlvl, 3);
  EXPECT_EQ(b->reward[0], 100.0f);  // 50 per level below the first
  EXPECT_EQ(env->visible_score(), 100);
}

TEST_F(NetHack, GoldRewardIsTheChangeOfGold) {
  if (!can_wizard()) GTEST_SKIP() << "wizard mode needs root";
  nethack_options o;
  o.wizard = true;
  o.goal = task::gold;
  auto env = make(o);
  auto b = batch_for(*env);
  env->reset(6, slot(*b, 0));
  env->step(action::say("\x17"), slot(*b, 0));  // ^W: wish (wizard mode)
  env->step(action::say("250 gold pieces\r"), slot(*b, 0));
  EXPECT_EQ(env->stats().gold, 250);
  EXPECT_EQ(b->reward[0], 250.0f);
}

TEST_F(NetHack, StaircaseTaskSucceedsOnReachingTheDepth) {
  if (!can_wizard()) GTEST_SKIP() << "wizard mode needs root";
  nethack_options o;
  o.wizard = true;
  o.goal = task::staircase;
  o.depth = 2;
  auto env = make(o);
  auto b = batch_for(*env);
  env->reset(8, slot(*b, 0));
  env->step(action::say("\x16"), slot(*b, 0));
  EXPECT_FALSE(b->terminated[0]);
  env->step(action::say("2\r"), slot(*b, 0));
  EXPECT_TRUE(b->terminated[0]);
  EXPECT_TRUE(b->success[0]);
  EXPECT_EQ(b->reward[0], 1.0f);
}

TEST_F(NetHack, OracleTaskSucceedsNextToTheOracleNotNextToAnotherBlueMonster) {
  if (!can_wizard()) GTEST_SKIP() << "wizard mode needs root";
  nethack_options o;
  o.wizard = true;
  o.goal = task::oracle;
  auto env = make(o);
  auto b = batch_for(*env);
  env->reset(9, slot(*b, 0));
  env->step(action::say("\x16"), slot(*b, 0));
  env->step(action::say("5\r"), slot(*b, 0));
  ASSERT_EQ(env->stats().dlvl, 5);
  env->step(action::say("\x07"), slot(*b, 0));  // ^G: create a monster (wizard mode)
  env->step(action::say("elf-lord\r"), slot(*b, 0));
  EXPECT_FALSE(b->success[0]) << "an elf-lord is bright blue too, but it is not the Oracle";
  env->step(action::say("\x07"), slot(*b, 0));
  env->step(action::say("Oracle\r"), slot(*b, 0));
  if (b->caption[0].find("force Oracle?") != std::string::npos) env->step(action::say("y"), slot(*b, 0));
  EXPECT_TRUE(b->success[0]) << b->caption[0];
  EXPECT_TRUE(b->terminated[0]);
  EXPECT_EQ(b->reward[0], 1.0f);
}

TEST_F(NetHack, APrespawnedGameIsTheSameGameAsAFreshStart) {
  nethack_options o;
  o.prespawn = true;
  auto pre = make(o), fresh = make();
  auto bp = batch_for(*pre), bf = batch_for(*fresh);
  pre->reset(21, slot(*bp, 0));
  pre->prefetch_reset(22);
  for (int i = 0; i < 20; ++i) pre->step(action::pick(action_index(*pre, "search")), slot(*bp, 0));
  pre->reset(22, slot(*bp, 0));  // uses the prespawned game
  fresh->reset(22, slot(*bf, 0));
  EXPECT_EQ(screen_of(*bp), screen_of(*bf));
  pre->prefetch_reset(23);
  pre->reset(24, slot(*bp, 0));  // not the seed that was prefetched: a fresh start
  fresh->reset(24, slot(*bf, 0));
  EXPECT_EQ(screen_of(*bp), screen_of(*bf));
}

TEST_F(NetHack, ThePlaygroundIsPrivateAndRemovedWithTheEnv) {
  std::string dir;
  {
    auto a = make(), b = make();
    EXPECT_NE(a->playground(), b->playground());
    dir = a->playground();
    EXPECT_TRUE(std::filesystem::exists(dir + "/nethackrc"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace lantern::envs::nethack

namespace lantern::envs::nethack {
namespace {

TEST(Playground, IsAPrivateDirectoryOfThisUserOrARefusal) {
  const std::string base = ::testing::TempDir() + "lantern-playground-" + std::to_string(::getpid());
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  const std::string fresh = base + "/fresh";
  ASSERT_TRUE(private_directory(fresh));
  struct stat st {};
  ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Open to others: made private.
  const std::string open = base + "/open";
  ASSERT_EQ(::mkdir(open.c_str(), 0777), 0);
  ::chmod(open.c_str(), 0777);
  ASSERT_TRUE(private_directory(open));
  ASSERT_EQ(::stat(open.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // A symbolic link planted where the playground goes: refused.
  const std::string link = base + "/link";
  std::filesystem::create_directory_symlink(fresh, link);
  auto r = private_directory(link);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a directory (a symbolic link?)"), std::string::npos) << r.error().message;
  // Another user's directory: refused (root can make one to test with).
  if (::getuid() == 0) {
    const std::string theirs = base + "/theirs";
    ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
    auto other = private_directory(theirs);
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().message.find("belongs to another user"), std::string::npos) << other.error().message;
  }
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace lantern::envs::nethack
