// The way a fuzz entry point reports a violated invariant: what failed, with printf-style
// details, then a trap, so that libFuzzer keeps the input and the test replaying it stops there.
#pragma once

#include <cstdio>

#define FUZZ_INVARIANT(cond, ...)                                                                \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "fuzz invariant violated at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                         \
      std::fputc('\n', stderr);                                                                  \
      __builtin_trap();                                                                          \
    }                                                                                            \
  } while (0)
