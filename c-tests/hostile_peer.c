/* Hostile peer for NTLM: every single-bit flip and every truncation of every handshake token
   (NEGOTIATE into AcceptSecurityContext, CHALLENGE into InitializeSecurityContext, AUTHENTICATE
   into AcceptSecurityContext) and of sealed and signed messages, each with a precise expected
   outcome; replay and reordering -> SEC_E_OUT_OF_SEQUENCE.

   Why each handshake outcome is what it is (MS-NLMP):
   - Signature "NTLMSSP\0" and MessageType (bytes 0..11) are checked by the receiver's parser:
     a flip there is SEC_E_INVALID_TOKEN on the receiving call.
   - The MIC in AUTHENTICATE is HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
     AUTHENTICATE-with-zero-MIC) over the bytes each side sent or received, and our client
     always sends it (MsvAvFlags bit 0x2 inside the NTLMv2 response, which the NTProofStr
     covers). So a NEGOTIATE or CHALLENGE flip that the receiving parser accepts — flags,
     reserved bytes, version, MaxLen fields, string payloads, AV pair values, the server
     challenge — is caught at the end: the server's final AcceptSecurityContext returns
     SEC_E_LOGON_DENIED. NEGOTIATE flags are not protected when they arrive (the server answers
     them), but they are by the MIC, so no flag downgrade survives: a flip in NEGOTIATE's
     version field is harmless to the parser but still fails the MIC.
   - Field descriptors (Len/BufferOffset) and AV pair headers can be made unparsable by a flip
     (out of range, odd UTF-16 length, truncated pair): then SEC_E_INVALID_TOKEN on the
     receiving call; otherwise they parse and the MIC catches them (SEC_E_LOGON_DENIED).
   - AUTHENTICATE: flags, version, MaxLen, MIC, LM response, user/domain/workstation, the
     encrypted session key: SEC_E_LOGON_DENIED (unknown user, wrong NTProofStr, or MIC
     mismatch — a case flip in the user name passes the user lookup and NTOWFv2, which upper-
     cases the user, but not the MIC).
   - Truncation: NEGOTIATE shorter than 16 bytes cannot hold NegotiateFlags (INVALID_TOKEN);
     16..39 bytes parse (Domain/Workstation fields are not read) and fail the MIC. Any
     truncated CHALLENGE or AUTHENTICATE cuts a non-empty payload field: INVALID_TOKEN.
   Message outcomes: a flip in the signature's Version (bytes 0..3) or Checksum (4..11) or in the
   data is SEC_E_MESSAGE_ALTERED; in SeqNum (12..15) SEC_E_OUT_OF_SEQUENCE. A token shorter than
   16 bytes is SEC_E_INVALID_TOKEN; shorter data SEC_E_MESSAGE_ALTERED. After every refused
   message the genuine one still opens (a failed call consumes no sequence number or keystream). */
#include "ntlm_util.h"
#include "check.h"
#include <stdint.h>
#include <stdio.h>

enum { LEG_NEG = 0, LEG_CHAL = 1, LEG_AUTH = 2 };
enum { OK_ALL = 0, AT_ASC1 = 1, AT_ISC2 = 2, AT_ASC2 = 3 };
enum { MUT_NONE, MUT_FLIP, MUT_TRUNC };

static CredHandle ccred, scred;
static unsigned char genuine[3][4096];
static ULONG genuine_len[3];
static unsigned long handshakes, flips_total, truncs_total;

typedef struct { int at; SECURITY_STATUS s; } result_t;

/* One handshake; the token of leg `leg` is mutated on the wire (flip bit `arg` or truncate to
   `arg` bytes). Records the genuine tokens when mut == MUT_NONE. */
static result_t run(int leg, int mut, ULONG arg) {
  unsigned char a[4096], b[4096];
  SecBuffer ob = { sizeof a, SECBUFFER_TOKEN, a }, ib = { 0, SECBUFFER_TOKEN, b };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob }, idd = { SECBUFFER_VERSION, 1, &ib };
  CtxtHandle c, s;
  ULONG attr;
  TimeStamp ts;
  result_t r = { OK_ALL, SEC_E_OK };
  int have_s = 0;
  handshakes++;
#define WIRE(l)                                                                               \
  do {                                                                                        \
    memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer; ob.cbBuffer = sizeof a;             \
    if (mut == MUT_NONE) { memcpy(genuine[l], b, ib.cbBuffer); genuine_len[l] = ib.cbBuffer; } \
    if (leg == (l) && mut == MUT_FLIP) b[arg / 8] ^= (unsigned char)(1u << (arg % 8));         \
    if (leg == (l) && mut == MUT_TRUNC) ib.cbBuffer = arg;                                    \
  } while (0)
  SECURITY_STATUS st = InitializeSecurityContextA(&ccred, NULL, (SEC_CHAR *)"host/peer", NTLM_REQ, 0, 0, NULL, 0, &c, &od, &attr, &ts);
  if (st != SEC_I_CONTINUE_NEEDED) { fprintf(stderr, "ISC1 0x%08X\n", (unsigned)st); exit(2); }
  WIRE(LEG_NEG);
  st = AcceptSecurityContext(&scred, NULL, &idd, NTLM_ASC, 0, &s, &od, &attr, &ts);
  if (st != SEC_I_CONTINUE_NEEDED) { r.at = AT_ASC1; r.s = st; goto out; }
  have_s = 1;
  WIRE(LEG_CHAL);
  st = InitializeSecurityContextA(&ccred, &c, (SEC_CHAR *)"host/peer", NTLM_REQ, 0, 0, &idd, 0, &c, &od, &attr, &ts);
  if (st != SEC_E_OK) { r.at = AT_ISC2; r.s = st; goto out; }
  WIRE(LEG_AUTH);
  st = AcceptSecurityContext(&scred, &s, &idd, NTLM_ASC, 0, &s, &od, &attr, &ts);
  if (st != SEC_E_OK) { r.at = AT_ASC2; r.s = st; goto out; }
out:
#undef WIRE
  DeleteSecurityContext(&c);
  if (have_s) DeleteSecurityContext(&s);
  return r;
}

static uint16_t u16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Byte classes of a genuine token. */
enum { B_HEADER, B_PARSED, B_FREE };
/* B_HEADER: signature/type -> INVALID_TOKEN at the receiver.
   B_PARSED: field descriptor Len/Offset or AV pair header -> INVALID_TOKEN at the receiver or
             LOGON_DENIED at the end, depending on whether the result still parses.
   B_FREE:   parsed without structural checks -> exactly LOGON_DENIED at the end. */
static void classify(int leg, unsigned char *cls) {
  const unsigned char *t = genuine[leg];
  ULONG n = genuine_len[leg];
  for (ULONG i = 0; i < n; i++) cls[i] = i < 12 ? B_HEADER : B_FREE;
  if (leg == LEG_NEG) return; /* the server reads only NegotiateFlags */
  static const int chal_fields[] = { 12, 40 }, auth_fields[] = { 12, 20, 28, 36, 44, 52 };
  const int *f = leg == LEG_CHAL ? chal_fields : auth_fields;
  int nf = leg == LEG_CHAL ? 2 : 6;
  for (int k = 0; k < nf; k++) {
    cls[f[k]] = cls[f[k] + 1] = B_PARSED;                                  /* Len */
    for (int j = 4; j < 8; j++) cls[f[k] + j] = B_PARSED;                  /* BufferOffset */
  }
  if (leg == LEG_CHAL) {
    /* The AV pair headers inside TargetInfo; the UNICODE flag decides whether an odd
       TargetName length is an error, so it is structural too. */
    cls[20] = B_PARSED;
    ULONG off = u32(t + 44), len = u16(t + 40), at = 0;
    while (at + 4 <= len) {
      for (int j = 0; j < 4; j++) cls[off + at + j] = B_PARSED;
      if (u16(t + off + at) == 0) break;
      at += 4 + u16(t + off + at + 2);
    }
  }
}

static int expected_flip(int leg, int cls, result_t r, ULONG byte) {
  int recv = leg == LEG_CHAL ? AT_ISC2 : leg == LEG_NEG ? AT_ASC1 : AT_ASC2;
  int invalid_at_recv = r.at == recv && r.s == SEC_E_INVALID_TOKEN;
  int denied_at_end = r.at == AT_ASC2 && r.s == SEC_E_LOGON_DENIED;
  (void)byte;
  switch (cls) {
    case B_HEADER: return invalid_at_recv;
    case B_PARSED: return invalid_at_recv || denied_at_end;
    default: return denied_at_end;
  }
}

static int expected_trunc(int leg, ULONG n, result_t r) {
  if (leg == LEG_NEG) {
    if (n < 16) return r.at == AT_ASC1 && r.s == SEC_E_INVALID_TOKEN;
    return r.at == AT_ASC2 && r.s == SEC_E_LOGON_DENIED;
  }
  return r.at == (leg == LEG_CHAL ? AT_ISC2 : AT_ASC2) && r.s == SEC_E_INVALID_TOKEN;
}

static void test_handshake_tokens(void) {
  static const char *names[3] = { "NEGOTIATE", "CHALLENGE", "AUTHENTICATE" };
  result_t g = run(LEG_NEG, MUT_NONE, 0);
  CHECK(g.at == OK_ALL, "genuine handshake (at %d, 0x%08X)", g.at, (unsigned)g.s);
  for (int leg = 0; leg < 3; leg++) {
    unsigned char cls[4096];
    classify(leg, cls);
    ULONG n = genuine_len[leg];
    unsigned long bad = 0, tally[4] = { 0, 0, 0, 0 }, ok_count = 0;
    for (ULONG bit = 0; bit < n * 8; bit++) {
      result_t r = run(leg, MUT_FLIP, bit);
      flips_total++;
      tally[r.at]++;
      if (r.at == OK_ALL) ok_count++;
      if (!expected_flip(leg, cls[bit / 8], r, bit / 8)) {
        if (++bad <= 10) fprintf(stderr, "  %s bit %u (byte %u class %d): at %d 0x%08X\n", names[leg], (unsigned)bit, (unsigned)(bit / 8), cls[bit / 8], r.at, (unsigned)r.s);
      }
    }
    CHECK(bad == 0 && ok_count == 0, "%s: %u bit flips, each refused as classified (%lu unexpected)", names[leg], (unsigned)(n * 8), bad);
    printf("hostile_peer: %s %u bytes: %u flips -> refused at ASC1 %lu, ISC2 %lu, ASC2 %lu, accepted %lu\n", names[leg],
           (unsigned)n, (unsigned)(n * 8), tally[1], tally[2], tally[3], tally[0]);
    bad = 0;
    for (ULONG t = 0; t < n; t++) {
      result_t r = run(leg, MUT_TRUNC, t);
      truncs_total++;
      if (!expected_trunc(leg, t, r) && ++bad <= 10)
        fprintf(stderr, "  %s truncated to %u: at %d 0x%08X\n", names[leg], (unsigned)t, r.at, (unsigned)r.s);
    }
    CHECK(bad == 0, "%s: %u truncations refused as expected (%lu unexpected)", names[leg], (unsigned)n, bad);
  }
  /* After all that, a genuine handshake still works with the same credentials. */
  g = run(LEG_NEG, MUT_NONE, 0);
  CHECK(g.at == OK_ALL, "genuine handshake after hostile ones");
}

/* ---- Messages ---------------------------------------------------------------------------- */

static pair_t P;

static SECURITY_STATUS sign(CtxtHandle *h, unsigned char *sig, unsigned char *data, ULONG len) {
  SecBuffer b[2] = { { len, SECBUFFER_DATA, data }, { 16, SECBUFFER_TOKEN, sig } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  return MakeSignature(h, 0, &d, 0);
}
static SECURITY_STATUS verify(CtxtHandle *h, unsigned char *sig, ULONG siglen, unsigned char *data, ULONG len) {
  SecBuffer b[2] = { { len, SECBUFFER_DATA, data }, { siglen, SECBUFFER_TOKEN, sig } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  ULONG qop;
  return VerifySignature(h, &d, 0, &qop);
}
static SECURITY_STATUS unseal_n(CtxtHandle *h, unsigned char *sig, ULONG siglen, unsigned char *data, ULONG len) {
  SecBuffer b[2] = { { siglen, SECBUFFER_TOKEN, sig }, { len, SECBUFFER_DATA, data } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  ULONG qop;
  return DecryptMessage(h, &d, 0, &qop);
}
static SECURITY_STATUS unseal_stream(CtxtHandle *h, unsigned char *stream, ULONG n) {
  SecBuffer b[2] = { { n, SECBUFFER_STREAM, stream }, { 0, SECBUFFER_DATA, NULL } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  ULONG qop;
  return DecryptMessage(h, &d, 0, &qop);
}

static SECURITY_STATUS flip_expect(ULONG bit) {
  if (bit >= 96 && bit < 128) return SEC_E_OUT_OF_SEQUENCE;
  return SEC_E_MESSAGE_ALTERED;
}

/* kind 0: EncryptMessage/DecryptMessage; 1: MakeSignature/VerifySignature; 2: STREAM form.
   dir 0: client -> server; 1: server -> client. */
static void test_messages_kind(int kind, int dir) {
  static const char *kn[3] = { "sealed", "signed", "sealed (STREAM form)" };
  CtxtHandle *from = dir ? &P.sctx : &P.cctx, *to = dir ? &P.cctx : &P.sctx;
  const char *text = "hostile peer target message, 48 bytes long.....";
  ULONG len = (ULONG)strlen(text), wire = 16 + len;
  unsigned long bad = 0, flips = 0, truncs = 0;
  /* m < wire*8: flip bit m of signature || data; then truncate to m - wire*8 bytes. */
  for (ULONG m = 0; m < wire * 8 + wire; m++) {
    int trunc = m >= wire * 8;
    ULONG arg = trunc ? m - wire * 8 : m;
    unsigned char sig[16], buf[64], stream[16 + 64], f[16 + 64];
    memcpy(buf, text, len);
    SECURITY_STATUS s = kind == 1 ? sign(from, sig, buf, len) : seal(from, sig, buf, len, 0);
    if (s != SEC_E_OK) { bad++; break; }
    memcpy(stream, sig, 16); memcpy(stream + 16, buf, len);
    memcpy(f, stream, wire);
    SECURITY_STATUS want;
    ULONG siglen = 16, dlen = len, slen = wire;
    if (!trunc) {
      f[arg / 8] ^= (unsigned char)(1u << (arg % 8));
      want = flip_expect(arg);
      flips++;
    } else {
      /* The wire message cut to `arg` bytes: the cut falls in the token (shorter than 16:
         INVALID_TOKEN) or in the data (MESSAGE_ALTERED). */
      slen = arg;
      if (arg < 16) { siglen = arg; dlen = 0; want = SEC_E_INVALID_TOKEN; }
      else { dlen = arg - 16; want = SEC_E_MESSAGE_ALTERED; }
      truncs++;
    }
    SECURITY_STATUS got;
    if (kind == 0) got = unseal_n(to, f, siglen, f + 16, dlen);
    else if (kind == 1) got = verify(to, f, siglen, f + 16, dlen);
    else got = unseal_stream(to, f, slen);
    if (got != want && ++bad <= 10)
      fprintf(stderr, "  %s dir %d %s %u: 0x%08X want 0x%08X\n", kn[kind], dir, trunc ? "trunc" : "bit", (unsigned)arg, (unsigned)got, (unsigned)want);
    /* The genuine message is accepted next: the refused one consumed nothing. */
    if (kind == 0) got = unseal_n(to, stream, 16, stream + 16, len);
    else if (kind == 1) got = verify(to, stream, 16, stream + 16, len);
    else got = unseal_stream(to, stream, wire);
    if (got != SEC_E_OK || memcmp(stream + 16, text, len) != 0) {
      if (++bad <= 10) fprintf(stderr, "  %s dir %d: genuine after %s %u -> 0x%08X\n", kn[kind], dir, trunc ? "trunc" : "bit", (unsigned)arg, (unsigned)got);
      break;
    }
  }
  CHECK(bad == 0, "%s messages dir %d: %lu flips and %lu truncations refused, genuine accepted after each", kn[kind], dir, flips, truncs);
  flips_total += flips;
  truncs_total += truncs;
}

static void test_replay(void) {
  for (int kind = 0; kind < 2; kind++) {
    unsigned char s1[16], b1[4] = "one", s2[16], b2[4] = "two", k1[16], kb1[4];
    CHECK_STATUS(kind ? sign(&P.cctx, s1, b1, 3) : seal(&P.cctx, s1, b1, 3, 0), SEC_E_OK);
    CHECK_STATUS(kind ? sign(&P.cctx, s2, b2, 3) : seal(&P.cctx, s2, b2, 3, 0), SEC_E_OK);
    memcpy(k1, s1, 16); memcpy(kb1, b1, 3);
    /* Reordered: the second first. */
    CHECK_STATUS(kind ? verify(&P.sctx, s2, 16, b2, 3) : unseal_n(&P.sctx, s2, 16, b2, 3), SEC_E_OUT_OF_SEQUENCE);
    CHECK_STATUS(kind ? verify(&P.sctx, s1, 16, b1, 3) : unseal_n(&P.sctx, s1, 16, b1, 3), SEC_E_OK);
    /* Replayed. */
    CHECK_STATUS(kind ? verify(&P.sctx, k1, 16, kb1, 3) : unseal_n(&P.sctx, k1, 16, kb1, 3), SEC_E_OUT_OF_SEQUENCE);
    CHECK_STATUS(kind ? verify(&P.sctx, s2, 16, b2, 3) : unseal_n(&P.sctx, s2, 16, b2, 3), SEC_E_OK);
    CHECK(memcmp(b1, "one", 3) == 0 && memcmp(b2, "two", 3) == 0, "in order after replay (kind %d)", kind);
    /* A message reflected back to its sender (other direction's keys): altered or out of
       sequence, never accepted. */
    unsigned char s3[16], b3[4] = "ref";
    CHECK_STATUS(kind ? sign(&P.cctx, s3, b3, 3) : seal(&P.cctx, s3, b3, 3, 0), SEC_E_OK);
    SECURITY_STATUS s = kind ? verify(&P.cctx, s3, 16, b3, 3) : unseal_n(&P.cctx, s3, 16, b3, 3);
    CHECK(s == SEC_E_MESSAGE_ALTERED || s == SEC_E_OUT_OF_SEQUENCE, "reflection refused (0x%08X)", (unsigned)s);
    CHECK_STATUS(kind ? verify(&P.sctx, s3, 16, b3, 3) : unseal_n(&P.sctx, s3, 16, b3, 3), SEC_E_OK);
  }
}

int main(void) {
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &ccred), SEC_E_OK);
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &scred), SEC_E_OK);
  test_handshake_tokens();
  memset(&P, 0, sizeof P);
  P.ccred = ccred; P.scred = scred;
  CHECK_STATUS(handshake(&P, NTLM_REQ, NTLM_ASC, "host/peer"), SEC_E_OK);
  for (int kind = 0; kind < 3; kind++)
    for (int dir = 0; dir < 2; dir++) test_messages_kind(kind, dir);
  test_replay();
  DeleteSecurityContext(&P.cctx);
  DeleteSecurityContext(&P.sctx);
  FreeCredentialsHandle(&ccred);
  FreeCredentialsHandle(&scred);
  printf("hostile_peer: %lu handshakes, %lu single-bit flips, %lu truncations, all refused as classified\n",
         handshakes, flips_total, truncs_total);
  CHECK_SUMMARY("hostile_peer");
}
