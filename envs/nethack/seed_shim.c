/* envs/nethack/seed_shim.c: an LD_PRELOAD library that makes NetHack deterministic. NetHack
 * seeds its RNG from /dev/urandom (through fopen) and reads the clock through time() (moon
 * phase, Friday the 13th, night). With NH_SEED set, opening /dev/urandom yields a stream from
 * a SplitMix64 generator seeded by it; with NH_TIME set, time() returns that value. Written in
 * C and linked against libc alone: loading libstdc++ into every game start would cost
 * milliseconds. Only for the non-setgid copy of the game: the loader ignores LD_PRELOAD for
 * setgid binaries. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t g_state;
static int g_seeded;

static uint64_t next_u64(void) {
  uint64_t z = (g_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Each open gets fresh bytes; the buffers live as long as the process (256 bytes per reseed),
 * since fmemopen needs its buffer while the stream is open. */
static FILE* seeded_stream(void) {
  enum { size = 256 };
  unsigned char* buf;
  size_t i;
  if (!g_seeded) {
    g_state = strtoull(getenv("NH_SEED"), NULL, 10);
    g_seeded = 1;
  }
  buf = malloc(size);
  if (!buf) return NULL;
  for (i = 0; i < size; i += 8) {
    uint64_t v = next_u64();
    memcpy(buf + i, &v, 8);
  }
  return fmemopen(buf, size, "r");
}

static int is_urandom(const char* path) {
  return path && (strcmp(path, "/dev/urandom") == 0 || strcmp(path, "/dev/random") == 0) && getenv("NH_SEED");
}

typedef FILE* (*fopen_fn)(const char*, const char*);
typedef time_t (*time_fn)(time_t*);

FILE* fopen(const char* path, const char* mode) {
  static fopen_fn real;
  if (is_urandom(path)) return seeded_stream();
  if (!real) real = (fopen_fn)dlsym(RTLD_NEXT, "fopen");
  return real(path, mode);
}

FILE* fopen64(const char* path, const char* mode) {
  static fopen_fn real;
  if (is_urandom(path)) return seeded_stream();
  if (!real) real = (fopen_fn)dlsym(RTLD_NEXT, "fopen64");
  return real(path, mode);
}

time_t time(time_t* out) {
  static time_fn real;
  const char* fixed = getenv("NH_TIME");
  time_t t;
  if (!fixed) {
    if (!real) real = (time_fn)dlsym(RTLD_NEXT, "time");
    return real(out);
  }
  t = (time_t)strtoll(fixed, NULL, 10);
  if (out) *out = t;
  return t;
}
