#define _POSIX_C_SOURCE 200809L
/* Windows behaviours real users rely on (issue #12), through the exports only. Each check
   asserts the value Windows gives and cites where that value comes from. */
#include "ntlm_util.h"
#include "check.h"
#include <ntsecapi.h>
#include <secext.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

extern DWORD SEC_ENTRY GetLastError(void); /* kernel32's; the library keeps it per thread */

static const SEC_WCHAR W_USER[] = {'u', 's', 'e', 'r', 0};
static const SEC_WCHAR W_DOM[] = {'D', 'O', 'M', 0};
static const SEC_WCHAR W_PW[] = {'p', 'w', '1', 0};
static const SEC_WCHAR W_KERB[] = {'K', 'e', 'r', 'b', 'e', 'r', 'o', 's', 0};
static const SEC_WCHAR W_TARGET[] = {'H', 'T', 'T', 'P', '/', 'h', 0};

static int wide_eq(const SEC_WCHAR *a, const char *b) {
  for (; *b; a++, b++)
    if (*a != (SEC_WCHAR)(unsigned char)*b) return 0;
  return *a == 0;
}

/* --- exports ------------------------------------------------------------------------------ */

/* InitSecurityInterfaceA/W: dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION (1), as on
   Windows (Wine dlls/secur32/tests/secur32.c test_InitSecurityInterface: "Expected dwVersion 1"). */
static void test_init_security_interface(void) {
  PSecurityFunctionTableW w = InitSecurityInterfaceW();
  PSecurityFunctionTableA a = InitSecurityInterfaceA();
  CHECK(w && w->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION, "W dwVersion %u", w ? (unsigned)w->dwVersion : 0);
  CHECK(a && a->dwVersion == SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION, "A dwVersion %u", a ? (unsigned)a->dwVersion : 0);
  CHECK(w && w->QueryContextAttributesExW == QueryContextAttributesExW, "the same table behind it");
}

/* SealMessage/UnsealMessage: EncryptMessage/DecryptMessage's names on Windows 2000/XP, still
   exported by secur32.dll (mingw-w64 libsecur32.a; sspi.h's SEAL_MESSAGE_FN). */
static void test_seal_aliases(void) {
  pair_t p;
  unsigned char sig[16], data[5] = "hello";
  ULONG qop = 0;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &p.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, NTLM_REQ, NTLM_ASC, "host/localhost"), SEC_E_OK);
  {
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {5, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_STATUS(SealMessage(&p.cctx, 0, &d, 0), SEC_E_OK);
    CHECK(memcmp(data, "hello", 5) != 0, "SealMessage encrypted in place");
    CHECK_STATUS(UnsealMessage(&p.sctx, &d, 0, &qop), SEC_E_OK);
    CHECK(memcmp(data, "hello", 5) == 0, "UnsealMessage decrypted in place");
  }
  DeleteSecurityContext(&p.cctx);
  DeleteSecurityContext(&p.sctx);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);
}

/* The marshalled identity's header (Wine dlls/secur32/tests/secur32.c test_SspiMarshalAuthIdentity,
   run on Windows): SEC_WINNT_AUTH_IDENTITY_EXW with offsets for pointers. */
typedef struct {
  ULONG version, length, user_off, user_len, domain_off, domain_len, password_off, password_len, flags,
      package_list_off, package_list_len;
} marshalled_t;

/* The Sspi* identity helpers as Windows (Wine dlls/secur32/tests/secur32.c
   test_SspiEncodeStringsAsAuthIdentity, test_SspiPrepareForCredWrite and
   test_SspiMarshalAuthIdentity, run on Windows). */
static void test_sspi_identity(void) {
  PSEC_WINNT_AUTH_IDENTITY_OPAQUE id = (PSEC_WINNT_AUTH_IDENTITY_OPAQUE)0xdeadbeef, back = NULL, ex = NULL;
  ULONG len = 0, type = 0, blob_len = 0;
  char *bytes = NULL;
  marshalled_t *m;
  const SEC_WCHAR *target = NULL, *user = NULL;
  UCHAR *blob = NULL;
  const SEC_WCHAR *u = NULL, *d = NULL, *pw = NULL;
  SEC_WINNT_AUTH_IDENTITY_EXW *e;
  /* No user, domain or password → SEC_E_INVALID_TOKEN, with or without an output pointer, the
     output untouched. */
  CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(NULL, NULL, NULL, NULL), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(NULL, NULL, NULL, &id), SEC_E_INVALID_TOKEN);
  CHECK(id == (PSEC_WINNT_AUTH_IDENTITY_OPAQUE)0xdeadbeef, "output untouched");
  /* A password alone: EXW, Length sizeof, Flags UNICODE | MARSHALLED, password right after. */
  CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(NULL, NULL, W_PW, &id), SEC_E_OK);
  e = (SEC_WINNT_AUTH_IDENTITY_EXW *)id;
  CHECK(e->Version == SEC_WINNT_AUTH_IDENTITY_VERSION && e->Length == sizeof *e && !e->User && !e->UserLength &&
            !e->Domain && !e->DomainLength && e->Password == (void *)(e + 1) && e->PasswordLength == 3 &&
            e->Flags == (SEC_WINNT_AUTH_IDENTITY_UNICODE | SEC_WINNT_AUTH_IDENTITY_MARSHALLED) && !e->PackageList,
        "password-only identity: flags 0x%x", (unsigned)e->Flags);
  SspiFreeAuthIdentity(id);
  /* User and password, no domain: the domain string comes back NULL (cleared). */
  CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(W_USER, NULL, W_PW, &id), SEC_E_OK);
  d = (const SEC_WCHAR *)0xdeadbeef;
  CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(id, &u, &d, &pw), SEC_E_OK);
  CHECK(u && wide_eq(u, "user") && d == NULL && pw && wide_eq(pw, "pw1"), "no domain → NULL");
  SspiLocalFree((PVOID)u);
  SspiLocalFree((PVOID)pw);
  SspiFreeAuthIdentity(id);

  CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(W_USER, W_DOM, W_PW, &id), SEC_E_OK);
  /* Marshalled: 44-byte header, strings back to back (lengths in characters), a zero DWORD;
     flags are the identity's. */
  CHECK_STATUS(SspiMarshalAuthIdentity(id, &len, &bytes), SEC_E_OK);
  m = (marshalled_t *)bytes;
  CHECK(bytes && len == sizeof *m + 2 * (4 + 3 + 3) + 4 && sizeof *m == 44, "marshalled length %u", (unsigned)len);
  CHECK(bytes && m->version == SEC_WINNT_AUTH_IDENTITY_VERSION && m->length == 44 && m->user_off == 44 &&
            m->user_len == 4 && m->domain_off == 44 + 8 && m->domain_len == 3 && m->password_off == 44 + 14 &&
            m->password_len == 3 &&
            m->flags == (SEC_WINNT_AUTH_IDENTITY_UNICODE | SEC_WINNT_AUTH_IDENTITY_MARSHALLED) &&
            !m->package_list_off && !m->package_list_len && memcmp(bytes + 44, W_USER, 8) == 0,
        "marshalled header");
  CHECK_STATUS(SspiUnmarshalAuthIdentity(len, bytes, &back), SEC_E_OK);
  e = (SEC_WINNT_AUTH_IDENTITY_EXW *)back;
  CHECK(e && e->Version == SEC_WINNT_AUTH_IDENTITY_VERSION && e->Length == sizeof *e &&
            e->User == (void *)(e + 1) && e->UserLength == 4 &&
            e->Flags == (SEC_WINNT_AUTH_IDENTITY_UNICODE | SEC_WINNT_AUTH_IDENTITY_MARSHALLED),
        "unmarshalled EXW");
  /* Cut inside the strings: refused (ours; Windows' code for this is not measured). */
  CHECK_STATUS(SspiUnmarshalAuthIdentity(44 + 4, bytes, &ex), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(back, &u, &d, &pw), SEC_E_OK);
  CHECK(u && d && pw && wide_eq(u, "user") && wide_eq(d, "DOM") && wide_eq(pw, "pw1"), "round trip");
  SspiFreeAuthIdentity((PVOID)u);
  SspiFreeAuthIdentity((PVOID)d);
  SspiFreeAuthIdentity((PVOID)pw);
  SspiLocalFree(bytes);
  SspiFreeAuthIdentity(back);
  SspiLocalFree(NULL);
  {
    /* An ANSI identity stays ANSI: flags ANSI, lengths in bytes; unmarshalled as EXA with
       ANSI | MARSHALLED. */
    SEC_WINNT_AUTH_IDENTITY_A a;
    SEC_WINNT_AUTH_IDENTITY_EXA *xa;
    memset(&a, 0, sizeof a);
    a.User = (unsigned char *)"user";
    a.UserLength = 4;
    a.Domain = (unsigned char *)"domain";
    a.DomainLength = 6;
    a.Password = (unsigned char *)"password";
    a.PasswordLength = 8;
    a.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    CHECK_STATUS(SspiMarshalAuthIdentity(&a, &len, &bytes), SEC_E_OK);
    m = (marshalled_t *)bytes;
    CHECK(bytes && len == 44 + 18 + 4 && m->user_off == 44 && m->user_len == 4 && m->domain_off == 48 &&
              m->domain_len == 6 && m->password_off == 54 && m->password_len == 8 &&
              m->flags == SEC_WINNT_AUTH_IDENTITY_ANSI && memcmp(bytes + 44, "userdomainpassword", 18) == 0,
          "ANSI marshalled");
    CHECK_STATUS(SspiUnmarshalAuthIdentity(len, bytes, &back), SEC_E_OK);
    xa = (SEC_WINNT_AUTH_IDENTITY_EXA *)back;
    CHECK(xa && xa->Length == sizeof *xa && xa->User == (unsigned char *)(xa + 1) && xa->UserLength == 4 &&
              memcmp(xa->Password, "password", 8) == 0 &&
              xa->Flags == (SEC_WINNT_AUTH_IDENTITY_ANSI | SEC_WINNT_AUTH_IDENTITY_MARSHALLED),
          "EXA unmarshalled");
    SspiLocalFree(bytes);
    SspiFreeAuthIdentity(back);
  }
  {
    /* An EXW with a user only: the absent parts have offset and length 0; flags UNICODE. */
    SEC_WINNT_AUTH_IDENTITY_EXW x;
    memset(&x, 0, sizeof x);
    x.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    x.Length = sizeof x;
    x.User = (unsigned short *)W_USER;
    x.UserLength = 4;
    x.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    CHECK_STATUS(SspiMarshalAuthIdentity(&x, &len, &bytes), SEC_E_OK);
    m = (marshalled_t *)bytes;
    CHECK(bytes && len == 44 + 8 + 4 && m->user_off == 44 && !m->domain_off && !m->domain_len && !m->password_off &&
              !m->password_len && m->flags == SEC_WINNT_AUTH_IDENTITY_UNICODE,
          "EXW user-only marshalled");
    CHECK_STATUS(SspiUnmarshalAuthIdentity(len, bytes, &back), SEC_E_OK);
    e = (SEC_WINNT_AUTH_IDENTITY_EXW *)back;
    CHECK(e && !e->Domain && !e->Password && e->User == (void *)(e + 1), "EXW user-only unmarshalled");
    SspiLocalFree(bytes);
    SspiFreeAuthIdentity(back);
  }
  {
    /* SEC_WINNT_AUTH_IDENTITY_EX2 travels as it is. */
    unsigned char x2[48] = {0};
    ULONG v2 = SEC_WINNT_AUTH_IDENTITY_VERSION_2, n = 48;
    memcpy(x2, &v2, 4);
    x2[4] = 48;
    memcpy(x2 + 8, &n, 4);
    CHECK_STATUS(SspiMarshalAuthIdentity(x2, &len, &bytes), SEC_E_OK);
    CHECK(bytes && len >= 48 && memcmp(bytes, x2, 48) == 0, "EX2 marshalled as is");
    CHECK_STATUS(SspiUnmarshalAuthIdentity(len, bytes, &back), SEC_E_OK);
    CHECK(back && memcmp(back, x2, 48) == 0, "EX2 unmarshalled as is");
    SspiLocalFree(bytes);
    SspiFreeAuthIdentity(back);
  }
  /* CRED_TYPE_DOMAIN_PASSWORD = 2 (wincred.h). */
  CHECK_STATUS(SspiPrepareForCredRead(id, W_TARGET, &type, &target), SEC_E_OK);
  CHECK(type == 2 && target && wide_eq(target, "HTTP/h"), "cred read type %u", (unsigned)type);
  SspiLocalFree((PVOID)target);
  target = NULL;
  CHECK_STATUS(SspiPrepareForCredWrite(id, W_TARGET, &type, &target, &user, &blob, &blob_len), SEC_E_OK);
  CHECK(type == 2 && target && wide_eq(target, "HTTP/h") && user && wide_eq(user, "DOM\\user"), "cred write user");
  CHECK(blob && blob_len == 6 && blob[0] == 'p' && blob[2] == 'w' && blob[4] == '1', "blob = UTF-16 password");
  SspiLocalFree((PVOID)target);
  SspiLocalFree((PVOID)user);
  SspiLocalFree(blob);
  /* A NULL target: target and user name are both "DOMAIN\user". */
  target = user = NULL;
  CHECK_STATUS(SspiPrepareForCredWrite(id, NULL, &type, &target, &user, &blob, &blob_len), SEC_E_OK);
  CHECK(type == 2 && target && wide_eq(target, "DOM\\user") && user && wide_eq(user, "DOM\\user") && blob_len == 6,
        "cred write, NULL target");
  SspiLocalFree((PVOID)target);
  SspiLocalFree((PVOID)user);
  SspiLocalFree(blob);
  /* SspiExcludePackage appends "!Kerberos" to the package list (Microsoft, SspiExcludePackage). */
  CHECK_STATUS(SspiExcludePackage(id, W_KERB, &ex), SEC_E_OK);
  e = (SEC_WINNT_AUTH_IDENTITY_EXW *)ex;
  CHECK(e && e->PackageList && wide_eq(e->PackageList, "!Kerberos") && e->PackageListLength == 9, "!Kerberos");
  CHECK_STATUS(SspiExcludePackage(NULL, W_KERB, &ex), SEC_E_INVALID_PARAMETER);
  SspiFreeAuthIdentity(ex);
  /* SspiZeroAuthIdentity clears the password only: the strings come back with user and
     domain intact and an empty (non-NULL) password (same Wine test). */
  SspiZeroAuthIdentity(id);
  CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(id, &u, &d, &pw), SEC_E_OK);
  CHECK(u && wide_eq(u, "user") && d && wide_eq(d, "DOM") && pw && pw[0] == 0, "zeroed identity");
  SspiLocalFree((PVOID)u);
  SspiLocalFree((PVOID)d);
  SspiLocalFree((PVOID)pw);
  /* NULL arguments: Microsoft documents only "a nonzero error code" and no Windows run shows
     which, so these are ours (SEC_E_INVALID_PARAMETER, the header's docs); every output is
     left untouched on failure, as Windows leaves SspiEncodeStringsAsAuthIdentity's. */
  {
    PSEC_WINNT_AUTH_IDENTITY_OPAQUE o = (PSEC_WINNT_AUTH_IDENTITY_OPAQUE)0xdeadbeef;
    const SEC_WCHAR *s1 = (const SEC_WCHAR *)0xdeadbeef, *s2 = s1, *s3 = s1;
    SEC_WCHAR *host = (SEC_WCHAR *)0xdeadbeef;
    char *arr = (char *)0xdeadbeef;
    ULONG n = 0xdeadbeef, t = 0xdeadbeef;
    UCHAR *b = (UCHAR *)0xdeadbeef;
    BOOLEAN same1 = 7, same2 = 7;
    CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(NULL, &s1, &s2, &s3), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiCopyAuthIdentity(NULL, &o), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiCopyAuthIdentity(id, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiValidateAuthIdentity(NULL), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiCompareAuthIdentities(NULL, id, &same1, &same2), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiMarshalAuthIdentity(NULL, &n, &arr), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiMarshalAuthIdentity(id, NULL, &arr), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiUnmarshalAuthIdentity(10, NULL, &o), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiUnmarshalAuthIdentity(4, (char *)"\x01\x02\x00\x00", &o), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(SspiPrepareForCredRead(NULL, W_TARGET, &t, &s1), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiPrepareForCredWrite(NULL, W_TARGET, &t, &s1, &s2, &b, &n), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiGetTargetHostName(NULL, &host), SEC_E_INVALID_PARAMETER);
    CHECK_STATUS(SspiGetTargetHostName(W_TARGET, NULL), SEC_E_INVALID_PARAMETER);
    CHECK(!SspiIsAuthIdentityEncrypted(NULL) && !SspiIsAuthIdentityEncrypted(id), "never encrypted");
    CHECK(o == (PSEC_WINNT_AUTH_IDENTITY_OPAQUE)0xdeadbeef && s1 == (const SEC_WCHAR *)0xdeadbeef &&
              s2 == s1 && s3 == s1 && host == (SEC_WCHAR *)0xdeadbeef && arr == (char *)0xdeadbeef &&
              n == 0xdeadbeef && t == 0xdeadbeef && b == (UCHAR *)0xdeadbeef && same1 == 7 && same2 == 7,
          "outputs untouched on failure");
    CHECK_STATUS(SspiGetTargetHostName(W_TARGET, &host), SEC_E_OK);
    CHECK(host && wide_eq(host, "h"), "host of HTTP/h");
    SspiLocalFree(host);
  }
  SspiFreeAuthIdentity(id);
}

/* GetUserNameEx outside a domain: only NameSamCompatible, "MACHINE\user"; other formats →
   FALSE, ERROR_NONE_MAPPED (1332); small buffer → FALSE, ERROR_MORE_DATA (234) and the size
   with the terminator (Microsoft, "GetUserNameExW function (secext.h)"). */
static void test_names(void) {
  char buf[256];
  SEC_WCHAR wbuf[256];
  ULONG n = sizeof buf, wn = 256, small = 2;
  BOOLEAN ok = GetUserNameExA(NameSamCompatible, buf, &n);
  CHECK(ok && strchr(buf, '\\') && n == strlen(buf), "GetUserNameExA = %s (%u)", ok ? buf : "-", (unsigned)n);
  CHECK(GetUserNameExW(NameSamCompatible, wbuf, &wn) && wn == n, "GetUserNameExW length %u", (unsigned)wn);
  CHECK(!GetUserNameExA(NameSamCompatible, buf, &small) && GetLastError() == 234 && small == n + 1,
        "ERROR_MORE_DATA and %u", (unsigned)small);
  n = sizeof buf;
  CHECK(!GetUserNameExA(NameUserPrincipal, buf, &n) && GetLastError() == 1332, "ERROR_NONE_MAPPED");
  n = sizeof buf;
  /* ERROR_CANT_ACCESS_DOMAIN_INFO (1351) off a domain. */
  CHECK(!GetComputerObjectNameA(NameFullyQualifiedDN, buf, &n) && GetLastError() == 1351, "GetComputerObjectName");
  n = sizeof buf;
  /* ERROR_NO_SUCH_DOMAIN (1355): no directory to translate against. */
  CHECK(!TranslateNameA("DOM\\user", NameSamCompatible, NameUserPrincipal, buf, &n) && GetLastError() == 1355, "TranslateName");
}

/* LSA client: an untrusted connection and package lookup work (Microsoft, LsaConnectUntrusted,
   LsaLookupAuthenticationPackage); an unknown package → STATUS_NO_SUCH_PACKAGE (0xC00000FE);
   LsaRegisterLogonProcess without TCB privilege → STATUS_PORT_CONNECTION_REFUSED (0xC0000041);
   what needs the LSA → STATUS_NOT_SUPPORTED (0xC00000BB). */
static void test_lsa(void) {
  HANDLE h = NULL;
  ULONG pkg = 99, count = 1;
  char ntlm[] = "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", bogus[] = "NoSuchPackage";
  LSA_STRING s = {(USHORT)strlen(ntlm), (USHORT)sizeof ntlm, ntlm}, b = {(USHORT)strlen(bogus), (USHORT)sizeof bogus, bogus};
  PLUID list = NULL;
  CHECK(LsaConnectUntrusted(&h) == 0 && h != NULL, "LsaConnectUntrusted");
  CHECK(LsaLookupAuthenticationPackage(h, &s, &pkg) == 0 && pkg != 99, "MSV1_0 found");
  CHECK(LsaLookupAuthenticationPackage(h, &b, &pkg) == (NTSTATUS)0xC00000FE, "STATUS_NO_SUCH_PACKAGE");
  CHECK(LsaRegisterLogonProcess(&s, &h, &count) == (NTSTATUS)0xC0000041, "STATUS_PORT_CONNECTION_REFUSED");
  CHECK(LsaEnumerateLogonSessions(&count, &list) == (NTSTATUS)0xC00000BB, "STATUS_NOT_SUPPORTED");
  CHECK(LsaFreeReturnBuffer(NULL) == 0, "LsaFreeReturnBuffer(NULL)");
  CHECK(LsaDeregisterLogonProcess(h) == 0, "LsaDeregisterLogonProcess");
}

/* --- NTLM ------------------------------------------------------------------------------------ */

/* A context with neither integrity nor confidentiality: MakeSignature gives MS-NLMP's dummy
   signature (§3.4.2: Version 1, zeros) and VerifySignature accepts it, as Windows does (Wine
   dlls/secur32/tests/ntlm.c testSignSeal, message_signature); a descriptor without a TOKEN
   buffer is still SEC_E_INVALID_TOKEN. */
static void test_ntlm_dummy_signature(void) {
  pair_t p;
  unsigned char sig[16], data[4] = "abc";
  static const unsigned char dummy[16] = {1};
  ULONG qop = 0;
  memset(&p, 0, sizeof p);
  acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &p.ccred);
  acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &p.scred);
  CHECK_STATUS(handshake(&p, ISC_REQ_CONNECTION, ASC_REQ_CONNECTION, "host/x"), SEC_E_OK);
  {
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {3, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SecBufferDesc no_token = {SECBUFFER_VERSION, 1, &b[1]};
    memset(sig, 0xee, sizeof sig);
    CHECK_STATUS(MakeSignature(&p.cctx, 0, &d, 0), SEC_E_OK);
    CHECK(memcmp(sig, dummy, 16) == 0 && b[0].cbBuffer == 16, "dummy signature");
    CHECK_STATUS(VerifySignature(&p.sctx, &d, 0, &qop), SEC_E_OK);
    CHECK_STATUS(MakeSignature(&p.cctx, 0, &no_token, 0), SEC_E_INVALID_TOKEN);
    CHECK_STATUS(VerifySignature(&p.sctx, &no_token, 0, &qop), SEC_E_INVALID_TOKEN);
  }
  DeleteSecurityContext(&p.cctx);
  DeleteSecurityContext(&p.sctx);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);
}

/* First ISC output-buffer errors as Windows (Wine dlls/secur32/tests/ntlm.c runClient, run on
   Windows): NULL pOutput → SEC_E_BUFFER_TOO_SMALL; NULL pvBuffer without ALLOCATE_MEMORY →
   SEC_E_INTERNAL_ERROR; cbBuffer 0 → SEC_E_BUFFER_TOO_SMALL with cbBuffer left 0; a DATA buffer
   instead of a TOKEN one → SEC_E_BUFFER_TOO_SMALL. None of them leaves a context behind. */
static void test_ntlm_first_isc_output(void) {
  CredHandle c;
  CtxtHandle x;
  ULONG attr;
  TimeStamp ts;
  unsigned char buf[4096];
  SecBuffer b = {sizeof buf, SECBUFFER_TOKEN, NULL};
  SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOM", "pw", &c), SEC_E_OK);
  CHECK_STATUS(InitializeSecurityContextA(&c, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &x, NULL, &attr, &ts),
               SEC_E_BUFFER_TOO_SMALL);
  CHECK_STATUS(InitializeSecurityContextA(&c, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &x, &d, &attr, &ts),
               SEC_E_INTERNAL_ERROR);
  b.pvBuffer = buf;
  b.cbBuffer = 0;
  CHECK_STATUS(InitializeSecurityContextA(&c, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &x, &d, &attr, &ts),
               SEC_E_BUFFER_TOO_SMALL);
  CHECK(b.cbBuffer == 0, "cbBuffer left 0 (%u)", (unsigned)b.cbBuffer);
  b.cbBuffer = sizeof buf;
  b.BufferType = SECBUFFER_DATA;
  CHECK_STATUS(InitializeSecurityContextA(&c, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &x, &d, &attr, &ts),
               SEC_E_BUFFER_TOO_SMALL);
  b.BufferType = SECBUFFER_TOKEN;
  CHECK_STATUS(InitializeSecurityContextA(&c, NULL, NULL, 0, 0, SECURITY_NATIVE_DREP, NULL, 0, &x, &d, &attr, &ts),
               SEC_I_CONTINUE_NEEDED);
  DeleteSecurityContext(&x);
  FreeCredentialsHandle(&c);
}

/* Partial identities: a NULL user with a domain (and with or without a password) takes the
   rest from the default credentials (NTLM_USER_FILE here, the logged-on user on Windows). */
static void test_ntlm_partial_identity(void) {
  char path[] = "/tmp/compat_users_XXXXXX";
  int fd = mkstemp(path);
  SEC_WINNT_AUTH_IDENTITY_A id;
  CredHandle c;
  TimeStamp ts;
  SecPkgCredentials_NamesA names = {NULL};
  CHECK(fd >= 0 && write(fd, "DEF:alice:secret\n", 17) == 17, "user file");
  if (fd >= 0) close(fd);
  setenv("NTLM_USER_FILE", path, 1);
  memset(&id, 0, sizeof id);
  id.Domain = (unsigned char *)"OTHER";
  id.DomainLength = 5;
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &c, &ts), SEC_E_OK);
  CHECK_STATUS(QueryCredentialsAttributesA(&c, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
  CHECK(names.sUserName && strcmp(names.sUserName, "OTHER\\alice") == 0, "user from default, domain given: %s",
        names.sUserName ? names.sUserName : "-");
  FreeContextBuffer(names.sUserName);
  FreeCredentialsHandle(&c);
  id.Password = (unsigned char *)"pw2";
  id.PasswordLength = 3;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &c, &ts), SEC_E_OK);
  FreeCredentialsHandle(&c);
  unsetenv("NTLM_USER_FILE");
  unlink(path);
}

/* --- NTLM session security without ESS (MS-NLMP 3.4.4.1), against a CHALLENGE that does not
   offer NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY: Windows' CHALLENGE from Wine's
   dlls/secur32/tests/ntlm.c (native_challenge) with SIGN|SEAL set. The expected bytes are
   computed here from the exported session key by the spec: RC4(SealKey = session key) over the
   data, then RandomPad (sent as zeros), RC4(CRC32(plaintext)), RC4(0) XOR SeqNum. */
static const unsigned char windows_challenge[] = {
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0x00, 0x10, 0x00, 0x30, 0x00,
    0x00, 0x00, 0x35, 0x82, 0x82, 0xa0, 0xb5, 0x60, 0x8e, 0x95, 0xb5, 0x3c, 0xee, 0x03, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x54, 0x00, 0x54, 0x00, 0x40, 0x00, 0x00, 0x00, 0x43, 0x00, 0x41, 0x00, 0x53, 0x00,
    0x49, 0x00, 0x4e, 0x00, 0x4f, 0x00, 0x30, 0x00, 0x31, 0x00, 0x02, 0x00, 0x10, 0x00, 0x43, 0x00, 0x41, 0x00,
    0x53, 0x00, 0x49, 0x00, 0x4e, 0x00, 0x4f, 0x00, 0x30, 0x00, 0x31, 0x00, 0x01, 0x00, 0x10, 0x00, 0x43, 0x00,
    0x41, 0x00, 0x53, 0x00, 0x49, 0x00, 0x4e, 0x00, 0x4f, 0x00, 0x30, 0x00, 0x31, 0x00, 0x04, 0x00, 0x10, 0x00,
    0x63, 0x00, 0x61, 0x00, 0x73, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x6f, 0x00, 0x30, 0x00, 0x31, 0x00, 0x03, 0x00,
    0x10, 0x00, 0x63, 0x00, 0x61, 0x00, 0x73, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x6f, 0x00, 0x30, 0x00, 0x31, 0x00,
    0x00, 0x00, 0x00, 0x00};

typedef struct { unsigned char s[256]; unsigned i, j; } rc4_t;
static void rc4_init(rc4_t *r, const unsigned char *k, unsigned n) {
  unsigned i, j = 0;
  for (i = 0; i < 256; i++) r->s[i] = (unsigned char)i;
  for (i = 0; i < 256; i++) {
    unsigned char t = r->s[i];
    j = (j + t + k[i % n]) & 255;
    r->s[i] = r->s[j];
    r->s[j] = t;
  }
  r->i = r->j = 0;
}
static void rc4(rc4_t *r, unsigned char *d, unsigned n) {
  while (n--) {
    unsigned char t;
    r->i = (r->i + 1) & 255;
    r->j = (r->j + r->s[r->i]) & 255;
    t = r->s[r->i];
    r->s[r->i] = r->s[r->j];
    r->s[r->j] = t;
    *d++ ^= r->s[(r->s[r->i] + r->s[r->j]) & 255];
  }
}
static uint32_t crc32_ieee(const unsigned char *d, unsigned n) { /* the CRC32 of MS-NLMP 6 */
  uint32_t c = 0xffffffffu;
  while (n--) {
    int k;
    c ^= *d++;
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

/* One session against windows_challenge with its flag bytes 20 (LM_KEY 0x80) and 23 (56 0x80,
   128 0x20) replaced. SealKey by MS-NLMP 3.4.5.3 without ESS: with LM_KEY, session key[0..6] ‖
   A0 (56) or [0..4] ‖ E5 38 B0 (40 bits), else the session key; KEY_INFO's KeySize follows. */
static void ntlm_without_ess(unsigned char f20, unsigned char f23, unsigned key_bits) {
  CredHandle c;
  CtxtHandle x;
  ULONG attr;
  TimeStamp ts;
  unsigned char out[4096], in[sizeof windows_challenge];
  SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out}, ib = {sizeof in, SECBUFFER_TOKEN, in};
  SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob}, idesc = {SECBUFFER_VERSION, 1, &ib};
  SecPkgContext_SessionKey sk = {0, NULL};
  SecPkgContext_KeyInfoA ki;
  rc4_t r;
  int m;
  unsigned char seal_key[16];
  unsigned seal_len = 16;
  memcpy(in, windows_challenge, sizeof in);
  in[20] = f20;
  in[23] = f23;
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "testuser", "WORKGROUP", "testpass", &c), SEC_E_OK);
  CHECK_STATUS(InitializeSecurityContextA(&c, NULL, NULL, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0,
                                          SECURITY_NATIVE_DREP, NULL, 0, &x, &od, &attr, &ts), SEC_I_CONTINUE_NEEDED);
  ob.cbBuffer = sizeof out;
  CHECK_STATUS(InitializeSecurityContextA(&c, &x, NULL, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0,
                                          SECURITY_NATIVE_DREP, &idesc, 0, &x, &od, &attr, &ts), SEC_E_OK);
  CHECK((attr & (ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY)) == (ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY),
        "granted 0x%08x", (unsigned)attr);
  CHECK(ob.cbBuffer > 64 && (out[62] & 0x08) == 0, "AUTHENTICATE does not claim ESS");
  CHECK(ob.cbBuffer > 64 && (out[60] & 0x80) == (f20 & 0x80), "AUTHENTICATE LM_KEY %s", (f20 & 0x80) ? "set" : "clear");
  /* "RSADSI RC4-CRC32", 0xffffff7c, CALG_RC4 (public measurement of Windows; issue #12). */
  CHECK_STATUS(QueryContextAttributesA(&x, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
  CHECK(strcmp(ki.sSignatureAlgorithmName, "RSADSI RC4-CRC32") == 0 && ki.SignatureAlgorithm == 0xffffff7cu &&
            strcmp(ki.sEncryptAlgorithmName, "RSADSI RC4") == 0 && ki.EncryptAlgorithm == 0x6801 && ki.KeySize == key_bits,
        "KEY_INFO %s %x %s %x %u", ki.sSignatureAlgorithmName, (unsigned)ki.SignatureAlgorithm,
        ki.sEncryptAlgorithmName, (unsigned)ki.EncryptAlgorithm, (unsigned)ki.KeySize);
  FreeContextBuffer(ki.sSignatureAlgorithmName);
  FreeContextBuffer(ki.sEncryptAlgorithmName);
  CHECK_STATUS(QueryContextAttributesA(&x, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
  if (sk.SessionKeyLength != 16) {
    CHECK(0, "session key length %u", (unsigned)sk.SessionKeyLength);
    return;
  }
  memcpy(seal_key, sk.SessionKey, 16);
  if (f20 & 0x80) {
    seal_len = 8;
    if (f23 & 0x80) {
      seal_key[7] = 0xa0;
    } else {
      seal_key[5] = 0xe5;
      seal_key[6] = 0x38;
      seal_key[7] = 0xb0;
    }
  }
  rc4_init(&r, seal_key, seal_len);
  for (m = 0; m < 2; m++) {
    unsigned char data[13], want[13], sig[16], tail[12] = {0};
    uint32_t crc, seq;
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {13, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    memcpy(data, "Hello, world!", 13);
    memcpy(want, data, 13);
    crc = crc32_ieee(want, 13);
    rc4(&r, want, 13);
    memcpy(tail + 4, &crc, 4);
    rc4(&r, tail, 12);
    memcpy(&seq, tail + 8, 4);
    seq ^= (uint32_t)m;
    memcpy(tail + 8, &seq, 4);
    CHECK_STATUS(EncryptMessage(&x, 0, &d, 0), SEC_E_OK);
    CHECK(memcmp(data, want, 13) == 0, "message %d: RC4(SealKey) data", m);
    CHECK(sig[0] == 1 && sig[1] == 0 && !sig[4] && !sig[5] && !sig[6] && !sig[7] && memcmp(sig + 8, tail + 4, 8) == 0,
          "message %d: signature = 01000000 00000000 RC4(CRC32) RC4(0)^SeqNum", m);
  }
  FreeContextBuffer(sk.SessionKey);
  DeleteSecurityContext(&x);
  FreeCredentialsHandle(&c);
}

static void test_ntlm_without_ess(void) {
  ntlm_without_ess(0x35, 0xa0, 128);        /* Windows' CHALLENGE as captured: 128-bit SealKey */
  ntlm_without_ess(0x35 | 0x80, 0xa0, 56);  /* + LM_KEY, 56 and 128 offered: 56-bit */
  ntlm_without_ess(0x35 | 0x80, 0x00, 40);  /* + LM_KEY, neither 56 nor 128: 40-bit */
}

/* KEY_INFO with extended session security: "HMAC-MD5" (0xffffff76) / "RSADSI RC4" (CALG_RC4),
   128 bits (public measurement of Windows; issue #12). */
static void test_ntlm_key_info(void) {
  pair_t p;
  SecPkgContext_KeyInfoA ki;
  memset(&p, 0, sizeof p);
  acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &p.ccred);
  acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &p.scred);
  CHECK_STATUS(handshake(&p, NTLM_REQ, NTLM_ASC, "host/x"), SEC_E_OK);
  CHECK_STATUS(QueryContextAttributesA(&p.cctx, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
  CHECK(strcmp(ki.sSignatureAlgorithmName, "HMAC-MD5") == 0 && ki.SignatureAlgorithm == 0xffffff76u &&
            strcmp(ki.sEncryptAlgorithmName, "RSADSI RC4") == 0 && ki.EncryptAlgorithm == 0x6801 && ki.KeySize == 128,
        "KEY_INFO %s %x %s %x", ki.sSignatureAlgorithmName, (unsigned)ki.SignatureAlgorithm, ki.sEncryptAlgorithmName,
        (unsigned)ki.EncryptAlgorithm);
  FreeContextBuffer(ki.sSignatureAlgorithmName);
  FreeContextBuffer(ki.sEncryptAlgorithmName);
  /* Return flags describe the established context: integrity comes with confidentiality. */
  CHECK((p.cattr & (ISC_RET_INTEGRITY | ISC_RET_CONFIDENTIALITY | ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT)) ==
            (ISC_RET_INTEGRITY | ISC_RET_CONFIDENTIALITY | ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT),
        "ISC flags 0x%08x", (unsigned)p.cattr);
  DeleteSecurityContext(&p.cctx);
  DeleteSecurityContext(&p.sctx);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);
}

int main(void) {
  test_init_security_interface();
  test_seal_aliases();
  test_sspi_identity();
  test_names();
  test_lsa();
  test_ntlm_dummy_signature();
  test_ntlm_first_isc_output();
  test_ntlm_partial_identity();
  test_ntlm_without_ess();
  test_ntlm_key_info();
  CHECK_SUMMARY("compat");
}
