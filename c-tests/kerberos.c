/* Kerberos through the exported functions only, against a real KDC (MIT krb5kdc or Samba's
   AD DC KDC) started by c-tests/kerberos-test.sh, which exports:
     KRB5_CONFIG, KRB5_KTNAME      the realm's krb5.conf and the service keytab
     KRB5CCNAME                    a ccache holding user1's TGT (kinit'ed by the script)
     KT_REALM                      the realm
     KT_USER, KT_PASS              a user and password (user1)
     KT_SPN                        a service in the keytab, e.g. HTTP/localhost
     KT_ETYPE_USERS                optional: "name:user:password:spn:sig:trailer[:etype] ..." cases
                                   (0 = not asserted; etype = the session key's, from KEY_INFO)
     KT_ETYPE_ONLY                 run only those cases (the script sets it with a krb5.conf
                                   whose enctype lists name one enctype)
     KT_KDC_PROXY, KT_KDC_PROXY_LOG optional: an MS-KKDCP proxy "127.0.0.1:port:path" in front of the
                                   KDC (its certificate trusted through SSL_CERT_FILE) and its access log
     KT_DEAD_CONFIG                a krb5.conf whose realm's KDC port has nothing listening
     KT_OTHER_SPN                  optional: another principal in the keytab
     KT_SVC_USER, KT_SVC_PASS      optional: a principal with a password, used as a service
   Covers: package info, password and ccache clients, keytab server, mutual auth (AP-REP),
   DCE style (three legs), EncryptMessage/DecryptMessage in Windows' buffer layouts (TOKEN +
   DATA + PADDING, STREAM + DATA, several DATA, READONLY), WRAP_NO_ENCRYPT, MakeSignature /
   VerifySignature, tamper / replay / reorder codes, rollback after a failed call, attributes,
   and the KDC error codes (wrong password, unknown service, no KDC, unknown realm).
   Sources of the expected values are cited next to each check. */
#define _POSIX_C_SOURCE 200809L
#define SECURITY_WIN32
#include <security.h>
#include "check.h"
#include "alloc_count.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KRB_REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONNECTION)
#define KRB_ASC (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONNECTION)

static const char *env(const char *name) {
  const char *v = getenv(name);
  if (!v || !*v) {
    fprintf(stderr, "kerberos: environment variable %s is not set (run c-tests/kerberos-test.sh)\n", name);
    exit(2);
  }
  return v;
}

static SECURITY_STATUS acquire(ULONG use, const char *user, const char *domain, const char *pw, CredHandle *out) {
  SEC_WINNT_AUTH_IDENTITY_A id;
  TimeStamp ts;
  memset(&id, 0, sizeof id);
  id.User = (unsigned char *)user; id.UserLength = user ? (ULONG)strlen(user) : 0;
  id.Domain = (unsigned char *)domain; id.DomainLength = domain ? (ULONG)strlen(domain) : 0;
  id.Password = (unsigned char *)pw; id.PasswordLength = pw ? (ULONG)strlen(pw) : 0;
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  return AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", use, NULL, user ? &id : NULL, NULL, NULL, out, &ts);
}

typedef struct {
  CredHandle ccred, scred;
  CtxtHandle cctx, sctx;
  ULONG cattr, sattr;
  SECURITY_STATUS last_isc, last_asc;
  int legs;
} pair_t;

/* Runs ISC/ASC until both are done; returns the first failing status or SEC_E_OK. */
static SECURITY_STATUS handshake(pair_t *p, ULONG isc_req, ULONG asc_req, const char *spn) {
  static unsigned char a[65536], b[65536];
  SecBuffer ob = { sizeof a, SECBUFFER_TOKEN, a }, ib = { 0, SECBUFFER_TOKEN, b };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob }, id = { SECBUFFER_VERSION, 1, &ib };
  TimeStamp ts;
  SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
  int first_c = 1, first_s = 1;
  p->legs = 0;
  for (int round = 0; round < 6; round++) {
    if (cs == SEC_I_CONTINUE_NEEDED) {
      ob.cbBuffer = sizeof a;
      cs = InitializeSecurityContextA(&p->ccred, first_c ? NULL : &p->cctx, (SEC_CHAR *)spn, isc_req, 0,
                                      SECURITY_NATIVE_DREP, first_c ? NULL : &id, 0, &p->cctx, &od, &p->cattr, &ts);
      first_c = 0;
      p->last_isc = cs;
      if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) return cs;
      if (ob.cbBuffer == 0) return ss == SEC_E_OK ? SEC_E_OK : cs;
      p->legs++;
      memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer;
    } else if (ss == SEC_E_OK) {
      return SEC_E_OK;
    }
    if (ss == SEC_I_CONTINUE_NEEDED) {
      ob.cbBuffer = sizeof a;
      ss = AcceptSecurityContext(&p->scred, first_s ? NULL : &p->sctx, &id, asc_req, SECURITY_NATIVE_DREP,
                                 &p->sctx, &od, &p->sattr, &ts);
      first_s = 0;
      p->last_asc = ss;
      if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) return ss;
      if (ob.cbBuffer == 0) return cs == SEC_E_OK ? SEC_E_OK : ss;
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
}

static void test_package_info(void) {
  PSecPkgInfoA info = NULL;
  CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"kerberos", &info), SEC_E_OK);
  if (!info) return;
  /* Windows' values (MS-KILE; Windows reports wRPCID RPC_C_AUTHN_GSS_KERBEROS = 16,
     cbMaxToken 48000 since Windows 8 / Server 2012, capabilities 0x000F3BBF). */
  CHECK(strcmp(info->Name, "Kerberos") == 0, "Name %s", info->Name);
  CHECK(info->wRPCID == 16, "wRPCID %u", info->wRPCID);
  CHECK(info->cbMaxToken == 48000, "cbMaxToken %u", (unsigned)info->cbMaxToken);
  CHECK(info->fCapabilities == 0x000F3BBF, "fCapabilities 0x%08X", (unsigned)info->fCapabilities);
  ULONG must = SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | SECPKG_FLAG_MUTUAL_AUTH | SECPKG_FLAG_DELEGATION |
               SECPKG_FLAG_READONLY_WITH_CHECKSUM | SECPKG_FLAG_GSS_COMPATIBLE;
  CHECK((info->fCapabilities & must) == must, "capabilities include the issue's flags");
  FreeContextBuffer(info);
  ULONG n = 0;
  PSecPkgInfoA all = NULL;
  CHECK_STATUS(EnumerateSecurityPackagesA(&n, &all), SEC_E_OK);
  int found = 0;
  for (ULONG i = 0; all && i < n; i++) found |= strcmp(all[i].Name, "Kerberos") == 0;
  CHECK(found, "EnumerateSecurityPackages lists Kerberos");
  if (all) FreeContextBuffer(all);
}

/* --- messages ------------------------------------------------------------------------------- */

/* EncryptMessage as .NET / sspilib call it: [TOKEN(cbSecurityTrailer), DATA, PADDING(cbBlockSize)].
   PADDING points just after DATA (the caller's array has room), so TOKEN ‖ DATA ‖ PADDING is
   what goes on the wire and DATA + PADDING is what the receiver's DATA buffer holds: RC4
   (RFC 4757) puts its padding byte there; the AES enctypes leave PADDING empty. */
static SECURITY_STATUS wrap3(CtxtHandle *h, ULONG qop, unsigned char *tok, ULONG *toklen, unsigned char *data, ULONG len,
                             ULONG *padlen) {
  SecBuffer b[3] = { { *toklen, SECBUFFER_TOKEN, tok }, { len, SECBUFFER_DATA, data }, { *padlen, SECBUFFER_PADDING, data + len } };
  SecBufferDesc d = { SECBUFFER_VERSION, 3, b };
  SECURITY_STATUS s = EncryptMessage(h, qop, &d, 0);
  if (s == SEC_E_OK) { *toklen = b[0].cbBuffer; *padlen = b[2].cbBuffer; }
  return s;
}

static SECURITY_STATUS unwrap2(CtxtHandle *h, unsigned char *tok, ULONG toklen, unsigned char *data, ULONG len, ULONG *qop) {
  SecBuffer b[2] = { { toklen, SECBUFFER_TOKEN, tok }, { len, SECBUFFER_DATA, data } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  return DecryptMessage(h, &d, 0, qop);
}

static void test_messages(pair_t *p, const char *label, ULONG expect_sig, ULONG expect_trailer) {
  SecPkgContext_Sizes sz;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
  /* PACKAGES-NOTES: Windows' SIZES for AES-SHA1 are 48000 / 28 / 1 / 76. */
  CHECK(sz.cbMaxToken == 48000, "%s: cbMaxToken %u", label, (unsigned)sz.cbMaxToken);
  if (expect_sig) CHECK(sz.cbMaxSignature == expect_sig, "%s: cbMaxSignature %u, want %u", label, (unsigned)sz.cbMaxSignature, (unsigned)expect_sig);
  if (expect_trailer) CHECK(sz.cbSecurityTrailer == expect_trailer, "%s: cbSecurityTrailer %u, want %u", label, (unsigned)sz.cbSecurityTrailer, (unsigned)expect_trailer);
  CHECK(sz.cbBlockSize >= 1, "%s: cbBlockSize %u", label, (unsigned)sz.cbBlockSize);

  static const char *msgs[] = { "x", "hello, kerberos", NULL };
  unsigned char big[5000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7);
  for (int dir = 0; dir < 2; dir++) {
    CtxtHandle *tx = dir ? &p->sctx : &p->cctx, *rx = dir ? &p->cctx : &p->sctx;
    for (int m = 0; m < 3; m++) {
      unsigned char data[5016], orig[5000], tok[256];
      ULONG len = msgs[m] ? (ULONG)strlen(msgs[m]) : (ULONG)sizeof big;
      memcpy(orig, msgs[m] ? (const unsigned char *)msgs[m] : big, len);
      memcpy(data, orig, len);
      ULONG toklen = sz.cbSecurityTrailer, padlen = sz.cbBlockSize, qop = 99;
      CHECK_STATUS(wrap3(tx, 0, tok, &toklen, data, len, &padlen), SEC_E_OK);
      if (expect_trailer) CHECK(padlen == 0, "%s: PADDING comes back empty for AES (%u)", label, (unsigned)padlen);
      CHECK(toklen <= sz.cbSecurityTrailer, "%s: TOKEN %u fits the trailer", label, (unsigned)toklen);
      if (expect_trailer == 76) CHECK(toklen == 60, "%s: AES-SHA1 TOKEN is 60 bytes (RRC 28, EC 0), got %u", label, (unsigned)toklen);
      CHECK(len < 8 || memcmp(data, orig, len) != 0, "%s: DATA encrypted in place", label);
      /* tamper: every call fails and consumes nothing, then the genuine message opens */
      ULONG wire = len + padlen;
      data[len / 2] ^= 1;
      CHECK_STATUS(unwrap2(rx, tok, toklen, data, wire, &qop), SEC_E_MESSAGE_ALTERED);
      data[len / 2] ^= 1;
      tok[toklen - 1] ^= 0x80;
      CHECK_STATUS(unwrap2(rx, tok, toklen, data, wire, &qop), SEC_E_MESSAGE_ALTERED);
      tok[toklen - 1] ^= 0x80;
      unsigned char keep_tok[256], keep[5016];
      memcpy(keep_tok, tok, toklen); memcpy(keep, data, wire);
      CHECK_STATUS(unwrap2(rx, tok, toklen, data, wire, &qop), SEC_E_OK);
      CHECK(memcmp(data, orig, len) == 0, "%s: round trip dir %d msg %d", label, dir, m);
      CHECK(qop == 0, "%s: pfQOP 0 for a sealed message (%u)", label, (unsigned)qop);
      /* replay → SEC_E_OUT_OF_SEQUENCE (REPLAY_DETECT was asked for) */
      CHECK_STATUS(unwrap2(rx, keep_tok, toklen, keep, wire, &qop), SEC_E_OUT_OF_SEQUENCE);
    }
    /* reorder: two messages, the second delivered first */
    unsigned char d1[8] = "first!!", d2[8] = "second!", t1[256], t2[256];
    ULONG l1 = sz.cbSecurityTrailer, l2 = sz.cbSecurityTrailer, p1 = 1, p2 = 1, qop;
    CHECK_STATUS(wrap3(tx, 0, t1, &l1, d1, 7, &p1), SEC_E_OK);
    CHECK_STATUS(wrap3(tx, 0, t2, &l2, d2, 7, &p2), SEC_E_OK);
    CHECK_STATUS(unwrap2(rx, t2, l2, d2, 7 + p2, &qop), SEC_E_OUT_OF_SEQUENCE);
    CHECK_STATUS(unwrap2(rx, t1, l1, d1, 7 + p1, &qop), SEC_E_OK);
    CHECK(memcmp(d1, "first!!", 7) == 0, "%s: reordered first message", label);
    /* the refused early message consumed nothing: it opens now that it is next */
    CHECK_STATUS(unwrap2(rx, t2, l2, d2, 7 + p2, &qop), SEC_E_OK);
    CHECK(memcmp(d2, "second!", 7) == 0, "%s: early message opens in turn", label);
  }

  /* STREAM form: [STREAM(token||data), DATA] → DATA points at the plaintext in the stream */
  {
    unsigned char data[32] = "stream form message", tok[256], stream[300];
    ULONG len = 19, toklen = sz.cbSecurityTrailer, padlen = 1, qop;
    CHECK_STATUS(wrap3(&p->cctx, 0, tok, &toklen, data, len, &padlen), SEC_E_OK);
    memcpy(stream, tok, toklen);
    memcpy(stream + toklen, data, len + padlen);
    SecBuffer b[2] = { { toklen + len + padlen, SECBUFFER_STREAM, stream }, { 0, SECBUFFER_DATA, NULL } };
    SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
    CHECK_STATUS(DecryptMessage(&p->sctx, &d, 0, &qop), SEC_E_OK);
    CHECK(b[1].cbBuffer == len && b[1].pvBuffer && memcmp(b[1].pvBuffer, "stream form message", len) == 0,
          "%s: STREAM form gives DATA in the stream", label);
    CHECK((unsigned char *)b[1].pvBuffer >= stream && (unsigned char *)b[1].pvBuffer < stream + sizeof stream,
          "%s: DATA points into STREAM", label);
  }

  /* several DATA buffers and a READONLY_WITH_CHECKSUM buffer (signed, never modified) */
  {
    unsigned char tok[256], a[10] = "part one.", c[10] = "part two.", ro[10] = "header-ro";
    unsigned char ro_copy[10];
    memcpy(ro_copy, ro, sizeof ro);
    unsigned char pad[16];
    SecBuffer b[5] = { { sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok }, { 9, SECBUFFER_DATA, a },
                       { 9, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro }, { 9, SECBUFFER_DATA, c },
                       { sz.cbBlockSize, SECBUFFER_PADDING, pad } };
    SecBufferDesc d = { SECBUFFER_VERSION, 5, b };
    CHECK_STATUS(EncryptMessage(&p->cctx, 0, &d, 0), SEC_E_OK);
    CHECK(memcmp(ro, ro_copy, sizeof ro) == 0, "%s: READONLY_WITH_CHECKSUM buffer untouched", label);
    CHECK(memcmp(a, "part one.", 9) != 0 && memcmp(c, "part two.", 9) != 0, "%s: both DATA sealed", label);
    ULONG qop;
    ro[0] ^= 1;
    CHECK_STATUS(DecryptMessage(&p->sctx, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    ro[0] ^= 1;
    CHECK_STATUS(DecryptMessage(&p->sctx, &d, 0, &qop), SEC_E_OK);
    CHECK(memcmp(a, "part one.", 9) == 0 && memcmp(c, "part two.", 9) == 0, "%s: several DATA round trip", label);
  }

  /* SECQOP_WRAP_NO_ENCRYPT: integrity only, data in clear, reported in pfQOP */
  {
    unsigned char data[32] = "clear but signed", tok[256];
    ULONG toklen = sz.cbSecurityTrailer, padlen = 1, qop = 0;
    CHECK_STATUS(wrap3(&p->cctx, SECQOP_WRAP_NO_ENCRYPT, tok, &toklen, data, 16, &padlen), SEC_E_OK);
    CHECK(memcmp(data, "clear but signed", 16) == 0, "%s: WRAP_NO_ENCRYPT leaves DATA in clear", label);
    data[3] ^= 4;
    CHECK_STATUS(unwrap2(&p->sctx, tok, toklen, data, 16 + padlen, &qop), SEC_E_MESSAGE_ALTERED);
    data[3] ^= 4;
    CHECK_STATUS(unwrap2(&p->sctx, tok, toklen, data, 16 + padlen, &qop), SEC_E_OK);
    CHECK(qop == SECQOP_WRAP_NO_ENCRYPT, "%s: pfQOP = SECQOP_WRAP_NO_ENCRYPT (0x%08X)", label, (unsigned)qop);
  }

  /* MakeSignature / VerifySignature: RFC 4121 MIC tokens */
  for (int dir = 0; dir < 2; dir++) {
    CtxtHandle *tx = dir ? &p->sctx : &p->cctx, *rx = dir ? &p->cctx : &p->sctx;
    unsigned char data[11] = "sign this!", sig[128];
    SecBuffer b[2] = { { 11, SECBUFFER_DATA, data }, { sz.cbMaxSignature, SECBUFFER_TOKEN, sig } };
    SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
    ULONG qop;
    CHECK_STATUS(MakeSignature(tx, 0, &d, 0), SEC_E_OK);
    CHECK(b[1].cbBuffer <= sz.cbMaxSignature && b[1].cbBuffer > 0, "%s: MIC %u bytes", label, (unsigned)b[1].cbBuffer);
    CHECK(memcmp(data, "sign this!", 11) == 0, "%s: MakeSignature leaves data alone", label);
    data[0] ^= 1;
    CHECK_STATUS(VerifySignature(rx, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    data[0] ^= 1;
    CHECK_STATUS(VerifySignature(rx, &d, 0, &qop), SEC_E_OK);
    CHECK_STATUS(VerifySignature(rx, &d, 0, &qop), SEC_E_OUT_OF_SEQUENCE);
  }

  /* documented codes for malformed calls */
  {
    unsigned char data[4] = "abc", tok[256];
    SecBuffer only_data[1] = { { 3, SECBUFFER_DATA, data } };
    SecBufferDesc d1 = { SECBUFFER_VERSION, 1, only_data };
    CHECK_STATUS(EncryptMessage(&p->cctx, 0, &d1, 0), SEC_E_INVALID_TOKEN);
    SecBuffer shorttok[2] = { { 10, SECBUFFER_TOKEN, tok }, { 3, SECBUFFER_DATA, data } };
    SecBufferDesc d2 = { SECBUFFER_VERSION, 2, shorttok };
    CHECK_STATUS(EncryptMessage(&p->cctx, 0, &d2, 0), SEC_E_BUFFER_TOO_SMALL);
    SecBuffer ok[2] = { { sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok }, { 3, SECBUFFER_DATA, data } };
    SecBufferDesc d3 = { SECBUFFER_VERSION, 2, ok };
    CHECK_STATUS(EncryptMessage(&p->cctx, 0x12345, &d3, 0), SEC_E_QOP_NOT_SUPPORTED);
    CHECK(memcmp(data, "abc", 3) == 0, "%s: failed EncryptMessage left DATA alone", label);
    ULONG qop;
    SecBuffer garbage[2] = { { 60, SECBUFFER_TOKEN, tok }, { 3, SECBUFFER_DATA, data } };
    memset(tok, 0x41, 60);
    SecBufferDesc d4 = { SECBUFFER_VERSION, 2, garbage };
    SECURITY_STATUS s = DecryptMessage(&p->sctx, &d4, 0, &qop);
    CHECK(s == SEC_E_INVALID_TOKEN || s == SEC_E_MESSAGE_ALTERED, "%s: garbage token 0x%08X", label, (unsigned)s);
  }
}

/* No heap allocation per message (EncryptMessage / DecryptMessage / MakeSignature /
   VerifySignature), counted by the malloc interposer of alloc_count.h after warm-up rounds. */
static void test_no_allocations(pair_t *p, const char *label) {
  SecPkgContext_Sizes sz;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
  static unsigned char data[16384 + 16], tok[256], sig[128];
  unsigned long total = 0;
  int failures = 0;
  for (int r = 0; r < 12; r++) {
    ULONG len = r % 2 ? 1 : 16384, toklen = sz.cbSecurityTrailer, padlen = sz.cbBlockSize, qop;
    memset(data, r, len);
    int counting = r >= 4;
    if (counting) alloc_count_begin();
    failures += wrap3(&p->cctx, 0, tok, &toklen, data, len, &padlen) != SEC_E_OK;
    {
      SecBuffer b[2] = { { toklen, SECBUFFER_TOKEN, tok }, { len + padlen, SECBUFFER_DATA, data } };
      SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
      failures += DecryptMessage(&p->sctx, &d, 0, &qop) != SEC_E_OK;
    }
    SecBuffer m[2] = { { len, SECBUFFER_DATA, data }, { sz.cbMaxSignature, SECBUFFER_TOKEN, sig } };
    SecBufferDesc md = { SECBUFFER_VERSION, 2, m };
    failures += MakeSignature(&p->sctx, 0, &md, 0) != SEC_E_OK;
    failures += VerifySignature(&p->cctx, &md, 0, &qop) != SEC_E_OK;
    if (counting) total += alloc_count_end();
  }
  CHECK(failures == 0, "%s: allocation rounds ran (%d failures)", label, failures);
  CHECK(total == 0, "%s: %lu heap allocations in 32 steady message calls", label, total);
}

static void test_attributes(pair_t *p, const char *user_at_realm) {
  SecPkgContext_NamesA na;
  CHECK_STATUS(QueryContextAttributesA(&p->sctx, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
  CHECK(strcmp(na.sUserName, user_at_realm) == 0, "server NAMES = %s, want %s", na.sUserName, user_at_realm);
  FreeContextBuffer(na.sUserName);
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
  CHECK(strcmp(na.sUserName, user_at_realm) == 0, "client NAMES = %s", na.sUserName);
  FreeContextBuffer(na.sUserName);

  SecPkgContext_SessionKey ck, sk;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_SESSION_KEY, &ck), SEC_E_OK);
  CHECK_STATUS(QueryContextAttributesA(&p->sctx, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
  CHECK(ck.SessionKeyLength >= 16 && ck.SessionKeyLength == sk.SessionKeyLength &&
            memcmp(ck.SessionKey, sk.SessionKey, ck.SessionKeyLength) == 0,
        "session keys agree (%u, %u)", (unsigned)ck.SessionKeyLength, (unsigned)sk.SessionKeyLength);
  FreeContextBuffer(ck.SessionKey);
  FreeContextBuffer(sk.SessionKey);

  SecPkgContext_Lifespan life;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
  CHECK(life.tsExpiry.QuadPart > life.tsStart.QuadPart && life.tsStart.QuadPart > 116444736000000000LL,
        "LIFESPAN from the ticket times");

  SecPkgContext_PackageInfoA pi;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
  CHECK(strcmp(pi.PackageInfo->Name, "Kerberos") == 0, "PACKAGE_INFO Kerberos");
  FreeContextBuffer(pi.PackageInfo);

  SecPkgContext_NegotiationInfoA ni;
  CHECK_STATUS(QueryContextAttributesA(&p->sctx, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
  CHECK(strcmp(ni.PackageInfo->Name, "Kerberos") == 0 && ni.NegotiationState == SECPKG_NEGOTIATION_COMPLETE,
        "NEGOTIATION_INFO Kerberos / complete");
  FreeContextBuffer(ni.PackageInfo);

  SecPkgContext_KeyInfoA ki;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
  CHECK(ki.KeySize >= 128 && ki.EncryptAlgorithm != 0, "KEY_INFO %s / %s, %u bits, etype %u", ki.sSignatureAlgorithmName,
        ki.sEncryptAlgorithmName, (unsigned)ki.KeySize, (unsigned)ki.EncryptAlgorithm);
  FreeContextBuffer(ki.sSignatureAlgorithmName);
  FreeContextBuffer(ki.sEncryptAlgorithmName);

  SecPkgContext_NativeNamesA nn;
  CHECK_STATUS(QueryContextAttributesA(&p->sctx, SECPKG_ATTR_NATIVE_NAMES, &nn), SEC_E_OK);
  CHECK(strcmp(nn.sClientName, user_at_realm) == 0, "NATIVE_NAMES client %s", nn.sClientName);
  CHECK(strchr(nn.sServerName, '/') != NULL, "NATIVE_NAMES server %s", nn.sServerName);
  FreeContextBuffer(nn.sClientName);
  FreeContextBuffer(nn.sServerName);

  SecPkgContext_Flags fl;
  CHECK_STATUS(QueryContextAttributesA(&p->cctx, SECPKG_ATTR_FLAGS, &fl), SEC_E_OK);
  CHECK(fl.Flags == p->cattr, "FLAGS = the ISC return flags (0x%08X vs 0x%08X)", (unsigned)fl.Flags, (unsigned)p->cattr);
}

static void test_password_client(const char *user, const char *realm, const char *pw, const char *spn) {
  pair_t p;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  SECURITY_STATUS s = handshake(&p, KRB_REQ, KRB_ASC, spn);
  CHECK(s == SEC_E_OK, "password client handshake 0x%08X (ISC 0x%08X, ASC 0x%08X)", (unsigned)s, (unsigned)p.last_isc,
        (unsigned)p.last_asc);
  if (s != SEC_E_OK) { free_pair(&p); return; }
  /* mutual auth: AP-REQ, AP-REP → two legs */
  CHECK(p.legs == 2, "mutual auth takes two legs (%d)", p.legs);
  CHECK(p.cattr & ISC_RET_MUTUAL_AUTH, "ISC_RET_MUTUAL_AUTH (0x%08X)", (unsigned)p.cattr);
  CHECK(p.cattr & ISC_RET_CONFIDENTIALITY, "ISC_RET_CONFIDENTIALITY");
  CHECK(p.cattr & ISC_RET_INTEGRITY, "ISC_RET_INTEGRITY");
  CHECK(p.cattr & ISC_RET_SEQUENCE_DETECT, "ISC_RET_SEQUENCE_DETECT");
  CHECK(p.cattr & ISC_RET_REPLAY_DETECT, "ISC_RET_REPLAY_DETECT");
  CHECK(!(p.cattr & ISC_RET_USED_DCE_STYLE), "no DCE style unless asked");
  CHECK(p.sattr & ASC_RET_MUTUAL_AUTH, "ASC_RET_MUTUAL_AUTH (0x%08X)", (unsigned)p.sattr);
  char uar[256];
  snprintf(uar, sizeof uar, "%s@%s", user, realm);
  test_attributes(&p, uar);
  test_messages(&p, "aes (password client)", 0, 0);
  test_no_allocations(&p, "aes (password client)");
  free_pair(&p);
}

static void test_ccache_client(const char *user, const char *realm, const char *spn) {
  pair_t p;
  memset(&p, 0, sizeof p);
  /* NULL pAuthData: the TGT in KRB5CCNAME, as MIT users expect */
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  SECURITY_STATUS s = handshake(&p, KRB_REQ, KRB_ASC, spn);
  CHECK(s == SEC_E_OK, "ccache client handshake 0x%08X", (unsigned)s);
  if (s == SEC_E_OK) {
    char uar[256];
    snprintf(uar, sizeof uar, "%s@%s", user, realm);
    SecPkgCredentials_NamesA cn;
    CHECK_STATUS(QueryCredentialsAttributesA(&p.ccred, SECPKG_CRED_ATTR_NAMES, &cn), SEC_E_OK);
    CHECK(strcmp(cn.sUserName, uar) == 0, "credential NAMES %s", cn.sUserName);
    FreeContextBuffer(cn.sUserName);
    SecPkgContext_NamesA na;
    CHECK_STATUS(QueryContextAttributesA(&p.sctx, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
    CHECK(strcmp(na.sUserName, uar) == 0, "server NAMES from the ccache client %s", na.sUserName);
    FreeContextBuffer(na.sUserName);
  }
  free_pair(&p);
}

static void test_no_mutual(const char *user, const char *realm, const char *pw, const char *spn) {
  pair_t p;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  ULONG req = KRB_REQ & ~(ULONG)ISC_REQ_MUTUAL_AUTH;
  SECURITY_STATUS s = handshake(&p, req, KRB_ASC, spn);
  CHECK(s == SEC_E_OK, "no-mutual handshake 0x%08X", (unsigned)s);
  CHECK(p.legs == 1, "without mutual auth one AP-REQ is all (%d legs)", p.legs);
  CHECK(!(p.cattr & ISC_RET_MUTUAL_AUTH), "no ISC_RET_MUTUAL_AUTH when not asked");
  if (s == SEC_E_OK) test_messages(&p, "no mutual", 0, 0);
  free_pair(&p);
}

static void test_dce_style(const char *user, const char *realm, const char *pw, const char *spn) {
  pair_t p;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  SECURITY_STATUS s = handshake(&p, KRB_REQ | ISC_REQ_USE_DCE_STYLE, KRB_ASC | ASC_REQ_USE_DCE_STYLE, spn);
  CHECK(s == SEC_E_OK, "DCE-style handshake 0x%08X (ISC 0x%08X ASC 0x%08X)", (unsigned)s, (unsigned)p.last_isc,
        (unsigned)p.last_asc);
  /* MS-KILE 3.4.5.1: AP-REQ, AP-REP, and the client's final AP-REP: three legs */
  CHECK(p.legs == 3, "DCE style takes three legs (%d)", p.legs);
  CHECK(p.cattr & ISC_RET_USED_DCE_STYLE, "ISC_RET_USED_DCE_STYLE (0x%08X)", (unsigned)p.cattr);
  if (s == SEC_E_OK) {
    SecPkgContext_Sizes sz;
    CHECK_STATUS(QueryContextAttributesA(&p.cctx, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
    /* DCE style: EC 16 → the token is 76 bytes for AES-SHA1 (PACKAGES-NOTES) */
    unsigned char data[24] = "dce-style message!!", tok[256];
    ULONG toklen = sz.cbSecurityTrailer, padlen = sz.cbBlockSize, qop;
    CHECK_STATUS(wrap3(&p.cctx, 0, tok, &toklen, data, 19, &padlen), SEC_E_OK);
    CHECK(toklen == sz.cbSecurityTrailer, "DCE-style TOKEN %u = cbSecurityTrailer %u", (unsigned)toklen,
          (unsigned)sz.cbSecurityTrailer);
    CHECK_STATUS(unwrap2(&p.sctx, tok, toklen, data, 19 + padlen, &qop), SEC_E_OK);
    CHECK(memcmp(data, "dce-style message!!", 19) == 0, "DCE-style round trip");
  }
  free_pair(&p);
}

static void test_errors(const char *user, const char *realm, const char *pw, const char *spn) {
  pair_t p;
  /* wrong password → SEC_E_LOGON_DENIED from ISC (the AS exchange runs there) */
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, "wrong-password", &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, spn), SEC_E_LOGON_DENIED);
  FreeCredentialsHandle(&p.ccred);
  /* unknown user → SEC_E_LOGON_DENIED (KDC_ERR_C_PRINCIPAL_UNKNOWN) */
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, "no-such-user", realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, spn), SEC_E_LOGON_DENIED);
  FreeCredentialsHandle(&p.ccred);
  /* unknown service → SEC_E_TARGET_UNKNOWN (KDC_ERR_S_PRINCIPAL_UNKNOWN) */
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, "HTTP/no-such-host.invalid"), SEC_E_TARGET_UNKNOWN);
  FreeCredentialsHandle(&p.ccred);
  /* unknown realm → SEC_E_NO_AUTHENTICATING_AUTHORITY */
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, "NO-SUCH-REALM.INVALID", pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, spn), SEC_E_NO_AUTHENTICATING_AUTHORITY);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);

  /* a token that is not an AP-REQ → SEC_E_INVALID_TOKEN from ASC, nothing crashes */
  {
    CredHandle sc;
    CtxtHandle sx;
    ULONG attr;
    TimeStamp ts;
    unsigned char junk[64], out[1024];
    memset(junk, 0x60, sizeof junk);
    SecBuffer ib = { sizeof junk, SECBUFFER_TOKEN, junk }, ob = { sizeof out, SECBUFFER_TOKEN, out };
    SecBufferDesc id = { SECBUFFER_VERSION, 1, &ib }, od = { SECBUFFER_VERSION, 1, &ob };
    CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &sc), SEC_E_OK);
    SECURITY_STATUS s = AcceptSecurityContext(&sc, NULL, &id, KRB_ASC, SECURITY_NATIVE_DREP, &sx, &od, &attr, &ts);
    CHECK(s == SEC_E_INVALID_TOKEN, "junk AP-REQ → SEC_E_INVALID_TOKEN (0x%08X)", (unsigned)s);
    FreeCredentialsHandle(&sc);
  }
}


/* SEC_WINNT_AUTH_IDENTITY forms Windows code passes: DOMAIN\user (the NetBIOS-style first label
   of the realm, or the realm), user@REALM with no domain. Each names the same principal. */
static void test_identity_forms(const char *user, const char *realm, const char *pw, const char *spn) {
  char netbios[64], forms[3][256];
  snprintf(netbios, sizeof netbios, "%s", realm);
  char *dot = strchr(netbios, '.');
  if (dot) *dot = 0;
  snprintf(forms[0], sizeof forms[0], "%s\\%s", netbios, user);
  snprintf(forms[1], sizeof forms[1], "%s\\%s", realm, user);
  snprintf(forms[2], sizeof forms[2], "%s@%s", user, realm);
  char uar[256];
  snprintf(uar, sizeof uar, "%s@%s", user, realm);
  for (int i = 0; i < 3; i++) {
    pair_t p;
    memset(&p, 0, sizeof p);
    CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, forms[i], NULL, pw, &p.ccred), SEC_E_OK);
    CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
    SECURITY_STATUS s = handshake(&p, KRB_REQ, KRB_ASC, spn);
    CHECK(s == SEC_E_OK, "identity form %s: 0x%08X", forms[i], (unsigned)s);
    if (s == SEC_E_OK) {
      SecPkgContext_NamesA na;
      CHECK_STATUS(QueryContextAttributesA(&p.sctx, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
      CHECK(strcmp(na.sUserName, uar) == 0, "identity form %s authenticates as %s (%s)", forms[i], uar, na.sUserName);
      FreeContextBuffer(na.sUserName);
    }
    free_pair(&p);
  }
}

/* A SEC_CHANNEL_BINDINGS of `app` application data. */
static SecBuffer bindings_buffer(unsigned char *mem, size_t cap, const char *app) {
  SEC_CHANNEL_BINDINGS *cb = (SEC_CHANNEL_BINDINGS *)mem;
  size_t n = strlen(app);
  memset(mem, 0, cap);
  cb->cbApplicationDataLength = (ULONG)n;
  cb->dwApplicationDataOffset = sizeof *cb;
  memcpy(mem + sizeof *cb, app, n);
  SecBuffer b = { (ULONG)(sizeof *cb + n), SECBUFFER_CHANNEL_BINDINGS, mem };
  return b;
}

/* RFC 4121 §4.1.1.2: the client's bindings travel as MD5 in the authenticator checksum; the
   acceptor compares them with its own (SEC_E_BAD_BINDINGS on a mismatch); a client that sent
   none is accepted (Windows' default, no hardening). */
static SECURITY_STATUS cb_handshake(const char *user, const char *realm, const char *pw, const char *spn,
                                    const char *client_cb, const char *server_cb) {
  CredHandle cc, sc;
  CtxtHandle cx, sx;
  ULONG ca, sa;
  TimeStamp ts;
  static unsigned char tok[65536], rep[65536], cbm[2][256];
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &cc), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &sc), SEC_E_OK);
  SecBuffer cin = client_cb ? bindings_buffer(cbm[0], sizeof cbm[0], client_cb) : (SecBuffer){ 0, SECBUFFER_EMPTY, NULL };
  SecBufferDesc cind = { SECBUFFER_VERSION, 1, &cin };
  SecBuffer ob = { sizeof tok, SECBUFFER_TOKEN, tok };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  SECURITY_STATUS s = InitializeSecurityContextA(&cc, NULL, (SEC_CHAR *)spn, KRB_REQ, 0, SECURITY_NATIVE_DREP,
                                                 client_cb ? &cind : NULL, 0, &cx, &od, &ca, &ts);
  CHECK(s == SEC_I_CONTINUE_NEEDED, "ISC with bindings 0x%08X", (unsigned)s);
  SecBuffer sin[2] = { { ob.cbBuffer, SECBUFFER_TOKEN, tok }, { 0, SECBUFFER_EMPTY, NULL } };
  if (server_cb) sin[1] = bindings_buffer(cbm[1], sizeof cbm[1], server_cb);
  SecBufferDesc sind = { SECBUFFER_VERSION, 2, sin };
  SecBuffer sob = { sizeof rep, SECBUFFER_TOKEN, rep };
  SecBufferDesc sod = { SECBUFFER_VERSION, 1, &sob };
  s = AcceptSecurityContext(&sc, NULL, &sind, KRB_ASC, SECURITY_NATIVE_DREP, &sx, &sod, &sa, &ts);
  if (s == SEC_E_OK) DeleteSecurityContext(&sx);
  DeleteSecurityContext(&cx);
  FreeCredentialsHandle(&cc);
  FreeCredentialsHandle(&sc);
  return s;
}

static void test_channel_bindings(const char *user, const char *realm, const char *pw, const char *spn) {
  CHECK_STATUS(cb_handshake(user, realm, pw, spn, "tls-server-end-point:abc", "tls-server-end-point:abc"), SEC_E_OK);
  CHECK_STATUS(cb_handshake(user, realm, pw, spn, "tls-server-end-point:abc", "tls-server-end-point:xyz"),
               SEC_E_BAD_BINDINGS);
  CHECK_STATUS(cb_handshake(user, realm, pw, spn, NULL, "tls-server-end-point:abc"), SEC_E_OK);
  CHECK_STATUS(cb_handshake(user, realm, pw, spn, "tls-server-end-point:abc", NULL), SEC_E_OK);
}

/* pszPrincipal on the acceptor's AcquireCredentialsHandle selects the keytab principal: a
   ticket for it is accepted, a ticket for another principal is not. */
static void test_acceptor_principal(const char *user, const char *realm, const char *pw, const char *spn,
                                    const char *other_spn) {
  pair_t p;
  TimeStamp ts;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA((SEC_CHAR *)spn, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL,
                                         NULL, &p.scred, &ts),
               SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, spn), SEC_E_OK);
  free_pair(&p);
  if (!other_spn) return;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA((SEC_CHAR *)other_spn, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL,
                                         NULL, NULL, &p.scred, &ts),
               SEC_E_OK);
  /* KRB_AP_ERR_NOT_US / BADMATCH: a ticket for a principal these credentials do not hold */
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, spn), SEC_E_WRONG_PRINCIPAL);
  free_pair(&p);
  /* a principal not in the keytab at all: no credentials */
  CredHandle h;
  CHECK_STATUS(AcquireCredentialsHandleA((SEC_CHAR *)"HTTP/not-in-the-keytab", (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND,
                                         NULL, NULL, NULL, NULL, &h, &ts),
               SEC_E_NO_CREDENTIALS);
}

/* An acceptor given a password instead of a keytab (AcquireCredentialsHandle with an identity
   and SECPKG_CRED_INBOUND) derives the service's keys with the default salt. The service here
   is a user principal with a known password (MIT issues tickets for any principal). */
static void test_password_acceptor(const char *user, const char *realm, const char *pw, const char *svc_user,
                                   const char *svc_pw) {
  pair_t p;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, svc_user, realm, svc_pw, &p.scred), SEC_E_OK);
  SECURITY_STATUS s = handshake(&p, KRB_REQ, KRB_ASC, svc_user);
  CHECK(s == SEC_E_OK, "password acceptor for %s: 0x%08X (ISC 0x%08X ASC 0x%08X)", svc_user, (unsigned)s,
        (unsigned)p.last_isc, (unsigned)p.last_asc);
  if (s == SEC_E_OK) test_messages(&p, "password acceptor", 0, 0);
  free_pair(&p);
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, svc_user, realm, "not-the-password", &p.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, svc_user), SEC_E_WRONG_PRINCIPAL);
  free_pair(&p);
}

/* ISC_REQ_DELEGATE with a forwardable TGT: a forwarded TGT travels in the authenticator
   checksum (RFC 4121 §4.1.1.1) and both sides report delegation. */
static void test_delegation(const char *user, const char *realm, const char *pw, const char *spn) {
  pair_t p;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  SECURITY_STATUS s = handshake(&p, KRB_REQ | ISC_REQ_DELEGATE, KRB_ASC, spn);
  CHECK(s == SEC_E_OK, "delegating handshake 0x%08X", (unsigned)s);
  CHECK(p.cattr & ISC_RET_DELEGATE, "ISC_RET_DELEGATE with a forwardable TGT (0x%08X)", (unsigned)p.cattr);
  CHECK(p.sattr & ASC_RET_DELEGATE, "ASC_RET_DELEGATE (0x%08X)", (unsigned)p.sattr);
  free_pair(&p);
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, spn), SEC_E_OK);
  CHECK(!(p.cattr & ISC_RET_DELEGATE) && !(p.sattr & ASC_RET_DELEGATE), "no delegation unless asked");
  free_pair(&p);
}

/* An AP-REQ replayed to a second acceptor is refused (RFC 4120 §3.2.3 replay cache); with
   ASC_REQ_EXTENDED_ERROR the refusal carries a KRB-ERROR token (RFC 4121 §4.1, TOK_ID 03 00)
   that the client's ISC turns into the matching SEC_E code. */
static void test_replayed_ap_req(const char *user, const char *realm, const char *pw, const char *spn) {
  CredHandle cc, sc;
  CtxtHandle cx, s1, s2;
  ULONG ca, sa;
  TimeStamp ts;
  static unsigned char tok[65536], rep[65536];
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &cc), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &sc), SEC_E_OK);
  SecBuffer ob = { sizeof tok, SECBUFFER_TOKEN, tok };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  CHECK_STATUS(InitializeSecurityContextA(&cc, NULL, (SEC_CHAR *)spn, KRB_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0, &cx, &od,
                                          &ca, &ts),
               SEC_I_CONTINUE_NEEDED);
  SecBuffer ib = { ob.cbBuffer, SECBUFFER_TOKEN, tok };
  SecBufferDesc id = { SECBUFFER_VERSION, 1, &ib };
  SecBuffer sob = { sizeof rep, SECBUFFER_TOKEN, rep };
  SecBufferDesc sod = { SECBUFFER_VERSION, 1, &sob };
  CHECK_STATUS(AcceptSecurityContext(&sc, NULL, &id, KRB_ASC, SECURITY_NATIVE_DREP, &s1, &sod, &sa, &ts), SEC_E_OK);
  sob.cbBuffer = sizeof rep;
  CHECK_STATUS(AcceptSecurityContext(&sc, NULL, &id, KRB_ASC | ASC_REQ_EXTENDED_ERROR, SECURITY_NATIVE_DREP, &s2, &sod,
                                     &sa, &ts),
               SEC_E_LOGON_DENIED);
  CHECK(sob.cbBuffer > 20 && rep[0] == 0x60, "replay refusal carries a KRB-ERROR token (%u bytes)", (unsigned)sob.cbBuffer);
  int has_tokid = 0;
  for (ULONG i = 0; i + 2 < sob.cbBuffer && i < 20; i++) has_tokid |= rep[i] == 0x03 && rep[i + 1] == 0x00 && rep[i + 2] == 0x7e;
  CHECK(has_tokid, "TOK_ID 03 00 then KRB-ERROR [APPLICATION 30]");
  SecBuffer cb2 = { sob.cbBuffer, SECBUFFER_TOKEN, rep };
  SecBufferDesc cd2 = { SECBUFFER_VERSION, 1, &cb2 };
  ob.cbBuffer = sizeof tok;
  CHECK_STATUS(InitializeSecurityContextA(&cc, &cx, (SEC_CHAR *)spn, KRB_REQ, 0, SECURITY_NATIVE_DREP, &cd2, 0, &cx, &od,
                                          &ca, &ts),
               SEC_E_LOGON_DENIED);
  DeleteSecurityContext(&cx);
  DeleteSecurityContext(&s1);
  FreeCredentialsHandle(&cc);
  FreeCredentialsHandle(&sc);
}

static void test_no_kdc(const char *dead_config, const char *user, const char *realm, const char *pw, const char *spn) {
  /* every KDC of the realm silent → SEC_E_NO_AUTHENTICATING_AUTHORITY, within the timeout bound */
  char *saved = strdup(getenv("KRB5_CONFIG"));
  setenv("KRB5_CONFIG", dead_config, 1);
  pair_t p;
  memset(&p, 0, sizeof p);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  CHECK_STATUS(handshake(&p, KRB_REQ, KRB_ASC, spn), SEC_E_NO_AUTHENTICATING_AUTHORITY);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);
  setenv("KRB5_CONFIG", saved, 1);
  free(saved);
}

/* SecPkgCredentials_KdcProxySettingsW (Version, Flags, ProxyServerOffset/Length,
   ClientTlsCredOffset/Length) followed by the UTF-16LE proxy server; returns its size. */
static ULONG kdc_proxy_settings(unsigned char *buf, ULONG version, ULONG flags, const char *server) {
  size_t n = strlen(server);
  USHORT off = n ? 16 : 0, len = (USHORT)(2 * n), zero = 0;
  memcpy(buf, &version, 4); memcpy(buf + 4, &flags, 4);
  memcpy(buf + 8, &off, 2); memcpy(buf + 10, &len, 2);
  memcpy(buf + 12, &zero, 2); memcpy(buf + 14, &zero, 2);
  for (size_t i = 0; i < n; i++) { buf[16 + 2 * i] = (unsigned char)server[i]; buf[17 + 2 * i] = 0; }
  return 16 + len;
}

static long count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  long n = 0;
  for (int c; (c = fgetc(f)) != EOF;) n += c == '\n';
  fclose(f);
  return n;
}

/* One password handshake with the KDC proxy `server` set on the client credentials (MS-KKDCP);
   returns the handshake status, and how many requests the proxy's access log gained. */
static SECURITY_STATUS proxied_handshake(const char *config, const char *server, ULONG flags, const char *log,
                                         long *served, const char *user, const char *realm, const char *pw,
                                         const char *spn) {
  char *saved = strdup(getenv("KRB5_CONFIG"));
  setenv("KRB5_CONFIG", config, 1);
  pair_t p;
  memset(&p, 0, sizeof p);
  unsigned char buf[512];
  ULONG cb = kdc_proxy_settings(buf, 1, flags, server);
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
  CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
  CHECK_STATUS(SetCredentialsAttributesW(&p.ccred, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, cb), SEC_E_OK);
  long before = count_lines(log);
  SECURITY_STATUS s = handshake(&p, KRB_REQ, KRB_ASC, spn);
  *served = count_lines(log) - before;
  if (s == SEC_E_OK) test_messages(&p, "kdc proxy", 0, 0);
  free_pair(&p);
  setenv("KRB5_CONFIG", saved, 1);
  free(saved);
  return s;
}

static void test_kdc_proxy(const char *proxy, const char *log, const char *dead_config, const char *user,
                           const char *realm, const char *pw, const char *spn) {
  long served = 0;
  char bad[128];
  /* no KDC reachable: AS and TGS exchanges through the proxy (MS-KKDCP) */
  SECURITY_STATUS s = proxied_handshake(dead_config, proxy, 0, log, &served, user, realm, pw, spn);
  CHECK(s == SEC_E_OK, "handshake through the KDC proxy 0x%08X", (unsigned)s);
  CHECK(served >= 2, "the proxy served the AS and TGS requests (%ld)", served);
  /* FORCEPROXY with a live KDC: still through the proxy */
  s = proxied_handshake(getenv("KRB5_CONFIG"), proxy, KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY, log, &served, user, realm,
                        pw, spn);
  CHECK(s == SEC_E_OK, "FORCEPROXY handshake 0x%08X", (unsigned)s);
  CHECK(served >= 2, "FORCEPROXY: the proxy served the requests (%ld)", served);
  /* without FORCEPROXY a live KDC is used directly */
  s = proxied_handshake(getenv("KRB5_CONFIG"), proxy, 0, log, &served, user, realm, pw, spn);
  CHECK(s == SEC_E_OK, "live KDC with a proxy set 0x%08X", (unsigned)s);
  CHECK(served == 0, "live KDC: the proxy is not used (%ld)", served);
  /* a proxy with nothing listening, and FORCEPROXY with a live KDC: no fallback */
  snprintf(bad, sizeof bad, "127.0.0.1:9:KdcProxy");
  s = proxied_handshake(dead_config, bad, 0, log, &served, user, realm, pw, spn);
  CHECK(s == SEC_E_NO_AUTHENTICATING_AUTHORITY, "dead proxy 0x%08X", (unsigned)s);
  s = proxied_handshake(getenv("KRB5_CONFIG"), bad, KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY, log, &served, user, realm, pw,
                        spn);
  CHECK(s == SEC_E_NO_AUTHENTICATING_AUTHORITY, "FORCEPROXY to a dead proxy 0x%08X", (unsigned)s);
  /* the proxy's certificate names 127.0.0.1 only: "localhost" fails verification */
  const char *colon = strchr(proxy, ':');
  snprintf(bad, sizeof bad, "localhost%s", colon ? colon : "");
  s = proxied_handshake(dead_config, bad, 0, log, &served, user, realm, pw, spn);
  CHECK(s == SEC_E_NO_AUTHENTICATING_AUTHORITY, "proxy certificate for another name 0x%08X", (unsigned)s);
  CHECK(served == 0, "no request sent to a proxy whose certificate does not match (%ld)", served);
  /* malformed settings */
  CredHandle c;
  unsigned char buf[512];
  CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &c), SEC_E_OK);
  ULONG cb = kdc_proxy_settings(buf, 2, 0, proxy);
  CHECK_STATUS(SetCredentialsAttributesW(&c, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, cb), SEC_E_INVALID_TOKEN);
  cb = kdc_proxy_settings(buf, 1, 0, proxy);
  CHECK_STATUS(SetCredentialsAttributesW(&c, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, cb - 2), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(SetCredentialsAttributesW(&c, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, 12), SEC_E_INVALID_TOKEN);
  cb = kdc_proxy_settings(buf, 1, 0, "127.0.0.1:notaport");
  CHECK_STATUS(SetCredentialsAttributesA(&c, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, cb), SEC_E_INVALID_TOKEN);
  cb = kdc_proxy_settings(buf, 1, KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY, "");
  CHECK_STATUS(SetCredentialsAttributesA(&c, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, buf, cb), SEC_E_OK);
  FreeCredentialsHandle(&c);
}

static void test_etype_cases(const char *realm) {
  const char *spec = getenv("KT_ETYPE_USERS");
  if (!spec) return;
  char *copy = strdup(spec), *save = NULL;
  for (char *item = strtok_r(copy, " ", &save); item; item = strtok_r(NULL, " ", &save)) {
    char *etype = item, *user = strchr(etype, ':');
    if (!user) continue;
    *user++ = 0;
    char *pw = strchr(user, ':');
    if (!pw) continue;
    *pw++ = 0;
    char *spn = strchr(pw, ':');
    if (!spn) continue;
    *spn++ = 0;
    char *sig = strchr(spn, ':'), *trailer = NULL, *want_etype = NULL;
    if (sig) { *sig++ = 0; trailer = strchr(sig, ':'); if (trailer) *trailer++ = 0; }
    if (trailer) { want_etype = strchr(trailer, ':'); if (want_etype) *want_etype++ = 0; }
    pair_t p;
    memset(&p, 0, sizeof p);
    CHECK_STATUS(acquire(SECPKG_CRED_OUTBOUND, user, realm, pw, &p.ccred), SEC_E_OK);
    CHECK_STATUS(acquire(SECPKG_CRED_INBOUND, NULL, NULL, NULL, &p.scred), SEC_E_OK);
    SECURITY_STATUS s = handshake(&p, KRB_REQ, KRB_ASC, spn);
    CHECK(s == SEC_E_OK, "%s: handshake 0x%08X (ISC 0x%08X ASC 0x%08X)", etype, (unsigned)s, (unsigned)p.last_isc,
          (unsigned)p.last_asc);
    if (s == SEC_E_OK) {
      char uar[256];
      snprintf(uar, sizeof uar, "%s@%s", user, realm);
      test_attributes(&p, uar);
      test_messages(&p, etype, sig ? (ULONG)atoi(sig) : 0, trailer ? (ULONG)atoi(trailer) : 0);
      test_no_allocations(&p, etype);
      if (want_etype) {
        /* the session key's enctype (KEY_INFO EncryptAlgorithm), e.g. an RC4 session key in an
           AES ticket: the messages use the session key's enctype */
        SecPkgContext_KeyInfoA ki;
        CHECK_STATUS(QueryContextAttributesA(&p.cctx, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
        CHECK(ki.EncryptAlgorithm == (ULONG)atoi(want_etype), "%s: session key enctype %u, want %s", etype,
              (unsigned)ki.EncryptAlgorithm, want_etype);
        FreeContextBuffer(ki.sSignatureAlgorithmName);
        FreeContextBuffer(ki.sEncryptAlgorithmName);
      }
    }
    free_pair(&p);
  }
  free(copy);
}

int main(void) {
  const char *realm = env("KT_REALM"), *user = env("KT_USER"), *pw = env("KT_PASS"), *spn = env("KT_SPN");
  if (getenv("KT_ETYPE_ONLY")) {
    /* one enctype end to end: the script restricts krb5.conf's enctype lists to it, so the
       TGT, the service ticket and the session key all use it */
    test_etype_cases(realm);
    CHECK_SUMMARY(getenv("KT_ETYPE_ONLY"));
  }
  test_package_info();
  test_password_client(user, realm, pw, spn);
  test_no_mutual(user, realm, pw, spn);
  test_dce_style(user, realm, pw, spn);
  test_ccache_client(user, realm, spn);
  test_identity_forms(user, realm, pw, spn);
  test_delegation(user, realm, pw, spn);
  test_replayed_ap_req(user, realm, pw, spn);
  test_channel_bindings(user, realm, pw, spn);
  test_acceptor_principal(user, realm, pw, spn, getenv("KT_OTHER_SPN"));
  if (getenv("KT_SVC_USER")) test_password_acceptor(user, realm, pw, getenv("KT_SVC_USER"), getenv("KT_SVC_PASS"));
  test_etype_cases(realm);
  test_errors(user, realm, pw, spn);
  if (getenv("KT_DEAD_CONFIG")) test_no_kdc(getenv("KT_DEAD_CONFIG"), user, realm, pw, spn);
  if (getenv("KT_KDC_PROXY"))
    test_kdc_proxy(getenv("KT_KDC_PROXY"), env("KT_KDC_PROXY_LOG"), env("KT_DEAD_CONFIG"), user, realm, pw, spn);
  CHECK_SUMMARY("kerberos");
}
