// core/rng.hpp: Lantern's own seeded random numbers. std:: distributions differ between
// standard libraries, so every seeded draw goes through these functions and the same seed gives
// the same game on every compiler.
//
//   core::pcg32 rng(core::derive_seed(master, core::stream::map));
//   int room = rng.below(10);          // uniform in [0, 10)
//   core::shuffle(items, rng);
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace lantern::core {

/// SplitMix64 step: a good 64-bit mixer, used to derive independent seeds.
constexpr uint64_t splitmix64(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Derives the seed of sub-stream `index` of `seed` (env i of a batch, episode k of an env,
/// the map stream of a game...). Distinct indices give unrelated streams.
constexpr uint64_t derive_seed(uint64_t seed, uint64_t index) noexcept {
  return splitmix64(splitmix64(seed) ^ splitmix64(index + 0x632be59bd9b4e019ULL));
}

/// 64-bit FNV-1a of a string: stable across runs and platforms (std::hash is not).
constexpr uint64_t fnv1a(std::string_view s) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// PCG32 (O'Neill, pcg-random.org, XSH-RR variant): small state, fast, statistically solid.
class pcg32 {
 public:
  explicit pcg32(uint64_t seed = 0x853c49e6748fea9bULL, uint64_t stream = 0xda3e39cb94b95bdbULL) noexcept {
    seed_with(seed, stream);
  }

  void seed_with(uint64_t seed, uint64_t stream = 0xda3e39cb94b95bdbULL) noexcept {
    state_ = 0;
    inc_ = (stream << 1u) | 1u;
    next();
    state_ += splitmix64(seed);
    next();
  }

  /// Next 32 uniformly random bits.
  uint32_t next() noexcept {
    uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + inc_;
    auto xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    auto rot = static_cast<uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
  }

  /// Uniform integer in [0, n), n > 0, without modulo bias (Lemire's method).
  uint32_t below(uint32_t n) noexcept {
    uint64_t m = uint64_t{next()} * n;
    auto low = static_cast<uint32_t>(m);
    if (low < n) {
      uint32_t threshold = (0u - n) % n;
      while (low < threshold) {
        m = uint64_t{next()} * n;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }

  /// Uniform integer in [lo, hi], lo <= hi.
  int64_t between(int64_t lo, int64_t hi) noexcept {
    return lo + static_cast<int64_t>(below(static_cast<uint32_t>(hi - lo + 1)));
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() noexcept {
    uint64_t bits = (uint64_t{next()} << 21) ^ (uint64_t{next()} >> 11);
    return static_cast<double>(bits & ((1ULL << 53) - 1)) * 0x1.0p-53;
  }

  /// True with probability p.
  bool chance(double p) noexcept { return uniform() < p; }

  uint64_t state() const noexcept { return state_; }
  uint64_t increment() const noexcept { return inc_; }
  void restore(uint64_t state, uint64_t increment) noexcept {
    state_ = state;
    inc_ = increment;
  }

 private:
  uint64_t state_ = 0;
  uint64_t inc_ = 1;
};

/// Fisher-Yates shuffle driven by pcg32 (std::shuffle's output is implementation-defined).
template <class T>
void shuffle(std::vector<T>& v, pcg32& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    size_t j = rng.below(static_cast<uint32_t>(i));
    std::swap(v[i - 1], v[j]);
  }
}

/// A uniformly chosen element; v must not be empty.
template <class T>
const T& pick(const std::vector<T>& v, pcg32& rng) {
  return v[rng.below(static_cast<uint32_t>(v.size()))];
}

}  // namespace lantern::core
