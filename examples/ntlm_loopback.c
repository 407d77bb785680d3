/* NTLM loopback through libsecur32, written the way Windows SSPI code is written: a client
   (InitializeSecurityContextW) and a server (AcceptSecurityContext) in one process exchange
   NEGOTIATE, CHALLENGE and AUTHENTICATE, then seal and unseal a message.
   Build (after cargo build --release; the rpath lets it run without LD_LIBRARY_PATH):
     gcc -Iinclude examples/ntlm_loopback.c -Ltarget/release -lsecur32 -Wl,-rpath,$PWD/target/release */
#define SECURITY_WIN32
#define UNICODE
#include <security.h>
#include <stdio.h>
#include <string.h>

static void wcopy(SEC_WCHAR *dst, const char *src) {
  while ((*dst++ = (SEC_WCHAR)(unsigned char)*src++)) {}
}

static void dump(const char *what, const void *p, unsigned long n) {
  const unsigned char *b = p;
  printf("  %-22s %4lu bytes:", what, n);
  for (unsigned long i = 0; i < n && i < 24; i++) printf(" %02x", b[i]);
  printf(n > 24 ? " ...\n" : "\n");
}

static int fail(const char *what, SECURITY_STATUS s) {
  fprintf(stderr, "%s failed: 0x%08X\n", what, (unsigned)s);
  return 1;
}

int main(void) {
  SEC_WCHAR user[32], domain[32], password[32], package[8], spn[64];
  wcopy(user, "user"); wcopy(domain, "DOMAIN"); wcopy(password, "Password01");
  wcopy(package, "NTLM"); wcopy(spn, "host/localhost");

  SEC_WINNT_AUTH_IDENTITY_W id = { (unsigned short *)user, 4, (unsigned short *)domain, 6,
                                   (unsigned short *)password, 10, SEC_WINNT_AUTH_IDENTITY_UNICODE };
  CredHandle client_cred, server_cred;
  TimeStamp expiry;
  SECURITY_STATUS s;
  /* The server accepts the account passed with SECPKG_CRED_INBOUND (or NTLM_USER_FILE). */
  s = AcquireCredentialsHandle(NULL, package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &client_cred, &expiry);
  if (s != SEC_E_OK) return fail("AcquireCredentialsHandle (client)", s);
  s = AcquireCredentialsHandle(NULL, package, SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &server_cred, &expiry);
  if (s != SEC_E_OK) return fail("AcquireCredentialsHandle (server)", s);
  printf("AcquireCredentialsHandle: client and server credentials for DOMAIN\\user\n");

  ULONG req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT |
              ISC_REQ_REPLAY_DETECT | ISC_REQ_CONNECTION | ISC_REQ_ALLOCATE_MEMORY;
  ULONG asc = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_SEQUENCE_DETECT |
              ASC_REQ_REPLAY_DETECT | ASC_REQ_CONNECTION | ASC_REQ_ALLOCATE_MEMORY;
  CtxtHandle client, server;
  ULONG cattr = 0, sattr = 0;
  SecBuffer out = { 0, SECBUFFER_TOKEN, NULL }, in = { 0, SECBUFFER_TOKEN, NULL };
  SecBufferDesc out_desc = { SECBUFFER_VERSION, 1, &out }, in_desc = { SECBUFFER_VERSION, 1, &in };
  PCtxtHandle cphase = NULL, sphase = NULL;
  SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
  const char *names[] = { "NEGOTIATE", "CHALLENGE", "AUTHENTICATE" };
  int leg = 0;
  while (cs == SEC_I_CONTINUE_NEEDED || ss == SEC_I_CONTINUE_NEEDED) {
    if (cs == SEC_I_CONTINUE_NEEDED) {
      out.pvBuffer = NULL; out.cbBuffer = 0;
      cs = InitializeSecurityContext(&client_cred, cphase, spn, req, 0, SECURITY_NATIVE_DREP,
                                     cphase ? &in_desc : NULL, 0, &client, &out_desc, &cattr, &expiry);
      if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) return fail("InitializeSecurityContext", cs);
      cphase = &client;
      printf("InitializeSecurityContext -> %s\n", cs == SEC_E_OK ? "SEC_E_OK" : "SEC_I_CONTINUE_NEEDED");
      dump(names[leg < 3 ? leg : 2], out.pvBuffer, out.cbBuffer);
      leg++;
      if (in.pvBuffer) FreeContextBuffer(in.pvBuffer);
      in = out;
    }
    if (ss == SEC_I_CONTINUE_NEEDED && in.cbBuffer) {
      out.pvBuffer = NULL; out.cbBuffer = 0;
      ss = AcceptSecurityContext(&server_cred, sphase, &in_desc, asc, SECURITY_NATIVE_DREP, &server,
                                 &out_desc, &sattr, &expiry);
      if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) return fail("AcceptSecurityContext", ss);
      sphase = &server;
      printf("AcceptSecurityContext -> %s\n", ss == SEC_E_OK ? "SEC_E_OK" : "SEC_I_CONTINUE_NEEDED");
      if (out.cbBuffer) {
        dump(names[leg < 3 ? leg : 2], out.pvBuffer, out.cbBuffer);
        leg++;
      }
      FreeContextBuffer(in.pvBuffer);
      in = out;
    }
  }
  if (in.pvBuffer) FreeContextBuffer(in.pvBuffer);
  printf("client flags 0x%08X, server flags 0x%08X\n", (unsigned)cattr, (unsigned)sattr);

  SecPkgContext_Sizes sizes;
  SecPkgContext_NamesW names_w;
  QueryContextAttributes(&client, SECPKG_ATTR_SIZES, &sizes);
  printf("SECPKG_ATTR_SIZES: cbMaxToken %u cbMaxSignature %u cbBlockSize %u cbSecurityTrailer %u\n",
         (unsigned)sizes.cbMaxToken, (unsigned)sizes.cbMaxSignature, (unsigned)sizes.cbBlockSize,
         (unsigned)sizes.cbSecurityTrailer);
  s = QueryContextAttributes(&server, SECPKG_ATTR_NAMES, &names_w);
  if (s != SEC_E_OK) return fail("QueryContextAttributes(NAMES)", s);
  printf("server sees user: ");
  for (SEC_WCHAR *c = names_w.sUserName; *c; c++) putchar((char)*c);
  putchar('\n');
  FreeContextBuffer(names_w.sUserName);

  char message[] = "Hello from the client";
  unsigned char trailer[16];
  SecBuffer msg[2] = { { sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer },
                       { (ULONG)strlen(message), SECBUFFER_DATA, message } };
  SecBufferDesc msg_desc = { SECBUFFER_VERSION, 2, msg };
  s = EncryptMessage(&client, 0, &msg_desc, 0);
  if (s != SEC_E_OK) return fail("EncryptMessage", s);
  printf("EncryptMessage -> SEC_E_OK\n");
  dump("signature", trailer, msg[0].cbBuffer);
  dump("sealed data", message, msg[1].cbBuffer);
  ULONG qop = 0;
  s = DecryptMessage(&server, &msg_desc, 0, &qop);
  if (s != SEC_E_OK) return fail("DecryptMessage", s);
  printf("DecryptMessage -> SEC_E_OK: \"%.*s\"\n", (int)msg[1].cbBuffer, (char *)msg[1].pvBuffer);

  DeleteSecurityContext(&client);
  DeleteSecurityContext(&server);
  FreeCredentialsHandle(&client_cred);
  FreeCredentialsHandle(&server_cred);
  return strcmp(message, "Hello from the client") == 0 ? 0 : 1;
}
