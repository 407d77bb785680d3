/* A tiny C consumer of an installed secur32: built by c-tests/packaging-test.sh through
   find_package(secur32) (CMakeLists.txt) and through pkg-config, shared and static.
   Exits 0 when the library answers as Windows' secur32.dll would. */
#define SECURITY_WIN32
#include <security.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int failures = 0;

#define CHECK(cond, ...)                   \
  do {                                     \
    if (!(cond)) {                         \
      fprintf(stderr, "consumer: FAIL: "); \
      fprintf(stderr, __VA_ARGS__);        \
      fprintf(stderr, "\n");               \
      failures++;                          \
    }                                      \
  } while (0)

static void query(const char *asked) {
  char name[32];
  PSecPkgInfoA info = NULL;
  SECURITY_STATUS st;

  /* SEC_CHAR * is not const in the API. */
  snprintf(name, sizeof name, "%s", asked);
  st = QuerySecurityPackageInfoA(name, &info);
  CHECK(st == SEC_E_OK, "QuerySecurityPackageInfoA(\"%s\") = 0x%08lx", asked,
        (unsigned long)(ULONG)st);
  if (st != SEC_E_OK) return;
  CHECK(info != NULL, "QuerySecurityPackageInfoA(\"%s\") returned no info", asked);
  if (info == NULL) return;
  CHECK(info->Name != NULL && strcasecmp(info->Name, "NTLM") == 0,
        "QuerySecurityPackageInfoA(\"%s\") named the package \"%s\"", asked,
        info->Name ? info->Name : "(null)");
  CHECK(info->cbMaxToken > 0, "NTLM cbMaxToken is 0");
  printf("query %-6s -> %s (cbMaxToken %lu)\n", asked, info->Name ? info->Name : "(null)",
         (unsigned long)info->cbMaxToken);
  CHECK(FreeContextBuffer(info) == SEC_E_OK, "FreeContextBuffer(info) failed");
}

int main(void) {
  ULONG count = 0;
  PSecPkgInfoA pkgs = NULL;
  SECURITY_STATUS st;
  int have_ntlm = 0;
  ULONG i;

  st = EnumerateSecurityPackagesA(&count, &pkgs);
  CHECK(st == SEC_E_OK, "EnumerateSecurityPackagesA = 0x%08lx", (unsigned long)(ULONG)st);
  if (st == SEC_E_OK) {
    CHECK(count > 0 && pkgs != NULL, "EnumerateSecurityPackagesA returned %lu packages",
          (unsigned long)count);
    for (i = 0; pkgs != NULL && i < count; i++) {
      const char *n = pkgs[i].Name ? pkgs[i].Name : "(null)";
      printf("package %lu: %s\n", (unsigned long)i, n);
      if (strcmp(n, "NTLM") == 0) have_ntlm = 1;
    }
    CHECK(have_ntlm, "NTLM is not among the enumerated packages");
    CHECK(FreeContextBuffer(pkgs) == SEC_E_OK, "FreeContextBuffer(pkgs) failed");
  }

  /* Package names are matched case-insensitively, as on Windows. */
  query("ntlm");
  query("NTLM");
  query("NtLm");

  if (failures) {
    fprintf(stderr, "consumer: %d check(s) failed\n", failures);
    return 1;
  }
  printf("consumer: ok\n");
  return 0;
}
