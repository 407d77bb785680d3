/* Kerberos against a hostile peer, through the exports only, with real tickets from the MIT KDC
 * that c-tests/kerberos-test.sh starts (one run per enctype, krb5.conf restricted to it):
 *   - every single-bit flip and every truncation of (a) the AP-REQ InitialContextToken given to
 *     AcceptSecurityContext, (b) the AP-REP given to the client's second
 *     InitializeSecurityContext, (c) each of the three DCE-style legs — each in a fresh
 *     handshake (fresh contexts, a fresh authenticator, so the replay cache never decides) —
 *     is refused with a documented SEC_E_* code, unless the flipped bit lies in a field RFC 4120
 *     leaves unauthenticated and whose value the acceptor only uses as a hint (ap-options'
 *     unused bits, the ticket's kvno): then the handshake must complete and messages must flow
 *     both ways, which proves the flip changed nothing that matters;
 *   - every single-bit flip and every truncation of sealed wrap tokens (TOKEN and DATA, and the
 *     STREAM form), integrity-only wrap tokens (SECQOP_WRAP_NO_ENCRYPT) and MIC tokens, in both
 *     directions, is refused (SEC_E_MESSAGE_ALTERED / SEC_E_INVALID_TOKEN /
 *     SEC_E_OUT_OF_SEQUENCE / SEC_E_INCOMPLETE_MESSAGE) and the genuine message then opens (a
 *     failed call consumes nothing);
 *   - replayed, reordered and reflected messages are refused; an AP-REQ replayed to a second
 *     server context is refused.
 * Counts per code are printed per part. Environment (from c-tests/kerberos-test.sh):
 *   KT_REALM KT_USER KT_PASS KT_SPN  the client (password) and the keytab service (KRB5_KTNAME)
 *   KT_LABEL                         the enctype under test, for the output
 *   KT_HANDSHAKE_FLIPS=0             skip parts (a)-(c) (messages only)
 *   SECUR32_HOSTILE_STRIDE=N         every Nth bit / cut only (for valgrind)
 *   KT_DUMP_DIR                      write genuine wrap / MIC tokens there (fuzz seeds)
 * Exit status: 0 when every check passed; 3 when the context could not be set up at all. */
#define _POSIX_C_SOURCE 200809L
#define SECURITY_WIN32
#include <security.h>
#include "check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KRB_REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONNECTION)
#define KRB_ASC (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONNECTION)
#define TOKMAX 16384

static CredHandle ccred, scred;
static const char *spn, *label;
static size_t stride = 1;

/* --- status names and per-code counts ------------------------------------------------------ */

static const struct {
  const char *name;
  SECURITY_STATUS status;
} names[] = {
    {"SEC_E_OK", SEC_E_OK},
    {"SEC_I_CONTINUE_NEEDED", SEC_I_CONTINUE_NEEDED},
    {"SEC_E_INVALID_TOKEN", SEC_E_INVALID_TOKEN},
    {"SEC_E_MESSAGE_ALTERED", SEC_E_MESSAGE_ALTERED},
    {"SEC_E_OUT_OF_SEQUENCE", SEC_E_OUT_OF_SEQUENCE},
    {"SEC_E_INCOMPLETE_MESSAGE", SEC_E_INCOMPLETE_MESSAGE},
    {"SEC_E_LOGON_DENIED", SEC_E_LOGON_DENIED},
    {"SEC_E_WRONG_PRINCIPAL", SEC_E_WRONG_PRINCIPAL},
    {"SEC_E_TIME_SKEW", SEC_E_TIME_SKEW},
    {"SEC_E_CONTEXT_EXPIRED", SEC_E_CONTEXT_EXPIRED},
    {"SEC_E_ALGORITHM_MISMATCH", SEC_E_ALGORITHM_MISMATCH},
    {"SEC_E_BAD_BINDINGS", SEC_E_BAD_BINDINGS},
    {"SEC_E_BUFFER_TOO_SMALL", SEC_E_BUFFER_TOO_SMALL},
    {"SEC_E_INVALID_PARAMETER", SEC_E_INVALID_PARAMETER},
    {"SEC_E_INTERNAL_ERROR", SEC_E_INTERNAL_ERROR},
    {"SEC_E_UNSUPPORTED_FUNCTION", SEC_E_UNSUPPORTED_FUNCTION},
    {"SEC_E_INVALID_HANDLE", SEC_E_INVALID_HANDLE},
    {"SEC_E_NO_CREDENTIALS", SEC_E_NO_CREDENTIALS},
};

static const char *status_name(SECURITY_STATUS s) {
  static char buf[32];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].status == s) return names[i].name;
  snprintf(buf, sizeof buf, "0x%08X", (unsigned)s);
  return buf;
}

static struct {
  SECURITY_STATUS s;
  unsigned long n;
} hist[32];
static void count(SECURITY_STATUS s) {
  for (int i = 0; i < 32; i++) {
    if (hist[i].n && hist[i].s == s) { hist[i].n++; return; }
    if (!hist[i].n) { hist[i].s = s; hist[i].n = 1; return; }
  }
}
static void print_hist(const char *what) {
  printf("  [%s] %s:", label, what);
  for (int i = 0; i < 32 && hist[i].n; i++) printf(" %s=%lu", status_name(hist[i].s), hist[i].n);
  printf("\n");
  fflush(stdout);
  memset(hist, 0, sizeof hist);
}

/* The codes the Kerberos package documents for a refused handshake token (context.rs:
   KRB_AP_ERR_* mapped as MS-KILE / Windows report them). SEC_E_INTERNAL_ERROR (a caught panic)
   is never one. */
static int handshake_refusal(SECURITY_STATUS s) {
  return s == SEC_E_INVALID_TOKEN || s == SEC_E_MESSAGE_ALTERED || s == SEC_E_LOGON_DENIED ||
         s == SEC_E_WRONG_PRINCIPAL || s == SEC_E_TIME_SKEW || s == SEC_E_CONTEXT_EXPIRED ||
         s == SEC_E_ALGORITHM_MISMATCH || s == SEC_E_BAD_BINDINGS || s == SEC_E_OUT_OF_SEQUENCE;
}
/* ... and for a refused message (RFC 4121 §4.2 / MS-KILE §3.4.5.4 as Windows reports them). */
static int message_refusal(SECURITY_STATUS s) {
  return s == SEC_E_INVALID_TOKEN || s == SEC_E_MESSAGE_ALTERED || s == SEC_E_OUT_OF_SEQUENCE ||
         s == SEC_E_INCOMPLETE_MESSAGE;
}

/* --- where a byte lies in a DER message ---------------------------------------------------- */

/* Appends to `out` the chain of tags (hex) from the outermost element of p[0..len) to the
   innermost one holding byte `at`, then ":hdr" (identifier/length octets) or ":val" (primitive
   contents). The RFC 2743 §3.1 InitialContextToken's OID and two-byte TOK_ID are "oid"/"tokid". */
static void der_path(const unsigned char *p, size_t len, size_t at, char *out, size_t outsz) {
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    unsigned tag = p[i++];
    if (i >= len) break;
    size_t n = p[i++];
    if (n & 0x80) {
      size_t k = n & 0x7f;
      n = 0;
      if (k > 4 || i + k > len) break;
      while (k--) n = n << 8 | p[i++];
    }
    size_t end = i + n;
    if (end > len) end = len;
    if (at < start || at >= end) { i = end; continue; }
    size_t o = strlen(out);
    snprintf(out + o, outsz - o, "%s%02x", o ? ">" : "", tag);
    if (at < i) { strncat(out, ":hdr", outsz - strlen(out) - 1); return; }
    if (tag == 0x60 && i < end && p[i] == 0x06) {
      /* GSS framing: OID, TOK_ID, then the Kerberos message */
      size_t olen = i + 1 < end ? p[i + 1] : 0, tok = i + 2 + olen;
      if (at < tok) { strncat(out, ">oid", outsz - strlen(out) - 1); return; }
      if (at < tok + 2) { strncat(out, ">tokid", outsz - strlen(out) - 1); return; }
      der_path(p + tok + 2, end - tok - 2, at - tok - 2, out, outsz);
      return;
    }
    if (tag & 0x20) { der_path(p + i, end - i, at - i, out, outsz); return; }
    strncat(out, ":val", outsz - strlen(out) - 1);
    return;
  }
}

/* Fields RFC 4120 leaves unauthenticated whose flip may be accepted, provided the handshake
   then completes and messages flow both ways (checked by the caller):
   - AP-REQ ap-options (RFC 4120 §5.5.1: not integrity protected; what matters travels in the
     GSS checksum's flags, RFC 4121 §4.1.1, inside the authenticator);
   - the Ticket's cleartext realm and sname (name-type and name-string) and enc-part kvno: the
     acceptor with no pszPrincipal tries every keytab key of the enctype, as Windows does (the
     well-known "sname substitution") and MIT with GSS_C_NO_NAME; the replay cache therefore
     must not key on them (checked separately below);
   - the mech OID flipped into 1.2.840.48018.1.2.2, Microsoft's Kerberos OID, which Windows and
     MIT treat as Kerberos (RFC 4121 §4.1; MS-KILE §3.1.5.11): `ms_oid` says the mutated token
     carries exactly that OID. */
static const char *benign_field(const char *path, int ms_oid) {
  if (strstr(path, "6e>30>a2>03:val")) return "AP-REQ ap-options";
  if (strstr(path, "6e>30>a3>61>30>a3>30>a1>02:val")) return "Ticket enc-part kvno";
  if (strstr(path, "6e>30>a3>61>30>a1>1b:val")) return "Ticket realm";
  if (strstr(path, "6e>30>a3>61>30>a2>30>a1>30>1b:val")) return "Ticket sname name-string";
  if (strstr(path, "6e>30>a3>61>30>a2>30>a0>02:val")) return "Ticket sname name-type";
  if (ms_oid && strstr(path, "60>oid")) return "mech OID → MS Kerberos OID";
  return NULL;
}

/* The token starts 60 len 06 09 <Microsoft's Kerberos OID 1.2.840.48018.1.2.2>. */
static int has_ms_oid(const unsigned char *t, size_t n) {
  static const unsigned char ms[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
  size_t at = n > 1 && t[1] & 0x80 ? 2 + (t[1] & 0x7f) : 2;
  return n > at + sizeof ms && t[0] == 0x60 && memcmp(t + at, ms, sizeof ms) == 0;
}

/* --- one handshake with a mutation ---------------------------------------------------------- */

enum { NONE, FLIP, CUT };
typedef struct {
  int kind, leg;
  size_t at; /* FLIP: bit index; CUT: bytes delivered */
} mutation;

typedef struct {
  int applied;          /* the mutation fell inside this run's token */
  SECURITY_STATUS st;   /* status of the call that received the mutated token */
  int complete, works;  /* handshake completed; messages flow both ways */
  int legs;
  int ms_oid; /* the mutated token carries Microsoft's Kerberos OID */
  ULONG len[4];
  char field[160];
} outcome;

static SECURITY_STATUS isc_call(CtxtHandle *c, int first, ULONG req, unsigned char *in, ULONG inlen, unsigned char *out,
                                ULONG *outlen) {
  SecBuffer ib = {inlen, SECBUFFER_TOKEN, in}, ob = {TOKMAX, SECBUFFER_TOKEN, out};
  SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
  ULONG attr;
  TimeStamp ts;
  SECURITY_STATUS s = InitializeSecurityContextA(&ccred, first ? NULL : c, (SEC_CHAR *)spn, req, 0, SECURITY_NATIVE_DREP,
                                                 first ? NULL : &id, 0, c, &od, &attr, &ts);
  *outlen = ob.cbBuffer;
  return s;
}

static SECURITY_STATUS asc_call(CtxtHandle *s, int first, ULONG req, unsigned char *in, ULONG inlen, unsigned char *out,
                                ULONG *outlen) {
  SecBuffer ib = {inlen, SECBUFFER_TOKEN, in}, ob = {TOKMAX, SECBUFFER_TOKEN, out};
  SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
  ULONG attr;
  TimeStamp ts;
  SECURITY_STATUS st = AcceptSecurityContext(&scred, first ? NULL : s, &id, req, SECURITY_NATIVE_DREP, s, &od, &attr, &ts);
  *outlen = ob.cbBuffer;
  return st;
}

static int ok_or_continue(SECURITY_STATUS s) { return s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED; }

/* Bytes of padding the last EncryptMessage put in PADDING (RC4: 1, RFC 4757; AES: 0). PADDING
   points just past DATA (every data array here has a spare byte), so DATA ‖ PADDING is what the
   receiver's DATA buffer holds, as on the wire. */
static ULONG g_pad;

static SECURITY_STATUS seal(CtxtHandle *h, ULONG qop, unsigned char *tok, ULONG *toklen, unsigned char *data, ULONG len) {
  SecBuffer b[3] = {{*toklen, SECBUFFER_TOKEN, tok}, {len, SECBUFFER_DATA, data}, {1, SECBUFFER_PADDING, data + len}};
  SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
  SECURITY_STATUS s = EncryptMessage(h, qop, &d, 0);
  *toklen = b[0].cbBuffer;
  if (s == SEC_E_OK) g_pad = b[2].cbBuffer;
  return s;
}
/* DATA of `len` message bytes plus the padding that followed them on the wire. */
static SECURITY_STATUS unseal(CtxtHandle *h, unsigned char *tok, ULONG toklen, unsigned char *data, ULONG len) {
  ULONG qop;
  SecBuffer b[2] = {{toklen, SECBUFFER_TOKEN, tok}, {len + g_pad, SECBUFFER_DATA, data}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  return DecryptMessage(h, &d, 0, &qop);
}

/* A sealed message each way opens intact. */
static int messages_flow(CtxtHandle *c, CtxtHandle *s) {
  for (int dir = 0; dir < 2; dir++) {
    unsigned char tok[256], data[16] = "flow check msg!";
    ULONG tl = sizeof tok;
    if (seal(dir ? s : c, 0, tok, &tl, data, 15) != SEC_E_OK) return 0;
    if (unseal(dir ? c : s, tok, tl, data, 15) != SEC_E_OK || memcmp(data, "flow check msg!", 15)) return 0;
  }
  return 1;
}

/* Fresh contexts; ISC and ASC alternate; the token of leg `m.leg` (0 = the first ISC output)
   is mutated before its receiver gets it. */
static void run(ULONG ireq, ULONG areq, mutation m, outcome *o) {
  static unsigned char a[TOKMAX], b[TOKMAX];
  CtxtHandle c, s;
  int have_c = 0, have_s = 0;
  ULONG n = 0, n2 = 0;
  memset(o, 0, sizeof *o);
  memset(&c, 0, sizeof c);
  memset(&s, 0, sizeof s);
  SECURITY_STATUS cs = isc_call(&c, 1, ireq, NULL, 0, a, &n), ss = SEC_I_CONTINUE_NEEDED;
  have_c = ok_or_continue(cs);
  if (!have_c) { o->st = cs; return; }
  int to_server = 1;
  for (int leg = 0; leg < 4 && n > 0; leg++) {
    o->legs = leg + 1;
    o->len[leg] = n;
    if (m.kind != NONE && m.leg == leg) {
      if (m.at >= (m.kind == FLIP ? (size_t)n * 8 : (size_t)n)) goto done; /* not this run */
      o->applied = 1;
      if (m.kind == FLIP) {
        der_path(a, n, m.at / 8, o->field, sizeof o->field);
        a[m.at / 8] ^= (unsigned char)(1u << (m.at % 8));
        o->ms_oid = has_ms_oid(a, n);
      } else {
        n = (ULONG)m.at;
      }
    }
    SECURITY_STATUS st;
    if (to_server) {
      st = ss = asc_call(&s, !have_s, areq, a, n, b, &n2);
      if (!have_s) have_s = ok_or_continue(ss);
    } else {
      st = cs = isc_call(&c, 0, ireq, a, n, b, &n2);
    }
    if (m.kind != NONE && m.leg == leg) o->st = st;
    if (!ok_or_continue(st)) goto done;
    memcpy(a, b, n2);
    n = n2;
    to_server = !to_server;
  }
  o->complete = cs == SEC_E_OK && ss == SEC_E_OK;
  if (o->complete) o->works = messages_flow(&c, &s);
done:
  if (have_c) DeleteSecurityContext(&c);
  if (have_s) DeleteSecurityContext(&s);
}

/* Every flip and cut of leg `leg`'s token. */
static void hostile_leg(const char *what, ULONG ireq, ULONG areq, int leg) {
  outcome ref;
  run(ireq, areq, (mutation){NONE, 0, 0}, &ref);
  CHECK(ref.complete && ref.works, "%s: %s: genuine handshake (legs %d)", label, what, ref.legs);
  if (!ref.complete || leg >= ref.legs) return;
  size_t len = ref.len[leg];
  unsigned long accepted = 0, tried = 0;
  char benign_seen[256] = "";
  for (size_t bit = 0; bit < len * 8 + 64; bit += stride) {
    outcome o;
    run(ireq, areq, (mutation){FLIP, leg, bit}, &o);
    if (!o.applied) continue;
    tried++;
    count(o.st);
    if (handshake_refusal(o.st)) continue;
    /* accepted: only in an unauthenticated hint field, and the session must work */
    const char *f = benign_field(o.field, o.ms_oid);
    accepted++;
    CHECK(f != NULL && o.complete && o.works, "%s: %s: flip of bit %zu (%s) → %s, complete %d, works %d", label, what,
          bit, o.field, status_name(o.st), o.complete, o.works);
    if (f && !strstr(benign_seen, f) && strlen(benign_seen) + strlen(f) + 3 < sizeof benign_seen) {
      if (*benign_seen) strcat(benign_seen, ", ");
      strcat(benign_seen, f);
    }
  }
  CHECK(tried > 0, "%s: %s: flips tried", label, what);
  char title[600];
  snprintf(title, sizeof title, "%s: %lu flips (%zu bytes), %lu accepted [%s]", what, tried, len, accepted,
           *benign_seen ? benign_seen : "none");
  print_hist(title);
  tried = 0;
  for (size_t cut = 0; cut < len; cut += (stride > 1 ? stride / 8 + 1 : 1)) {
    outcome o;
    run(ireq, areq, (mutation){CUT, leg, cut}, &o);
    if (!o.applied) continue;
    tried++;
    count(o.st);
    CHECK(handshake_refusal(o.st), "%s: %s: cut to %zu of %zu bytes → %s", label, what, cut, len, status_name(o.st));
  }
  snprintf(title, sizeof title, "%s: %lu truncations", what, tried);
  print_hist(title);
}

/* --- messages ------------------------------------------------------------------------------- */

enum { SEALED, INTEG, MIC };
static const char *kind_names[] = {"sealed wrap", "integrity-only wrap", "MIC"};

static SECURITY_STATUS produce(CtxtHandle *tx, int kind, unsigned char *tok, ULONG *tl, unsigned char *data, ULONG len) {
  if (kind == MIC) {
    SecBuffer b[2] = {{len, SECBUFFER_DATA, data}, {*tl, SECBUFFER_TOKEN, tok}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS s = MakeSignature(tx, 0, &d, 0);
    *tl = b[1].cbBuffer;
    return s;
  }
  return seal(tx, kind == INTEG ? SECQOP_WRAP_NO_ENCRYPT : 0, tok, tl, data, len);
}

static SECURITY_STATUS consume(CtxtHandle *rx, int kind, unsigned char *tok, ULONG tl, unsigned char *data, ULONG len) {
  if (kind == MIC) {
    ULONG qop;
    SecBuffer b[2] = {{len, SECBUFFER_DATA, data}, {tl, SECBUFFER_TOKEN, tok}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    return VerifySignature(rx, &d, 0, &qop);
  }
  return unseal(rx, tok, tl, data, len);
}

/* [STREAM(token ‖ data), DATA]: DecryptMessage finds the message in the stream. */
static SECURITY_STATUS consume_stream(CtxtHandle *rx, unsigned char *stream, ULONG n) {
  ULONG qop;
  SecBuffer b[2] = {{n, SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  return DecryptMessage(rx, &d, 0, &qop);
}

#define MSGLEN 16
static const unsigned char plain[MSGLEN + 1] = "sixteen byte msg";

/* One genuine message from tx: token and data (sealed in place for SEALED). */
static int fresh(CtxtHandle *tx, int kind, unsigned char *tok, ULONG *tl, unsigned char *data) {
  memcpy(data, plain, MSGLEN);
  *tl = 256;
  SECURITY_STATUS s = produce(tx, kind, tok, tl, data, MSGLEN);
  CHECK(s == SEC_E_OK, "%s: %s: produce → %s", label, kind_names[kind], status_name(s));
  return s == SEC_E_OK;
}

/* After a refusal the genuine message (pristine copies) must open, intact. */
static void genuine_opens(CtxtHandle *rx, int kind, const unsigned char *tok0, ULONG tl, const unsigned char *data0,
                          const char *after) {
  unsigned char tok[256], data[MSGLEN + 1];
  memcpy(tok, tok0, tl);
  memcpy(data, data0, MSGLEN + 1);
  SECURITY_STATUS s = consume(rx, kind, tok, tl, data, MSGLEN);
  CHECK(s == SEC_E_OK && memcmp(data, plain, MSGLEN) == 0, "%s: %s: genuine message after %s → %s", label,
        kind_names[kind], after, status_name(s));
}

/* KT_DUMP_DIR: genuine tokens as fuzz seeds — wrap tokens as TOKEN ‖ DATA (the STREAM form the
   kerberos_unwrap target reads), MIC tokens alone (kerberos_verify_mic). */
static void dump(int kind, int dir, const unsigned char *tok, ULONG tl, const unsigned char *data) {
  const char *d = getenv("KT_DUMP_DIR");
  if (!d) return;
  char path[512];
  static const char *short_names[] = {"sealed", "integ", "mic"};
  snprintf(path, sizeof path, "%s/%s-%s-%s.bin", d, label, short_names[kind], dir ? "s2c" : "c2s");
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(tok, 1, tl, f);
  if (kind != MIC) fwrite(data, 1, MSGLEN + g_pad, f);
  fclose(f);
}

static void hostile_messages(CtxtHandle *c, CtxtHandle *s) {
  for (int kind = SEALED; kind <= MIC; kind++) {
    for (int dir = 0; dir < 2; dir++) {
      CtxtHandle *tx = dir ? s : c, *rx = dir ? c : s;
      const char *dname = dir ? "server→client" : "client→server";
      unsigned char tok0[256], data0[MSGLEN + 1], tok[256], data[MSGLEN + 1];
      ULONG tl = 0;
      char title[160];
      unsigned long n = 0;
      /* every bit of TOKEN then DATA */
      if (!fresh(tx, kind, tok0, &tl, data0)) continue;
      dump(kind, dir, tok0, tl, data0);
      genuine_opens(rx, kind, tok0, tl, data0, "nothing");
      size_t bits = ((size_t)tl + MSGLEN) * 8;
      for (size_t bit = 0; bit < bits; bit += stride) {
        if (!fresh(tx, kind, tok0, &tl, data0)) break;
        memcpy(tok, tok0, tl);
        memcpy(data, data0, MSGLEN + 1);
        size_t byte = bit / 8;
        if (byte < tl) tok[byte] ^= (unsigned char)(1u << (bit % 8));
        else data[byte - tl] ^= (unsigned char)(1u << (bit % 8));
        SECURITY_STATUS st = consume(rx, kind, tok, tl, data, MSGLEN);
        count(st);
        n++;
        CHECK(message_refusal(st), "%s: %s %s: flip of bit %zu (%s byte %zu) → %s", label, kind_names[kind], dname, bit,
              byte < tl ? "TOKEN" : "DATA", byte < tl ? byte : byte - tl, status_name(st));
        genuine_opens(rx, kind, tok0, tl, data0, "a flip");
      }
      snprintf(title, sizeof title, "%s %s: %lu flips (TOKEN %u + DATA %u bytes)", kind_names[kind], dname, n,
               (unsigned)tl, MSGLEN);
      print_hist(title);
      /* every truncation of TOKEN, of DATA, and (wrap tokens) of the STREAM form */
      n = 0;
      size_t cstep = stride > 1 ? stride / 8 + 1 : 1;
      for (int what = 0; what < 3; what++) {
        if (what == 2 && kind == MIC) break;
        size_t whole = what == 0 ? tl : what == 1 ? MSGLEN : tl + MSGLEN + (kind == MIC ? 0 : g_pad);
        for (size_t cut = 0; cut < whole; cut += cstep) {
          if (!fresh(tx, kind, tok0, &tl, data0)) break;
          memcpy(tok, tok0, tl);
          memcpy(data, data0, MSGLEN + 1);
          SECURITY_STATUS st;
          if (what == 0) st = consume(rx, kind, tok, (ULONG)cut, data, MSGLEN);
          else if (what == 1) st = consume(rx, kind, tok, tl, data, (ULONG)cut);
          else {
            unsigned char stream[300];
            memcpy(stream, tok, tl);
            memcpy(stream + tl, data, MSGLEN + g_pad);
            st = consume_stream(rx, stream, (ULONG)cut);
          }
          count(st);
          n++;
          CHECK(message_refusal(st), "%s: %s %s: %s cut to %zu of %zu → %s", label, kind_names[kind], dname,
                what == 0 ? "TOKEN" : what == 1 ? "DATA" : "STREAM", cut, whole, status_name(st));
          genuine_opens(rx, kind, tok0, tl, data0, "a truncation");
        }
      }
      snprintf(title, sizeof title, "%s %s: %lu truncations (TOKEN, DATA%s)", kind_names[kind], dname, n,
               kind == MIC ? "" : ", STREAM");
      print_hist(title);
      /* replay, reorder, reflection */
      {
        unsigned char t1[256], d1[MSGLEN + 1], t2[256], d2[MSGLEN + 1], k1[256], kd1[MSGLEN + 1];
        ULONG l1, l2;
        SECURITY_STATUS st;
        if (!fresh(tx, kind, t1, &l1, d1)) continue;
        memcpy(k1, t1, l1);
        memcpy(kd1, d1, MSGLEN + 1);
        genuine_opens(rx, kind, t1, l1, d1, "nothing");
        st = consume(rx, kind, k1, l1, kd1, MSGLEN);
        count(st);
        CHECK(st == SEC_E_OUT_OF_SEQUENCE, "%s: %s %s: replay → %s", label, kind_names[kind], dname, status_name(st));
        if (!fresh(tx, kind, t1, &l1, d1) || !fresh(tx, kind, t2, &l2, d2)) continue;
        memcpy(k1, t2, l2);
        memcpy(kd1, d2, MSGLEN + 1);
        st = consume(rx, kind, k1, l2, kd1, MSGLEN);
        count(st);
        CHECK(st == SEC_E_OUT_OF_SEQUENCE, "%s: %s %s: reorder → %s", label, kind_names[kind], dname, status_name(st));
        genuine_opens(rx, kind, t1, l1, d1, "a reordered message");
        genuine_opens(rx, kind, t2, l2, d2, "its predecessor");
        /* reflection: a message given back to the context that made it */
        if (!fresh(tx, kind, t1, &l1, d1)) continue;
        memcpy(k1, t1, l1);
        memcpy(kd1, d1, MSGLEN + 1);
        st = consume(tx, kind, k1, l1, kd1, MSGLEN);
        count(st);
        CHECK(message_refusal(st), "%s: %s %s: reflection → %s", label, kind_names[kind], dname, status_name(st));
        genuine_opens(rx, kind, t1, l1, d1, "a reflection");
        /* the reflecting side's own stream still works */
        if (fresh(rx, kind, t1, &l1, d1)) genuine_opens(tx, kind, t1, l1, d1, "a reflection (reverse)");
        snprintf(title, sizeof title, "%s %s: replay, reorder, reflection", kind_names[kind], dname);
        print_hist(title);
      }
    }
  }
}

/* --- setup ---------------------------------------------------------------------------------- */

static const char *env(const char *name) {
  const char *v = getenv(name);
  if (!v || !*v) {
    fprintf(stderr, "kerberos_hostile: %s is not set (run c-tests/kerberos-test.sh)\n", name);
    exit(2);
  }
  return v;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
  const char *realm = env("KT_REALM"), *user = env("KT_USER"), *pw = env("KT_PASS");
  spn = env("KT_SPN");
  label = getenv("KT_LABEL") ? getenv("KT_LABEL") : "default";
  if (getenv("SECUR32_HOSTILE_STRIDE")) stride = (size_t)strtoul(getenv("SECUR32_HOSTILE_STRIDE"), NULL, 10);
  if (stride < 1) stride = 1;
  int handshakes = !getenv("KT_HANDSHAKE_FLIPS") || strcmp(getenv("KT_HANDSHAKE_FLIPS"), "0") != 0;
  double t0 = now_s();

  SEC_WINNT_AUTH_IDENTITY_A id;
  TimeStamp ts;
  memset(&id, 0, sizeof id);
  id.User = (unsigned char *)user; id.UserLength = (ULONG)strlen(user);
  id.Domain = (unsigned char *)realm; id.DomainLength = (ULONG)strlen(realm);
  id.Password = (unsigned char *)pw; id.PasswordLength = (ULONG)strlen(pw);
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &ccred, &ts),
               SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &scred, &ts),
               SEC_E_OK);

  /* the genuine handshake (tickets fetched once, then cached with the credentials) */
  outcome ref;
  run(KRB_REQ, KRB_ASC, (mutation){NONE, 0, 0}, &ref);
  if (!ref.complete || !ref.works) {
    fprintf(stderr, "kerberos_hostile [%s]: the genuine handshake failed (status %s, complete %d, works %d)\n", label,
            status_name(ref.st), ref.complete, ref.works);
    return 3;
  }
  printf("kerberos_hostile [%s]: AP-REQ %u bytes, AP-REP %u bytes\n", label, (unsigned)ref.len[0], (unsigned)ref.len[1]);

  if (handshakes) {
    hostile_leg("AP-REQ → ASC", KRB_REQ, KRB_ASC, 0);
    hostile_leg("AP-REP → ISC", KRB_REQ, KRB_ASC, 1);
    ULONG dce_i = KRB_REQ | ISC_REQ_USE_DCE_STYLE, dce_a = KRB_ASC | ASC_REQ_USE_DCE_STYLE;
    hostile_leg("DCE leg 1 (bare AP-REQ) → ASC", dce_i, dce_a, 0);
    hostile_leg("DCE leg 2 (AP-REP) → ISC", dce_i, dce_a, 1);
    hostile_leg("DCE leg 3 (client AP-REP) → ASC", dce_i, dce_a, 2);

    /* an authenticator replayed to a second server context (RFC 4120 §3.2.3 replay cache) */
    {
      static unsigned char a[TOKMAX], b[TOKMAX], keep[TOKMAX];
      CtxtHandle c, s1, s2;
      ULONG n, n2;
      CHECK_STATUS(isc_call(&c, 1, KRB_REQ, NULL, 0, a, &n), SEC_I_CONTINUE_NEEDED);
      memcpy(keep, a, n);
      CHECK_STATUS(asc_call(&s1, 1, KRB_ASC, a, n, b, &n2), SEC_E_OK);
      SECURITY_STATUS st = asc_call(&s2, 1, KRB_ASC, keep, n, b, &n2);
      count(st);
      CHECK(handshake_refusal(st), "%s: AP-REQ replayed to a second server context → %s", label, status_name(st));
      if (ok_or_continue(st)) DeleteSecurityContext(&s2);
      /* DCE style too */
      CtxtHandle c2, s3, s4;
      CHECK_STATUS(isc_call(&c2, 1, KRB_REQ | ISC_REQ_USE_DCE_STYLE, NULL, 0, a, &n), SEC_I_CONTINUE_NEEDED);
      memcpy(keep, a, n);
      CHECK_STATUS(asc_call(&s3, 1, KRB_ASC | ASC_REQ_USE_DCE_STYLE, a, n, b, &n2), SEC_I_CONTINUE_NEEDED);
      st = asc_call(&s4, 1, KRB_ASC | ASC_REQ_USE_DCE_STYLE, keep, n, b, &n2);
      count(st);
      CHECK(handshake_refusal(st), "%s: DCE AP-REQ replayed to a second server context → %s", label, status_name(st));
      if (ok_or_continue(st)) DeleteSecurityContext(&s4);
      /* the same authenticator again, with one bit flipped in the ticket's cleartext realm or
         sname (hint fields the acceptor may ignore): still the same authenticator, refused */
      static const char *hints[] = {"6e>30>a3>61>30>a1>1b:val", "6e>30>a3>61>30>a2>30>a1>30>1b:val"};
      for (int h = 0; h < 2; h++) {
        CtxtHandle c3, s5, s6;
        CHECK_STATUS(isc_call(&c3, 1, KRB_REQ, NULL, 0, a, &n), SEC_I_CONTINUE_NEEDED);
        memcpy(keep, a, n);
        CHECK_STATUS(asc_call(&s5, 1, KRB_ASC, a, n, b, &n2), SEC_E_OK);
        size_t at = 0;
        for (; at < n; at++) {
          char path[160] = "";
          der_path(keep, n, at, path, sizeof path);
          if (strstr(path, hints[h])) break;
        }
        CHECK(at < n, "%s: found %s in the AP-REQ", label, hints[h]);
        keep[at] ^= 0x01;
        st = asc_call(&s6, 1, KRB_ASC, keep, n, b, &n2);
        count(st);
        CHECK(handshake_refusal(st), "%s: AP-REQ replayed with a flipped ticket %s → %s", label, h ? "sname" : "realm",
              status_name(st));
        if (ok_or_continue(st)) DeleteSecurityContext(&s6);
        DeleteSecurityContext(&c3);
        DeleteSecurityContext(&s5);
      }
      print_hist("authenticator replayed to a second server context (framed, DCE, flipped realm, flipped sname)");
      DeleteSecurityContext(&c);
      DeleteSecurityContext(&s1);
      DeleteSecurityContext(&c2);
      DeleteSecurityContext(&s3);
    }
  }
  printf("kerberos_hostile [%s]: handshake parts %.1f s\n", label, now_s() - t0);

  /* messages on one established context pair (mutual auth: acceptor subkey) */
  {
    static unsigned char a[TOKMAX], b[TOKMAX];
    CtxtHandle c, s;
    ULONG n, n2;
    SECURITY_STATUS st = isc_call(&c, 1, KRB_REQ, NULL, 0, a, &n);
    CHECK_STATUS(st, SEC_I_CONTINUE_NEEDED);
    st = asc_call(&s, 1, KRB_ASC, a, n, b, &n2);
    CHECK_STATUS(st, SEC_E_OK);
    st = isc_call(&c, 0, KRB_REQ, b, n2, a, &n);
    CHECK_STATUS(st, SEC_E_OK);
    if (st == SEC_E_OK) hostile_messages(&c, &s);
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);
  }
  FreeCredentialsHandle(&ccred);
  FreeCredentialsHandle(&scred);
  printf("kerberos_hostile [%s]: %.1f s\n", label, now_s() - t0);
  CHECK_SUMMARY("kerberos_hostile");
}
