/* Minimal test macros for the C harness: each CHECK counts a pass or a failure. */
#ifndef SECUR32_CHECK_H
#define SECUR32_CHECK_H
#include <stdio.h>

static unsigned long g_pass, g_fail;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (cond) {                                                            \
      g_pass++;                                                            \
    } else {                                                               \
      g_fail++;                                                            \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                 \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
    }                                                                      \
  } while (0)

#define CHECK_STATUS(expr, want)                                           \
  do {                                                                     \
    SECURITY_STATUS s_ = (expr);                                           \
    CHECK(s_ == (SECURITY_STATUS)(want), "%s = 0x%08X, want %s (0x%08X)",  \
          #expr, (unsigned)s_, #want, (unsigned)(want));                   \
  } while (0)

#define CHECK_SUMMARY(name)                                                \
  do {                                                                     \
    printf("%s: %lu passed, %lu failed\n", name, g_pass, g_fail);          \
    return g_fail ? 1 : 0;                                                 \
  } while (0)

#endif
