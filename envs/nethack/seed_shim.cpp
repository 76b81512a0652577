// envs/nethack/seed_shim.cpp: an LD_PRELOAD library that makes NetHack deterministic. NetHack
// seeds its RNG from /dev/urandom (through fopen) and reads the clock through time() (moon
// phase, Friday the 13th, night). With NH_SEED set, opening /dev/urandom yields a stream from
// a SplitMix64 generator seeded by it; with NH_TIME set, time() returns that value. Only for
// the non-setgid copy of the game: the loader ignores LD_PRELOAD for setgid binaries.
#include <dlfcn.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

uint64_t g_state = 0;
bool g_seeded = false;

uint64_t next_u64() {
  uint64_t z = (g_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Each open gets fresh bytes; the buffers live for the life of the process (a few KiB per
// reseed), as fmemopen needs its buffer while the stream is open.
FILE* seeded_stream() {
  if (!g_seeded) {
    g_state = std::strtoull(std::getenv("NH_SEED"), nullptr, 10);
    g_seeded = true;
  }
  constexpr size_t size = 256;
  auto* buf = static_cast<unsigned char*>(std::malloc(size));
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = next_u64();
    std::memcpy(buf + i, &v, 8);
  }
  return fmemopen(buf, size, "r");
}

bool is_urandom(const char* path) {
  return path && (std::strcmp(path, "/dev/urandom") == 0 || std::strcmp(path, "/dev/random") == 0) &&
         std::getenv("NH_SEED");
}

}  // namespace

extern "C" {

FILE* fopen(const char* path, const char* mode) {
  using fn = FILE* (*)(const char*, const char*);
  static fn real = reinterpret_cast<fn>(dlsym(RTLD_NEXT, "fopen"));
  if (is_urandom(path)) return seeded_stream();
  return real(path, mode);
}

FILE* fopen64(const char* path, const char* mode) {
  using fn = FILE* (*)(const char*, const char*);
  static fn real = reinterpret_cast<fn>(dlsym(RTLD_NEXT, "fopen64"));
  if (is_urandom(path)) return seeded_stream();
  return real(path, mode);
}

time_t time(time_t* out) {
  using fn = time_t (*)(time_t*);
  static fn real = reinterpret_cast<fn>(dlsym(RTLD_NEXT, "time"));
  const char* fixed = std::getenv("NH_TIME");
  if (!fixed) return real(out);
  auto t = static_cast<time_t>(std::strtoll(fixed, nullptr, 10));
  if (out) *out = t;
  return t;
}

}  // extern "C"
