#include "envs/nethack/status.hpp"

#include <gtest/gtest.h>

namespace lantern::envs::nethack {
namespace {

const std::string title_line = "Agent the Stripling            St:18/03 Dx:10 Co:18 In:11 Wi:11 Ch:7 Neutral   ";

TEST(Status, ParsesAStartingValkyrie) {
  status s;
  auto ok = parse_status(title_line, "Dlvl:1 $:0 HP:16(16) Pw:2(2) AC:6 Xp:1/0 T:1   ", s);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(s.title, "Agent the Stripling");
  EXPECT_EQ(s.strength, 18);
  EXPECT_EQ(s.strength_percent, 3);
  EXPECT_EQ(s.dexterity, 10);
  EXPECT_EQ(s.charisma, 7);
  EXPECT_EQ(s.alignment, 0);
  EXPECT_EQ(s.dlvl, 1);
  EXPECT_EQ(s.hp, 16);
  EXPECT_EQ(s.pw_max, 2);
  EXPECT_EQ(s.ac, 6);
  EXPECT_EQ(s.xl, 1);
  EXPECT_EQ(s.exp, 0);
  EXPECT_EQ(s.turn, 1);
  EXPECT_EQ(s.hunger, not_hungry);
}

TEST(Status, ParsesNegativesHungerEncumbranceAndConditions) {
  status s;
  auto ok = parse_status("Sir Knight St:18/** Dx:14 Co:18 In:8 Wi:9 Ch:17 Lawful S:1234",
                         "Dlvl:12 $:1234 HP:-1(120) Pw:30(45) AC:-5 Xp:14/23456 T:45678 Weak Burdened Conf Blind", s);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(s.strength_percent, 100);
  EXPECT_EQ(s.alignment, 1);
  EXPECT_EQ(s.hp, -1);
  EXPECT_EQ(s.ac, -5);
  EXPECT_EQ(s.exp, 23456);
  EXPECT_EQ(s.hunger, weak);
  EXPECT_EQ(s.encumbrance, 1);
  EXPECT_EQ(s.conditions, static_cast<uint32_t>(cond_confused | cond_blind));
}

TEST(Status, ParsesSpecialPlacesAndPolymorph) {
  status s;
  ASSERT_TRUE(parse_status(title_line, "Home 1 $:0 HP:9(9) Pw:0(0) AC:3 HD:3 T:200", s));
  EXPECT_EQ(s.place, "Home");
  EXPECT_EQ(s.dlvl, 1);
  EXPECT_EQ(s.xl, 3);
  ASSERT_TRUE(parse_status(title_line, "Astral Plane $:0 HP:90(90) Pw:50(50) AC:-20 Exp:30 T:50000 Satiated", s));
  EXPECT_EQ(s.place, "Astral Plane");
  EXPECT_EQ(s.dlvl, 0);
  EXPECT_EQ(s.hunger, satiated);
  ASSERT_TRUE(parse_status("Agent St:3 Dx:3 Co:3 In:3 Wi:3 Ch:3 Chaotic", "Dlvl:1 $:0 HP:1(1) Pw:0(0) AC:10 Xp:1", s));
  EXPECT_EQ(s.alignment, -1);
  EXPECT_EQ(s.turn, 0);
}

TEST(Status, ALineThatDoesNotParseIsAnErrorQuotingIt) {
  status s;
  auto bad = parse_status(title_line, "Dlvl:1 $:0 HP:16(16) Pw:2(2) AC:6 Xp:1/0 T:1 Sleepy", s);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "status line does not parse (unknown word 'Sleepy'): 'Dlvl:1 $:0 HP:16(16) Pw:2(2) AC:6 Xp:1/0 T:1 Sleepy'");
  EXPECT_FALSE(parse_status("no status here", "Dlvl:1", s));
  EXPECT_FALSE(parse_status(title_line, "Dlvl:1 $:0 HP:16 Pw:2(2) AC:6 Xp:1/0", s));
  EXPECT_FALSE(parse_status("A St:18 Dx:10 Co:18 In:11 Wi:11 Ch:7 Grumpy", "Dlvl:1 $:0 HP:1(1) Pw:0(0) AC:1 Xp:1", s));
}

}  // namespace
}  // namespace lantern::envs::nethack
