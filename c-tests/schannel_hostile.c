/* Schannel against a hostile peer, in process, for TLS 1.3 and TLS 1.2:
 *   - every single-bit flip of every handshake token (each in a fresh handshake) ends the
 *     handshake with a documented SEC_E_* code, unless the flipped bit lies in a field TLS says
 *     to ignore (legacy_record_version), in which case the connection must work;
 *   - every truncation of every handshake token gives SEC_E_INCOMPLETE_MESSAGE (or
 *     SEC_I_CONTINUE_NEEDED for whole records) and the handshake completes once the rest arrives;
 *   - every single-bit flip and every truncation of sealed records of 1, 100, 1000 and 16384
 *     bytes is refused by DecryptMessage (truncations: SEC_E_INCOMPLETE_MESSAGE with the
 *     SECBUFFER_MISSING count) and the context then opens the genuine record;
 *   - replayed, reordered and reflected records are refused and the context stays usable.
 * Usage: schannel_hostile SERVER.pfx PASSWORD. SECUR32_HOSTILE_STRIDE=N tries every Nth bit
 * only (for slow runs under valgrind). Exit status: 0 when every check passed. */
#define _DEFAULT_SOURCE 1
#include <stdint.h>

#include "check.h"
#include "schannel_util.h"

#define MAX_LEGS 12
#define BIG 70000

enum { NONE, FLIP, CUT };
typedef struct {
    int kind;
    int leg;
    size_t at; /* FLIP: bit index; CUT: bytes delivered first */
} mutation;

typedef struct {
    SECURITY_STATUS err; /* first failure (0: none) */
    int err_leg;
    int done;               /* both sides returned SEC_E_OK */
    int data_ok;            /* application data flows both ways afterwards */
    int field;              /* where the flipped bit lies (record_field) */
    int waiting;            /* the receiver still waits for bytes (CONTINUE, nothing to send) */
    SECURITY_STATUS cut_st; /* status for the truncated token */
    int legs;
    size_t len[MAX_LEGS];
} outcome;

static CredHandle server_cred, client_cred[2];
static const DWORD protos[2] = {SP_PROT_TLS1_3_CLIENT, SP_PROT_TLS1_2_CLIENT};
static const char *proto_names[2] = {"TLS 1.3", "TLS 1.2"};
static size_t stride = 1;

/* Histogram of refusal codes. */
static struct {
    SECURITY_STATUS s;
    unsigned long n;
} hist[32];
static void count(SECURITY_STATUS s) {
    for (int i = 0; i < 32; i++) {
        if (hist[i].n && hist[i].s == s) {
            hist[i].n++;
            return;
        }
        if (!hist[i].n) {
            hist[i].s = s;
            hist[i].n = 1;
            return;
        }
    }
}
static void print_hist(const char *what) {
    printf("  %s:", what);
    for (int i = 0; i < 32 && hist[i].n; i++) printf(" %s=%lu", status_name(hist[i].s), hist[i].n);
    printf("\n");
    memset(hist, 0, sizeof hist);
}

/* A documented refusal: a failure code, never SEC_E_INTERNAL_ERROR (a caught panic). */
static int refused(SECURITY_STATUS s) { return s < 0 && s != SEC_E_INTERNAL_ERROR; }

/* Where byte `i` of `tok` lies: a record header's version (VERSION), length (LENGTH) or, in
 * an encrypted record, outer type (OUTER_TYPE); the length of a handshake message in a
 * plaintext record (LENGTH); else BODY. */
enum { BODY, VERSION, LENGTH, OUTER_TYPE };
static int record_field(const unsigned char *tok, size_t len, size_t i) {
    size_t at = 0;
    int plain = 1; /* handshake records before ChangeCipherSpec are in the clear */
    while (at + 5 <= len) {
        size_t n = (size_t)tok[at + 3] << 8 | tok[at + 4];
        if (i == at && tok[at] == 23) return OUTER_TYPE;
        if (i == at + 1 || i == at + 2) return VERSION;
        if (i == at + 3 || i == at + 4) return LENGTH;
        if (plain && tok[at] == 22) {
            for (size_t m = at + 5; m + 4 <= at + 5 + n && m + 4 <= len;
                 m += 4 + ((size_t)tok[m + 1] << 16 | (size_t)tok[m + 2] << 8 | tok[m + 3]))
                if (i > m && i <= m + 3) return LENGTH;
        }
        plain &= tok[at] != 20;
        at += 5 + n;
    }
    return BODY;
}

/* Opens every record in buf (DATA, then EXTRA): the first failure, else SEC_E_OK. */
static SECURITY_STATUS open_all(CtxtHandle *ctx, unsigned char *buf, size_t len) {
    while (len) {
        SecBuffer b[4];
        SECURITY_STATUS s = open_rec(ctx, buf, len, b);
        if (s != SEC_E_OK && s != SEC_I_RENEGOTIATE) return s;
        if (b[3].BufferType != SECBUFFER_EXTRA) break;
        memmove(buf, b[3].pvBuffer, b[3].cbBuffer);
        len = b[3].cbBuffer;
    }
    return SEC_E_OK;
}

/* Seals `n` bytes of `msg` from `from`; opens them on `to`; 1 when they arrive intact. */
static int round_trip(CtxtHandle *from, CtxtHandle *to, const char *msg) {
    static unsigned char rec[BIG];
    size_t n = seal(from, msg, rec, 0);
    if (!n) return 0;
    SecBuffer b[4];
    if (open_rec(to, rec, n, b) != SEC_E_OK) return 0;
    return b[1].BufferType == SECBUFFER_DATA && b[1].cbBuffer == strlen(msg) &&
           !memcmp(b[1].pvBuffer, msg, strlen(msg));
}

/* One handshake between fresh contexts, with `m` applied to one token. */
static void handshake(int p, mutation m, outcome *o, side_t *cl, side_t *sv) {
    static unsigned char in[2][BIG], tok[BIG], out[BIG];
    ULONG inlen[2] = {0, 0}, toklen = 0, outlen;
    side_t *sides[2] = {cl, sv};
    SECURITY_STATUS st[2];
    memset(o, 0, sizeof *o);
    *cl = (side_t){client_cred[p], {0, 0}, 0, 0};
    *sv = (side_t){server_cred, {0, 0}, 0, 0};
    st[0] = step(cl, 0, in[0], &inlen[0], tok, &toklen, "localhost", NULL, 0);
    st[1] = SEC_I_CONTINUE_NEEDED;
    if (st[0] != SEC_I_CONTINUE_NEEDED) {
        o->err = st[0];
        return;
    }
    int to = 1;
    for (int leg = 0; leg < MAX_LEGS && toklen; leg++) {
        int mine = m.leg == leg;
        size_t first = toklen;
        /* This run's token may be shorter than the genuine run's: then the run doesn't count. */
        if (mine && m.at >= (m.kind == FLIP ? toklen * 8 : toklen)) return;
        o->legs = leg + 1;
        o->len[leg] = toklen;
        if (mine && m.kind == FLIP) {
            o->field = record_field(tok, toklen, m.at / 8);
            tok[m.at / 8] ^= (unsigned char)(1u << (m.at % 8));
        }
        if (mine && m.kind == CUT) first = m.at;
        if (st[to] == SEC_E_OK) {
            /* Established: post-handshake records go through DecryptMessage. */
            memcpy(in[to], tok, toklen);
            SECURITY_STATUS s = open_all(&sides[to]->ctx, in[to], toklen);
            if (s != SEC_E_OK) {
                o->err = s;
                o->err_leg = leg;
                return;
            }
            toklen = 0;
            break;
        }
        memcpy(in[to] + inlen[to], tok, first);
        inlen[to] += (ULONG)first;
        ULONG early = 0; /* output for the records that had arrived whole (TLS 1.3: CCS) */
        if (first < toklen) {
            o->cut_st = step(sides[to], to, in[to], &inlen[to], out, &early, "localhost", NULL, 0);
            if (o->cut_st != SEC_E_INCOMPLETE_MESSAGE && o->cut_st != SEC_I_CONTINUE_NEEDED) {
                o->err = o->cut_st ? o->cut_st : -1;
                o->err_leg = leg;
                return;
            }
            memcpy(in[to] + inlen[to], tok + first, toklen - first);
            inlen[to] += (ULONG)(toklen - first);
        }
        st[to] = step(sides[to], to, in[to], &inlen[to], out + early, &outlen, "localhost", NULL, 0);
        if (st[to] != SEC_E_OK && st[to] != SEC_I_CONTINUE_NEEDED) {
            o->err = st[to];
            o->err_leg = leg;
            return;
        }
        toklen = early + outlen;
        memcpy(tok, out, toklen);
        to = !to;
    }
    o->done = st[0] == SEC_E_OK && st[1] == SEC_E_OK;
    o->waiting = !o->done;
    if (o->done)
        o->data_ok = round_trip(&cl->ctx, &sv->ctx, "ping") && round_trip(&sv->ctx, &cl->ctx, "pong");
}

static void end(side_t *cl, side_t *sv) {
    DeleteSecurityContext(&cl->ctx);
    DeleteSecurityContext(&sv->ctx);
}

static void handshake_tokens(int p) {
    side_t cl, sv;
    outcome base, o;
    handshake(p, (mutation){NONE, -1, 0}, &base, &cl, &sv);
    end(&cl, &sv);
    CHECK(base.done && base.data_ok && !base.err, "%s: genuine handshake: %s", proto_names[p],
          status_name(base.err));
    if (!base.done) return;
    printf("%s: handshake tokens", proto_names[p]);
    for (int l = 0; l < base.legs; l++) printf(" %zu", base.len[l]);
    printf(" bytes\n");
    unsigned long flips = 0, cuts = 0, ignored = 0, waiting = 0;
    for (int leg = 0; leg < base.legs; leg++) {
        for (size_t bit = leg % stride; bit < base.len[leg] * 8; bit += stride) {
            handshake(p, (mutation){FLIP, leg, bit}, &o, &cl, &sv);
            end(&cl, &sv);
            if (o.legs <= leg) continue; /* this run's token was shorter */
            flips++;
            if (refused(o.err)) {
                count(o.err);
            } else if (o.done && o.data_ok && (o.field == VERSION || o.field == OUTER_TYPE)) {
                ignored++; /* rustls builds the handshake AEAD's additional data itself */
            } else if (o.waiting && o.field == LENGTH) {
                waiting++; /* a length now runs past the data sent: nothing to decide yet */
            } else {
                CHECK(0, "%s: flip leg %d bit %zu: status %s, done %d, data %d", proto_names[p],
                      leg, bit, status_name(o.err), o.done, o.data_ok);
                continue;
            }
            g_pass++;
        }
        for (size_t cut = 1; cut < base.len[leg]; cut += stride) {
            handshake(p, (mutation){CUT, leg, cut}, &o, &cl, &sv);
            end(&cl, &sv);
            if (o.legs <= leg) continue;
            cuts++;
            CHECK(!o.err && o.done && o.data_ok, "%s: leg %d cut at %zu: %s then %s, done %d",
                  proto_names[p], leg, cut, status_name(o.cut_st), status_name(o.err), o.done);
        }
    }
    printf("%s: %lu handshake bit flips (%lu in a record's version or encrypted record's outer "
           "type, ignored; %lu in a length, receiver waiting for more), %lu truncations\n",
           proto_names[p], flips, ignored, waiting, cuts);
    print_hist("handshake refusals");
}

/* Sealed records: flips, truncations, replay, reorder, reflection. */
static void records(int p) {
    side_t cl, sv;
    outcome o;
    handshake(p, (mutation){NONE, -1, 0}, &o, &cl, &sv);
    CHECK(o.done && o.data_ok, "%s: handshake for records", proto_names[p]);
    if (!o.done) return;
    static const size_t sizes[] = {1, 100, 1000, 16384};
    static char msg[16385];
    static unsigned char rec[BIG], bad[BIG];
    unsigned long flips = 0, cuts = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        for (size_t i = 0; i < n; i++) msg[i] = (char)('a' + (i * 7 + k) % 26);
        msg[n] = 0;
        size_t len = seal(&cl.ctx, msg, rec, 0);
        SecBuffer b[4];
        CHECK(len > n && open_rec(&sv.ctx, rec, len, b) == SEC_E_OK, "%s: %zu-byte record",
              proto_names[p], n);
        if (!len) return;
        for (size_t bit = k % stride; bit < len * 8; bit += stride) {
            /* Alternate directions so both contexts see forgeries. */
            CtxtHandle *from = bit & 1 ? &sv.ctx : &cl.ctx, *to = bit & 1 ? &cl.ctx : &sv.ctx;
            len = seal(from, msg, rec, 0);
            memcpy(bad, rec, len);
            bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            SECURITY_STATUS s = open_rec(to, bad, len, b);
            flips++;
            if (refused(s)) {
                count(s);
            } else {
                CHECK(0, "%s: %zu-byte record, bit %zu flipped: %s", proto_names[p], n, bit,
                      status_name(s));
                continue;
            }
            s = open_rec(to, rec, len, b);
            CHECK(s == SEC_E_OK && b[1].cbBuffer == n && !memcmp(b[1].pvBuffer, msg, n),
                  "%s: %zu-byte record after flip %zu: %s", proto_names[p], n, bit,
                  status_name(s));
        }
        for (size_t cut = k % stride; cut < len; cut += stride) {
            len = seal(&cl.ctx, msg, rec, 0);
            memcpy(bad, rec, cut);
            SECURITY_STATUS s = open_rec(&sv.ctx, bad, cut, b);
            ULONG missing = 0;
            for (int i = 0; i < 4; i++)
                if (b[i].BufferType == SECBUFFER_MISSING) missing = b[i].cbBuffer;
            size_t want = cut < 5 ? 5 - cut : len - cut;
            cuts++;
            CHECK(s == SEC_E_INCOMPLETE_MESSAGE && missing == want,
                  "%s: %zu-byte record cut at %zu: %s, missing %u (want %zu)", proto_names[p], n,
                  cut, status_name(s), (unsigned)missing, want);
            s = open_rec(&sv.ctx, rec, len, b);
            CHECK(s == SEC_E_OK && b[1].cbBuffer == n && !memcmp(b[1].pvBuffer, msg, n),
                  "%s: %zu-byte record after cut %zu: %s", proto_names[p], n, cut,
                  status_name(s));
        }
    }
    printf("%s: %lu record bit flips, %lu record truncations\n", proto_names[p], flips, cuts);
    print_hist("record refusals");

    /* Replay: a record opened once is refused the second time. */
    static unsigned char r1[256], r2[256];
    size_t n1 = seal(&cl.ctx, "once", r1, 0);
    memcpy(r2, r1, n1);
    SecBuffer b[4];
    CHECK(open_rec(&sv.ctx, r1, n1, b) == SEC_E_OK, "%s: replay: first delivery", proto_names[p]);
    SECURITY_STATUS s = open_rec(&sv.ctx, r2, n1, b);
    CHECK(s == SEC_E_DECRYPT_FAILURE, "%s: replayed record: %s", proto_names[p], status_name(s));
    CHECK(round_trip(&cl.ctx, &sv.ctx, "after replay"), "%s: usable after replay", proto_names[p]);
    /* Reorder: the second record first is refused; then both open in order. */
    n1 = seal(&cl.ctx, "one", r1, 0);
    size_t n2 = seal(&cl.ctx, "two", r2, 0);
    static unsigned char c2[256];
    memcpy(c2, r2, n2);
    s = open_rec(&sv.ctx, c2, n2, b);
    CHECK(s == SEC_E_DECRYPT_FAILURE, "%s: out-of-order record: %s", proto_names[p],
          status_name(s));
    CHECK(open_rec(&sv.ctx, r1, n1, b) == SEC_E_OK && b[1].cbBuffer == 3 &&
              !memcmp(b[1].pvBuffer, "one", 3),
          "%s: reorder: first record", proto_names[p]);
    CHECK(open_rec(&sv.ctx, r2, n2, b) == SEC_E_OK && b[1].cbBuffer == 3 &&
              !memcmp(b[1].pvBuffer, "two", 3),
          "%s: reorder: second record", proto_names[p]);
    /* Reflection: a client record handed back to the client. */
    n1 = seal(&cl.ctx, "mirror", r1, 0);
    s = open_rec(&cl.ctx, r1, n1, b);
    CHECK(refused(s), "%s: reflected record: %s", proto_names[p], status_name(s));
    CHECK(round_trip(&sv.ctx, &cl.ctx, "after reflection"), "%s: usable after reflection",
          proto_names[p]);
    end(&cl, &sv);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: schannel_hostile SERVER.pfx PASSWORD\n");
        return 2;
    }
    const char *e = getenv("SECUR32_HOSTILE_STRIDE");
    if (e && atoi(e) > 0) stride = (size_t)atoi(e);
    HCERTSTORE store;
    PCCERT_CONTEXT cert = load_pfx(argv[1], argv[2], &store);
    CHECK(cert != NULL, "load %s", argv[1]);
    if (!cert) return 1;
    CHECK_STATUS(acquire(&server_cred, SECPKG_CRED_INBOUND, cert, 0, 0), SEC_E_OK);
    for (int p = 0; p < 2; p++)
        CHECK_STATUS(acquire(&client_cred[p], SECPKG_CRED_OUTBOUND, NULL, protos[p],
                             SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS |
                                 SCH_CRED_DISABLE_RECONNECTS),
                     SEC_E_OK);
    for (int p = 0; p < 2; p++) {
        handshake_tokens(p);
        records(p);
    }
    FreeCredentialsHandle(&client_cred[0]);
    FreeCredentialsHandle(&client_cred[1]);
    FreeCredentialsHandle(&server_cred);
    CertFreeCertificateContext(cert);
    CertCloseStore(store, 0);
    CHECK_SUMMARY("schannel_hostile");
}
