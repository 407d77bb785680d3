/* Heap-allocation counter for the C harness and the benchmark: the program defines malloc,
   calloc, realloc, posix_memalign, aligned_alloc and memalign itself (link with -rdynamic so
   that libsecur32.so, loaded or linked, resolves them here), forwards to glibc's __libc_*
   entry points, and counts calls made on a thread while alloc_count_begin() is in force.
   Include from exactly one translation unit. */
#ifndef SECUR32_ALLOC_COUNT_H
#define SECUR32_ALLOC_COUNT_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

/* volatile: the compiler assumes malloc touches no program state (it is a builtin). */
static __thread volatile int alloc_counting;
static __thread volatile unsigned long alloc_calls;

static inline void alloc_count_begin(void) { alloc_calls = 0; alloc_counting = 1; }
/* Stops counting on this thread; returns the allocations (malloc, calloc, realloc,
   posix_memalign, aligned_alloc, memalign) it made since alloc_count_begin(). */
static inline unsigned long alloc_count_end(void) { alloc_counting = 0; return alloc_calls; }

#define ALLOC_NOTE() do { if (alloc_counting) alloc_calls++; } while (0)

/* Not under AddressSanitizer or ThreadSanitizer, whose malloc must be the one in force (as
   schannel.c does): there nothing is counted and alloc_count_end() returns 0. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_COUNT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ALLOC_COUNT_SANITIZED 1
#endif
#endif

#ifndef ALLOC_COUNT_SANITIZED
void *malloc(size_t n) { ALLOC_NOTE(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { ALLOC_NOTE(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { ALLOC_NOTE(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t al, size_t n) { ALLOC_NOTE(); return __libc_memalign(al, n); }
void *aligned_alloc(size_t al, size_t n) { ALLOC_NOTE(); return __libc_memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n) {
  void *p;
  ALLOC_NOTE();
  if (al < sizeof(void *) || (al & (al - 1)) != 0) return EINVAL;
  p = __libc_memalign(al, n);
  if (!p && n) return ENOMEM;
  *out = p;
  return 0;
}
#endif /* ALLOC_COUNT_SANITIZED */
#endif
