/* Leaks and RSS: a full handshake + messages + attribute queries + teardown, repeated, and 10^4
   context create/delete cycles. Run natively it checks that RSS stays flat; scripts/reliability.sh
   also runs it under valgrind memcheck (definite/indirect leaks fail). SECUR32_LEAK_CYCLES sets
   the cycle count (default 10000); SECUR32_LEAK_NO_RSS=1 skips the RSS check (valgrind). */
#include "ntlm_util.h"
#include "check.h"
#include <stdio.h>

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, res = 0;
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
  fclose(f);
  return res * 4;
}

static int full_session(void) {
  pair_t p;
  memset(&p, 0, sizeof p);
  int ok = acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &p.ccred) == SEC_E_OK &&
           acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &p.scred) == SEC_E_OK &&
           handshake(&p, NTLM_REQ, NTLM_ASC, "host/leak") == SEC_E_OK;
  for (int i = 0; ok && i < 4; i++) {
    unsigned char sig[16], data[32] = "leak check message", forged[16];
    ULONG qop;
    ok = seal(&p.cctx, sig, data, 32, 0) == SEC_E_OK;
    memcpy(forged, sig, 16); forged[5] ^= 1;
    ok = ok && unseal(&p.sctx, forged, data, 32, 0, &qop) == SEC_E_MESSAGE_ALTERED;
    ok = ok && unseal(&p.sctx, sig, data, 32, 0, &qop) == SEC_E_OK;
  }
  SecPkgContext_NamesA na;
  SecPkgContext_SessionKey sk;
  if (ok && QueryContextAttributesA(&p.sctx, SECPKG_ATTR_NAMES, &na) == SEC_E_OK) FreeContextBuffer(na.sUserName);
  if (ok && QueryContextAttributesA(&p.cctx, SECPKG_ATTR_SESSION_KEY, &sk) == SEC_E_OK) FreeContextBuffer(sk.SessionKey);
  /* Allocated tokens. */
  CtxtHandle c;
  SecBuffer ob = { 0, SECBUFFER_TOKEN, NULL };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  ULONG a;
  TimeStamp ts;
  if (InitializeSecurityContextA(&p.ccred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ | ISC_REQ_ALLOCATE_MEMORY, 0, 0, NULL, 0, &c, &od, &a, &ts) == SEC_I_CONTINUE_NEEDED) {
    FreeContextBuffer(ob.pvBuffer);
    DeleteSecurityContext(&c);
  } else {
    ok = 0;
  }
  DeleteSecurityContext(&p.cctx);
  DeleteSecurityContext(&p.sctx);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);
  return ok;
}

int main(void) {
  long cycles = 10000;
  const char *e = getenv("SECUR32_LEAK_CYCLES");
  if (e) cycles = strtol(e, NULL, 10);
  int check_rss = !getenv("SECUR32_LEAK_NO_RSS");
  CHECK(full_session(), "full session");
  CredHandle cred;
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &cred), SEC_E_OK);
  long warm = cycles / 10, base = 0, bad = 0;
  unsigned char tok[512];
  for (long i = 0; i < cycles + warm; i++) {
    if (i == warm) base = rss_kb();
    SecBuffer ob = { sizeof tok, SECBUFFER_TOKEN, tok };
    SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
    CtxtHandle c;
    ULONG a;
    TimeStamp ts;
    if (InitializeSecurityContextA(&cred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, NULL, 0, &c, &od, &a, &ts) != SEC_I_CONTINUE_NEEDED ||
        DeleteSecurityContext(&c) != SEC_E_OK)
      bad++;
    if (i % 100 == 0 && !full_session()) bad++;
  }
  long grown = rss_kb() - base;
  FreeCredentialsHandle(&cred);
  CHECK(bad == 0, "%ld context create/delete cycles (+%ld full sessions)", cycles, (cycles + warm) / 100);
  if (check_rss) CHECK(grown < 512, "RSS flat over %ld cycles (grew %ld KiB)", cycles, grown);
  printf("leak: %ld create/delete cycles, %ld full sessions, RSS growth %ld KiB\n", cycles, (cycles + warm) / 100, grown);
  CHECK_SUMMARY("leak");
}
