/* NTLM peer for interop across a pipe: a plain SSPI program (built as a Windows .exe by
   c-tests/wine-test.sh and run under Wine) that exchanges tokens and sealed messages as hex
   lines on stdin/stdout with a Linux peer (c-tests/wine_ntlm_interop.py, pyspnego).
     wine_peer client DOMAIN USER PASSWORD
       > TOKEN <NEGOTIATE>   < TOKEN <CHALLENGE>   > TOKEN <AUTHENTICATE>
       < WRAP <sig|sealed>   > PLAIN <data>        > WRAP <sig|sealed(data reversed)>
     wine_peer server DOMAIN USER PASSWORD      (the account it accepts)
       < TOKEN <NEGOTIATE>   > TOKEN <CHALLENGE>   < TOKEN <AUTHENTICATE>   > USER <name>
       > WRAP <sig|sealed("from windows")>          < WRAP <sig|sealed>     > PLAIN <data>
   Any failure prints "ERROR <function> 0x<status>" and exits 1. */
#define SECURITY_WIN32
#include <security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char tok_in[8192], tok_out[8192], msg[8192];

static void fail(const char *what, SECURITY_STATUS s) {
  printf("ERROR %s 0x%08lX\n", what, (unsigned long)s);
  fflush(stdout);
  exit(1);
}

static void put(const char *tag, const unsigned char *p, unsigned long n) {
  printf("%s ", tag);
  for (unsigned long i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
  fflush(stdout);
}

/* Reads "<tag> <hex>" into out; returns the byte count. */
static unsigned long get(const char *tag, unsigned char *out, unsigned long cap) {
  static char line[2 * 8192 + 64];
  if (!fgets(line, sizeof line, stdin)) fail("read", 0);
  size_t t = strlen(tag);
  if (strncmp(line, tag, t) != 0 || line[t] != ' ') fail("protocol", 0);
  unsigned long n = 0;
  for (const char *h = line + t + 1; h[0] && h[1] && h[0] != '\r' && h[0] != '\n' && n < cap; h += 2) {
    unsigned v;
    if (sscanf(h, "%2x", &v) != 1) fail("hex", 0);
    out[n++] = (unsigned char)v;
  }
  return n;
}

static SECURITY_STATUS creds(ULONG use, char **argv, CredHandle *h) {
  SEC_WINNT_AUTH_IDENTITY_A id;
  TimeStamp ts;
  memset(&id, 0, sizeof id);
  id.Domain = (unsigned char *)argv[2]; id.DomainLength = (ULONG)strlen(argv[2]);
  id.User = (unsigned char *)argv[3]; id.UserLength = (ULONG)strlen(argv[3]);
  id.Password = (unsigned char *)argv[4]; id.PasswordLength = (ULONG)strlen(argv[4]);
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  return AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", use, NULL, &id, NULL, NULL, h, &ts);
}

/* Opens "WRAP <sig|sealed>" in place, prints PLAIN, and leaves the data at msg; returns its
   length. */
static unsigned long unwrap(CtxtHandle *ctx) {
  unsigned long n = get("WRAP", msg, sizeof msg);
  if (n < 16) fail("short WRAP", 0);
  SecBuffer b[2] = { { 16, SECBUFFER_TOKEN, msg }, { (ULONG)(n - 16), SECBUFFER_DATA, msg + 16 } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  ULONG qop = 0;
  SECURITY_STATUS s = DecryptMessage(ctx, &d, 0, &qop);
  if (s != SEC_E_OK) fail("DecryptMessage", s);
  put("PLAIN", b[1].pvBuffer, b[1].cbBuffer);
  memmove(msg, b[1].pvBuffer, b[1].cbBuffer);
  return b[1].cbBuffer;
}

/* Seals data (n bytes) and prints "WRAP <sig|sealed>". */
static void wrap(CtxtHandle *ctx, const unsigned char *data, unsigned long n) {
  unsigned char out[8192];
  memcpy(out + 16, data, n);
  SecBuffer b[2] = { { 16, SECBUFFER_TOKEN, out }, { (ULONG)n, SECBUFFER_DATA, out + 16 } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  SECURITY_STATUS s = EncryptMessage(ctx, 0, &d, 0);
  if (s != SEC_E_OK) fail("EncryptMessage", s);
  put("WRAP", out, 16 + n);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: wine_peer client|server DOMAIN USER PASSWORD\n");
    return 2;
  }
  int client = strcmp(argv[1], "client") == 0;
  CredHandle cred;
  CtxtHandle ctx;
  ULONG attr = 0;
  TimeStamp ts;
  SECURITY_STATUS s = creds(client ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND, argv, &cred);
  if (s != SEC_E_OK) fail("AcquireCredentialsHandleA", s);
  SecBuffer ob = { sizeof tok_out, SECBUFFER_TOKEN, tok_out }, ib = { 0, SECBUFFER_TOKEN, tok_in };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob }, id = { SECBUFFER_VERSION, 1, &ib };
  const ULONG isc = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION;
  const ULONG asc = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION;
  if (client) {
    s = InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/localhost", isc, 0, SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attr, &ts);
    if (s != SEC_I_CONTINUE_NEEDED) fail("InitializeSecurityContextA", s);
    put("TOKEN", tok_out, ob.cbBuffer);
    ib.cbBuffer = get("TOKEN", tok_in, sizeof tok_in);
    ob.cbBuffer = sizeof tok_out;
    s = InitializeSecurityContextA(&cred, &ctx, (SEC_CHAR *)"host/localhost", isc, 0, SECURITY_NATIVE_DREP, &id, 0, &ctx, &od, &attr, &ts);
    if (s != SEC_E_OK) fail("InitializeSecurityContextA", s);
    put("TOKEN", tok_out, ob.cbBuffer);
    unsigned long n = unwrap(&ctx);
    for (unsigned long i = 0; i < n / 2; i++) {
      unsigned char t = msg[i]; msg[i] = msg[n - 1 - i]; msg[n - 1 - i] = t;
    }
    wrap(&ctx, msg, n);
  } else {
    ib.cbBuffer = get("TOKEN", tok_in, sizeof tok_in);
    s = AcceptSecurityContext(&cred, NULL, &id, asc, SECURITY_NATIVE_DREP, &ctx, &od, &attr, &ts);
    if (s != SEC_I_CONTINUE_NEEDED) fail("AcceptSecurityContext", s);
    put("TOKEN", tok_out, ob.cbBuffer);
    ib.cbBuffer = get("TOKEN", tok_in, sizeof tok_in);
    ob.cbBuffer = sizeof tok_out;
    s = AcceptSecurityContext(&cred, &ctx, &id, asc, SECURITY_NATIVE_DREP, &ctx, &od, &attr, &ts);
    if (s != SEC_E_OK) fail("AcceptSecurityContext", s);
    SecPkgContext_NamesA names;
    s = QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names);
    if (s != SEC_E_OK) fail("QueryContextAttributesA", s);
    printf("USER %s\n", names.sUserName);
    fflush(stdout);
    FreeContextBuffer(names.sUserName);
    static const char hello[] = "from windows";
    wrap(&ctx, (const unsigned char *)hello, sizeof hello - 1);
    unwrap(&ctx);
  }
  DeleteSecurityContext(&ctx);
  FreeCredentialsHandle(&cred);
  return 0;
}
