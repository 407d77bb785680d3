/* Negotiate (SPNEGO, MS-SPNG) through the exported functions only, against a real MIT KDC started
   by c-tests/negotiate-test.sh, which exports:
     KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME   the realm's krb5.conf, service keytab, user1's TGT
     KT_REALM, KT_USER, KT_PASS, KT_SPN     realm, user1 and password, a keytab service
     KT_DEAD_CONFIG                         a krb5.conf whose KDC port has nothing listening
     NTLM_USER_FILE                         DOMAIN:USER:PASSWORD lines (user1 for NTLM)
   Covers: SecPkgInfo; Kerberos chosen with a KDC (ccache and password clients, keytab acceptor),
   Windows' mech list on the wire, two legs; NTLM fallback with no KDC and with an unknown SPN;
   PackageList "!kerberos" / "kerberos" / "!ntlm"; raw NTLMSSP and raw Kerberos initiators
   against the Negotiate acceptor; after each handshake EncryptMessage/DecryptMessage and
   MakeSignature/VerifySignature with tamper and replay codes, and two threads per direction;
   PACKAGE_INFO / NEGOTIATION_INFO naming the selected package; a KRB-ERROR in a reject
   NegTokenResp; malformed tokens (truncation, bit flips, NegoEx-only lists). */
#define _POSIX_C_SOURCE 200809L
#define SECURITY_WIN32
#include <security.h>
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define AREQ (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION)

static const char *env(const char *name) {
  const char *v = getenv(name);
  if (!v || !*v) {
    fprintf(stderr, "negotiate: environment variable %s is not set (run c-tests/negotiate-test.sh)\n", name);
    exit(2);
  }
  return v;
}

/* AcquireCredentialsHandleA(pkg) with SEC_WINNT_AUTH_IDENTITY_EXA (PackageList) when `list` is set,
   the plain identity when only a user is given, NULL auth data when neither. */
static SECURITY_STATUS acquire(const char *pkg, ULONG use, const char *user, const char *domain, const char *pw,
                               const char *list, CredHandle *out) {
  SEC_WINNT_AUTH_IDENTITY_EXA ex;
  SEC_WINNT_AUTH_IDENTITY_A id;
  TimeStamp ts;
  void *auth = NULL;
  memset(&ex, 0, sizeof ex);
  memset(&id, 0, sizeof id);
  if (list) {
    ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    ex.Length = sizeof ex;
    ex.User = (uint8_t *)user; ex.UserLength = user ? (ULONG)strlen(user) : 0;
    ex.Domain = (uint8_t *)domain; ex.DomainLength = domain ? (ULONG)strlen(domain) : 0;
    ex.Password = (uint8_t *)pw; ex.PasswordLength = pw ? (ULONG)strlen(pw) : 0;
    ex.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    ex.PackageList = (uint8_t *)list; ex.PackageListLength = (ULONG)strlen(list);
    auth = &ex;
  } else if (user) {
    id.User = (unsigned char *)user; id.UserLength = (ULONG)strlen(user);
    id.Domain = (unsigned char *)domain; id.DomainLength = domain ? (ULONG)strlen(domain) : 0;
    id.Password = (unsigned char *)pw; id.PasswordLength = pw ? (ULONG)strlen(pw) : 0;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    auth = &id;
  }
  return AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkg, use, NULL, auth, NULL, NULL, out, &ts);
}

typedef struct {
  CredHandle ccred, scred;
  CtxtHandle cctx, sctx;
  ULONG cattr, sattr;
  int legs;
  unsigned char first[65536];
  ULONG first_len;
  unsigned char second[65536];
  ULONG second_len;
} pair_t;

static pair_t P;

/* ISC/ASC until both are done; records the first two tokens. Returns the first failure or OK. */
static SECURITY_STATUS handshake(pair_t *p, const char *spn) {
  static unsigned char a[70000], b[70000];
  SecBuffer ob = { sizeof a, SECBUFFER_TOKEN, a }, ib = { 0, SECBUFFER_TOKEN, b };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob }, id = { SECBUFFER_VERSION, 1, &ib };
  TimeStamp ts;
  SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
  int first_c = 1, first_s = 1;
  p->legs = 0;
  for (int round = 0; round < 6; round++) {
    if (cs == SEC_I_CONTINUE_NEEDED) {
      ob.cbBuffer = sizeof a;
      cs = InitializeSecurityContextA(&p->ccred, first_c ? NULL : &p->cctx, (SEC_CHAR *)spn, REQ, 0, SECURITY_NATIVE_DREP,
                                      first_c ? NULL : &id, 0, &p->cctx, &od, &p->cattr, &ts);
      first_c = 0;
      if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) return cs;
      if (ob.cbBuffer == 0) return ss == SEC_E_OK ? SEC_E_OK : cs;
      if (p->legs == 0) { memcpy(p->first, a, ob.cbBuffer); p->first_len = ob.cbBuffer; }
      p->legs++;
      memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer;
    } else if (ss == SEC_E_OK) {
      return SEC_E_OK;
    }
    if (ss == SEC_I_CONTINUE_NEEDED) {
      ob.cbBuffer = sizeof a;
      ss = AcceptSecurityContext(&p->scred, first_s ? NULL : &p->sctx, &id, AREQ, SECURITY_NATIVE_DREP, &p->sctx, &od,
                                 &p->sattr, &ts);
      first_s = 0;
      if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) return ss;
      if (ob.cbBuffer == 0) return cs == SEC_E_OK ? SEC_E_OK : ss;
      if (p->legs == 1) { memcpy(p->second, a, ob.cbBuffer); p->second_len = ob.cbBuffer; }
      p->legs++;
      memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer;
    }
    if (cs == SEC_E_OK && ss == SEC_E_OK) return SEC_E_OK;
  }
  return SEC_E_INTERNAL_ERROR;
}

static void free_pair(pair_t *p) {
  DeleteSecurityContext(&p->cctx);
  DeleteSecurityContext(&p->sctx);
  FreeCredentialsHandle(&p->ccred);
  FreeCredentialsHandle(&p->scred);
  memset(p, 0, sizeof *p);
}

static int contains(const unsigned char *h, size_t hn, const unsigned char *n, size_t nn) {
  for (size_t i = 0; i + nn <= hn; i++)
    if (memcmp(h + i, n, nn) == 0) return 1;
  return 0;
}

/* MechTypeList DER as Windows sends it with Kerberos: MS KRB5, KRB5, NTLM. */
static const unsigned char WIN_LIST[] = { 0x30, 0x22, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02,
                                          0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
                                          0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };
/* Without Kerberos: NTLM alone. */
static const unsigned char NTLM_LIST[] = { 0xa0, 0x0e, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01,
                                           0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };
static const unsigned char SPNEGO_HDR[] = { 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };

static void expect_package(pair_t *p, const char *want, const char *label) {
  for (int side = 0; side < 2; side++) {
    CtxtHandle *h = side ? &p->sctx : &p->cctx;
    SecPkgContext_PackageInfoA pi = { 0 };
    CHECK_STATUS(QueryContextAttributesA(h, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
    CHECK(pi.PackageInfo && strcmp(pi.PackageInfo->Name, want) == 0, "%s: PACKAGE_INFO %s, want %s", label,
          pi.PackageInfo ? pi.PackageInfo->Name : "(null)", want);
    if (pi.PackageInfo) FreeContextBuffer(pi.PackageInfo);
    SecPkgContext_NegotiationInfoA ni = { 0 };
    CHECK_STATUS(QueryContextAttributesA(h, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    CHECK(ni.PackageInfo && strcmp(ni.PackageInfo->Name, want) == 0 && ni.NegotiationState == SECPKG_NEGOTIATION_COMPLETE,
          "%s: NEGOTIATION_INFO %s state %u", label, ni.PackageInfo ? ni.PackageInfo->Name : "(null)",
          (unsigned)ni.NegotiationState);
    if (ni.PackageInfo) FreeContextBuffer(ni.PackageInfo);
    SecPkgContext_Sizes sz;
    CHECK_STATUS(QueryContextAttributesA(h, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
    ULONG want_sig = strcmp(want, "NTLM") == 0 ? 16 : 28; /* NTLM 16; Kerberos AES-SHA1 MIC 28 */
    CHECK(sz.cbMaxSignature == want_sig, "%s: cbMaxSignature %u", label, (unsigned)sz.cbMaxSignature);
    SecPkgContext_NamesA nm = { 0 };
    CHECK_STATUS(QueryContextAttributesA(h, SECPKG_ATTR_NAMES, &nm), SEC_E_OK);
    CHECK(nm.sUserName && strstr(nm.sUserName, "user1") != NULL, "%s: NAMES %s", label, nm.sUserName ? nm.sUserName : "");
    if (nm.sUserName) FreeContextBuffer(nm.sUserName);
    SecPkgContext_SessionKey sk = { 0 };
    CHECK_STATUS(QueryContextAttributesA(h, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
    CHECK(sk.SessionKeyLength >= 16, "%s: SESSION_KEY %u bytes", label, (unsigned)sk.SessionKeyLength);
    if (sk.SessionKey) FreeContextBuffer(sk.SessionKey);
  }
  CHECK(p->cattr & ISC_RET_CONFIDENTIALITY, "%s: ISC_RET_CONFIDENTIALITY", label);
  CHECK(p->sattr & ASC_RET_CONFIDENTIALITY, "%s: ASC_RET_CONFIDENTIALITY", label);
}

/* [TOKEN, DATA] EncryptMessage / DecryptMessage, then MakeSignature / VerifySignature, with tamper
   (SEC_E_MESSAGE_ALTERED) and replay (SEC_E_OUT_OF_SEQUENCE) each way. */
static void test_messages(pair_t *p, const char *label) {
  SecPkgContext_Sizes sz;
  CHECK_STATUS(QueryContextAttributesA(&p->sctx, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
  CHECK(sz.cbMaxToken == 48256, "%s: cbMaxToken %u (Negotiate's)", label, (unsigned)sz.cbMaxToken);
  for (int dir = 0; dir < 2; dir++) {
    CtxtHandle *tx = dir ? &p->sctx : &p->cctx, *rx = dir ? &p->cctx : &p->sctx;
    for (int m = 0; m < 3; m++) {
      unsigned char data[3000], orig[3000], tok[128], keep[3000], keep_tok[128];
      ULONG len = m == 0 ? 1 : m == 1 ? 17 : 3000, qop = 99;
      for (ULONG i = 0; i < len; i++) orig[i] = (unsigned char)(i * 13 + m + dir);
      memcpy(data, orig, len);
      SecBuffer b[2] = { { sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok }, { len, SECBUFFER_DATA, data } };
      SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
      CHECK_STATUS(EncryptMessage(tx, 0, &d, 0), SEC_E_OK);
      ULONG toklen = b[0].cbBuffer;
      CHECK(len < 8 || memcmp(data, orig, len) != 0, "%s: encrypted in place", label);
      memcpy(keep, data, len); memcpy(keep_tok, tok, toklen);
      data[len / 2] ^= 4;
      SecBuffer t[2] = { { toklen, SECBUFFER_TOKEN, tok }, { len, SECBUFFER_DATA, data } };
      SecBufferDesc td = { SECBUFFER_VERSION, 2, t };
      CHECK_STATUS(DecryptMessage(rx, &td, 0, &qop), SEC_E_MESSAGE_ALTERED);
      memcpy(data, keep, len);
      SecBuffer g[2] = { { toklen, SECBUFFER_TOKEN, tok }, { len, SECBUFFER_DATA, data } };
      SecBufferDesc gd = { SECBUFFER_VERSION, 2, g };
      CHECK_STATUS(DecryptMessage(rx, &gd, 0, &qop), SEC_E_OK);
      CHECK(memcmp(data, orig, len) == 0, "%s: round trip dir %d msg %d", label, dir, m);
      memcpy(data, keep, len); memcpy(tok, keep_tok, toklen);
      SecBuffer r[2] = { { toklen, SECBUFFER_TOKEN, tok }, { len, SECBUFFER_DATA, data } };
      SecBufferDesc rd = { SECBUFFER_VERSION, 2, r };
      SECURITY_STATUS rs = DecryptMessage(rx, &rd, 0, &qop);
      CHECK(rs == SEC_E_OUT_OF_SEQUENCE || rs == SEC_E_MESSAGE_ALTERED, "%s: replay refused (0x%08X)", label, (unsigned)rs);
    }
    unsigned char msg[] = "sign me", sig[128], keep_sig[128];
    SecBuffer s[2] = { { sizeof msg, SECBUFFER_DATA, msg }, { sz.cbMaxSignature, SECBUFFER_TOKEN, sig } };
    SecBufferDesc sd = { SECBUFFER_VERSION, 2, s };
    CHECK_STATUS(MakeSignature(tx, 0, &sd, 0), SEC_E_OK);
    ULONG siglen = s[1].cbBuffer, qop = 0;
    memcpy(keep_sig, sig, siglen);
    msg[0] ^= 1;
    SecBuffer v[2] = { { sizeof msg, SECBUFFER_DATA, msg }, { siglen, SECBUFFER_TOKEN, sig } };
    SecBufferDesc vd = { SECBUFFER_VERSION, 2, v };
    CHECK_STATUS(VerifySignature(rx, &vd, 0, &qop), SEC_E_MESSAGE_ALTERED);
    msg[0] ^= 1;
    CHECK_STATUS(VerifySignature(rx, &vd, 0, &qop), SEC_E_OK);
    memcpy(sig, keep_sig, siglen);
    SECURITY_STATUS rs = VerifySignature(rx, &vd, 0, &qop);
    CHECK(rs == SEC_E_OUT_OF_SEQUENCE || rs == SEC_E_MESSAGE_ALTERED, "%s: signature replay refused (0x%08X)", label,
          (unsigned)rs);
  }
}

/* Two threads each way: every message sealed on one thread opens on the other, in order. */
typedef struct {
  CtxtHandle *tx, *rx;
  ULONG trailer;
  int failures;
} lane_t;

#define THREAD_MSGS 300
static void *lane(void *arg) {
  lane_t *l = arg;
  for (int i = 0; i < THREAD_MSGS; i++) {
    unsigned char data[64], tok[128];
    for (int k = 0; k < 64; k++) data[k] = (unsigned char)(i + k);
    SecBuffer b[2] = { { l->trailer, SECBUFFER_TOKEN, tok }, { 64, SECBUFFER_DATA, data } };
    SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
    ULONG qop;
    if (EncryptMessage(l->tx, 0, &d, 0) != SEC_E_OK) { l->failures++; continue; }
    if (DecryptMessage(l->rx, &d, 0, &qop) != SEC_E_OK) { l->failures++; continue; }
    for (int k = 0; k < 64; k++)
      if (data[k] != (unsigned char)(i + k)) { l->failures++; break; }
  }
  return NULL;
}

static void test_threads(pair_t *p, const char *label) {
  SecPkgContext_Sizes sz;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
  lane_t a = { &p->cctx, &p->sctx, sz.cbSecurityTrailer, 0 }, b = { &p->sctx, &p->cctx, sz.cbSecurityTrailer, 0 };
  pthread_t ta, tb;
  pthread_create(&ta, NULL, lane, &a);
  pthread_create(&tb, NULL, lane, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(a.failures == 0 && b.failures == 0, "%s: threads %d/%d failures", label, a.failures, b.failures);
}

static void test_package_info(void) {
  PSecPkgInfoA info = NULL;
  CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"negotiate", &info), SEC_E_OK);
  if (!info) return;
  CHECK(strcmp(info->Name, "Negotiate") == 0, "Name %s", info->Name);
  CHECK(info->wRPCID == 9, "wRPCID %u (RPC_C_AUTHN_GSS_NEGOTIATE)", info->wRPCID);
  CHECK(info->cbMaxToken == 48256, "cbMaxToken %u", (unsigned)info->cbMaxToken);
  CHECK(info->cbMaxToken >= 48000, "cbMaxToken covers Kerberos' 48000");
  CHECK(info->fCapabilities == 0x00083BB3, "fCapabilities 0x%08X", (unsigned)info->fCapabilities);
  CHECK(strcmp(info->Comment, "Microsoft Package Negotiator") == 0, "Comment %s", info->Comment);
  FreeContextBuffer(info);
  ULONG n = 0;
  PSecPkgInfoA all = NULL;
  CHECK_STATUS(EnumerateSecurityPackagesA(&n, &all), SEC_E_OK);
  CHECK(all && n > 0 && strcmp(all[0].Name, "Negotiate") == 0, "Negotiate listed first");
  if (all) FreeContextBuffer(all);
}

static void full(pair_t *p, const char *label, const char *want) {
  expect_package(p, want, label);
  test_messages(p, label);
  test_threads(p, label);
}

static void test_kerberos(const char *spn) {
  /* NULL auth data both sides: the ccache (user1's TGT) and the keytab + NTLM_USER_FILE. */
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &P.ccred), SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
  CHECK(P.legs == 2, "kerberos: two legs (AP-REQ in NegTokenInit, AP-REP in accept-completed), got %d", P.legs);
  CHECK(P.first_len > 20 && P.first[0] == 0x60 && memcmp(P.first + (P.first[1] & 0x80 ? 2 + (P.first[1] & 0x7f) : 2), SPNEGO_HDR, sizeof SPNEGO_HDR) == 0,
        "kerberos: first token is a framed SPNEGO NegTokenInit");
  CHECK(contains(P.first, P.first_len, WIN_LIST, sizeof WIN_LIST), "kerberos: Windows' mech list MS KRB5, KRB5, NTLM");
  /* The reply: negState accept-completed (a0 03 0a 01 00), supportedMech MS KRB5 (the OID the
     client listed first), an AP-REP token. */
  static const unsigned char done_ms[] = { 0xa0, 0x03, 0x0a, 0x01, 0x00, 0xa1, 0x0b, 0x06, 0x09,
                                            0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02 };
  CHECK(contains(P.second, P.second_len, done_ms, sizeof done_ms), "kerberos: accept-completed, supportedMech MS KRB5");
  full(&P, "kerberos/ccache", "Kerberos");
  free_pair(&P);

  /* A password client. */
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, env("KT_USER"), env("KT_REALM"), env("KT_PASS"), NULL, &P.ccred),
               SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
  full(&P, "kerberos/password", "Kerberos");
  free_pair(&P);

  /* PackageList "kerberos" and "!ntlm": Kerberos, no NTLM in the list. */
  const char *lists[] = { "kerberos", "!ntlm" };
  for (int i = 0; i < 2; i++) {
    CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, env("KT_USER"), env("KT_REALM"), env("KT_PASS"), lists[i], &P.ccred),
                 SEC_E_OK);
    CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
    CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
    static const unsigned char ntlm_oid[] = { 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };
    CHECK(!contains(P.first, P.first_len, ntlm_oid, sizeof ntlm_oid), "PackageList %s: NTLM not offered", lists[i]);
    expect_package(&P, "Kerberos", lists[i]);
    free_pair(&P);
  }
}

static void test_ntlm_paths(const char *spn) {
  /* PackageList "!kerberos" with a KDC reachable: NTLM only. */
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, env("KT_USER"), env("KT_REALM"), env("KT_PASS"), "!kerberos", &P.ccred),
               SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
  CHECK(contains(P.first, P.first_len, NTLM_LIST, sizeof NTLM_LIST), "!kerberos: mech list is NTLM alone");
  CHECK(P.legs == 4, "NTLM: four legs (init, challenge, authenticate+MIC, accept-completed+MIC), got %d", P.legs);
  full(&P, "ntlm/!kerberos", "NTLM");
  free_pair(&P);

  /* An SPN the KDC does not know (KDC_ERR_S_PRINCIPAL_UNKNOWN before anything was sent): NTLM. */
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &P.ccred), SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, "HTTP/no-such-host.invalid"), SEC_E_OK);
  CHECK(contains(P.first, P.first_len, NTLM_LIST, sizeof NTLM_LIST), "unknown SPN: fell back to NTLM");
  full(&P, "ntlm/unknown-spn", "NTLM");
  free_pair(&P);

  /* A realm no KDC serves (the TGT request cannot be sent anywhere): NTLM. */
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, env("KT_USER"), "NO.SUCH.REALM", env("KT_PASS"), NULL, &P.ccred),
               SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
  CHECK(contains(P.first, P.first_len, NTLM_LIST, sizeof NTLM_LIST), "unknown realm: fell back to NTLM");
  expect_package(&P, "NTLM", "ntlm/unknown-realm");
  free_pair(&P);

  /* No Kerberos credentials at all (no ccache, NULL auth data): NTLM from NTLM_USER_FILE. */
  {
    char *saved = strdup(env("KRB5CCNAME"));
    setenv("KRB5CCNAME", "FILE:/nonexistent/secur32-no-ccache", 1);
    CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &P.ccred), SEC_E_OK);
    setenv("KRB5CCNAME", saved, 1);
    free(saved);
    CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
    CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
    CHECK(contains(P.first, P.first_len, NTLM_LIST, sizeof NTLM_LIST), "no ccache: NTLM alone");
    full(&P, "ntlm/no-ccache", "NTLM");
    free_pair(&P);
  }

  /* Raw NTLMSSP initiator (package "NTLM") against the Negotiate acceptor (HTTP clients). */
  CHECK_STATUS(acquire("NTLM", SECPKG_CRED_OUTBOUND, env("KT_USER"), env("KT_REALM"), env("KT_PASS"), NULL, &P.ccred), SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
  CHECK(memcmp(P.second, "NTLMSSP\0\2", 9) == 0, "raw NTLM: CHALLENGE without SPNEGO framing");
  test_messages(&P, "raw-ntlm");
  free_pair(&P);

  /* Raw Kerberos initiator (package "Kerberos") against the Negotiate acceptor. */
  CHECK_STATUS(acquire("Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &P.ccred), SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
  test_messages(&P, "raw-kerberos");
  free_pair(&P);
}

/* A wrong password with the KDC up: Kerberos' authoritative refusal (KDC_ERR_PREAUTH_FAILED) is
   the answer of the first ISC call; Negotiate does not retry it over NTLM. */
static void test_wrong_password(const char *spn) {
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, env("KT_USER"), env("KT_REALM"), "not-the-password", NULL,
                       &P.ccred),
               SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  SECURITY_STATUS s = handshake(&P, spn);
  CHECK(s == SEC_E_LOGON_DENIED, "wrong password: 0x%08X", (unsigned)s);
  CHECK(P.legs == 0, "wrong password: no token sent (%d legs)", P.legs);
  free_pair(&P);
}

static void test_no_kdc(const char *spn) {
  /* A krb5.conf whose KDC port is closed: Kerberos fails before sending → NTLM (ccache client). */
  char *saved = strdup(env("KRB5_CONFIG"));
  setenv("KRB5_CONFIG", env("KT_DEAD_CONFIG"), 1);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, env("KT_USER"), env("KT_REALM"), env("KT_PASS"), NULL, &P.ccred),
               SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&P, spn), SEC_E_OK);
  CHECK(contains(P.first, P.first_len, NTLM_LIST, sizeof NTLM_LIST), "no KDC: fell back to NTLM");
  full(&P, "ntlm/no-kdc", "NTLM");
  free_pair(&P);

  /* "kerberos" only and no KDC: no fallback, the Kerberos error. */
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, env("KT_USER"), env("KT_REALM"), env("KT_PASS"), "kerberos", &P.ccred),
               SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &P.scred), SEC_E_OK);
  SECURITY_STATUS s = handshake(&P, spn);
  CHECK(s == SEC_E_NO_AUTHENTICATING_AUTHORITY, "kerberos-only, no KDC: 0x%08X", (unsigned)s);
  free_pair(&P);
  setenv("KRB5_CONFIG", saved, 1);
  free(saved);
}

static SECURITY_STATUS asc_once(CredHandle *cred, const unsigned char *tok, ULONG len, CtxtHandle *ctx) {
  unsigned char in[70000], out[70000];
  memcpy(in, tok, len);
  SecBuffer ib = { len, SECBUFFER_TOKEN, in }, ob = { sizeof out, SECBUFFER_TOKEN, out };
  SecBufferDesc id = { SECBUFFER_VERSION, 1, &ib }, od = { SECBUFFER_VERSION, 1, &ob };
  ULONG attr;
  TimeStamp ts;
  return AcceptSecurityContext(cred, NULL, &id, AREQ, SECURITY_NATIVE_DREP, ctx, &od, &attr, &ts);
}

/* A fresh NegTokenInit with an optimistic AP-REQ (new authenticator: the acceptor's replay cache
   would otherwise refuse every reuse and hide what a flip does). */
static ULONG fresh_init(CredHandle *c, const char *spn, unsigned char *tok, ULONG cap) {
  SecBuffer ob = { cap, SECBUFFER_TOKEN, tok };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  CtxtHandle cc;
  ULONG attr;
  TimeStamp ts;
  if (InitializeSecurityContextA(c, NULL, (SEC_CHAR *)spn, REQ, 0, SECURITY_NATIVE_DREP, NULL, 0, &cc, &od, &attr, &ts) !=
      SEC_I_CONTINUE_NEEDED)
    return 0;
  DeleteSecurityContext(&cc);
  return ob.cbBuffer;
}

static void test_malformed(const char *spn) {
  CredHandle c, s;
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &c), SEC_E_OK);
  CHECK_STATUS(acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &s), SEC_E_OK);
  unsigned char tok[70000];
  SecBuffer ob = { sizeof tok, SECBUFFER_TOKEN, tok };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  CtxtHandle cc, sc;
  ULONG attr;
  TimeStamp ts;
  CHECK_STATUS(InitializeSecurityContextA(&c, NULL, (SEC_CHAR *)spn, REQ, 0, SECURITY_NATIVE_DREP, NULL, 0, &cc, &od, &attr, &ts),
               SEC_I_CONTINUE_NEEDED);
  ULONG len = ob.cbBuffer;
  /* Truncations of the NegTokenInit: SEC_E_INVALID_TOKEN (bad framing) or another refusal. */
  int ok = 0, bad = 0;
  for (ULONG cut = 0; cut < len; cut += (cut < 64 ? 1 : 97)) {
    SECURITY_STATUS r = asc_once(&s, tok, cut, &sc);
    if (r == SEC_E_OK || r == SEC_I_CONTINUE_NEEDED) { ok++; DeleteSecurityContext(&sc); }
    else if (r != SEC_E_INVALID_TOKEN) bad++;
  }
  CHECK(ok == 0, "truncated NegTokenInit accepted %d times", ok);
  CHECK(bad == 0, "truncated NegTokenInit: %d codes other than SEC_E_INVALID_TOKEN", bad);
  /* Bit flips over the SPNEGO framing, the mech list and the mechToken header (bytes 0..59) and
     the authenticator's ciphertext (the last 64 bytes): never SEC_E_OK, except the one flip that
     turns the MS KRB5 OID (…82 f7 12…) into the KRB5 OID (…86 f7 12…), an alias, and flips inside
     the second and third OIDs (bytes 35..57): RFC 4178 §5 needs no mechListMIC when the
     initiator's first mech is selected with its optimistic token, so the rest of the list is not
     protected — as on Windows. The ticket's
     clear-text realm/sname are not protected by Kerberos itself (the acceptor tries its keytab),
     so they are not flipped here. */
  ok = 0;
  for (ULONG bit = 0; bit < len * 8; bit++) {
    ULONG byte = bit / 8;
    if (byte >= 60 && byte + 64 < len) continue;
    ULONG fl = fresh_init(&c, spn, tok, sizeof tok);
    if (fl == 0) { ok++; continue; }
    if (byte >= fl) continue; /* the INTEGER encodings of cusec / seq-number vary by a byte */
    tok[byte] ^= (unsigned char)(1 << (bit % 8));
    int alias = tok[byte - (byte ? 1 : 0)] == 0x48 && tok[byte] == 0x86 && byte + 1 < len && tok[byte + 1] == 0xf7;
    SECURITY_STATUS r = asc_once(&s, tok, fl, &sc);
    tok[byte] ^= (unsigned char)(1 << (bit % 8));
    if (r == SEC_E_OK && !alias && !(byte >= 35 && byte <= 57)) {
      ok++;
      if (getenv("NEG_DEBUG")) fprintf(stderr, "flip byte %u bit %u accepted\n", (unsigned)byte, (unsigned)(bit % 8));
    }
    if (r == SEC_E_OK || r == SEC_I_CONTINUE_NEEDED) DeleteSecurityContext(&sc);
  }
  CHECK(ok == 0, "bit-flipped NegTokenInit accepted %d times", ok);
  /* NegoEx and an unknown mech only: no mechanism in common → SEC_E_INVALID_TOKEN. */
  static const unsigned char negoex_only[] = { 0x60, 0x24, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x1a, 0x30, 0x18,
                                               0xa0, 0x16, 0x30, 0x14, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02,
                                               0x02, 0x1e, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x19 };
  CHECK_STATUS(asc_once(&s, negoex_only, sizeof negoex_only, &sc), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(asc_once(&s, (const unsigned char *)"\xa1\x03\x30\x01\x00", 5, &sc), SEC_E_INVALID_TOKEN);

  /* A KRB-ERROR (KRB_AP_ERR_SKEW, 37) in a reject NegTokenResp → SEC_E_TIME_SKEW. */
  static const unsigned char krb_error[] = {
    0x7e, 0x46, 0x30, 0x44, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa1, 0x03, 0x02, 0x01, 0x1e, 0xa4, 0x11, 0x18, 0x0f,
    '2', '0', '2', '6', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z', 0xa5, 0x03, 0x02, 0x01, 0x00,
    0xa6, 0x03, 0x02, 0x01, 0x25, 0xa9, 0x0a, 0x1b, 0x08, 'M', 'I', 'T', '.', 'T', 'E', 'S', 'T',
    0xaa, 0x0f, 0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x06, 0x30, 0x04, 0x1b, 0x02, 'h', 's' };
  unsigned char resp[256];
  size_t gss_len = 11 + 2 + sizeof krb_error; /* 06 09 oid, tok_id, message */
  size_t n = 0;
  resp[n++] = 0xa1; resp[n++] = 0x81; resp[n++] = (unsigned char)(gss_len + 2 + 4 + 4 + 5 + 3 + 2);
  resp[n++] = 0x30; resp[n++] = 0x81; resp[n++] = (unsigned char)(gss_len + 2 + 4 + 5 + 3 + 2);
  memcpy(resp + n, "\xa0\x03\x0a\x01\x02", 5); n += 5; /* negState reject */
  resp[n++] = 0xa2; resp[n++] = 0x81; resp[n++] = (unsigned char)(gss_len + 2 + 3);
  resp[n++] = 0x04; resp[n++] = 0x81; resp[n++] = (unsigned char)(gss_len + 2);
  resp[n++] = 0x60; resp[n++] = (unsigned char)gss_len;
  memcpy(resp + n, "\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x03\x00", 13); n += 13;
  memcpy(resp + n, krb_error, sizeof krb_error); n += sizeof krb_error;
  /* fix the outer lengths now that n is known */
  resp[2] = (unsigned char)(n - 3);
  resp[5] = (unsigned char)(n - 6);
  SecBuffer ib = { (ULONG)n, SECBUFFER_TOKEN, resp };
  SecBufferDesc id = { SECBUFFER_VERSION, 1, &ib };
  ob.cbBuffer = sizeof tok;
  CHECK_STATUS(InitializeSecurityContextA(&c, &cc, (SEC_CHAR *)spn, REQ, 0, SECURITY_NATIVE_DREP, &id, 0, &cc, &od, &attr, &ts),
               SEC_E_TIME_SKEW);
  DeleteSecurityContext(&cc);
  FreeCredentialsHandle(&c);
  FreeCredentialsHandle(&s);
}

int main(void) {
  const char *spn = env("KT_SPN");
  env("NTLM_USER_FILE");
  test_package_info();
  test_kerberos(spn);
  test_ntlm_paths(spn);
  test_wrong_password(spn);
  test_no_kdc(spn);
  test_malformed(spn);
  CHECK_SUMMARY("negotiate");
}
