#include "core/rng.hpp"

#include <gtest/gtest.h>

#include <array>

namespace lantern::core {
namespace {

TEST(Rng, SameSeedSameSequenceDifferentSeedDifferentSequence) {
  pcg32 a(42), b(42), c(43);
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    uint32_t x = a.next();
    EXPECT_EQ(x, b.next());
    differ += x != c.next();
  }
  EXPECT_GT(differ, 95);
}

TEST(Rng, KnownValuesPinTheStreamAcrossCompilers) {
  // If these change, every seeded game changes: that is a breaking change to announce.
  // Values recorded from this implementation; FNV-1a checked against an independent one.
  pcg32 r(7);
  EXPECT_EQ(r.next(), 2264388063u);
  EXPECT_EQ(r.next(), 4183398979u);
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(fnv1a("lantern"), 11568612318942288207ULL);
  EXPECT_EQ(derive_seed(1, 0), 4526406653003451538ULL);
  EXPECT_NE(derive_seed(1, 0), derive_seed(1, 1));
  EXPECT_NE(derive_seed(1, 0), derive_seed(2, 0));
}

TEST(Rng, BelowIsUniformAndInRange) {
  pcg32 r(1);
  std::array<int, 6> counts{};
  for (int i = 0; i < 60000; ++i) {
    uint32_t x = r.below(6);
    ASSERT_LT(x, 6u);
    ++counts[x];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(Rng, UniformIsInUnitInterval) {
  pcg32 r(3);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

TEST(Rng, ShuffleIsAPermutationAndDeterministic) {
  std::vector<int> a{1, 2, 3, 4, 5, 6, 7, 8}, b = a;
  pcg32 r1(9), r2(9);
  shuffle(a, r1);
  shuffle(b, r2);
  EXPECT_EQ(a, b);
  std::sort(a.begin(), a.end());
  EXPECT_EQ(a, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(Rng, StateCanBeSavedAndRestored) {
  pcg32 r(5);
  r.next();
  auto s = r.state(), inc = r.increment();
  uint32_t want = r.next();
  pcg32 other;
  other.restore(s, inc);
  EXPECT_EQ(other.next(), want);
}

}  // namespace
}  // namespace lantern::core
