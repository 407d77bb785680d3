/* ABI harness: exports, the function tables, package enumeration, FreeContextBuffer, and
   hostile handles and buffer descriptors into every handle-taking export. Built with
   -Wall -Wextra -Werror against include/ and linked with -lsecur32, as a user would. */
#define SECURITY_WIN32
#include <security.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "check.h"
#include "ntlm_util.h"

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

/* The address of an export. Windows SDK headers (mingw's) declare the functions without
   dllimport, so `EncryptMessage` in an .exe is the import thunk, not the DLL's function; the
   DLL's address is GetProcAddress's. */
#ifdef _WIN32
#define EXPORT(f) ((void *)GetProcAddress(GetModuleHandleA("secur32.dll"), #f))
#else
#define EXPORT(f) ((void *)(f))
#endif

static void test_tables(void) {
  PSecurityFunctionTableW tw = InitSecurityInterfaceW();
  PSecurityFunctionTableA ta = InitSecurityInterfaceA();
  CHECK(tw != NULL && ta != NULL, "tables exist");
  /* Windows reports SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION (1) (Wine
     dlls/secur32/tests/secur32.c test_InitSecurityInterface, run on Windows). */
  CHECK(tw->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION, "W version %u", (unsigned)tw->dwVersion);
  CHECK(ta->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION, "A version");
  CHECK((void *)tw->AcquireCredentialsHandleW == EXPORT(AcquireCredentialsHandleW), "W ACH slot");
  CHECK((void *)tw->InitializeSecurityContextW == EXPORT(InitializeSecurityContextW), "W ISC slot");
  CHECK((void *)tw->AcceptSecurityContext == EXPORT(AcceptSecurityContext), "ASC slot");
  CHECK((void *)tw->EncryptMessage == EXPORT(EncryptMessage) && (void *)tw->DecryptMessage == EXPORT(DecryptMessage), "message slots");
  CHECK((void *)tw->Reserved3 == EXPORT(EncryptMessage), "Reserved3 = EncryptMessage");
  CHECK((void *)tw->Reserved4 == EXPORT(DecryptMessage), "Reserved4 = DecryptMessage");
  CHECK((void *)tw->MakeSignature == EXPORT(MakeSignature) && (void *)tw->VerifySignature == EXPORT(VerifySignature), "sig slots");
  CHECK((void *)tw->FreeContextBuffer == EXPORT(FreeContextBuffer), "FCB slot");
  CHECK((void *)tw->QueryContextAttributesExW == EXPORT(QueryContextAttributesExW), "QCAEx slot");
  CHECK((void *)tw->QueryCredentialsAttributesExW == EXPORT(QueryCredentialsAttributesExW), "QCrAEx slot");
  CHECK((void *)tw->ChangeAccountPasswordW == EXPORT(ChangeAccountPasswordW), "CAP slot");
  CHECK((void *)ta->AcquireCredentialsHandleA == EXPORT(AcquireCredentialsHandleA), "A ACH slot");
  CHECK((void *)ta->InitializeSecurityContextA == EXPORT(InitializeSecurityContextA), "A ISC slot");
  CHECK((void *)ta->QueryContextAttributesA == EXPORT(QueryContextAttributesA), "A QCA slot");
  CHECK((void *)ta->FreeCredentialHandle == EXPORT(FreeCredentialsHandle), "A FreeCredentialHandle slot");
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
  /* NULL pvBuffer with a size, no ALLOCATE_MEMORY: SEC_E_INTERNAL_ERROR, as Windows' NTLM
     (Wine dlls/secur32/tests/ntlm.c runClient, run on Windows). */
  SecBuffer nb = { 100, SECBUFFER_TOKEN, NULL };
  SecBufferDesc nd = { SECBUFFER_VERSION, 1, &nb };
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &nd, &attrs, &ts), SEC_E_INTERNAL_ERROR);
  /* Output token too small. */
  SecBuffer sb = { 4, SECBUFFER_TOKEN, tok };
  SecBufferDesc sd = { SECBUFFER_VERSION, 1, &sb };
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &sd, &attrs, &ts), SEC_E_BUFFER_TOO_SMALL);
  /* No token buffer at all: SEC_E_BUFFER_TOO_SMALL, as Windows' NTLM (same source). */
  SecBuffer db = { sizeof tok, SECBUFFER_DATA, tok };
  SecBufferDesc dd = { SECBUFFER_VERSION, 1, &db };
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &ctx, &dd, &attrs, &ts), SEC_E_BUFFER_TOO_SMALL);
  CHECK_STATUS(FreeCredentialsHandle(&cred), SEC_E_OK);
}

static int roundtrip_ok(pair_t *p) {
  unsigned char sig[16], buf[8] = "rt-data";
  ULONG qop;
  return seal(&p->cctx, sig, buf, 7, 0) == SEC_E_OK && unseal(&p->sctx, sig, buf, 7, 0, &qop) == SEC_E_OK &&
         memcmp(buf, "rt-data", 7) == 0;
}
static int roundtrip_server_alive(pair_t *p) {
  unsigned char sig[16], buf[8] = "rt-data";
  return seal(&p->sctx, sig, buf, 7, 0) == SEC_E_OK;
}

/* Real contexts: stale (deleted), double-deleted, forged from a live one, used as credentials
   (wrong kind), slot reuse; then 10^4 handles of deleted contexts, each refused everywhere. */
static unsigned long ctx_handles_tried;
static void test_context_handles(void) {
  pair_t p;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &p.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, NTLM_REQ, NTLM_ASC, "host/abi"), SEC_E_OK);
  /* Wrong kind: a live context into credential functions, a live credential into context ones. */
  SecPkgCredentials_NamesA cn;
  CHECK_STATUS(FreeCredentialsHandle(&p.cctx), SEC_E_INVALID_HANDLE);
  CHECK_STATUS(QueryCredentialsAttributesA(&p.cctx, SECPKG_CRED_ATTR_NAMES, &cn), SEC_E_INVALID_HANDLE);
  CtxtHandle out;
  ULONG attrs;
  TimeStamp ts;
  unsigned char tok[4096];
  SecBuffer ob = { sizeof tok, SECBUFFER_TOKEN, tok };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  CHECK_STATUS(InitializeSecurityContextA(&p.cctx, NULL, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &out, &od, &attrs, &ts), SEC_E_INVALID_HANDLE);
  CHECK_STATUS(InitializeSecurityContextA(&p.ccred, &p.ccred, (SEC_CHAR *)"host/x", 0, 0, 0, NULL, 0, &out, &od, &attrs, &ts), SEC_E_INVALID_HANDLE);
  SecPkgContext_Sizes sz;
  CHECK_STATUS(QueryContextAttributesA(&p.ccred, SECPKG_ATTR_SIZES, &sz), SEC_E_INVALID_HANDLE);
  /* Forged from a live context: other generations, far-away indexes, the credential tag. */
  for (int k = 0; k < 24; k++) {
    CtxtHandle f = p.cctx;
    if (k < 8) f.dwUpper ^= (ULONG_PTR)1 << (8 + k);                 /* generation bits */
    else if (k < 16) f.dwLower ^= (ULONG_PTR)1 << (16 + k);          /* index far away */
    else f.dwUpper = (f.dwUpper & ~(ULONG_PTR)0xFF) | (ULONG_PTR)(k * 7); /* other tags */
    if ((f.dwUpper & 0xFF) == 0xC7 && f.dwLower == p.cctx.dwLower && f.dwUpper == p.cctx.dwUpper) continue;
    all_fail(&f);
    ctx_handles_tried++;
  }
  CHECK(roundtrip_ok(&p), "live context unaffected by forged handles");
  /* Stale and double-deleted. */
  CtxtHandle dead = p.cctx;
  CHECK_STATUS(DeleteSecurityContext(&p.cctx), SEC_E_OK);
  all_fail(&dead); /* includes a second DeleteSecurityContext */
  ctx_handles_tried++;
  /* Slot reuse: a new context may take the slot; the old handle stays dead. */
  CtxtHandle fresh;
  ob.cbBuffer = sizeof tok;
  CHECK_STATUS(InitializeSecurityContextA(&p.ccred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, NULL, 0, &fresh, &od, &attrs, &ts), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(DeleteSecurityContext(&dead), SEC_E_INVALID_HANDLE);
  CHECK_STATUS(DeleteSecurityContext(&fresh), SEC_E_OK);
  /* 10^4 contexts created and deleted, then every dead handle refused by every export. */
  enum { NDEAD = 10000 };
  static CtxtHandle deadh[NDEAD];
  for (int i = 0; i < NDEAD; i++) {
    ob.cbBuffer = sizeof tok;
    if (InitializeSecurityContextA(&p.ccred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, NULL, 0, &deadh[i], &od, &attrs, &ts) != SEC_I_CONTINUE_NEEDED ||
        DeleteSecurityContext(&deadh[i]) != SEC_E_OK) {
      CHECK(0, "create/delete %d", i);
      break;
    }
  }
  unsigned long bad = 0;
  for (int i = 0; i < NDEAD; i++) {
    if (!all_fail_quiet(&deadh[i])) bad++;
    ctx_handles_tried++;
  }
  CHECK(bad == 0, "%d stale context handles refused (%lu accepted)", NDEAD, bad);
  /* Dead credential handles too (freed after use by contexts). */
  CredHandle cdead = p.ccred;
  CHECK_STATUS(FreeCredentialsHandle(&p.ccred), SEC_E_OK);
  all_fail(&cdead);
  CHECK(roundtrip_server_alive(&p), "server context survives");
  CHECK_STATUS(DeleteSecurityContext(&p.sctx), SEC_E_OK);
  CHECK_STATUS(FreeCredentialsHandle(&p.scred), SEC_E_OK);
  printf("abi: %lu context handles (forged, stale, double-deleted) refused by every export\n", ctx_handles_tried);
}

/* Malformed SecBufferDesc shapes into the message functions of an established context, and
   overlapping buffers. Documented codes: NULL desc, wrong ulVersion, NULL pBuffers with a count,
   no TOKEN or no DATA buffer -> SEC_E_INVALID_TOKEN; cBuffers > 64 or misaligned pBuffers or
   NULL pvBuffer with a size -> SEC_E_INVALID_PARAMETER; TOKEN smaller than 16 ->
   SEC_E_BUFFER_TOO_SMALL. Overlapping buffers are processed in buffer order (each buffer is
   lent to the package alone, so no undefined behaviour): sealing with TOKEN and DATA on the same
   memory succeeds but the signature overwrites the ciphertext, so the peer reports
   SEC_E_MESSAGE_ALTERED; in-place token exchange (input and output token on one buffer) works. */
static void test_message_descs(void) {
  pair_t p;
  memset(&p, 0, sizeof p);
  acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &p.ccred);
  acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &p.scred);
  CHECK_STATUS(handshake(&p, NTLM_REQ, NTLM_ASC, "host/abi"), SEC_E_OK);
  unsigned char sig[32], data[32] = "payload";
  ULONG qop;
  SecBuffer ok[2] = { { 16, SECBUFFER_TOKEN, sig }, { 7, SECBUFFER_DATA, data } };
  _Alignas(16) unsigned char raw[sizeof(SecBuffer) * 2 + 8];
  SecBuffer *mis = (SecBuffer *)(void *)(raw + 1);
  memcpy(mis, ok, sizeof ok);
  SecBuffer nullp[2] = { { 16, SECBUFFER_TOKEN, sig }, { 7, SECBUFFER_DATA, NULL } };
  SecBuffer nulltok[2] = { { 16, SECBUFFER_TOKEN, NULL }, { 7, SECBUFFER_DATA, data } };
  struct { SecBufferDesc d; SECURITY_STATUS want; const char *what; } cases[] = {
    { { 1, 2, ok }, SEC_E_INVALID_TOKEN, "ulVersion 1" },
    { { 0xFFFFFFFF, 2, ok }, SEC_E_INVALID_TOKEN, "ulVersion ~0" },
    { { SECBUFFER_VERSION, 2, NULL }, SEC_E_INVALID_TOKEN, "NULL pBuffers" },
    { { SECBUFFER_VERSION, 0, ok }, SEC_E_INVALID_TOKEN, "cBuffers 0" },
    { { SECBUFFER_VERSION, 65, ok }, SEC_E_INVALID_PARAMETER, "cBuffers 65" },
    { { SECBUFFER_VERSION, 0xFFFFFFFF, ok }, SEC_E_INVALID_PARAMETER, "cBuffers ~0" },
    { { SECBUFFER_VERSION, 2, mis }, SEC_E_INVALID_PARAMETER, "misaligned pBuffers" },
    { { SECBUFFER_VERSION, 2, nullp }, SEC_E_INVALID_PARAMETER, "NULL DATA pvBuffer with size" },
    { { SECBUFFER_VERSION, 2, nulltok }, SEC_E_INVALID_PARAMETER, "NULL TOKEN pvBuffer with size" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    SecBufferDesc d = cases[i].d;
    SECURITY_STATUS s;
    s = EncryptMessage(&p.cctx, 0, &d, 0);
    CHECK(s == cases[i].want, "EncryptMessage %s = 0x%08X", cases[i].what, (unsigned)s);
    s = DecryptMessage(&p.sctx, &d, 0, &qop);
    CHECK(s == cases[i].want, "DecryptMessage %s = 0x%08X", cases[i].what, (unsigned)s);
    s = MakeSignature(&p.cctx, 0, &d, 0);
    CHECK(s == cases[i].want, "MakeSignature %s = 0x%08X", cases[i].what, (unsigned)s);
    s = VerifySignature(&p.sctx, &d, 0, &qop);
    CHECK(s == cases[i].want, "VerifySignature %s = 0x%08X", cases[i].what, (unsigned)s);
  }
  CHECK_STATUS(EncryptMessage(&p.cctx, 0, NULL, 0), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(DecryptMessage(&p.sctx, NULL, 0, &qop), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(MakeSignature(&p.cctx, 0, NULL, 0), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(VerifySignature(&p.sctx, NULL, 0, &qop), SEC_E_INVALID_TOKEN);
  CHECK(roundtrip_ok(&p), "context unaffected by malformed descriptors");

  /* Overlapping: TOKEN and DATA on the same 32 bytes. */
  unsigned char same[32];
  memset(same, 'a', sizeof same);
  SecBuffer ov[2] = { { 16, SECBUFFER_TOKEN, same }, { 32, SECBUFFER_DATA, same } };
  SecBufferDesc od = { SECBUFFER_VERSION, 2, ov };
  CHECK_STATUS(EncryptMessage(&p.cctx, 0, &od, 0), SEC_E_OK);
  CHECK_STATUS(DecryptMessage(&p.sctx, &od, 0, &qop), SEC_E_MESSAGE_ALTERED);
  /* That sealed message was consumed by the sender; the receiver skips it by sequence. */
  /* Two DATA buffers overlapping by half, and one DATA buffer listed twice. */
  unsigned char ovl[48], s2[16];
  memset(ovl, 'b', sizeof ovl);
  SecBuffer ov2[3] = { { 16, SECBUFFER_TOKEN, s2 }, { 32, SECBUFFER_DATA, ovl }, { 32, SECBUFFER_DATA, ovl + 16 } };
  SecBufferDesc od2 = { SECBUFFER_VERSION, 3, ov2 };
  CHECK_STATUS(EncryptMessage(&p.cctx, 0, &od2, 0), SEC_E_OK);
  SECURITY_STATUS s = DecryptMessage(&p.sctx, &od2, 0, &qop);
  CHECK(s == SEC_E_OUT_OF_SEQUENCE || s == SEC_E_MESSAGE_ALTERED || s == SEC_E_OK, "overlapping DATA decrypt 0x%08X", (unsigned)s);
  CHECK_STATUS(MakeSignature(&p.cctx, 0, &od2, 0), SEC_E_OK);
  /* In-place token exchange: input and output token share one buffer. */
  CtxtHandle c, sv;
  ULONG a;
  TimeStamp ts;
  unsigned char tok[4096];
  SecBuffer tb = { sizeof tok, SECBUFFER_TOKEN, tok };
  SecBufferDesc td = { SECBUFFER_VERSION, 1, &tb };
  CHECK_STATUS(InitializeSecurityContextA(&p.ccred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, NULL, 0, &c, &td, &a, &ts), SEC_I_CONTINUE_NEEDED);
  SecBuffer ib = tb;
  SecBufferDesc idd = { SECBUFFER_VERSION, 1, &ib };
  tb.cbBuffer = sizeof tok;
  CHECK_STATUS(AcceptSecurityContext(&p.scred, NULL, &idd, NTLM_ASC, 0, &sv, &td, &a, &ts), SEC_I_CONTINUE_NEEDED);
  ib = tb; tb.cbBuffer = sizeof tok;
  CHECK_STATUS(InitializeSecurityContextA(&p.ccred, &c, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, &idd, 0, &c, &td, &a, &ts), SEC_E_OK);
  ib = tb; tb.cbBuffer = sizeof tok;
  CHECK_STATUS(AcceptSecurityContext(&p.scred, &sv, &idd, NTLM_ASC, 0, &sv, &td, &a, &ts), SEC_E_OK);
  DeleteSecurityContext(&c);
  DeleteSecurityContext(&sv);
  DeleteSecurityContext(&p.cctx);
  DeleteSecurityContext(&p.sctx);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);
}

#ifdef _WIN32
/* Windows: memory the DLL hands out is a process-heap block, as Windows' secur32 hands it
   out, so a caller may inspect it (HeapSize) or free it the Windows way (HeapFree). */
static void test_process_heap(void) {
  ULONG n = 0;
  PSecPkgInfoW infos = NULL;
  CHECK_STATUS(EnumerateSecurityPackagesW(&n, &infos), SEC_E_OK);
  SIZE_T size = infos ? HeapSize(GetProcessHeap(), 0, infos) : (SIZE_T)-1;
  CHECK(size != (SIZE_T)-1 && size >= n * sizeof *infos, "SecPkgInfo array is a process-heap block (%lu bytes)",
        (unsigned long)size);
  for (ULONG i = 0; i < n && size != (SIZE_T)-1; i++) {
    const char *nm = (const char *)infos[i].Name, *base = (const char *)infos;
    CHECK(nm >= base && nm < base + size, "package %lu's name is in the same block", (unsigned long)i);
  }
  CHECK(infos && HeapFree(GetProcessHeap(), 0, infos), "HeapFree(GetProcessHeap()) frees the SecPkgInfo array");
  /* An allocated output token (ISC_REQ_ALLOCATE_MEMORY): FreeContextBuffer still works. */
  CredHandle cred;
  CtxtHandle ctx;
  ULONG attr;
  TimeStamp ts;
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &cred), SEC_E_OK);
  SecBuffer ob = { 0, SECBUFFER_TOKEN, NULL };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  CHECK_STATUS(InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ | ISC_REQ_ALLOCATE_MEMORY, 0,
                                          SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attr, &ts),
               SEC_I_CONTINUE_NEEDED);
  CHECK(ob.pvBuffer && HeapSize(GetProcessHeap(), 0, ob.pvBuffer) >= ob.cbBuffer, "token is a process-heap block");
  CHECK_STATUS(FreeContextBuffer(ob.pvBuffer), SEC_E_OK);
  DeleteSecurityContext(&ctx);
  FreeCredentialsHandle(&cred);
}
#endif

int main(void) {
#ifdef _WIN32
  test_process_heap();
#endif
  test_tables();
  test_packages();
  test_handles();
  test_bad_descs();
  test_context_handles();
  test_message_descs();
  CHECK_SUMMARY("abi");
}
