/* WDigest through the exports: SecPkgInfo, the SASL DIGEST-MD5 handshake (both sides of this
   library), the EncryptMessage (General) Digest rules and every code they return, tamper /
   replay / reorder, rollback of failed calls, signatures, HTTP mode, and the Sasl* exports. */
#define _GNU_SOURCE
#define SECURITY_WIN32
#include <security.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "alloc_count.h"

#define TARGET "ldap/host.example"
#define ASC_REQ_HTTP_ 0x10000000
#define CONF (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY)

static SEC_WINNT_AUTH_IDENTITY_A ident(const char *user, const char *dom, const char *pass) {
  SEC_WINNT_AUTH_IDENTITY_A id;
  memset(&id, 0, sizeof id);
  id.User = (unsigned char *)user;
  id.UserLength = (ULONG)strlen(user);
  id.Domain = (unsigned char *)dom;
  id.DomainLength = (ULONG)strlen(dom);
  id.Password = (unsigned char *)pass;
  id.PasswordLength = (ULONG)strlen(pass);
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  return id;
}

struct pair { CredHandle cc, sc; CtxtHandle c, s; };

static SECURITY_STATUS step(int client, struct pair *p, int first, ULONG req, const char *in, ULONG inlen,
                            char *out, ULONG *outlen) {
  SecBuffer ib = {inlen, SECBUFFER_TOKEN, (void *)in}, ob = {4096, SECBUFFER_TOKEN, out};
  SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
  ULONG attrs;
  SECURITY_STATUS s = client ? SaslInitializeSecurityContextA(&p->cc, first ? NULL : &p->c, (SEC_CHAR *)TARGET, req, 0,
                                                              0, in ? &id : NULL, 0, &p->c, &od, &attrs, NULL)
                             : SaslAcceptSecurityContext(&p->sc, first ? NULL : &p->s, &id, req, 0, &p->s, &od,
                                                         &attrs, NULL);
  *outlen = ob.cbBuffer;
  return s;
}

/* Full SASL handshake; returns the ASC status of the digest-response. */
static SECURITY_STATUS handshake(struct pair *p, ULONG isc, ULONG asc, const char *pass) {
  SEC_WINNT_AUTH_IDENTITY_A ci = ident("alice", "EXAMPLE", pass), si = ident("alice", "EXAMPLE", "Secret-1");
  char t1[4096], t2[4096];
  ULONG n1, n2;
  SECURITY_STATUS s;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_OUTBOUND, NULL, &ci, NULL, NULL,
                                         &p->cc, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Digest", SECPKG_CRED_INBOUND, NULL, &si, NULL, NULL,
                                         &p->sc, NULL), SEC_E_OK);
  CHECK_STATUS(step(1, p, 1, isc, NULL, 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  CHECK(n1 == 0, "first ISC token empty (%u)", (unsigned)n1);
  CHECK_STATUS(step(0, p, 1, asc, "", 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  /* SaslIdentifyPackage on the challenge. */
  {
    SecBuffer b = {n1, SECBUFFER_TOKEN, t1};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
    PSecPkgInfoA info = NULL;
    CHECK_STATUS(SaslIdentifyPackageA(&d, &info), SEC_E_OK);
    CHECK(info && strcmp(info->Name, "WDigest") == 0, "identified %s", info ? info->Name : "-");
    FreeContextBuffer(info);
  }
  CHECK_STATUS(step(1, p, 0, isc, t1, n1, t2, &n2), SEC_I_CONTINUE_NEEDED);
  s = step(0, p, 0, asc, t2, n2, t1, &n1);
  if (s != SEC_E_OK) return s;
  CHECK(n1 == 40 && memcmp(t1, "rspauth=", 8) == 0, "rspauth token (%u)", (unsigned)n1);
  /* A flipped rspauth → SEC_E_MUTUAL_AUTH_FAILED, and the right one still completes. */
  t1[20] ^= 1;
  CHECK_STATUS(step(1, p, 0, isc, t1, n1, t2, &n2), SEC_E_MUTUAL_AUTH_FAILED);
  t1[20] ^= 1;
  CHECK_STATUS(step(1, p, 0, isc, t1, n1, t2, &n2), SEC_E_OK);
  CHECK(n2 == 0, "final ISC token empty");
  return s;
}

static void done(struct pair *p) {
  DeleteSecurityContext(&p->c);
  DeleteSecurityContext(&p->s);
  FreeCredentialsHandle(&p->cc);
  FreeCredentialsHandle(&p->sc);
}

/* A ULONG SASL option, or 0xFFFFFFFF when SaslGetContextOption fails or *Needed is not 4. */
static ULONG opt(CtxtHandle *c, ULONG option) {
  ULONG v = 0, need = 0;
  SECURITY_STATUS s = SaslGetContextOption(c, option, &v, sizeof v, &need);
  return s == SEC_E_OK && need == sizeof v ? v : 0xFFFFFFFFu;
}

/* cbBlockSize + cbSecurityTrailer + cbMaxSignature: what SASL_OPTION_SEND_SIZE leaves out of the
   peer's maxbuf (SaslSetContextOption: "minus the block size, the trailer size, and the maximum
   signature size"). */
static ULONG overhead(CtxtHandle *c) {
  SecPkgContext_Sizes sz;
  if (QueryContextAttributesA(c, SECPKG_ATTR_SIZES, &sz) != SEC_E_OK) return 0xFFFFFFFFu;
  return sz.cbBlockSize + sz.cbSecurityTrailer + sz.cbMaxSignature;
}

/* SASL_OPTION_SEND_SIZE once the handshake is done: our peer announces maxbuf 65536, so 65536
   minus the overhead with a layer, 0 with qop auth; a SEND_SIZE message wraps within 65536.
   (Seals one message each way unread: call it last on a pair.) */
static void send_size(const char *label, struct pair *p, int layer) {
  CtxtHandle *sides[2] = {&p->c, &p->s};
  for (int i = 0; i < 2; i++) {
    ULONG want = layer ? 65536 - overhead(sides[i]) : 0, got = opt(sides[i], SASL_OPTION_SEND_SIZE);
    CHECK(got == want && (!layer || want < 65536 - 32), "%s: %s SEND_SIZE %u, want %u", label, i ? "server" : "client",
          (unsigned)got, (unsigned)want);
    if (!layer) continue;
    SecPkgContext_Sizes sz;
    CHECK_STATUS(QueryContextAttributesA(sides[i], SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
    char *data = calloc(1, got), pad[64];
    SecBuffer b[2] = {{got, SECBUFFER_DATA, data}, {sz.cbMaxSignature + sz.cbBlockSize, SECBUFFER_PADDING, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_STATUS(EncryptMessage(sides[i], 0, &d, 0), SEC_E_OK);
    CHECK(b[0].cbBuffer + b[1].cbBuffer <= 65536, "%s: SEND_SIZE message wraps to %u", label,
          (unsigned)(b[0].cbBuffer + b[1].cbBuffer));
    free(data);
  }
}

/* EncryptMessage [DATA, PADDING]; the wire token goes to wire, its length returned. */
static SECURITY_STATUS seal(CtxtHandle *c, ULONG qop, ULONG seq, const char *msg, char *wire, ULONG *len) {
  char data[512], pad[64];
  ULONG n = (ULONG)strlen(msg);
  memcpy(data, msg, n);
  SecBuffer b[2] = {{n, SECBUFFER_DATA, data}, {sizeof pad, SECBUFFER_PADDING, pad}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  SECURITY_STATUS s = EncryptMessage(c, qop, &d, seq);
  if (s == SEC_E_OK) {
    memcpy(wire, data, b[0].cbBuffer);
    memcpy(wire + b[0].cbBuffer, pad, b[1].cbBuffer);
    *len = b[0].cbBuffer + b[1].cbBuffer;
  }
  return s;
}

static SECURITY_STATUS unseal(CtxtHandle *c, char *wire, ULONG len, ULONG *plen, ULONG *qop) {
  SecBuffer b[2] = {{len, SECBUFFER_DATA, wire}, {0, SECBUFFER_PADDING, NULL}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  SECURITY_STATUS s = DecryptMessage(c, &d, 0, qop);
  *plen = b[0].cbBuffer;
  return s;
}

/* No heap allocation per message: 200 EncryptMessage + DecryptMessage pairs (and a refused
   tampered message, which rewinds the cipher) under the malloc counter. */
static void no_alloc(const char *label, struct pair *p) {
  char w[600];
  ULONG n, pl, qop;
  int ok = 1;
  PSecPkgInfoA info = NULL;
  alloc_count_begin();
  QuerySecurityPackageInfoA((SEC_CHAR *)"WDigest", &info);
  CHECK(alloc_count_end() > 0, "%s: the allocation counter is not in force", label);
  FreeContextBuffer(info);
  alloc_count_begin();
  for (int i = 0; i < 200; i++) {
    ok &= seal(&p->c, 0, 0, "a message that goes back and forth", w, &n) == SEC_E_OK;
    if (i == 100) {
      w[3] ^= 1;
      ok &= unseal(&p->s, w, n, &pl, &qop) == SEC_E_MESSAGE_ALTERED;
      w[3] ^= 1;
    }
    ok &= unseal(&p->s, w, n, &pl, &qop) == SEC_E_OK;
  }
  unsigned long calls = alloc_count_end();
  CHECK(ok, "%s: messages", label);
  CHECK(calls == 0, "%s: %lu heap allocations in 400 message calls", label, calls);
}

static void rules(const char *label, struct pair *p, int conf) {
  char w[600], w2[600], data[64], pad[64];
  ULONG n, n2, pl, qop = 77;
  SecPkgContext_Sizes sz;
  CHECK_STATUS(QueryContextAttributesA(&p->c, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
  CHECK(sz.cbMaxToken == 4096 && sz.cbMaxSignature == 16, "%s: sizes %u %u", label, (unsigned)sz.cbMaxToken,
        (unsigned)sz.cbMaxSignature);
  /* fQOP and MessageSeqNo must be zero. */
  CHECK_STATUS(seal(&p->c, 1, 0, "x", w, &n), SEC_E_QOP_NOT_SUPPORTED);
  CHECK_STATUS(seal(&p->c, 0, 7, "x", w, &n), SEC_E_OUT_OF_SEQUENCE);
  /* No DATA; no PADDING; PADDING smaller than needed. */
  {
    SecBuffer b[1] = {{sizeof pad, SECBUFFER_PADDING, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
    CHECK_STATUS(EncryptMessage(&p->c, 0, &d, 0), SEC_E_INVALID_TOKEN);
    SecBuffer b1[1] = {{4, SECBUFFER_DATA, data}};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 1, b1};
    CHECK_STATUS(EncryptMessage(&p->c, 0, &d1, 0), SEC_E_INVALID_TOKEN);
    memcpy(data, "abcd", 4);
    SecBuffer b2[2] = {{4, SECBUFFER_DATA, data}, {15, SECBUFFER_PADDING, pad}};
    SecBufferDesc d2 = {SECBUFFER_VERSION, 2, b2};
    CHECK_STATUS(EncryptMessage(&p->c, 0, &d2, 0), SEC_E_BUFFER_TOO_SMALL);
    CHECK(memcmp(data, "abcd", 4) == 0, "%s: failed EncryptMessage left DATA alone", label);
    /* cbMaxSignature + cbBlockSize always suffices. */
    SecBuffer b3[2] = {{4, SECBUFFER_DATA, data}, {sz.cbMaxSignature + sz.cbBlockSize, SECBUFFER_PADDING, pad}};
    SecBufferDesc d3 = {SECBUFFER_VERSION, 2, b3};
    CHECK_STATUS(EncryptMessage(&p->c, 0, &d3, 0), SEC_E_OK);
    memcpy(w, data, 4);
    memcpy(w + 4, pad, b3[1].cbBuffer);
    CHECK_STATUS(unseal(&p->s, w, 4 + b3[1].cbBuffer, &pl, &qop), SEC_E_OK);
    CHECK(pl == 4 && memcmp(w, "abcd", 4) == 0, "%s: first message after failed calls", label);
  }
  /* Round trips, pfQOP, tamper and replay. */
  CHECK_STATUS(seal(&p->c, 0, 0, "message one", w, &n), SEC_E_OK);
  CHECK(conf ? memcmp(w, "message one", 11) != 0 : memcmp(w, "message one", 11) == 0, "%s: %s", label,
        conf ? "encrypted" : "clear text with MAC");
  memcpy(w2, w, n);
  w2[n - 8] ^= 4; /* inside the MAC */
  CHECK_STATUS(unseal(&p->s, w2, n, &pl, &qop), SEC_E_MESSAGE_ALTERED);
  memcpy(w2, w, n);
  w2[n - 6] ^= 1; /* message type 0x0001 */
  CHECK_STATUS(unseal(&p->s, w2, n, &pl, &qop), SEC_E_MESSAGE_ALTERED);
  memcpy(w2, w, n);
  CHECK_STATUS(unseal(&p->s, w, n, &pl, &qop), SEC_E_OK);
  CHECK(pl == 11 && memcmp(w, "message one", 11) == 0, "%s: plaintext", label);
  CHECK(qop == (conf ? 0u : SECQOP_WRAP_NO_ENCRYPT), "%s: pfQOP %x", label, (unsigned)qop);
  CHECK_STATUS(unseal(&p->s, w2, n, &pl, &qop), SEC_E_OUT_OF_SEQUENCE); /* replay */
  /* Reordering: the third message before the second. */
  CHECK_STATUS(seal(&p->c, 0, 0, "second", w, &n), SEC_E_OK);
  CHECK_STATUS(seal(&p->c, 0, 0, "third", w2, &n2), SEC_E_OK);
  CHECK_STATUS(unseal(&p->s, w2, n2, &pl, &qop), SEC_E_OUT_OF_SEQUENCE);
  CHECK_STATUS(unseal(&p->s, w, n, &pl, &qop), SEC_E_OK);
  CHECK_STATUS(unseal(&p->s, w2, n2, &pl, &qop), SEC_E_OK);
  CHECK(pl == 5 && memcmp(w2, "third", 5) == 0, "%s: third", label);
  /* MessageSeqNo on DecryptMessage. */
  {
    SecBuffer b[1] = {{n, SECBUFFER_DATA, w}};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
    CHECK_STATUS(DecryptMessage(&p->s, &d, 3, &qop), SEC_E_OUT_OF_SEQUENCE);
  }
  /* Server to client, the signature in a second DATA buffer. */
  {
    char msg[] = "reply in DATA + DATA";
    ULONG ml = (ULONG)strlen(msg);
    SecBuffer b[2] = {{ml, SECBUFFER_DATA, msg}, {sizeof pad, SECBUFFER_DATA, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_STATUS(EncryptMessage(&p->s, 0, &d, 0), SEC_E_OK);
    memcpy(w, msg, ml);
    memcpy(w + ml, pad, b[1].cbBuffer);
    CHECK_STATUS(unseal(&p->c, w, ml + b[1].cbBuffer, &pl, &qop), SEC_E_OK);
    CHECK(pl == ml && memcmp(w, "reply in DATA + DATA", ml) == 0, "%s: reply", label);
  }
  /* MakeSignature / VerifySignature: [DATA, TOKEN(16)]. */
  {
    char msg[] = "signed", tok[16];
    SecBuffer b[2] = {{6, SECBUFFER_DATA, msg}, {16, SECBUFFER_TOKEN, tok}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_STATUS(MakeSignature(&p->c, 1, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
    CHECK_STATUS(MakeSignature(&p->c, 0, &d, 0), SEC_E_OK);
    CHECK(b[1].cbBuffer == 16 && tok[10] == 0 && tok[11] == 1, "%s: signature trailer", label);
    msg[0] ^= 1;
    CHECK_STATUS(VerifySignature(&p->s, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    msg[0] ^= 1;
    CHECK_STATUS(VerifySignature(&p->s, &d, 0, &qop), SEC_E_OK);
    CHECK_STATUS(VerifySignature(&p->s, &d, 0, &qop), SEC_E_OUT_OF_SEQUENCE);
  }
  /* Issue #16: fQOP SECQOP_WRAP_NO_ENCRYPT. EncryptMessage (Digest): "this parameter must be set
     to zero"; auth-conf refuses it (a MAC-only message there is one the peer cannot tell from a
     sealed one), consuming nothing; auth-int's messages are MAC-only anyway. */
  {
    SECURITY_STATUS s = seal(&p->c, SECQOP_WRAP_NO_ENCRYPT, 0, "no encrypt", w, &n);
    CHECK(s == (conf ? SEC_E_QOP_NOT_SUPPORTED : SEC_E_OK), "%s: EncryptMessage(SECQOP_WRAP_NO_ENCRYPT) 0x%08X",
          label, (unsigned)s);
    if (s == SEC_E_OK) {
      CHECK_STATUS(unseal(&p->s, w, n, &pl, &qop), SEC_E_OK);
      CHECK(pl == 10 && qop == SECQOP_WRAP_NO_ENCRYPT, "%s: MAC-only message", label);
    }
    CHECK_STATUS(seal(&p->c, 0, 0, "next one", w, &n), SEC_E_OK);
    CHECK_STATUS(unseal(&p->s, w, n, &pl, &qop), SEC_E_OK);
    CHECK(pl == 8 && memcmp(w, "next one", 8) == 0, "%s: the message after the refused one", label);
  }
  /* Issue #16: DecryptMessage (Digest): "One of these must be of type SECBUFFER_DATA or
     SECBUFFER_STREAM". [STREAM, DATA(empty)]: decrypted in place, DATA pointed at the plaintext;
     tampered: refused, STREAM holds the token again. [STREAM]: its cbBuffer becomes the
     plaintext length. */
  {
    CHECK_STATUS(seal(&p->c, 0, 0, "stream form", w, &n), SEC_E_OK);
    memcpy(w2, w, n);
    w[n - 8] ^= 4;
    SecBuffer b[2] = {{n, SECBUFFER_STREAM, w}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_STATUS(DecryptMessage(&p->s, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    w[n - 8] ^= 4;
    CHECK(memcmp(w, w2, n) == 0 && b[1].pvBuffer == NULL, "%s: STREAM: failed call left the token", label);
    qop = 77;
    CHECK_STATUS(DecryptMessage(&p->s, &d, 0, &qop), SEC_E_OK);
    CHECK(b[1].BufferType == SECBUFFER_DATA && b[1].pvBuffer == w && b[1].cbBuffer == 11 &&
              memcmp(w, "stream form", 11) == 0 && b[0].cbBuffer == n &&
              qop == (conf ? 0u : SECQOP_WRAP_NO_ENCRYPT),
          "%s: [STREAM, DATA]: DATA at the plaintext (%u bytes, qop %x)", label, (unsigned)b[1].cbBuffer,
          (unsigned)qop);
    CHECK_STATUS(seal(&p->c, 0, 0, "stream only", w, &n), SEC_E_OK);
    SecBuffer b1[1] = {{n, SECBUFFER_STREAM, w}};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 1, b1};
    CHECK_STATUS(DecryptMessage(&p->s, &d1, 0, &qop), SEC_E_OK);
    CHECK(b1[0].cbBuffer == 11 && memcmp(w, "stream only", 11) == 0, "%s: [STREAM]: plaintext (%u bytes)", label,
          (unsigned)b1[0].cbBuffer);
    CHECK_STATUS(DecryptMessage(&p->s, &d, 0, &qop), SEC_E_OUT_OF_SEQUENCE); /* replay */
  }
}

/* Every single-bit flip of a sealed message is refused, and the genuine one opens afterwards. */
static void bit_flips(const char *label, struct pair *p) {
  char w[128], f[128];
  ULONG n, pl, qop;
  unsigned refused = 0, total = 0;
  CHECK_STATUS(seal(&p->c, 0, 0, "a message of some thirty bytes", w, &n), SEC_E_OK);
  for (ULONG bit = 0; bit < n * 8; bit++) {
    memcpy(f, w, n);
    f[bit / 8] ^= (char)(1 << (bit % 8));
    SECURITY_STATUS s = unseal(&p->s, f, n, &pl, &qop);
    total++;
    if (s == SEC_E_MESSAGE_ALTERED || s == SEC_E_OUT_OF_SEQUENCE || s == SEC_E_INVALID_TOKEN) refused++;
    else CHECK(0, "%s: bit %u gave 0x%08X", label, (unsigned)bit, (unsigned)s);
  }
  /* Every truncation too. */
  for (ULONG cut = 0; cut < n; cut++) {
    memcpy(f, w, n);
    SECURITY_STATUS s = unseal(&p->s, f, cut, &pl, &qop);
    total++;
    if (s != SEC_E_OK) refused++;
    else CHECK(0, "%s: truncation to %u accepted", label, (unsigned)cut);
  }
  CHECK(refused == total, "%s: %u of %u refused", label, refused, total);
  CHECK_STATUS(unseal(&p->s, w, n, &pl, &qop), SEC_E_OK);
  CHECK(pl == 30 && memcmp(w, "a message of some thirty bytes", 30) == 0, "%s: genuine after flips", label);
}

static void sasl_exports(void) {
  char *list = NULL;
  ULONG count = 0;
  PSecPkgInfoA info = NULL;
  PSecPkgInfoW winfo = NULL;
  CHECK_STATUS(SaslEnumerateProfilesA(&list, &count), SEC_E_OK);
  int found = 0;
  for (char *q = list; q && *q; q += strlen(q) + 1) found |= strcmp(q, "DIGEST-MD5") == 0;
  CHECK(count >= 2 && found, "profiles: %u, DIGEST-MD5 %d", (unsigned)count, found);
  FreeContextBuffer(list);
  CHECK_STATUS(SaslEnumerateProfilesA(NULL, &count), SEC_E_INVALID_PARAMETER);
  CHECK_STATUS(SaslGetProfilePackageA((SEC_CHAR *)"DIGEST-MD5", &info), SEC_E_OK);
  CHECK(info && strcmp(info->Name, "WDigest") == 0 && info->wRPCID == 21, "DIGEST-MD5 -> %s", info ? info->Name : "-");
  FreeContextBuffer(info);
  CHECK_STATUS(SaslGetProfilePackageW((SEC_WCHAR *)u"GSSAPI", &winfo), SEC_E_OK);
  CHECK(winfo && winfo->wRPCID == 16, "GSSAPI -> Kerberos");
  FreeContextBuffer(winfo);
  CHECK_STATUS(SaslGetProfilePackageA((SEC_CHAR *)"PLAIN", &info), SEC_E_SECPKG_NOT_FOUND);
  char junk[] = "not a sasl token";
  SecBuffer b = {sizeof junk - 1, SECBUFFER_TOKEN, junk};
  SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
  CHECK_STATUS(SaslIdentifyPackageA(&d, &info), SEC_E_SECPKG_NOT_FOUND);

  struct pair p;
  CHECK_STATUS(handshake(&p, CONF, ASC_REQ_CONFIDENTIALITY, "Secret-1"), SEC_E_OK);
  ULONG v = 0, need = 0;
  CHECK_STATUS(SaslGetContextOption(&p.c, SASL_OPTION_SEND_SIZE, &v, sizeof v, &need), SEC_E_OK);
  CHECK(v == 65536 - overhead(&p.c) && need == 4, "SEND_SIZE %u", (unsigned)v);
  v = 4000;
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_RECV_SIZE, &v, sizeof v), SEC_E_OK);
  v = 0;
  CHECK_STATUS(SaslGetContextOption(&p.c, SASL_OPTION_RECV_SIZE, &v, sizeof v, NULL), SEC_E_OK);
  CHECK(v == 4000, "RECV_SIZE %u", (unsigned)v);
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_RECV_SIZE, &v, 2), SEC_E_INVALID_PARAMETER);
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, "admin", 5), SEC_E_OK);
  char az[8];
  CHECK_STATUS(SaslGetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, az, 2, &need), SEC_E_BUFFER_TOO_SMALL);
  CHECK(need == 5, "AUTHZ needed %u", (unsigned)need);
  CHECK_STATUS(SaslGetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, az, sizeof az, &need), SEC_E_OK);
  CHECK(memcmp(az, "admin", 5) == 0, "AUTHZ value");
  CHECK_STATUS(SaslGetContextOption(&p.c, 99, &v, sizeof v, NULL), SEC_E_UNSUPPORTED_FUNCTION);
  CtxtHandle gone = p.c;
  done(&p);
  CHECK_STATUS(SaslGetContextOption(&gone, SASL_OPTION_RECV_SIZE, &v, sizeof v, NULL), SEC_E_INVALID_HANDLE);
}

/* SASL_OPTION_AUTHZ_STRING goes out as authzid; the server refuses it (SEC_E_LOGON_DENIED) only
   when SASL_OPTION_AUTHZ_PROCESSING is Sasl_AuthZIDForbidden, and reads it back otherwise.
   state: -1 the server leaves AUTHZ_PROCESSING at its default (Sasl_AuthZIDProcessed, with the
   other defaults read back first), 0 Sasl_AuthZIDForbidden, 1 Sasl_AuthZIDProcessed. */
static void authz(int state) {
  SEC_WINNT_AUTH_IDENTITY_A ci = ident("alice", "EXAMPLE", "Secret-1"), si = ident("alice", "EXAMPLE", "Secret-1");
  struct pair p;
  char t1[4096], t2[4096], got[16] = {0};
  ULONG n1, n2, v = (ULONG)state, need = 0;
  int accepted = state != 0;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_OUTBOUND, NULL, &ci, NULL, NULL,
                                         &p.cc, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_INBOUND, NULL, &si, NULL, NULL,
                                         &p.sc, NULL), SEC_E_OK);
  CHECK_STATUS(step(1, &p, 1, CONF, NULL, 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, "admin", 5), SEC_E_OK);
  CHECK_STATUS(step(0, &p, 1, ASC_REQ_CONFIDENTIALITY, "", 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  if (state < 0) {
    /* SaslSetContextOption's defaults: AUTHZ_PROCESSING Sasl_AuthZIDProcessed, RECV_SIZE and
       SEND_SIZE 0x0FFFF (SEND_SIZE before the handshake has given a maxbuf). */
    CtxtHandle *sides[2] = {&p.c, &p.s};
    for (int i = 0; i < 2; i++) {
      CHECK(opt(sides[i], SASL_OPTION_AUTHZ_PROCESSING) == 1, "default AUTHZ_PROCESSING %u",
            (unsigned)opt(sides[i], SASL_OPTION_AUTHZ_PROCESSING));
      CHECK(opt(sides[i], SASL_OPTION_RECV_SIZE) == 0xFFFF, "default RECV_SIZE %u",
            (unsigned)opt(sides[i], SASL_OPTION_RECV_SIZE));
      CHECK(opt(sides[i], SASL_OPTION_SEND_SIZE) == 0xFFFF, "default SEND_SIZE %u",
            (unsigned)opt(sides[i], SASL_OPTION_SEND_SIZE));
    }
    CHECK_STATUS(SaslGetContextOption(&p.s, SASL_OPTION_AUTHZ_STRING, got, sizeof got, &need), SEC_E_OK);
    CHECK(need == 0, "server AUTHZ_STRING empty before the response (%u)", (unsigned)need);
  } else {
    CHECK_STATUS(SaslSetContextOption(&p.s, SASL_OPTION_AUTHZ_PROCESSING, &v, sizeof v), SEC_E_OK);
    CHECK(opt(&p.s, SASL_OPTION_AUTHZ_PROCESSING) == v, "AUTHZ_PROCESSING read back");
  }
  CHECK_STATUS(step(1, &p, 0, CONF, t1, n1, t2, &n2), SEC_I_CONTINUE_NEEDED);
  CHECK(memmem(t2, n2, "authzid=\"admin\"", 15) != NULL, "authzid sent");
  CHECK_STATUS(step(0, &p, 0, ASC_REQ_CONFIDENTIALITY, t2, n2, t1, &n1), accepted ? SEC_E_OK : SEC_E_LOGON_DENIED);
  if (accepted) {
    CHECK_STATUS(step(1, &p, 0, CONF, t1, n1, t2, &n2), SEC_E_OK);
    /* The server reads the client's authzid back. */
    memset(got, 0, sizeof got);
    CHECK_STATUS(SaslGetContextOption(&p.s, SASL_OPTION_AUTHZ_STRING, got, sizeof got, &need), SEC_E_OK);
    CHECK(need == 5 && memcmp(got, "admin", 5) == 0, "server AUTHZ_STRING \"%s\" (%u)", got, (unsigned)need);
  } else {
    /* Forbidden: AUTHZ_STRING can be neither set nor read (SEC_E_UNSUPPORTED_FUNCTION). */
    CHECK_STATUS(SaslGetContextOption(&p.s, SASL_OPTION_AUTHZ_STRING, got, sizeof got, &need),
                 SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_STATUS(SaslSetContextOption(&p.s, SASL_OPTION_AUTHZ_STRING, "admin", 5), SEC_E_UNSUPPORTED_FUNCTION);
  }
  done(&p);
}

/* A client whose AUTHZ_PROCESSING becomes Sasl_AuthZIDForbidden: AUTHZ_STRING Set and Get give
   SEC_E_UNSUPPORTED_FUNCTION, the string set before is not sent, and it returns with
   Sasl_AuthZIDProcessed. */
static void authz_forbidden_client(void) {
  SEC_WINNT_AUTH_IDENTITY_A ci = ident("alice", "EXAMPLE", "Secret-1"), si = ident("alice", "EXAMPLE", "Secret-1");
  struct pair p;
  char t1[4096], t2[4096], got[16] = {0};
  ULONG n1, n2, v = 0, need = 77;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_OUTBOUND, NULL, &ci, NULL, NULL,
                                         &p.cc, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_INBOUND, NULL, &si, NULL, NULL,
                                         &p.sc, NULL), SEC_E_OK);
  CHECK_STATUS(step(1, &p, 1, CONF, NULL, 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, "admin", 5), SEC_E_OK);
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_AUTHZ_PROCESSING, &v, sizeof v), SEC_E_OK);
  CHECK(opt(&p.c, SASL_OPTION_AUTHZ_PROCESSING) == 0, "client AUTHZ_PROCESSING Forbidden");
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, "root", 4), SEC_E_UNSUPPORTED_FUNCTION);
  CHECK_STATUS(SaslGetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, got, sizeof got, &need),
               SEC_E_UNSUPPORTED_FUNCTION);
  v = 2;
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_AUTHZ_PROCESSING, &v, sizeof v), SEC_E_INVALID_PARAMETER);
  CHECK_STATUS(step(0, &p, 1, ASC_REQ_CONFIDENTIALITY, "", 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(step(1, &p, 0, CONF, t1, n1, t2, &n2), SEC_I_CONTINUE_NEEDED);
  CHECK(memmem(t2, n2, "authzid", 7) == NULL, "no authzid sent while Forbidden: %.*s", (int)n2, t2);
  CHECK_STATUS(step(0, &p, 0, ASC_REQ_CONFIDENTIALITY, t2, n2, t1, &n1), SEC_E_OK);
  CHECK_STATUS(step(1, &p, 0, CONF, t1, n1, t2, &n2), SEC_E_OK);
  v = 1;
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_AUTHZ_PROCESSING, &v, sizeof v), SEC_E_OK);
  CHECK_STATUS(SaslGetContextOption(&p.c, SASL_OPTION_AUTHZ_STRING, got, sizeof got, &need), SEC_E_OK);
  CHECK(need == 5 && memcmp(got, "admin", 5) == 0, "client AUTHZ_STRING kept: \"%s\"", got);
  done(&p);
}

/* A client's SASL_OPTION_RECV_SIZE, set after a first call without input (the handle exists,
   the response is not built yet), goes out as the response's maxbuf; the server's SEND_SIZE is
   then that size minus the wrap overhead, and a SEND_SIZE message wraps within it. */
static void recv_size_client(void) {
  SEC_WINNT_AUTH_IDENTITY_A ci = ident("alice", "EXAMPLE", "Secret-1"), si = ident("alice", "EXAMPLE", "Secret-1");
  struct pair p;
  char t1[4096], t2[4096];
  ULONG n1, n2, v = 4096;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_OUTBOUND, NULL, &ci, NULL, NULL,
                                         &p.cc, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_INBOUND, NULL, &si, NULL, NULL,
                                         &p.sc, NULL), SEC_E_OK);
  CHECK_STATUS(step(1, &p, 1, CONF, NULL, 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(SaslSetContextOption(&p.c, SASL_OPTION_RECV_SIZE, &v, sizeof v), SEC_E_OK);
  CHECK_STATUS(step(0, &p, 1, ASC_REQ_CONFIDENTIALITY, "", 0, t1, &n1), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(step(1, &p, 0, CONF, t1, n1, t2, &n2), SEC_I_CONTINUE_NEEDED);
  CHECK(memmem(t2, n2, "maxbuf=4096", 11) != NULL, "RECV_SIZE 4096 sent as maxbuf: %.*s", (int)n2, t2);
  CHECK_STATUS(step(0, &p, 0, ASC_REQ_CONFIDENTIALITY, t2, n2, t1, &n1), SEC_E_OK);
  CHECK_STATUS(step(1, &p, 0, CONF, t1, n1, t2, &n2), SEC_E_OK);
  ULONG send = opt(&p.s, SASL_OPTION_SEND_SIZE);
  CHECK(send == 4096 - overhead(&p.s), "server SEND_SIZE %u for the client's maxbuf 4096", (unsigned)send);
  CHECK(opt(&p.c, SASL_OPTION_SEND_SIZE) == 65536 - overhead(&p.c), "client SEND_SIZE from the server's maxbuf");
  done(&p);
}

static void http(void) {
  SEC_WINNT_AUTH_IDENTITY_A ci = ident("bob", "", "pw"), si = ident("bob", "WEB", "pw");
  struct pair p;
  char chal[1024], auth[1024];
  ULONG attrs;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_OUTBOUND, NULL, &ci, NULL, NULL,
                                         &p.cc, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_INBOUND, NULL, &si, NULL, NULL,
                                         &p.sc, NULL), SEC_E_OK);
  SecBuffer sb[5] = {{0, SECBUFFER_TOKEN, NULL}, {3, SECBUFFER_PKG_PARAMS, "GET"}, {4, SECBUFFER_PKG_PARAMS, "/doc"},
                     {0, SECBUFFER_PKG_PARAMS, NULL}, {3, SECBUFFER_PKG_PARAMS, "WEB"}};
  SecBufferDesc sd = {SECBUFFER_VERSION, 5, sb};
  SecBuffer ob = {sizeof chal, SECBUFFER_TOKEN, chal};
  SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
  CHECK_STATUS(AcceptSecurityContext(&p.sc, NULL, &sd, ASC_REQ_HTTP_, 0, &p.s, &od, &attrs, NULL),
               SEC_I_CONTINUE_NEEDED);
  CHECK(strstr(chal, "realm=\"WEB\"") != NULL, "HTTP challenge realm");
  SecBuffer cb[3] = {{ob.cbBuffer, SECBUFFER_TOKEN, chal}, {3, SECBUFFER_PKG_PARAMS, "GET"}, {0, SECBUFFER_PKG_PARAMS, NULL}};
  SecBufferDesc cd = {SECBUFFER_VERSION, 3, cb};
  SecBuffer ab = {sizeof auth, SECBUFFER_TOKEN, auth};
  SecBufferDesc ad = {SECBUFFER_VERSION, 1, &ab};
  CHECK_STATUS(InitializeSecurityContextA(&p.cc, NULL, (SEC_CHAR *)"/doc", ISC_REQ_USE_HTTP_STYLE, 0, 0, &cd, 0, &p.c,
                                          &ad, &attrs, NULL), SEC_E_OK);
  CHECK(strstr(auth, "uri=\"/doc\"") != NULL, "Authorization names the URI");
  DeleteSecurityContext(&p.s);
  sb[0].cbBuffer = ab.cbBuffer;
  sb[0].pvBuffer = auth;
  CHECK_STATUS(AcceptSecurityContext(&p.sc, NULL, &sd, ASC_REQ_HTTP_, 0, &p.s, &od, &attrs, NULL), SEC_E_OK);
  SecPkgContext_NamesA names;
  CHECK_STATUS(QueryContextAttributesA(&p.s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
  CHECK(strcmp(names.sUserName, "WEB\\bob") == 0, "HTTP user %s", names.sUserName);
  FreeContextBuffer(names.sUserName);
  DeleteSecurityContext(&p.s);
  sb[1].pvBuffer = "PUT";
  CHECK_STATUS(AcceptSecurityContext(&p.sc, NULL, &sd, ASC_REQ_HTTP_, 0, &p.s, &od, &attrs, NULL),
               SEC_E_LOGON_DENIED);
  done(&p);
}

int main(void) {
  PSecPkgInfoA info = NULL;
  CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"WDigest", &info), SEC_E_OK);
  CHECK(info && strcmp(info->Name, "WDigest") == 0 && strcmp(info->Comment, "Digest Authentication for Windows") == 0 &&
            info->wRPCID == 21 && info->cbMaxToken == 4096 && info->wVersion == 1 && info->fCapabilities == 0x00400304,
        "SecPkgInfo");
  FreeContextBuffer(info);
  CHECK_STATUS(QuerySecurityPackageInfoA((SEC_CHAR *)"digest", &info), SEC_E_OK);
  FreeContextBuffer(info);

  struct pair p;
  CHECK_STATUS(handshake(&p, 0, 0, "wrong"), SEC_E_LOGON_DENIED);
  done(&p);
  CHECK_STATUS(handshake(&p, 0, 0, "Secret-1"), SEC_E_OK);
  {
    char w[64];
    ULONG n;
    CHECK_STATUS(seal(&p.c, 0, 0, "x", w, &n), SEC_E_QOP_NOT_SUPPORTED); /* auth only */
  }
  send_size("auth", &p, 0);
  done(&p);
  CHECK_STATUS(handshake(&p, ISC_REQ_INTEGRITY, ASC_REQ_INTEGRITY, "Secret-1"), SEC_E_OK);
  rules("auth-int", &p, 0);
  no_alloc("auth-int", &p);
  send_size("auth-int", &p, 1);
  done(&p);
  CHECK_STATUS(handshake(&p, CONF, ASC_REQ_CONFIDENTIALITY, "Secret-1"), SEC_E_OK);
  {
    SecPkgContext_SessionKey k1, k2;
    CHECK_STATUS(QueryContextAttributesA(&p.c, SECPKG_ATTR_SESSION_KEY, &k1), SEC_E_OK);
    CHECK_STATUS(QueryContextAttributesA(&p.s, SECPKG_ATTR_SESSION_KEY, &k2), SEC_E_OK);
    CHECK(k1.SessionKeyLength == 16 && memcmp(k1.SessionKey, k2.SessionKey, 16) == 0, "session keys agree");
    FreeContextBuffer(k1.SessionKey);
    FreeContextBuffer(k2.SessionKey);
  }
  rules("auth-conf", &p, 1);
  bit_flips("auth-conf rc4", &p);
  no_alloc("auth-conf rc4", &p);
  send_size("auth-conf rc4", &p, 1);
  done(&p);
  CHECK_STATUS(handshake(&p, ISC_REQ_INTEGRITY, ASC_REQ_INTEGRITY, "Secret-1"), SEC_E_OK);
  bit_flips("auth-int", &p);
  done(&p);
  sasl_exports();
  authz(-1);
  authz(0);
  authz(1);
  authz_forbidden_client();
  recv_size_client();
  http();
  CHECK_SUMMARY("digest");
}
