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

/* SspiEncodeStringsAsAuthIdentity with no user, domain or password → SEC_E_INVALID_TOKEN and
   the output untouched (Wine dlls/secur32/tests/secur32.c test_SspiEncodeStringsAsAuthIdentity,
   run on Windows). The Sspi* marshalling helpers round-trip; SspiLocalFree frees their output. */
static void test_sspi_identity(void) {
  PSEC_WINNT_AUTH_IDENTITY_OPAQUE id = (PSEC_WINNT_AUTH_IDENTITY_OPAQUE)0xdeadbeef, back = NULL, ex = NULL;
  ULONG len = 0, type = 0, blob_len = 0;
  char *bytes = NULL;
  const SEC_WCHAR *target = NULL, *user = NULL;
  UCHAR *blob = NULL;
  const SEC_WCHAR *u = NULL, *d = NULL, *pw = NULL;
  CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(NULL, NULL, NULL, &id), SEC_E_INVALID_TOKEN);
  CHECK(id == (PSEC_WINNT_AUTH_IDENTITY_OPAQUE)0xdeadbeef, "output untouched");
  CHECK_STATUS(SspiEncodeStringsAsAuthIdentity(W_USER, W_DOM, W_PW, &id), SEC_E_OK);
  CHECK_STATUS(SspiMarshalAuthIdentity(id, &len, &bytes), SEC_E_OK);
  /* SEC_WINNT_AUTH_IDENTITY_EX2 layout (sspi.h): Version 0x201, cbHeaderLength 48. */
  CHECK(bytes && len == 48 + 2 * (4 + 3 + 3), "marshalled length %u", (unsigned)len);
  CHECK(bytes && (unsigned char)bytes[0] == 0x01 && bytes[1] == 0x02 && bytes[4] == 48, "EX2 header");
  CHECK_STATUS(SspiUnmarshalAuthIdentity(len, bytes, &back), SEC_E_OK);
  CHECK_STATUS(SspiUnmarshalAuthIdentity(len - 1, bytes, &ex), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(SspiEncodeAuthIdentityAsStrings(back, &u, &d, &pw), SEC_E_OK);
  CHECK(u && d && pw && wide_eq(u, "user") && wide_eq(d, "DOM") && wide_eq(pw, "pw1"), "round trip");
  SspiFreeAuthIdentity((PVOID)u);
  SspiFreeAuthIdentity((PVOID)d);
  SspiFreeAuthIdentity((PVOID)pw);
  SspiLocalFree(bytes);
  SspiLocalFree(NULL);
  /* CRED_TYPE_DOMAIN_PASSWORD = 2 (wincred.h). */
  CHECK_STATUS(SspiPrepareForCredRead(id, W_TARGET, &type, &target), SEC_E_OK);
  CHECK(type == 2 && target && wide_eq(target, "HTTP/h"), "cred read type %u", (unsigned)type);
  SspiLocalFree((PVOID)target);
  target = NULL;
  CHECK_STATUS(SspiPrepareForCredWrite(id, W_TARGET, &type, &target, &user, &blob, &blob_len), SEC_E_OK);
  CHECK(type == 2 && user && wide_eq(user, "DOM\\user"), "cred write user");
  CHECK(blob && blob_len == 6 && blob[0] == 'p' && blob[2] == 'w' && blob[4] == '1', "blob = UTF-16 password");
  SspiLocalFree((PVOID)target);
  SspiLocalFree((PVOID)user);
  SspiLocalFree(blob);
  /* SspiExcludePackage appends "!Kerberos" to the package list (Microsoft, SspiExcludePackage). */
  CHECK_STATUS(SspiExcludePackage(id, W_KERB, &ex), SEC_E_OK);
  {
    SEC_WINNT_AUTH_IDENTITY_EXW *e = (SEC_WINNT_AUTH_IDENTITY_EXW *)ex;
    CHECK(e && e->PackageList && wide_eq(e->PackageList, "!Kerberos") && e->PackageListLength == 9, "!Kerberos");
  }
  CHECK_STATUS(SspiExcludePackage(NULL, W_KERB, &ex), SEC_E_INVALID_PARAMETER);
  SspiFreeAuthIdentity(ex);
  SspiFreeAuthIdentity(back);
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

int main(void) {
  test_init_security_interface();
  test_seal_aliases();
  test_sspi_identity();
  test_names();
  test_lsa();
  CHECK_SUMMARY("compat");
}
