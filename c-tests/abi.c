/* ABI harness: exports, the function tables, package enumeration, FreeContextBuffer, and
   hostile handles and buffer descriptors into every handle-taking export. Built with
   -Wall -Wextra -Werror against include/ and linked with -lsecur32, as a user would. */
#define SECURITY_WIN32
#include <security.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "check.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static ULONG_PTR rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (ULONG_PTR)rng;
}

static const SEC_WCHAR *W(const char *s) {
  static SEC_WCHAR buf[8][64];
  static int k;
  SEC_WCHAR *b = buf[k++ & 7];
  size_t i = 0;
  for (; s[i] && i < 63; i++) b[i] = (SEC_WCHAR)s[i];
  b[i] = 0;
  return b;
}

static void test_tables(void) {
  PSecurityFunctionTableW tw = InitSecurityInterfaceW();
  PSecurityFunctionTableA ta = InitSecurityInterfaceA();
  CHECK(tw != NULL && ta != NULL, "tables exist");
  CHECK(tw->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5, "W version %u", (unsigned)tw->dwVersion);
  CHECK(ta->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5, "A version");
  CHECK(tw->AcquireCredentialsHandleW == AcquireCredentialsHandleW, "W ACH slot");
  CHECK(tw->InitializeSecurityContextW == InitializeSecurityContextW, "W ISC slot");
  CHECK(tw->AcceptSecurityContext == AcceptSecurityContext, "ASC slot");
  CHECK(tw->EncryptMessage == EncryptMessage && tw->DecryptMessage == DecryptMessage, "message slots");
  CHECK((void *)tw->Reserved3 == (void *)EncryptMessage, "Reserved3 = EncryptMessage");
  CHECK((void *)tw->Reserved4 == (void *)DecryptMessage, "Reserved4 = DecryptMessage");
  CHECK(tw->MakeSignature == MakeSignature && tw->VerifySignature == VerifySignature, "sig slots");
  CHECK(tw->FreeContextBuffer == FreeContextBuffer, "FCB slot");
  CHECK(tw->QueryContextAttributesExW == QueryContextAttributesExW, "QCAEx slot");
  CHECK(tw->QueryCredentialsAttributesExW == QueryCredentialsAttributesExW, "QCrAEx slot");
  CHECK(tw->ChangeAccountPasswordW == ChangeAccountPasswordW, "CAP slot");
  CHECK(ta->AcquireCredentialsHandleA == AcquireCredentialsHandleA, "A ACH slot");
  CHECK(ta->InitializeSecurityContextA == InitializeSecurityContextA, "A ISC slot");
  CHECK(ta->QueryContextAttributesA == QueryContextAttributesA, "A QCA slot");
  CHECK(ta->FreeCredentialHandle == FreeCredentialsHandle, "A FreeCredentialHandle slot");
  CHECK(tw->Reserved2 == NULL && tw->Reserved8 == NULL, "reserved slots NULL");
}

static void test_packages(void) {
  ULONG n = 0;
  PSecPkgInfoW infos = NULL;
  CHECK_STATUS(EnumerateSecurityPackagesW(&n, &infos), SEC_E_OK);
  CHECK(n >= 1 && infos != NULL, "at least one package");
  int found = 0;
  for (ULONG i = 0; i < n; i++) {
    const SEC_WCHAR *nm = infos[i].Name;
    if (nm[0] == 'N' && nm[1] == 'T' && nm[2] == 'L' && nm[3] == 'M' && nm[4] == 0) {
      found = 1;
      CHECK(infos[i].cbMaxToken == 2888, "NTLM cbMaxToken %u", (unsigned)infos[i].cbMaxToken);
      CHECK(infos[i].wRPCID == 10, "NTLM wRPCID");
      CHECK(infos[i].fCapabilities & SECPKG_FLAG_INTEGRITY, "NTLM integrity cap");
      CHECK(infos[i].fCapabilities & SECPKG_FLAG_PRIVACY, "NTLM privacy cap");
    }
  }
  CHECK(found, "NTLM listed");
  CHECK_STATUS(FreeContextBuffer(infos), SEC_E_OK);

  ULONG na = 0;
  PSecPkgInfoA ia = NULL;
  CHECK_STATUS(EnumerateSecurityPackagesA(&na, &ia), SEC_E_OK);
  CHECK(na == n, "A and W agree");
  CHECK(ia && strcmp(ia[0].Name, "NTLM") == 0, "A name");
  CHECK_STATUS(FreeContextBuffer(ia), SEC_E_OK);

  PSecPkgInfoA one = NULL;
  CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"ntlm", &one), SEC_E_OK);
  CHECK(one && strcmp(one->Name, "NTLM") == 0 && one->cbMaxToken == 2888, "case-insensitive lookup");
  CHECK_STATUS(FreeContextBuffer(one), SEC_E_OK);
  PSecPkgInfoW onew = NULL;
  CHECK_STATUS(QuerySecurityPackageInfoW((SEC_WCHAR *)W("NtLm"), &onew), SEC_E_OK);
  CHECK(onew && onew->wRPCID == 10, "W lookup");
  CHECK_STATUS(FreeContextBuffer(onew), SEC_E_OK);

  PSecPkgInfoA untouched = (PSecPkgInfoA)(uintptr_t)0x1234;
  CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"NoSuchPackage", &untouched), SEC_E_SECPKG_NOT_FOUND);
  CHECK(untouched == (PSecPkgInfoA)(uintptr_t)0x1234, "out pointer untouched on failure");
  CHECK_STATUS(QuerySecurityPackageInfoA(NULL, &untouched), SEC_E_SECPKG_NOT_FOUND);

  CredHandle h;
  TimeStamp ts;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Bogus", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &h, &ts),
               SEC_E_SECPKG_NOT_FOUND);
  CHECK_STATUS(FreeContextBuffer(NULL), SEC_E_OK);
  char local[8];
  CHECK_STATUS(FreeContextBuffer(local), SEC_E_INVALID_HANDLE);
  CHECK_STATUS(EnumerateSecurityPackagesA(NULL, &ia), SEC_E_INVALID_PARAMETER);
}

/* Every handle-taking export with handle h must give SEC_E_INVALID_HANDLE. */
static unsigned long bad_handle_calls;
static int all_fail_quiet(SecHandle *h) {
  SecBuffer b[2];
  char tok[64], data[16];
  memset(data, 'x', sizeof data);
  b[0].BufferType = SECBUFFER_TOKEN; b[0].cbBuffer = sizeof tok; b[0].pvBuffer = tok;
  b[1].BufferType = SECBUFFER_DATA; b[1].cbBuffer = sizeof data; b[1].pvBuffer = data;
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  SecPkgContext_Sizes sz;
  SecPkgCredentials_NamesA cn;
  ULONG qop, attrs;
  CtxtHandle out;
  TimeStamp ts;
  int ok = 1;
  SECURITY_STATUS s;
#define BAD(expr) do { s = (expr); bad_handle_calls++; if (s != SEC_E_INVALID_HANDLE) { ok = 0; fprintf(stderr, "  %s -> 0x%08X\n", #expr, (unsigned)s); } } while (0)
  BAD(EncryptMessage(h, 0, &d, 0));
  BAD(DecryptMessage(h, &d, 0, &qop));
  BAD(MakeSignature(h, 0, &d, 0));
  BAD(VerifySignature(h, &d, 0, &qop));
  BAD(QueryContextAttributesW(h, SECPKG_ATTR_SIZES, &sz));
  BAD(QueryContextAttributesA(h, SECPKG_ATTR_SIZES, &sz));
  BAD(QueryContextAttributesExW(h, SECPKG_ATTR_SIZES, &sz, sizeof sz));
  BAD(SetContextAttributesW(h, SECPKG_ATTR_SIZES, &sz, sizeof sz));
  BAD(CompleteAuthToken(h, &d));
  BAD(ApplyControlToken(h, &d));
  BAD(ImpersonateSecurityContext(h));
  BAD(RevertSecurityContext(h));
  BAD(QuerySecurityContextToken(h, NULL));
  BAD(QueryCredentialsAttributesA(h, SECPKG_CRED_ATTR_NAMES, &cn));
  BAD(QueryCredentialsAttributesW(h, SECPKG_CRED_ATTR_NAMES, &cn));
  BAD(QueryCredentialsAttributesExW(h, SECPKG_CRED_ATTR_NAMES, &cn, sizeof cn));
  BAD(SetCredentialsAttributesW(h, SECPKG_CRED_ATTR_NAMES, &cn, sizeof cn));
  BAD(InitializeSecurityContextA(h, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &out, &d, &attrs, &ts));
  BAD(InitializeSecurityContextW(NULL, h, (SEC_WCHAR *)W("host/x"), 0, 0, 0, &d, 0, &out, &d, &attrs, &ts));
  BAD(AcceptSecurityContext(h, NULL, &d, 0, 0, &out, &d, &attrs, &ts));
  BAD(AcceptSecurityContext(NULL, h, &d, 0, 0, &out, &d, &attrs, &ts));
  BAD(DeleteSecurityContext(h));
  BAD(FreeCredentialsHandle(h));
#undef BAD
  return ok;
}

static void all_fail(SecHandle *h) {
  CHECK(all_fail_quiet(h), "handle {%lx,%lx}: every export returned SEC_E_INVALID_HANDLE",
        (unsigned long)h->dwLower, (unsigned long)h->dwUpper);
}

static void test_handles(void) {
  /* NULL pointers to handles. */
  CHECK_STATUS(DeleteSecurityContext(NULL), SEC_E_INVALID_HANDLE);
  CHECK_STATUS(FreeCredentialsHandle(NULL), SEC_E_INVALID_HANDLE);
  CHECK_STATUS(EncryptMessage(NULL, 0, NULL, 0), SEC_E_INVALID_HANDLE);
  CHECK_STATUS(DecryptMessage(NULL, NULL, 0, NULL), SEC_E_INVALID_HANDLE);
  SecHandle z = {0, 0};
  all_fail(&z);
  SecHandle ones;
  SecInvalidateHandle(&ones);
  CHECK(!SecIsValidHandle(&ones), "SecInvalidateHandle");
  all_fail(&ones);

  /* Real credential: deleted, double-deleted, and used as a context (wrong kind). */
  SEC_WINNT_AUTH_IDENTITY_A id;
  memset(&id, 0, sizeof id);
  id.User = (unsigned char *)"user"; id.UserLength = 4;
  id.Domain = (unsigned char *)"DOMAIN"; id.DomainLength = 6;
  id.Password = (unsigned char *)"Password01"; id.PasswordLength = 10;
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  CredHandle cred;
  TimeStamp ts;
  SECURITY_STATUS s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred, &ts);
  CHECK_STATUS(s, SEC_E_OK);
  if (s == SEC_E_OK) {
    SecBuffer b = { 16, SECBUFFER_TOKEN, NULL };
    char t[16];
    b.pvBuffer = t;
    SecBufferDesc d = { SECBUFFER_VERSION, 1, &b };
    CHECK_STATUS(EncryptMessage(&cred, 0, &d, 0), SEC_E_INVALID_HANDLE);      /* credential as context */
    CHECK_STATUS(DeleteSecurityContext(&cred), SEC_E_INVALID_HANDLE);
    CredHandle forged = cred;
    forged.dwUpper ^= 0x100; /* another generation */
    CHECK_STATUS(FreeCredentialsHandle(&forged), SEC_E_INVALID_HANDLE);
    forged = cred;
    forged.dwLower ^= 1;
    CHECK_STATUS(FreeCredentialsHandle(&forged), SEC_E_INVALID_HANDLE);
    CHECK_STATUS(FreeCredentialsHandle(&cred), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&cred), SEC_E_INVALID_HANDLE);   /* double delete */
    all_fail(&cred);                                                     /* stale */
    CredHandle again;
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &again, &ts), SEC_E_OK);
    CHECK_STATUS(FreeCredentialsHandle(&cred), SEC_E_INVALID_HANDLE);   /* slot reused, old handle stale */
    CHECK_STATUS(FreeCredentialsHandle(&again), SEC_E_OK);
  }

  /* 10^6 random handles: each must be refused by every export. */
  unsigned long bad = 0;
  unsigned long n = 1000000;
  const char *env = getenv("SECUR32_RANDOM_HANDLES");
  if (env) n = strtoul(env, NULL, 10);
  for (unsigned long i = 0; i < n; i++) {
    SecHandle h;
    switch (i % 4) {
      case 0: h.dwLower = rnd(); h.dwUpper = rnd(); break;
      case 1: h.dwLower = rnd() & 0xFFFF; h.dwUpper = rnd() & 0xFFFF; break;       /* small values */
      case 2: h.dwLower = i; h.dwUpper = (rnd() << 8) | 0xC7; break;              /* context tag */
      default: h.dwLower = rnd() & 0xFFFFFF; h.dwUpper = (rnd() << 8) | 0x5C; break; /* credential tag */
    }
    if (!all_fail_quiet(&h) && ++bad > 10) break;
  }
  CHECK(bad == 0, "%lu random handles refused (%lu accepted)", n, bad);
  printf("abi: %lu random handles, %lu hostile-handle calls\n", n, bad_handle_calls);
}

static void test_bad_descs(void) {
  SEC_WINNT_AUTH_IDENTITY_A id;
  memset(&id, 0, sizeof id);
  id.User = (unsigned char *)"user"; id.UserLength = 4;
  id.Password = (unsigned char *)"pw"; id.PasswordLength = 2;
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  CredHandle cred;
  TimeStamp ts;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred, &ts), SEC_E_OK);
  CtxtHandle ctx;
  ULONG attrs;
  SecBuffer ob = { 0, SECBUFFER_TOKEN, NULL };
  char tok[4096];
  ob.pvBuffer = tok; ob.cbBuffer = sizeof tok;
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  /* Wrong ulVersion, NULL pBuffers with a count, and a huge count. */
  SecBufferDesc bad = od;
  bad.ulVersion = 7;
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &bad, &attrs, &ts), SEC_E_INVALID_TOKEN);
  bad = od; bad.pBuffers = NULL;
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &bad, &attrs, &ts), SEC_E_INVALID_TOKEN);
  bad = od; bad.cBuffers = 0x7FFFFFFF;
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &bad, &attrs, &ts), SEC_E_INVALID_PARAMETER);
  /* NULL pvBuffer with a size. */
  SecBuffer nb = { 100, SECBUFFER_TOKEN, NULL };
  SecBufferDesc nd = { SECBUFFER_VERSION, 1, &nb };
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &nd, &attrs, &ts), SEC_E_INVALID_PARAMETER);
  /* Output token too small. */
  SecBuffer sb = { 4, SECBUFFER_TOKEN, tok };
  SecBufferDesc sd = { SECBUFFER_VERSION, 1, &sb };
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &sd, &attrs, &ts), SEC_E_BUFFER_TOO_SMALL);
  /* No token buffer at all. */
  SecBuffer db = { sizeof tok, SECBUFFER_DATA, tok };
  SecBufferDesc dd = { SECBUFFER_VERSION, 1, &db };
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &dd, &attrs, &ts), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(FreeCredentialsHandle(&cred), SEC_E_OK);
}

int main(void) {
  test_tables();
  test_packages();
  test_handles();
  test_bad_descs();
  CHECK_SUMMARY("abi");
}
