/* Schannel through the C exports, written as Windows Schannel code is written.
 *
 *   schannel loopback SERVER.pfx PASSWORD          in-process client <-> server checks
 *   schannel client PORT HOST [options]            against openssl s_server
 *   schannel server PORT SERVER.pfx PASSWORD [--mutual]   for openssl s_client / curl
 *
 * client options: --tls12 --tls13 --alpn LIST(comma) --cert PFX --chunk N --expect NAME
 *                 --manual --read-until TEXT --want-renegotiate --send TEXT
 * Each check prints "PASS name" or "FAIL name: why"; the exit status is the failure count. */
#define _DEFAULT_SOURCE 1
#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "security.h"
#include "schannel.h"
#include "wincrypt.h"
#include "schannel_util.h"

/* Windows x64 layouts. */
#if defined(__x86_64__) || defined(__aarch64__)
#include <stddef.h>
_Static_assert(sizeof(SCHANNEL_CRED) == 80, "SCHANNEL_CRED");
_Static_assert(offsetof(SCHANNEL_CRED, grbitEnabledProtocols) == 56, "grbitEnabledProtocols");
_Static_assert(offsetof(SCHANNEL_CRED, dwFlags) == 72, "SCHANNEL_CRED.dwFlags");
_Static_assert(sizeof(SCH_CREDENTIALS) == 72, "SCH_CREDENTIALS");
_Static_assert(offsetof(SCH_CREDENTIALS, pTlsParameters) == 64, "pTlsParameters");
_Static_assert(sizeof(TLS_PARAMETERS) == 40, "TLS_PARAMETERS");
_Static_assert(sizeof(CERT_CONTEXT) == 40, "CERT_CONTEXT");
_Static_assert(offsetof(CERT_CONTEXT, pCertInfo) == 24, "pCertInfo");
_Static_assert(sizeof(CERT_INFO) == 208, "CERT_INFO");
_Static_assert(offsetof(CERT_INFO, NotBefore) == 64, "NotBefore");
_Static_assert(offsetof(CERT_INFO, SubjectPublicKeyInfo) == 96, "SubjectPublicKeyInfo");
_Static_assert(offsetof(CERT_INFO, rgExtension) == 200, "rgExtension");
_Static_assert(sizeof(SecPkgContext_ConnectionInfo) == 28, "ConnectionInfo");
_Static_assert(sizeof(SecPkgContext_CipherInfo) == 680, "CipherInfo");
_Static_assert(sizeof(SecPkgContext_ApplicationProtocol) == 264, "ApplicationProtocol");
_Static_assert(sizeof(SecPkgContext_SessionInfo) == 40, "SessionInfo");
#endif

static int failures;
static int checks;

/* Counts heap allocations while `counting` is set: the executable's malloc interposes on
 * libc's for the library too (glibc). Not under AddressSanitizer or ThreadSanitizer, whose
 * malloc must be the one in force. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZE_MALLOC 1
#endif
#endif
#if defined(__GLIBC__) && !defined(SANITIZE_MALLOC)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static volatile int counting;
static volatile long allocations;
void *malloc(size_t n) {
    if (counting) __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
    if (counting) __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
    if (counting) __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}
#define ALLOC_COUNTING 1
#endif

#define CHECK(cond, name, ...)                                                                     \
    do {                                                                                           \
        checks++;                                                                                  \
        if (cond) {                                                                                \
            printf("PASS %s\n", name);                                                             \
        } else {                                                                                   \
            failures++;                                                                            \
            printf("FAIL %s: ", name);                                                             \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* A TLS connection over a socket */

typedef struct {
    int fd;
    int server;
    CredHandle cred;
    CtxtHandle ctx;
    int have_ctx;
    SecPkgContext_StreamSizes sizes;
    unsigned char in[65536];
    size_t inlen;
    size_t chunk;          /* read at most this many bytes at a time (byte-at-a-time tests) */
    int incomplete_seen;   /* SEC_E_INCOMPLETE_MESSAGE with a SECBUFFER_MISSING count */
    int renegotiations;    /* SEC_I_RENEGOTIATE from DecryptMessage */
    int incomplete_creds;  /* SEC_I_INCOMPLETE_CREDENTIALS from ISC */
    ULONG req;
    const char *target;
    unsigned char alpn[256];
    unsigned long alpn_len;
} conn_t;

/* Whether a WCHAR[] field holds exactly the ASCII string `a`, NUL-terminated. */
static int wide_is(const SEC_WCHAR *w, const char *a) {
    size_t i = 0;
    for (; a[i]; i++)
        if (w[i] != (SEC_WCHAR)(unsigned char)a[i]) return 0;
    return w[i] == 0;
}

/* A TCP connection to 127.0.0.1:port, or -1. */
static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

static int send_all(int fd, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int read_more(conn_t *c) {
    size_t room = sizeof c->in - c->inlen;
    if (c->chunk && room > c->chunk) room = c->chunk;
    ssize_t k = recv(c->fd, c->in + c->inlen, room, 0);
    if (k <= 0) return -1;
    c->inlen += (size_t)k;
    return 0;
}

/* Keeps the SECBUFFER_EXTRA bytes (at the end of the input) for the next call. */
static void keep_extra(conn_t *c, SecBuffer *extra) {
    if (extra->BufferType == SECBUFFER_EXTRA && extra->cbBuffer > 0) {
        memmove(c->in, c->in + (c->inlen - extra->cbBuffer), extra->cbBuffer);
        c->inlen = extra->cbBuffer;
    } else {
        c->inlen = 0;
    }
}

static SECURITY_STATUS handshake(conn_t *c) {
    SECURITY_STATUS s;
    ULONG attrs;
    TimeStamp expiry;
    int do_read = c->server;
    c->req |= (c->server ? (ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT |
                            ASC_REQ_CONFIDENTIALITY | ASC_REQ_EXTENDED_ERROR |
                            ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM)
                         : (ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT |
                            ISC_REQ_CONFIDENTIALITY | ISC_REQ_EXTENDED_ERROR |
                            ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM));
    if (!c->server) {
        /* First call: no token; the ALPN list if any. */
        SecBuffer ib[1] = {{(ULONG)c->alpn_len, SECBUFFER_APPLICATION_PROTOCOLS, c->alpn}};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, ib};
        SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
        s = InitializeSecurityContextA(&c->cred, NULL, (SEC_CHAR *)c->target, c->req, 0, 0,
                                       c->alpn_len ? &id : NULL, 0, &c->ctx, &od, &attrs, &expiry);
        if (s != SEC_I_CONTINUE_NEEDED) return s;
        c->have_ctx = 1;
        if (ob[0].cbBuffer && send_all(c->fd, ob[0].pvBuffer, ob[0].cbBuffer)) return -1;
        FreeContextBuffer(ob[0].pvBuffer);
        do_read = 1;
    }
    s = SEC_I_CONTINUE_NEEDED;
    while (s == SEC_I_CONTINUE_NEEDED || s == SEC_E_INCOMPLETE_MESSAGE ||
           s == SEC_I_INCOMPLETE_CREDENTIALS) {
        if (c->inlen == 0 || s == SEC_E_INCOMPLETE_MESSAGE) {
            if (do_read && read_more(c)) return -2;
        }
        do_read = 1;
        SecBuffer ib[3] = {{(ULONG)c->inlen, SECBUFFER_TOKEN, c->in},
                           {0, SECBUFFER_EMPTY, NULL},
                           {(ULONG)c->alpn_len, SECBUFFER_APPLICATION_PROTOCOLS, c->alpn}};
        SecBufferDesc id = {SECBUFFER_VERSION, c->alpn_len ? 3 : 2, ib};
        SecBuffer ob[2] = {{0, SECBUFFER_TOKEN, NULL}, {0, SECBUFFER_ALERT, NULL}};
        SecBufferDesc od = {SECBUFFER_VERSION, 2, ob};
        if (c->server)
            s = AcceptSecurityContext(&c->cred, c->have_ctx ? &c->ctx : NULL, &id, c->req, 0,
                                      &c->ctx, &od, &attrs, &expiry);
        else
            s = InitializeSecurityContextA(&c->cred, &c->ctx, (SEC_CHAR *)c->target, c->req, 0,
                                           0, &id, 0, NULL, &od, &attrs, &expiry);
        if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED || s == SEC_I_INCOMPLETE_CREDENTIALS)
            c->have_ctx = 1;
        if ((s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) && ob[0].cbBuffer) {
            if (send_all(c->fd, ob[0].pvBuffer, ob[0].cbBuffer)) return -1;
        }
        FreeContextBuffer(ob[0].pvBuffer);
        if (s < 0 && s != SEC_E_INCOMPLETE_MESSAGE && ob[1].cbBuffer) {
            /* The fatal alert Schannel returned in SECBUFFER_ALERT. */
            send_all(c->fd, ob[1].pvBuffer, ob[1].cbBuffer);
            printf("ALERT_SENT %u bytes\n", (unsigned)ob[1].cbBuffer);
        }
        if (ob[1].cbBuffer) FreeContextBuffer(ob[1].pvBuffer);
        if (s == SEC_E_INCOMPLETE_MESSAGE) {
            if (ib[1].BufferType == SECBUFFER_MISSING && ib[1].cbBuffer > 0) c->incomplete_seen++;
            continue;
        }
        if (s == SEC_I_INCOMPLETE_CREDENTIALS) {
            /* No client certificate: go on without one, same input (as Microsoft's sample). */
            c->incomplete_creds++;
            c->req |= ISC_REQ_USE_SUPPLIED_CREDS;
            do_read = 0;
            continue;
        }
        if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) keep_extra(c, &ib[1]);
    }
    if (s == SEC_E_OK) QueryContextAttributesA(&c->ctx, SECPKG_ATTR_STREAM_SIZES, &c->sizes);
    return s;
}

static SECURITY_STATUS tls_send(conn_t *c, const void *data, size_t n) {
    unsigned char buf[16384 + 64];
    if (n > c->sizes.cbMaximumMessage) return SEC_E_BUFFER_TOO_SMALL;
    memcpy(buf + c->sizes.cbHeader, data, n);
    SecBuffer b[4] = {{c->sizes.cbHeader, SECBUFFER_STREAM_HEADER, buf},
                      {(ULONG)n, SECBUFFER_DATA, buf + c->sizes.cbHeader},
                      {c->sizes.cbTrailer, SECBUFFER_STREAM_TRAILER, buf + c->sizes.cbHeader + n},
                      {0, SECBUFFER_EMPTY, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    SECURITY_STATUS s = EncryptMessage(&c->ctx, 0, &d, 0);
    if (s != SEC_E_OK) return s;
    if (send_all(c->fd, buf, b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer)) return -1;
    return SEC_E_OK;
}

/* Reads application data into out (NUL-terminated). SEC_I_CONTEXT_EXPIRED at close_notify. */
static SECURITY_STATUS tls_recv(conn_t *c, char *out, size_t cap, size_t *got) {
    *got = 0;
    for (;;) {
        if (c->inlen == 0 && read_more(c)) return -2;
        SecBuffer b[4] = {{(ULONG)c->inlen, SECBUFFER_DATA, c->in},
                          {0, SECBUFFER_EMPTY, NULL},
                          {0, SECBUFFER_EMPTY, NULL},
                          {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
        SECURITY_STATUS s = DecryptMessage(&c->ctx, &d, 0, NULL);
        if (s == SEC_E_INCOMPLETE_MESSAGE) {
            if (b[0].BufferType == SECBUFFER_MISSING) c->incomplete_seen++;
            if (read_more(c)) return -2;
            continue;
        }
        if (s != SEC_E_OK && s != SEC_I_RENEGOTIATE && s != SEC_I_CONTEXT_EXPIRED) return s;
        SecBuffer *data = NULL, *extra = NULL;
        for (int i = 0; i < 4; i++) {
            if (b[i].BufferType == SECBUFFER_DATA) data = &b[i];
            if (b[i].BufferType == SECBUFFER_EXTRA) extra = &b[i];
        }
        if (data && data->cbBuffer) {
            size_t k = data->cbBuffer < cap - 1 - *got ? data->cbBuffer : cap - 1 - *got;
            memcpy(out + *got, data->pvBuffer, k);
            *got += k;
            out[*got] = 0;
        }
        if (extra) {
            memmove(c->in, extra->pvBuffer, extra->cbBuffer);
            c->inlen = extra->cbBuffer;
        } else {
            c->inlen = 0;
        }
        if (s == SEC_I_CONTEXT_EXPIRED) return s;
        if (s == SEC_I_RENEGOTIATE) {
            /* TLS 1.3 post-handshake message: hand the rest to ISC/ASC, as on Windows. */
            c->renegotiations++;
            SecBuffer ib[2] = {{(ULONG)c->inlen, SECBUFFER_TOKEN, c->in}, {0, SECBUFFER_EMPTY, NULL}};
            SecBufferDesc id = {SECBUFFER_VERSION, 2, ib};
            SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
            SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
            ULONG attrs;
            TimeStamp ts;
            SECURITY_STATUS r =
                c->server ? AcceptSecurityContext(&c->cred, &c->ctx, &id, c->req, 0, NULL, &od,
                                                  &attrs, &ts)
                          : InitializeSecurityContextA(&c->cred, &c->ctx, (SEC_CHAR *)c->target,
                                                       c->req, 0, 0, &id, 0, NULL, &od, &attrs, &ts);
            if (r != SEC_E_OK) return r;
            if (ob[0].cbBuffer) send_all(c->fd, ob[0].pvBuffer, ob[0].cbBuffer);
            FreeContextBuffer(ob[0].pvBuffer);
            keep_extra(c, &ib[1]);
        }
        if (*got) return SEC_E_OK;
    }
}

static SECURITY_STATUS tls_shutdown(conn_t *c) {
    DWORD type = SCHANNEL_SHUTDOWN;
    SecBuffer b[1] = {{sizeof type, SECBUFFER_TOKEN, &type}};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
    SECURITY_STATUS s = ApplyControlToken(&c->ctx, &d);
    if (s != SEC_E_OK) return s;
    SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
    ULONG attrs;
    TimeStamp ts;
    s = c->server ? AcceptSecurityContext(&c->cred, &c->ctx, NULL, c->req, 0, NULL, &od, &attrs,
                                          &ts)
                  : InitializeSecurityContextA(&c->cred, &c->ctx, (SEC_CHAR *)c->target, c->req,
                                               0, 0, NULL, 0, NULL, &od, &attrs, &ts);
    if (s == SEC_E_OK && ob[0].cbBuffer) send_all(c->fd, ob[0].pvBuffer, ob[0].cbBuffer);
    FreeContextBuffer(ob[0].pvBuffer);
    return s;
}

/* SEC_APPLICATION_PROTOCOLS for a comma-separated list. */
static void build_alpn(conn_t *c, const char *list) {
    unsigned char *p = c->alpn;
    unsigned char ids[200];
    size_t n = 0;
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        ids[n++] = (unsigned char)l;
        memcpy(ids + n, s, l);
        n += l;
        s += l + (e ? 1 : 0);
    }
    ULONG lists = (ULONG)(4 + 2 + n);
    DWORD ext = SecApplicationProtocolNegotiationExt_ALPN;
    USHORT ln = (USHORT)n;
    memcpy(p, &lists, 4);
    memcpy(p + 4, &ext, 4);
    memcpy(p + 8, &ln, 2);
    memcpy(p + 10, ids, n);
    c->alpn_len = 10 + n;
}

/* ---------------------------------------------------------------------------------------- */
/* client mode */

static int run_client(int argc, char **argv) {
    int port = atoi(argv[2]);
    conn_t *c = calloc(1, sizeof *c);
    c->target = argv[3];
    DWORD protocols = 0, flags = 0;
    const char *expect = "SEC_E_OK", *cert = NULL, *pw = "test", *until = NULL;
    const char *send_text = "ping from schannel client\n";
    int want_reneg = 0, want_close = 0;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--tls12")) protocols |= SP_PROT_TLS1_2_CLIENT;
        else if (!strcmp(argv[i], "--tls13")) protocols |= SP_PROT_TLS1_3_CLIENT;
        else if (!strcmp(argv[i], "--alpn")) build_alpn(c, argv[++i]);
        else if (!strcmp(argv[i], "--cert")) cert = argv[++i];
        else if (!strcmp(argv[i], "--chunk")) c->chunk = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--expect")) expect = argv[++i];
        else if (!strcmp(argv[i], "--manual")) flags |= SCH_CRED_MANUAL_CRED_VALIDATION;
        else if (!strcmp(argv[i], "--read-until")) until = argv[++i];
        else if (!strcmp(argv[i], "--want-renegotiate")) want_reneg = 1;
        else if (!strcmp(argv[i], "--expect-close")) want_close = 1;
        else if (!strcmp(argv[i], "--send")) send_text = argv[++i];
    }
    HCERTSTORE store = NULL;
    PCCERT_CONTEXT cc = NULL;
    if (cert) {
        cc = load_pfx(cert, pw, &store);
        CHECK(cc != NULL, "client: PFXImportCertStore", "no certificate");
    }
    SECURITY_STATUS s = acquire(&c->cred, SECPKG_CRED_OUTBOUND, cc, protocols, flags);
    CHECK(s == SEC_E_OK, "client: AcquireCredentialsHandle", "%s", status_name(s));
    c->fd = connect_loopback(port);
    if (c->fd < 0) {
        CHECK(0, "client: connect", "refused");
        return failures;
    }
    s = handshake(c);
    SECURITY_STATUS want = status_from_name(expect);
    CHECK(s == want, "client: handshake status", "got %s, want %s", status_name(s), expect);
    if (s != SEC_E_OK && c->have_ctx) {
        /* A failed context stays failed. */
        SecBuffer ib[2] = {{0, SECBUFFER_TOKEN, c->in}, {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc id = {SECBUFFER_VERSION, 2, ib};
        SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
        ULONG attrs;
        TimeStamp ts;
        SECURITY_STATUS again = InitializeSecurityContextA(&c->cred, &c->ctx, (SEC_CHAR *)c->target,
                                                           c->req, 0, 0, &id, 0, NULL, &od, &attrs,
                                                           &ts);
        CHECK(again == s, "client: failed context stays failed", "%s", status_name(again));
        DeleteSecurityContext(&c->ctx);
    }
    if (s != SEC_E_OK) {
        close(c->fd);
        return failures;
    }
    printf("HANDSHAKE_OK\n");
    fflush(stdout);
    if (c->chunk == 1) CHECK(c->incomplete_seen > 0, "client: INCOMPLETE/MISSING loop", "none");
    if (cert == NULL && c->incomplete_creds) printf("INCOMPLETE_CREDENTIALS_SEEN\n");
    SecPkgContext_ConnectionInfo ci;
    s = QueryContextAttributesA(&c->ctx, SECPKG_ATTR_CONNECTION_INFO, &ci);
    CHECK(s == SEC_E_OK, "client: CONNECTION_INFO", "%s", status_name(s));
    printf("PROTOCOL 0x%x\n", (unsigned)ci.dwProtocol);
    if (protocols == SP_PROT_TLS1_2_CLIENT)
        CHECK(ci.dwProtocol == SP_PROT_TLS1_2_CLIENT, "client: TLS 1.2 negotiated", "0x%x",
              (unsigned)ci.dwProtocol);
    if (protocols == SP_PROT_TLS1_3_CLIENT)
        CHECK(ci.dwProtocol == SP_PROT_TLS1_3_CLIENT, "client: TLS 1.3 negotiated", "0x%x",
              (unsigned)ci.dwProtocol);
    SecPkgContext_ApplicationProtocol ap;
    s = QueryContextAttributesA(&c->ctx, SECPKG_ATTR_APPLICATION_PROTOCOL, &ap);
    if (s == SEC_E_OK && ap.ProtoNegoStatus == SecApplicationProtocolNegotiationStatus_Success)
        printf("ALPN %.*s\n", ap.ProtocolIdSize, (char *)ap.ProtocolId);
    PCCERT_CONTEXT remote = NULL;
    s = QueryContextAttributesA(&c->ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &remote);
    CHECK(s == SEC_E_OK && remote, "client: REMOTE_CERT_CONTEXT", "%s", status_name(s));
    if (remote) {
        char name[256];
        CertGetNameStringA(remote, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, NULL, name, sizeof name);
        printf("PEER %s\n", name);
        CertFreeCertificateContext(remote);
    }
    s = tls_send(c, send_text, strlen(send_text));
    CHECK(s == SEC_E_OK, "client: EncryptMessage", "%s", status_name(s));
    if (until) {
        static char acc[65536];
        size_t total = 0;
        while (!strstr(acc, until)) {
            char buf[16384];
            size_t got;
            s = tls_recv(c, buf, sizeof buf, &got);
            if (s != SEC_E_OK) break;
            if (total + got < sizeof acc - 1) {
                memcpy(acc + total, buf, got);
                total += got;
                acc[total] = 0;
            }
        }
        CHECK(strstr(acc, until) != NULL, "client: DecryptMessage stream", "%s after %zu bytes",
              status_name(s), total);
        if (want_reneg)
            CHECK(c->renegotiations > 0, "client: KeyUpdate -> SEC_I_RENEGOTIATE", "none seen");
        /* The stream goes on under the new key. */
        s = tls_send(c, "after key update\n", 17);
        CHECK(s == SEC_E_OK, "client: EncryptMessage after", "%s", status_name(s));
        if (want_close) {
            char buf[16384];
            size_t got;
            do {
                s = tls_recv(c, buf, sizeof buf, &got);
            } while (s == SEC_E_OK);
            CHECK(s == SEC_I_CONTEXT_EXPIRED, "client: peer close_notify -> SEC_I_CONTEXT_EXPIRED",
                  "%s", status_name(s));
        }
    }
    s = tls_shutdown(c);
    CHECK(s == SEC_E_OK, "client: shutdown (close_notify)", "%s", status_name(s));
    usleep(200000);
    DeleteSecurityContext(&c->ctx);
    FreeCredentialsHandle(&c->cred);
    if (cc) CertFreeCertificateContext(cc);
    if (store) CertCloseStore(store, 0);
    close(c->fd);
    free(c);
    return failures;
}

/* reconnect mode: two connections on one credential to `openssl s_server -www`; the
 * second resumes the first's session. */
static int run_reconnect(int argc, char **argv) {
    int port = atoi(argv[2]);
    DWORD protocols = argc > 4 && !strcmp(argv[4], "--tls12") ? SP_PROT_TLS1_2_CLIENT : 0;
    CredHandle cred;
    SECURITY_STATUS s = acquire(&cred, SECPKG_CRED_OUTBOUND, NULL, protocols, 0);
    CHECK(s == SEC_E_OK, "reconnect: AcquireCredentialsHandle", "%s", status_name(s));
    for (int round = 0; round < 2; round++) {
        conn_t *c = calloc(1, sizeof *c);
        c->cred = cred;
        c->target = argv[3];
        c->fd = connect_loopback(port);
        if (c->fd < 0) {
            CHECK(0, "reconnect: connect", "refused");
            return failures;
        }
        s = handshake(c);
        CHECK(s == SEC_E_OK, round ? "reconnect: second handshake" : "reconnect: first handshake",
              "%s", status_name(s));
        if (s != SEC_E_OK) return failures;
        SecPkgContext_SessionInfo si;
        s = QueryContextAttributesA(&c->ctx, SECPKG_ATTR_SESSION_INFO, &si);
        const char *get = "GET / HTTP/1.0\r\n\r\n";
        tls_send(c, get, strlen(get));
        static char page[65536];
        size_t total = 0;
        for (;;) {
            char buf[16384];
            size_t got;
            SECURITY_STATUS r = tls_recv(c, buf, sizeof buf, &got);
            if (r != SEC_E_OK) break;
            if (total + got < sizeof page - 1) {
                memcpy(page + total, buf, got);
                total += got;
                page[total] = 0;
            }
        }
        if (round == 0)
            CHECK(s == SEC_E_OK && !(si.dwFlags & SSL_SESSION_RECONNECT) && strstr(page, "New, "),
                  "reconnect: first connection is new", "flags %u", (unsigned)si.dwFlags);
        else
            CHECK(s == SEC_E_OK && (si.dwFlags & SSL_SESSION_RECONNECT) && strstr(page, "Reused, "),
                  "reconnect: second connection resumes", "flags %u, page %s", (unsigned)si.dwFlags,
                  strstr(page, "Reused") ? "reused" : "new");
        tls_shutdown(c);
        DeleteSecurityContext(&c->ctx);
        close(c->fd);
        free(c);
    }
    FreeCredentialsHandle(&cred);
    return failures;
}

/* ---------------------------------------------------------------------------------------- */
/* server mode: one connection; echoes a line, or answers one HTTP request */

static int run_server(int argc, char **argv) {
    int port = atoi(argv[2]);
    HCERTSTORE store;
    PCCERT_CONTEXT cert = load_pfx(argv[3], argv[4], &store);
    CHECK(cert != NULL, "server: PFXImportCertStore", "failed");
    if (!cert) return failures;
    conn_t *c = calloc(1, sizeof *c);
    c->server = 1;
    int want_close = 0, want_reneg = 0;
    const char *until = "\n";
    for (int i = 5; i < argc; i++) {
        if (!strcmp(argv[i], "--mutual")) c->req |= ASC_REQ_MUTUAL_AUTH;
        if (!strcmp(argv[i], "--expect-close")) want_close = 1;
        if (!strcmp(argv[i], "--want-renegotiate")) want_reneg = 1;
        if (!strcmp(argv[i], "--read-until") && i + 1 < argc) until = argv[++i];
    }
    SECURITY_STATUS s = acquire(&c->cred, SECPKG_CRED_INBOUND, cert, 0, 0);
    CHECK(s == SEC_E_OK, "server: AcquireCredentialsHandle", "%s", status_name(s));
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1)) {
        CHECK(0, "server: listen", "bind failed");
        return failures;
    }
    printf("LISTENING\n");
    fflush(stdout);
    c->fd = accept(ls, NULL, NULL);
    s = handshake(c);
    CHECK(s == SEC_E_OK, "server: handshake", "%s", status_name(s));
    if (s != SEC_E_OK) return failures;
    char buf[16384];
    size_t got = 0, total = 0;
    static char req[65536];
    while (!strstr(req, until)) {
        s = tls_recv(c, buf, sizeof buf, &got);
        if (s != SEC_E_OK) break;
        memcpy(req + total, buf, got);
        total += got;
    }
    CHECK(total > 0, "server: DecryptMessage", "%s", status_name(s));
    if (!strncmp(req, "GET ", 4)) {
        while (!strstr(req, "\r\n\r\n") && tls_recv(c, buf, sizeof buf, &got) == SEC_E_OK) {
            memcpy(req + total, buf, got);
            total += got;
        }
        const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\n"
                           "hello from server\n";
        s = tls_send(c, resp, strlen(resp));
    } else {
        char line[1024];
        const char *last = strstr(req, until);
        const char *start = req;
        if (strcmp(until, "\n")) {
            /* Echo the line that held the marker. */
            start = last;
            while (start > req && start[-1] != '\n') start--;
        }
        const char *end = strchr(last, '\n');
        int len = end ? (int)(end - start + 1) : (int)strlen(start);
        int n = snprintf(line, sizeof line, "echo:%.*s", len, start);
        s = tls_send(c, line, (size_t)n);
    }
    CHECK(s == SEC_E_OK, "server: EncryptMessage", "%s", status_name(s));
    if (want_reneg)
        CHECK(c->renegotiations > 0, "server: KeyUpdate -> SEC_I_RENEGOTIATE", "none seen");
    if (want_close) {
        do {
            s = tls_recv(c, buf, sizeof buf, &got);
        } while (s == SEC_E_OK);
        CHECK(s == SEC_I_CONTEXT_EXPIRED, "server: peer close_notify -> SEC_I_CONTEXT_EXPIRED",
              "%s", status_name(s));
    }
    if (c->req & ASC_REQ_MUTUAL_AUTH) {
        PCCERT_CONTEXT remote = NULL;
        s = QueryContextAttributesA(&c->ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &remote);
        CHECK(s == SEC_E_OK && remote, "server: client certificate", "%s", status_name(s));
        if (remote) CertFreeCertificateContext(remote);
    }
    s = tls_shutdown(c);
    CHECK(s == SEC_E_OK, "server: shutdown (close_notify)", "%s", status_name(s));
    usleep(100000);
    close(c->fd);
    close(ls);
    DeleteSecurityContext(&c->ctx);
    FreeCredentialsHandle(&c->cred);
    CertFreeCertificateContext(cert);
    CertCloseStore(store, 0);
    free(c);
    return failures;
}

/* ---------------------------------------------------------------------------------------- */
/* loopback mode: client and server contexts in one process, tokens passed in memory */

static int loopback_pair(side_t *cl, side_t *sv, const char *target, DWORD proto,
                         const char *alpn, char *alpn_out) {
    static unsigned char c2s[65536], s2c[65536];
    ULONG c2s_len = 0, s2c_len = 0, n;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    conn_t tmp;
    memset(&tmp, 0, sizeof tmp);
    if (alpn) build_alpn(&tmp, alpn);
    (void)proto;
    cs = step(cl, 0, s2c, &s2c_len, c2s, &n, target, tmp.alpn_len ? tmp.alpn : NULL,
              (ULONG)tmp.alpn_len);
    c2s_len = n;
    for (int round = 0; round < 10 && (cs != SEC_E_OK || ss != SEC_E_OK); round++) {
        if (c2s_len) {
            unsigned char outb[65536];
            ss = step(sv, 1, c2s, &c2s_len, outb, &n, NULL, tmp.alpn_len ? tmp.alpn : NULL,
                      (ULONG)tmp.alpn_len);
            if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) return (int)ss;
            memcpy(s2c + s2c_len, outb, n);
            s2c_len += n;
        }
        if (s2c_len || cs != SEC_E_OK) {
            unsigned char outb[65536];
            if (s2c_len == 0) break;
            cs = step(cl, 0, s2c, &s2c_len, outb, &n, target, NULL, 0);
            if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) return (int)cs;
            memcpy(c2s + c2s_len, outb, n);
            c2s_len += n;
        }
    }
    if (alpn_out) {
        SecPkgContext_ApplicationProtocol ap;
        alpn_out[0] = 0;
        if (QueryContextAttributesA(&cl->ctx, SECPKG_ATTR_APPLICATION_PROTOCOL, &ap) == SEC_E_OK &&
            ap.ProtoNegoStatus == SecApplicationProtocolNegotiationStatus_Success) {
            memcpy(alpn_out, ap.ProtocolId, ap.ProtocolIdSize);
            alpn_out[ap.ProtocolIdSize] = 0;
        }
    }
    return (cs == SEC_E_OK && ss == SEC_E_OK) ? 0 : -1;
}

/* EncryptMessage and DecryptMessage on one context from two threads at once. */
#define THREAD_RECORDS 2000
typedef struct {
    CtxtHandle *ctx;
    unsigned char *buf;
    size_t len;
    int ok;
} thread_job;

static void *seal_job(void *p) {
    thread_job *j = p;
    j->len = 0;
    j->ok = 1;
    for (int i = 0; i < THREAD_RECORDS; i++) {
        size_t n = seal(j->ctx, "concurrent", j->buf + j->len, 0);
        if (!n) j->ok = 0;
        j->len += n;
    }
    return NULL;
}

static void *open_job(void *p) {
    thread_job *j = p;
    unsigned char *at = j->buf;
    size_t left = j->len;
    int got = 0;
    while (left) {
        SecBuffer b[4];
        if (open_rec(j->ctx, at, left, b) != SEC_E_OK) break;
        if (b[1].cbBuffer == 10 && !memcmp(b[1].pvBuffer, "concurrent", 10)) got++;
        if (b[3].BufferType != SECBUFFER_EXTRA) break;
        at = b[3].pvBuffer;
        left = b[3].cbBuffer;
    }
    j->ok = got == THREAD_RECORDS;
    return NULL;
}

static int concurrent(side_t *cl, side_t *sv) {
    size_t cap = (size_t)THREAD_RECORDS * 64;
    thread_job pre = {&sv->ctx, malloc(cap), 0, 0};
    seal_job(&pre); /* records for the client to read */
    thread_job tx = {&cl->ctx, malloc(cap), 0, 0};
    thread_job rx = {&cl->ctx, pre.buf, pre.len, 0};
    pthread_t a, b;
    pthread_create(&a, NULL, seal_job, &tx);
    pthread_create(&b, NULL, open_job, &rx);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    thread_job check = {&sv->ctx, tx.buf, tx.len, 0};
    open_job(&check);
    int ok = pre.ok && tx.ok && rx.ok && check.ok;
    free(pre.buf);
    free(tx.buf);
    return ok;
}

static void loopback_one(const char *pfx, const char *pw, DWORD proto, const char *label) {
    char name[128];
    HCERTSTORE store;
    PCCERT_CONTEXT cert = load_pfx(pfx, pw, &store);
    side_t cl = {0}, sv = {0};
    SECURITY_STATUS s = acquire(&sv.cred, SECPKG_CRED_INBOUND, cert, proto, 0);
    snprintf(name, sizeof name, "%s: server credentials", label);
    CHECK(s == SEC_E_OK, name, "%s", status_name(s));
    s = acquire(&cl.cred, SECPKG_CRED_OUTBOUND, NULL, 0, 0);
    char alpn[256];
    int r = loopback_pair(&cl, &sv, "localhost", proto, "h2,http/1.1", alpn);
    snprintf(name, sizeof name, "%s: handshake", label);
    CHECK(r == 0, name, "%s", status_name((SECURITY_STATUS)r));
    if (r) return;
    snprintf(name, sizeof name, "%s: ALPN", label);
    CHECK(strcmp(alpn, "h2") == 0, name, "got '%s'", alpn);

    SecPkgContext_StreamSizes sz;
    s = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_STREAM_SIZES, &sz);
    snprintf(name, sizeof name, "%s: STREAM_SIZES", label);
    CHECK(s == SEC_E_OK && sz.cbMaximumMessage == 16384 && sz.cBuffers == 4 && sz.cbHeader >= 5 &&
              sz.cbTrailer >= 16,
          name, "%s h=%u t=%u", status_name(s), (unsigned)sz.cbHeader, (unsigned)sz.cbTrailer);

    /* Three records in one buffer: DATA then EXTRA for the rest. */
    static unsigned char wire[65536];
    size_t w = 0;
    w += seal(&cl.ctx, "first", wire + w, 0);
    w += seal(&cl.ctx, "second", wire + w, 0);
    w += seal(&cl.ctx, "third", wire + w, 0);
    SecBuffer b[4];
    s = open_rec(&sv.ctx, wire, w, b);
    snprintf(name, sizeof name, "%s: DecryptMessage buffers", label);
    CHECK(s == SEC_E_OK && b[0].BufferType == SECBUFFER_STREAM_HEADER &&
              b[1].BufferType == SECBUFFER_DATA && b[1].cbBuffer == 5 &&
              !memcmp(b[1].pvBuffer, "first", 5) && b[2].BufferType == SECBUFFER_STREAM_TRAILER &&
              b[3].BufferType == SECBUFFER_EXTRA,
          name, "%s types %u %u %u %u", status_name(s), (unsigned)b[0].BufferType,
          (unsigned)b[1].BufferType, (unsigned)b[2].BufferType, (unsigned)b[3].BufferType);
    unsigned char *rest = b[3].pvBuffer;
    size_t restlen = b[3].cbBuffer;
    s = open_rec(&sv.ctx, rest, restlen, b);
    snprintf(name, sizeof name, "%s: EXTRA carries the next record", label);
    CHECK(s == SEC_E_OK && b[1].cbBuffer == 6 && !memcmp(b[1].pvBuffer, "second", 6), name, "%s",
          status_name(s));
    rest = b[3].pvBuffer;
    restlen = b[3].cbBuffer;
    /* Byte-at-a-time: INCOMPLETE with SECBUFFER_MISSING until the record is whole. */
    int incomplete = 0, ok = 0;
    for (size_t k = 1; k <= restlen; k++) {
        s = open_rec(&sv.ctx, rest, k, b);
        /* Windows: the DATA buffer itself becomes SECBUFFER_MISSING with the count. */
        if (s == SEC_E_INCOMPLETE_MESSAGE && b[0].BufferType == SECBUFFER_MISSING &&
            b[0].cbBuffer > 0)
            incomplete++;
        else if (s == SEC_E_OK && k == restlen)
            ok = !memcmp(b[1].pvBuffer, "third", 5);
        else
            break;
    }
    snprintf(name, sizeof name, "%s: byte-at-a-time INCOMPLETE/MISSING", label);
    CHECK(ok && incomplete == (int)restlen - 1, name, "incomplete=%d ok=%d", incomplete, ok);

#ifdef ALLOC_COUNTING
    {
        /* The steady path allocates nothing: 1000 records each way, sealed and opened in
         * place, contiguous and split buffers. */
        static unsigned char rec[20000], hdr[64], data[16384], trl[64];
        SecPkgContext_StreamSizes ss;
        QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_STREAM_SIZES, &ss);
        int bad = 0;
        allocations = 0;
        /* Rounds -2 and -1 warm up (the split-buffer scratch space is allocated once). */
        for (int i = -2; i < 1000 && !bad; i++) {
            counting = i >= 0;
            size_t n = seal(&cl.ctx, "steady state", rec, 0);
            SecBuffer ob[4];
            if (!n || open_rec(&sv.ctx, rec, n, ob) != SEC_E_OK) bad = 1;
            SecBuffer eb[4] = {{ss.cbHeader, SECBUFFER_STREAM_HEADER, hdr},
                               {(ULONG)(i % 2 ? 16384 : 100), SECBUFFER_DATA, data},
                               {ss.cbTrailer, SECBUFFER_STREAM_TRAILER, trl},
                               {0, SECBUFFER_EMPTY, NULL}};
            SecBufferDesc ed = {SECBUFFER_VERSION, 4, eb};
            if (EncryptMessage(&sv.ctx, 0, &ed, 0) != SEC_E_OK) bad = 1;
            size_t k = 0;
            memcpy(rec + k, hdr, eb[0].cbBuffer);
            k += eb[0].cbBuffer;
            memcpy(rec + k, data, eb[1].cbBuffer);
            k += eb[1].cbBuffer;
            memcpy(rec + k, trl, eb[2].cbBuffer);
            k += eb[2].cbBuffer;
            if (open_rec(&cl.ctx, rec, k, ob) != SEC_E_OK) bad = 1;
        }
        counting = 0;
        snprintf(name, sizeof name, "%s: no heap allocation per record", label);
        CHECK(!bad && allocations == 0, name, "bad=%d allocations=%ld", bad, allocations);
    }
#endif
    snprintf(name, sizeof name, "%s: EncryptMessage || DecryptMessage on two threads", label);
    CHECK(concurrent(&cl, &sv), name, "records lost or corrupted");

    /* Tampering. */
    w = seal(&sv.ctx, "tamper me", wire, 0);
    {
        static unsigned char copy[65536];
        memcpy(copy, wire, w);
        copy[w - 3] ^= 1;
        s = open_rec(&cl.ctx, copy, w, b);
        snprintf(name, sizeof name, "%s: tampered record", label);
        CHECK(s == SEC_E_DECRYPT_FAILURE, name, "%s", status_name(s));
        s = open_rec(&cl.ctx, wire, w, b);
        snprintf(name, sizeof name, "%s: genuine record after a failure", label);
        CHECK(s == SEC_E_OK && b[1].cbBuffer == 9, name, "%s", status_name(s));
    }

    /* Non-contiguous buffers (the scratch path). */
    {
        unsigned char hdr[64], data[32], trl[64];
        memcpy(data, "split buffers", 13);
        SecBuffer eb[4] = {{sz.cbHeader, SECBUFFER_STREAM_HEADER, hdr},
                           {13, SECBUFFER_DATA, data},
                           {sz.cbTrailer, SECBUFFER_STREAM_TRAILER, trl},
                           {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc ed = {SECBUFFER_VERSION, 4, eb};
        s = EncryptMessage(&sv.ctx, 0, &ed, 0);
        size_t k = 0;
        memcpy(wire + k, hdr, eb[0].cbBuffer);
        k += eb[0].cbBuffer;
        memcpy(wire + k, data, eb[1].cbBuffer);
        k += eb[1].cbBuffer;
        memcpy(wire + k, trl, eb[2].cbBuffer);
        k += eb[2].cbBuffer;
        SECURITY_STATUS s2 = open_rec(&cl.ctx, wire, k, b);
        snprintf(name, sizeof name, "%s: separate header/data/trailer", label);
        CHECK(s == SEC_E_OK && s2 == SEC_E_OK && b[1].cbBuffer == 13 &&
                  !memcmp(b[1].pvBuffer, "split buffers", 13),
              name, "%s / %s", status_name(s), status_name(s2));
    }
    /* Too large, missing buffers. */
    {
        static unsigned char big[16384 + 100];
        SecBuffer eb[4] = {{sz.cbHeader, SECBUFFER_STREAM_HEADER, big},
                           {16385, SECBUFFER_DATA, big + sz.cbHeader},
                           {sz.cbTrailer, SECBUFFER_STREAM_TRAILER, big},
                           {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc ed = {SECBUFFER_VERSION, 4, eb};
        s = EncryptMessage(&sv.ctx, 0, &ed, 0);
        snprintf(name, sizeof name, "%s: EncryptMessage > cbMaximumMessage", label);
        /* Windows: SEC_E_ENCRYPT_FAILURE (public measurements; issue #12), buffers unchanged. */
        CHECK(s == SEC_E_ENCRYPT_FAILURE && eb[1].cbBuffer == 16385 && eb[0].cbBuffer == sz.cbHeader, name, "%s",
              status_name(s));
        SecBufferDesc d2 = {SECBUFFER_VERSION, 2, eb + 1};
        s = EncryptMessage(&sv.ctx, 0, &d2, 0);
        snprintf(name, sizeof name, "%s: EncryptMessage without header", label);
        CHECK(s == SEC_E_INVALID_TOKEN, name, "%s", status_name(s));
        SecBuffer db[2] = {{10, SECBUFFER_DATA, big}, {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc d3 = {SECBUFFER_VERSION, 2, db};
        s = DecryptMessage(&cl.ctx, &d3, 0, NULL);
        snprintf(name, sizeof name, "%s: DecryptMessage wrong shape", label);
        CHECK(s == SEC_E_INVALID_TOKEN, name, "%s", status_name(s));
    }
    /* Attributes. */
    {
        SecPkgContext_CipherInfo ci;
        s = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_CIPHER_INFO, &ci);
        snprintf(name, sizeof name, "%s: CIPHER_INFO", label);
        CHECK(s == SEC_E_OK && ci.dwVersion == 1 && ci.dwCipherSuite != 0, name, "%s",
              status_name(s));
        /* As Windows fills it (public measurements; issue #12): dwProtocol the wire version,
           dwBaseCipherSuite the IANA suite, no hash for AEAD suites, exchange "ECDH", dwKeyType
           the named group (IANA; x25519 = 0x1d, secp256r1 = 0x17, secp384r1 = 0x18). */
        snprintf(name, sizeof name, "%s: CIPHER_INFO values", label);
        CHECK(s == SEC_E_OK && (ci.dwProtocol == 0x0303 || ci.dwProtocol == 0x0304) &&
                  ci.dwBaseCipherSuite == ci.dwCipherSuite && ci.szHash[0] == 0 && ci.dwHashLen == 0 &&
                  ci.szExchange[0] == 'E' && ci.szExchange[1] == 'C' && ci.szExchange[2] == 'D' &&
                  ci.szExchange[3] == 'H' && ci.szExchange[4] == 0 &&
                  (ci.dwKeyType == 0x1d || ci.dwKeyType == 0x17 || ci.dwKeyType == 0x18),
              name, "proto 0x%x base 0x%x hashlen %u key %u", (unsigned)ci.dwProtocol,
              (unsigned)ci.dwBaseCipherSuite, (unsigned)ci.dwHashLen, (unsigned)ci.dwKeyType);
        SecPkgContext_ConnectionInfo conn_info;
        s = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_CONNECTION_INFO, &conn_info);
        snprintf(name, sizeof name, "%s: CONNECTION_INFO dwHashStrength 0 (AEAD)", label);
        CHECK(s == SEC_E_OK && conn_info.dwHashStrength == 0, name, "%u", (unsigned)conn_info.dwHashStrength);
        /* Every other field, per suite, as Windows fills them (public measurements; issue #12):
           szCipherSuite the IANA name, szCipher and dwCipherLen / dwCipherStrength the bulk
           cipher (aiCipher 0 for ChaCha20, which has no ALG_ID), dwCipherBlockLen 16, aiHash the
           suite's hash, exchange ECDH (aiExch CALG_ECDH_EPHEM, dwExchStrength 256,
           dwMin/MaxExchangeLen 255/521), szCertificate the server key's kind ("RSA" here). The
           client's dwProtocol is the SP_PROT_*_CLIENT bit, the server's the _SERVER bit. */
        static const struct {
            DWORD suite;
            const char *name, *cipher;
            DWORD bits;
            ALG_ID calg, hash;
        } suites[] = {
            {0x1301, "TLS_AES_128_GCM_SHA256", "AES", 128, CALG_AES_128, CALG_SHA_256},
            {0x1302, "TLS_AES_256_GCM_SHA384", "AES", 256, CALG_AES_256, CALG_SHA_384},
            {0x1303, "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20_POLY1305", 256, 0, CALG_SHA_256},
            {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "AES", 128, CALG_AES_128, CALG_SHA_256},
            {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "AES", 256, CALG_AES_256, CALG_SHA_384},
            {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "CHACHA20_POLY1305", 256, 0,
             CALG_SHA_256},
        };
        int tls13 = proto == SP_PROT_TLS1_3_SERVER;
        for (int side = 0; side < 2; side++) {
            CtxtHandle *ctx = side ? &sv.ctx : &cl.ctx;
            const char *who = side ? "server" : "client";
            DWORD want_proto = side ? (tls13 ? SP_PROT_TLS1_3_SERVER : SP_PROT_TLS1_2_SERVER)
                                    : (tls13 ? SP_PROT_TLS1_3_CLIENT : SP_PROT_TLS1_2_CLIENT);
            SecPkgContext_CipherInfo c2;
            SecPkgContext_ConnectionInfo n2;
            memset(&c2, 0xAA, sizeof c2);
            memset(&n2, 0xAA, sizeof n2);
            SECURITY_STATUS sc = QueryContextAttributesA(ctx, SECPKG_ATTR_CIPHER_INFO, &c2);
            SECURITY_STATUS sn = QueryContextAttributesA(ctx, SECPKG_ATTR_CONNECTION_INFO, &n2);
            int k = -1;
            for (size_t j = 0; j < sizeof suites / sizeof suites[0]; j++)
                if (sc == SEC_E_OK && suites[j].suite == c2.dwCipherSuite) k = (int)j;
            snprintf(name, sizeof name, "%s: %s CIPHER_INFO suite, cipher, exchange, certificate", label,
                     who);
            CHECK(k >= 0 && c2.dwVersion == SECPKGCONTEXT_CIPHERINFO_V1 &&
                      c2.dwProtocol == (tls13 ? 0x0304u : 0x0303u) &&
                      c2.dwBaseCipherSuite == c2.dwCipherSuite && wide_is(c2.szCipherSuite, suites[k].name) &&
                      wide_is(c2.szCipher, suites[k].cipher) && c2.dwCipherLen == suites[k].bits &&
                      c2.dwCipherBlockLen == 16 && wide_is(c2.szHash, "") && c2.dwHashLen == 0 &&
                      wide_is(c2.szExchange, "ECDH") && c2.dwMinExchangeLen == 255 &&
                      c2.dwMaxExchangeLen == 521 && wide_is(c2.szCertificate, "RSA") &&
                      (c2.dwKeyType == 0x1d || c2.dwKeyType == 0x17 || c2.dwKeyType == 0x18),
                  name, "%s suite 0x%x proto 0x%x len %u block %u exch %u-%u key %u", status_name(sc),
                  (unsigned)c2.dwCipherSuite, (unsigned)c2.dwProtocol, (unsigned)c2.dwCipherLen,
                  (unsigned)c2.dwCipherBlockLen, (unsigned)c2.dwMinExchangeLen,
                  (unsigned)c2.dwMaxExchangeLen, (unsigned)c2.dwKeyType);
            snprintf(name, sizeof name, "%s: %s CONNECTION_INFO fields", label, who);
            CHECK(k >= 0 && sn == SEC_E_OK && n2.dwProtocol == want_proto && n2.aiCipher == suites[k].calg &&
                      n2.dwCipherStrength == suites[k].bits && n2.aiHash == suites[k].hash &&
                      n2.dwHashStrength == 0 && n2.aiExch == CALG_ECDH_EPHEM && n2.dwExchStrength == 256,
                  name, "%s proto 0x%x cipher 0x%x/%u hash 0x%x/%u exch 0x%x/%u", status_name(sn),
                  (unsigned)n2.dwProtocol, (unsigned)n2.aiCipher, (unsigned)n2.dwCipherStrength,
                  (unsigned)n2.aiHash, (unsigned)n2.dwHashStrength, (unsigned)n2.aiExch,
                  (unsigned)n2.dwExchStrength);
        }
        /* The Ex functions take each struct at exactly its size and refuse one byte less with
           SEC_E_BUFFER_TOO_SMALL (as NTLM's SIZES in ntlm.c), writing nothing past cbBuffer:
           canary bytes after the struct stay as they were, and a refused call writes nothing. */
        {
            enum { CANARY = 32 };
            static unsigned char xb[sizeof(SecPkgContext_CipherInfo) + CANARY];
            const struct {
                ULONG attr;
                ULONG size;
                int cred;
            } ex[] = {
                {SECPKG_ATTR_CONNECTION_INFO, sizeof(SecPkgContext_ConnectionInfo), 0},
                {SECPKG_ATTR_CIPHER_INFO, sizeof(SecPkgContext_CipherInfo), 0},
                {SECPKG_ATTR_SESSION_INFO, sizeof(SecPkgContext_SessionInfo), 0},
                {SECPKG_ATTR_SUPPORTED_PROTOCOLS, sizeof(SecPkgCred_SupportedProtocols), 1},
                {SECPKG_ATTR_CIPHER_STRENGTHS, sizeof(SecPkgCred_CipherStrengths), 1},
            };
            int bad = -1;
            SECURITY_STATUS e1 = SEC_E_OK, e2 = SEC_E_OK;
            int overrun = 0;
            for (size_t j = 0; j < sizeof ex / sizeof ex[0] && bad < 0; j++) {
                memset(xb, 0xA5, sizeof xb);
                if (ex[j].cred)
                    e1 = QueryCredentialsAttributesExW(&cl.cred, ex[j].attr, xb, ex[j].size);
                else
                    e1 = QueryContextAttributesExW(&cl.ctx, ex[j].attr, xb, ex[j].size);
                for (size_t b = ex[j].size; b < ex[j].size + CANARY; b++) overrun |= xb[b] != 0xA5;
                memset(xb, 0xA5, sizeof xb);
                if (ex[j].cred)
                    e2 = QueryCredentialsAttributesExW(&cl.cred, ex[j].attr, xb, ex[j].size - 1);
                else
                    e2 = QueryContextAttributesExW(&cl.ctx, ex[j].attr, xb, ex[j].size - 1);
                for (size_t b = 0; b < ex[j].size + CANARY; b++) overrun |= xb[b] != 0xA5;
                if (e1 != SEC_E_OK || e2 != SEC_E_BUFFER_TOO_SMALL || overrun) bad = (int)j;
            }
            snprintf(name, sizeof name, "%s: Ex cbBuffer = Schannel struct sizes", label);
            CHECK(bad < 0, name, "attr 0x%x: %s / %s%s", bad < 0 ? 0u : (unsigned)ex[bad].attr,
                  status_name(e1), status_name(e2), overrun ? ", wrote past cbBuffer" : "");
        }
        /* SUPPORTED_PROTOCOLS: the SP_PROT_* versions each credential enables, with the bits of
           its own direction only, as Windows reports them (an outbound credential limited to
           TLS 1.0 answers SP_PROT_TLS1_CLIENT in Wine's test_cread_attrs, run on Windows): the
           default client credential TLS 1.2 and 1.3 client bits, the server credential the
           server bit of the version it was restricted to. */
        {
            SecPkgCred_SupportedProtocols pc = {0}, ps = {0};
            SECURITY_STATUS s1 = QueryCredentialsAttributesA(&cl.cred, SECPKG_ATTR_SUPPORTED_PROTOCOLS, &pc);
            SECURITY_STATUS s2 = QueryCredentialsAttributesA(&sv.cred, SECPKG_ATTR_SUPPORTED_PROTOCOLS, &ps);
            snprintf(name, sizeof name, "%s: SUPPORTED_PROTOCOLS", label);
            CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK && pc.grbitProtocol == (SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT) &&
                      ps.grbitProtocol == (tls13 ? SP_PROT_TLS1_3_SERVER : SP_PROT_TLS1_2_SERVER),
                  name, "%s / %s client 0x%x server 0x%x", status_name(s1), status_name(s2),
                  (unsigned)pc.grbitProtocol, (unsigned)ps.grbitProtocol);
        }
        /* ISC/ASC return flags describe the context (curl's schannel.c checks them). */
        snprintf(name, sizeof name, "%s: ISC/ASC return flags", label);
        CHECK(cl.attrs == (ISC_RET_SEQUENCE_DETECT | ISC_RET_REPLAY_DETECT | ISC_RET_CONFIDENTIALITY |
                           ISC_RET_STREAM | ISC_RET_ALLOCATED_MEMORY) &&
                  sv.attrs == (ASC_RET_SEQUENCE_DETECT | ASC_RET_REPLAY_DETECT | ASC_RET_CONFIDENTIALITY |
                               ASC_RET_STREAM | ASC_RET_ALLOCATED_MEMORY),
              name, "client 0x%x server 0x%x", (unsigned)cl.attrs, (unsigned)sv.attrs);
        /* Credential attributes: NAMES of a client credential without a certificate is
           SEC_E_NO_CREDENTIALS; SUPPORTED_ALGS and CIPHER_STRENGTHS answer. */
        SecPkgCredentials_NamesA cnames = {NULL};
        s = QueryCredentialsAttributesA(&cl.cred, SECPKG_CRED_ATTR_NAMES, &cnames);
        snprintf(name, sizeof name, "%s: client cred NAMES without certificate", label);
        CHECK(s == SEC_E_NO_CREDENTIALS, name, "%s", status_name(s));
        SecPkgCred_SupportedAlgs algs = {0, NULL};
        s = QueryCredentialsAttributesA(&cl.cred, SECPKG_ATTR_SUPPORTED_ALGS, &algs);
        snprintf(name, sizeof name, "%s: SUPPORTED_ALGS", label);
        CHECK(s == SEC_E_OK && algs.cSupportedAlgs > 0 && algs.palgSupportedAlgs != NULL, name, "%s",
              status_name(s));
        if (s == SEC_E_OK) FreeContextBuffer(algs.palgSupportedAlgs);
        SecPkgCred_CipherStrengths cs = {0, 0};
        s = QueryCredentialsAttributesA(&cl.cred, SECPKG_ATTR_CIPHER_STRENGTHS, &cs);
        snprintf(name, sizeof name, "%s: CIPHER_STRENGTHS", label);
        CHECK(s == SEC_E_OK && cs.dwMinimumCipherStrength == 128 && cs.dwMaximumCipherStrength == 256, name, "%s",
              status_name(s));
        SecPkgContext_Bindings bi;
        s = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_ENDPOINT_BINDINGS, &bi);
        snprintf(name, sizeof name, "%s: ENDPOINT_BINDINGS", label);
        CHECK(s == SEC_E_OK && bi.Bindings->cbApplicationDataLength == 21 + 32 &&
                  !memcmp((char *)bi.Bindings + bi.Bindings->dwApplicationDataOffset,
                          "tls-server-end-point:", 21),
              name, "%s", status_name(s));
        if (s == SEC_E_OK) FreeContextBuffer(bi.Bindings);
        SecPkgContext_Bindings ub, us;
        SECURITY_STATUS s1 = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &ub);
        SECURITY_STATUS s2 = QueryContextAttributesA(&sv.ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &us);
        snprintf(name, sizeof name, "%s: UNIQUE_BINDINGS", label);
        if (proto == SP_PROT_TLS1_2_SERVER)
            CHECK(s1 == SEC_E_OK && s2 == SEC_E_OK && ub.BindingsLength == us.BindingsLength &&
                      ub.Bindings->cbApplicationDataLength == 11 + 12 &&
                      !memcmp((char *)ub.Bindings + ub.Bindings->dwApplicationDataOffset,
                              "tls-unique:", 11) &&
                      !memcmp(ub.Bindings, us.Bindings, ub.BindingsLength),
                  name, "%s / %s", status_name(s1), status_name(s2));
        else
            CHECK(s1 == SEC_E_UNSUPPORTED_FUNCTION, name, "TLS 1.3: %s", status_name(s1));
        if (s1 == SEC_E_OK) FreeContextBuffer(ub.Bindings);
        if (s2 == SEC_E_OK) FreeContextBuffer(us.Bindings);
        SecPkgContext_NegotiationInfoA ni;
        s = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_NEGOTIATION_INFO, &ni);
        snprintf(name, sizeof name, "%s: NEGOTIATION_INFO unsupported", label);
        CHECK(s == SEC_E_UNSUPPORTED_FUNCTION, name, "%s", status_name(s));
        PCCERT_CONTEXT rc = NULL;
        s = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &rc);
        char cn[128] = "";
        if (rc) CertGetNameStringA(rc, CERT_NAME_DNS_TYPE, 0, NULL, cn, sizeof cn);
        snprintf(name, sizeof name, "%s: REMOTE_CERT_CONTEXT", label);
        CHECK(s == SEC_E_OK && rc && rc->pCertInfo && !strcmp(cn, "localhost"), name, "%s '%s'",
              status_name(s), cn);
        /* Manual validation as Windows code does it: chain, then the SSL policy. */
        if (rc) {
            CERT_CHAIN_PARA para;
            memset(&para, 0, sizeof para);
            para.cbSize = sizeof para;
            PCCERT_CHAIN_CONTEXT chain = NULL;
            BOOL ok = CertGetCertificateChain(NULL, rc, NULL, rc->hCertStore, &para, 0, NULL,
                                              &chain);
            unsigned errs[2] = {1, 1};
            const char *names[2] = {"localhost", "wrong.example"};
            for (int k = 0; ok && k < 2; k++) {
                SEC_WCHAR wn[32];
                size_t j = 0;
                for (; names[k][j]; j++) wn[j] = (SEC_WCHAR)names[k][j];
                wn[j] = 0;
                HTTPSPolicyCallbackData ssl;
                memset(&ssl, 0, sizeof ssl);
                ssl.cbSize = sizeof ssl;
                ssl.dwAuthType = AUTHTYPE_SERVER;
                ssl.pwszServerName = wn;
                CERT_CHAIN_POLICY_PARA pp = {sizeof pp, 0, &ssl};
                CERT_CHAIN_POLICY_STATUS ps;
                memset(&ps, 0, sizeof ps);
                ps.cbSize = sizeof ps;
                if (CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &pp, &ps))
                    errs[k] = ps.dwError;
            }
            snprintf(name, sizeof name, "%s: CertGetCertificateChain + SSL policy", label);
            CHECK(ok && chain->TrustStatus.dwErrorStatus == CERT_TRUST_NO_ERROR &&
                      chain->cChain == 1 && chain->rgpChain[0]->cElement == 2 &&
                      chain->rgpChain[0]->rgpElement[1]->TrustStatus.dwInfoStatus &
                          CERT_TRUST_IS_SELF_SIGNED &&
                      errs[0] == 0 && errs[1] == CERT_E_CN_NO_MATCH,
                  name, "ok=%d status=0x%x errors 0x%x 0x%x", ok,
                  ok ? (unsigned)chain->TrustStatus.dwErrorStatus : 0, errs[0], errs[1]);
            if (ok) CertFreeCertificateChain(chain);
        }
        if (rc) CertFreeCertificateContext(rc);
    }
    /* close_notify from the client: the server sees SEC_I_CONTEXT_EXPIRED. */
    {
        DWORD type = SCHANNEL_SHUTDOWN;
        SecBuffer tb[1] = {{4, SECBUFFER_TOKEN, &type}};
        SecBufferDesc td = {SECBUFFER_VERSION, 1, tb};
        s = ApplyControlToken(&cl.ctx, &td);
        unsigned char in[1], out[4096];
        ULONG inlen = 0, outlen = 0;
        SECURITY_STATUS s2 = step(&cl, 0, in, &inlen, out, &outlen, "localhost", NULL, 0);
        snprintf(name, sizeof name, "%s: shutdown token", label);
        CHECK(s == SEC_E_OK && s2 == SEC_E_OK && outlen > 0, name, "%s / %s", status_name(s),
              status_name(s2));
        s = open_rec(&sv.ctx, out, outlen, b);
        snprintf(name, sizeof name, "%s: close_notify -> SEC_I_CONTEXT_EXPIRED", label);
        CHECK(s == SEC_I_CONTEXT_EXPIRED, name, "%s", status_name(s));
    }
    DeleteSecurityContext(&cl.ctx);
    DeleteSecurityContext(&sv.ctx);
    FreeCredentialsHandle(&cl.cred);
    FreeCredentialsHandle(&sv.cred);
    CertFreeCertificateContext(cert);
    CertCloseStore(store, 0);
}

/* chain mode: CertGetCertificateChain + the SSL policy for a PEM certificate file. */
static int run_chain(const char *pem, const char *host, const char *expect) {
    FILE *f = fopen(pem, "r");
    static char text[65536];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[n] = 0;
    /* PEM → DER (base64 between the markers). */
    static BYTE der[65536];
    size_t d = 0;
    unsigned acc = 0;
    int bits = 0;
    char *p = strstr(text, "-----BEGIN CERTIFICATE-----");
    char *e = p ? strstr(p, "-----END") : NULL;
    for (p = p ? p + 27 : text; p && p < e; p++) {
        const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *q = *p ? strchr(b64, *p) : NULL;
        if (!q) continue;
        acc = (acc << 6) | (unsigned)(q - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            der[d++] = (BYTE)(acc >> bits);
        }
    }
    PCCERT_CONTEXT c = CertCreateCertificateContext(X509_ASN_ENCODING, der, (DWORD)d);
    CHECK(c != NULL, "chain: certificate", "did not parse");
    if (!c) return failures;
    CERT_CHAIN_PARA para;
    memset(&para, 0, sizeof para);
    para.cbSize = sizeof para;
    PCCERT_CHAIN_CONTEXT chain = NULL;
    BOOL ok = CertGetCertificateChain(NULL, c, NULL, NULL, &para, 0, NULL, &chain);
    SEC_WCHAR wn[128];
    size_t j = 0;
    for (; host[j] && j < 127; j++) wn[j] = (SEC_WCHAR)host[j];
    wn[j] = 0;
    HTTPSPolicyCallbackData ssl;
    memset(&ssl, 0, sizeof ssl);
    ssl.cbSize = sizeof ssl;
    ssl.dwAuthType = AUTHTYPE_SERVER;
    ssl.pwszServerName = wn;
    CERT_CHAIN_POLICY_PARA pp = {sizeof pp, 0, &ssl};
    CERT_CHAIN_POLICY_STATUS ps;
    memset(&ps, 0, sizeof ps);
    ps.cbSize = sizeof ps;
    BOOL v = ok && CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &pp, &ps);
    unsigned want = (unsigned)strtoul(expect, NULL, 0);
    CHECK(v && ps.dwError == want, "chain: SSL policy result", "got 0x%x (status 0x%x), want 0x%x",
          (unsigned)ps.dwError, ok ? (unsigned)chain->TrustStatus.dwErrorStatus : 0, want);
    /* The same chain with the unknown-CA and date checks waived. */
    ssl.fdwChecks = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID;
    ps.dwError = 1;
    v = ok && CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &pp, &ps);
    CHECK(v && (ps.dwError == 0 || ps.dwError == CERT_E_CN_NO_MATCH), "chain: checks waived",
          "0x%x", (unsigned)ps.dwError);
    if (ok) CertFreeCertificateChain(chain);
    CertFreeCertificateContext(c);
    return failures;
}

/* Only the in-process handshake, with the status the client must see. */
static int run_loopback_handshake(const char *pfx, const char *pw, const char *expect) {
    HCERTSTORE store;
    PCCERT_CONTEXT cert = load_pfx(pfx, pw, &store);
    side_t cl = {0}, sv = {0};
    SECURITY_STATUS s = acquire(&sv.cred, SECPKG_CRED_INBOUND, cert, 0, 0);
    CHECK(s == SEC_E_OK, "server credentials", "%s", status_name(s));
    acquire(&cl.cred, SECPKG_CRED_OUTBOUND, NULL, 0, 0);
    int r = loopback_pair(&cl, &sv, "localhost", 0, NULL, NULL);
    SECURITY_STATUS want = status_from_name(expect);
    CHECK((r == 0 && want == SEC_E_OK) || r == (int)want, "handshake status", "got %s, want %s",
          status_name(r ? (SECURITY_STATUS)r : SEC_E_OK), expect);
    return failures;
}

static int run_loopback(const char *pfx, const char *pw) {
    /* Package info. */
    PSecPkgInfoA info = NULL;
    SECURITY_STATUS s = QuerySecurityPackageInfoA((SEC_CHAR *)"schannel", &info);
    CHECK(s == SEC_E_OK && info && info->wRPCID == UNISP_RPC_ID &&
              !strcmp(info->Comment, "Schannel Security Package"),
          "package: QuerySecurityPackageInfo(\"schannel\")", "%s", status_name(s));
    if (info) FreeContextBuffer(info);
    s = QuerySecurityPackageInfoA((SEC_CHAR *)UNISP_NAME_A, &info);
    CHECK(s == SEC_E_OK && !strcmp(info->Name, UNISP_NAME_A) && info->cbMaxToken == 24576 &&
              info->fCapabilities == 0x4107B3,
          "package: UNISP_NAME", "%s", status_name(s));
    if (info) FreeContextBuffer(info);
    /* Credentials. */
    CredHandle cred;
    s = acquire(&cred, SECPKG_CRED_INBOUND, NULL, 0, 0);
    CHECK(s == SEC_E_NO_CREDENTIALS, "creds: inbound without certificate", "%s", status_name(s));
    s = acquire(&cred, SECPKG_CRED_OUTBOUND, NULL, SP_PROT_TLS1_0_CLIENT | SP_PROT_SSL3_CLIENT, 0);
    CHECK(s == SEC_E_ALGORITHM_MISMATCH, "creds: TLS 1.0 / SSL 3 only", "%s", status_name(s));
    SCHANNEL_CRED bad;
    memset(&bad, 0, sizeof bad);
    bad.dwVersion = 99;
    TimeStamp ts;
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, &bad,
                                  NULL, NULL, &cred, &ts);
    CHECK(s == SEC_E_UNKNOWN_CREDENTIALS, "creds: bad version", "%s", status_name(s));
    {
        SCH_CREDENTIALS sc;
        TLS_PARAMETERS tp;
        memset(&sc, 0, sizeof sc);
        memset(&tp, 0, sizeof tp);
        sc.dwVersion = SCH_CREDENTIALS_VERSION;
        tp.grbitDisabledProtocols = SP_PROT_TLS1_2;
        sc.cTlsParameters = 1;
        sc.pTlsParameters = &tp;
        s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL,
                                      &sc, NULL, NULL, &cred, &ts);
        CHECK(s == SEC_E_OK, "creds: SCH_CREDENTIALS", "%s", status_name(s));
        if (s == SEC_E_OK) FreeCredentialsHandle(&cred);
    }
    /* Hostile bytes: never SEC_E_INTERNAL_ERROR (a caught panic), never a crash. */
    {
        HCERTSTORE st;
        PCCERT_CONTEXT cert = load_pfx(pfx, pw, &st);
        side_t cl = {0}, sv = {0};
        acquire(&sv.cred, SECPKG_CRED_INBOUND, cert, 0, 0);
        acquire(&cl.cred, SECPKG_CRED_OUTBOUND, NULL, 0, 0);
        int internal = 0;
        unsigned seed = 12345;
        static unsigned char junk[70000];
        for (int i = 0; i < 3000; i++) {
            size_t n = (size_t)(rand_r(&seed) % 400);
            for (size_t k = 0; k < n; k++) junk[k] = (unsigned char)rand_r(&seed);
            if (n >= 5 && i % 2) {
                junk[0] = (unsigned char)(20 + i % 5);
                junk[1] = 3;
                junk[2] = (unsigned char)(i % 4);
                junk[3] = 0;
                junk[4] = (unsigned char)(n - 5);
            }
            side_t x = {0};
            x.cred = i % 3 ? sv.cred : cl.cred;
            unsigned char out[65536];
            ULONG inlen = (ULONG)n, outlen;
            SECURITY_STATUS r = step(&x, i % 3 != 0, junk, &inlen, out, &outlen, "localhost",
                                     NULL, 0);
            if (r == SEC_E_INTERNAL_ERROR) internal++;
            if (x.have) DeleteSecurityContext(&x.ctx);
        }
        CHECK(internal == 0, "fuzz: handshake tokens", "%d internal errors", internal);
        internal = 0;
        if (loopback_pair(&cl, &sv, "localhost", 0, NULL, NULL) == 0) {
            for (int i = 0; i < 3000; i++) {
                size_t n = (size_t)(rand_r(&seed) % 600);
                for (size_t k = 0; k < n; k++) junk[k] = (unsigned char)rand_r(&seed);
                if (n >= 5) {
                    junk[0] = (unsigned char)(20 + i % 5);
                    junk[1] = 3;
                    junk[2] = 3;
                    junk[3] = (unsigned char)((n - 5) >> 8);
                    junk[4] = (unsigned char)(n - 5);
                }
                SecBuffer b[4];
                SECURITY_STATUS r = open_rec(&cl.ctx, junk, n, b);
                if (r == SEC_E_INTERNAL_ERROR || r == SEC_E_OK) internal++;
            }
            /* The context still works after all that. */
            unsigned char rec[256];
            size_t n = seal(&sv.ctx, "still fine", rec, 0);
            SecBuffer b[4];
            SECURITY_STATUS r = open_rec(&cl.ctx, rec, n, b);
            CHECK(internal == 0 && r == SEC_E_OK, "fuzz: DecryptMessage records",
                  "%d bad results, then %s", internal, status_name(r));
            DeleteSecurityContext(&cl.ctx);
            DeleteSecurityContext(&sv.ctx);
        }
        FreeCredentialsHandle(&cl.cred);
        FreeCredentialsHandle(&sv.cred);
        CertFreeCertificateContext(cert);
        CertCloseStore(st, 0);
    }
    /* TLS 1.2 session resumption in-process: the second handshake on the same credentials
     * is abbreviated; tls-unique then is the server's Finished, the same on both sides. */
    {
        HCERTSTORE st;
        PCCERT_CONTEXT cert = load_pfx(pfx, pw, &st);
        side_t cl = {0}, sv = {0};
        acquire(&sv.cred, SECPKG_CRED_INBOUND, cert, SP_PROT_TLS1_2_SERVER, 0);
        acquire(&cl.cred, SECPKG_CRED_OUTBOUND, NULL, 0, 0);
        unsigned flags[2][2] = {{9, 9}, {9, 9}};
        int same_unique = 0;
        for (int round = 0; round < 2; round++) {
            cl.have = sv.have = 0;
            if (loopback_pair(&cl, &sv, "localhost", 0, NULL, NULL)) break;
            SecPkgContext_SessionInfo a, b;
            QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_SESSION_INFO, &a);
            QueryContextAttributesA(&sv.ctx, SECPKG_ATTR_SESSION_INFO, &b);
            flags[round][0] = (unsigned)a.dwFlags;
            flags[round][1] = (unsigned)b.dwFlags;
            SecPkgContext_Bindings ub, us;
            if (round == 1 &&
                QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &ub) == SEC_E_OK &&
                QueryContextAttributesA(&sv.ctx, SECPKG_ATTR_UNIQUE_BINDINGS, &us) == SEC_E_OK) {
                same_unique = ub.BindingsLength == us.BindingsLength &&
                              !memcmp(ub.Bindings, us.Bindings, ub.BindingsLength);
                FreeContextBuffer(ub.Bindings);
                FreeContextBuffer(us.Bindings);
            }
            DeleteSecurityContext(&cl.ctx);
            DeleteSecurityContext(&sv.ctx);
        }
        CHECK(flags[0][0] == 0 && flags[0][1] == 0 && flags[1][0] == SSL_SESSION_RECONNECT &&
                  flags[1][1] == SSL_SESSION_RECONNECT && same_unique,
              "TLS 1.2 session resumption (SESSION_INFO, tls-unique)", "%u %u %u %u unique=%d",
              flags[0][0], flags[0][1], flags[1][0], flags[1][1], same_unique);
        FreeCredentialsHandle(&cl.cred);
        FreeCredentialsHandle(&sv.cred);
        CertFreeCertificateContext(cert);
        CertCloseStore(st, 0);
    }
    /* A malformed ServerHello → SEC_E_ILLEGAL_MESSAGE. */
    {
        side_t x = {0};
        acquire(&x.cred, SECPKG_CRED_OUTBOUND, NULL, 0, 0);
        unsigned char in[64], out[16384];
        ULONG inlen = 0, outlen;
        SECURITY_STATUS r1 = step(&x, 0, in, &inlen, out, &outlen, "localhost", NULL, 0);
        static const unsigned char bad[] = {22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3};
        memcpy(in, bad, sizeof bad);
        inlen = sizeof bad;
        SECURITY_STATUS r2 = step(&x, 0, in, &inlen, out, &outlen, "localhost", NULL, 0);
        CHECK(r1 == SEC_I_CONTINUE_NEEDED && r2 == SEC_E_ILLEGAL_MESSAGE,
              "malformed ServerHello", "%s / %s", status_name(r1), status_name(r2));
        if (x.have) DeleteSecurityContext(&x.ctx);
        FreeCredentialsHandle(&x.cred);
    }
    /* Wide entry points: UNISP_NAME_W, and the W target name becomes the SNI name. */
    {
        CredHandle wc;
        TimeStamp t3;
        SECURITY_STATUS r = AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)UNISP_NAME_W,
                                                      SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                                      NULL, &wc, &t3);
        CtxtHandle wx;
        SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
        ULONG attrs;
        SECURITY_STATUS r2 = InitializeSecurityContextW(
            &wc, NULL, (SEC_WCHAR *)SEC_WTEXT("sni-name.example"),
            ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM, 0, 0, NULL, 0, &wx, &od, &attrs, &t3);
        int sni = 0;
        for (ULONG k = 0; r2 == SEC_I_CONTINUE_NEEDED && k + 16 <= ob[0].cbBuffer; k++)
            if (!memcmp((char *)ob[0].pvBuffer + k, "sni-name.example", 16)) sni = 1;
        CHECK(r == SEC_E_OK && r2 == SEC_I_CONTINUE_NEEDED && sni &&
                  (attrs & ISC_RET_ALLOCATED_MEMORY),
              "wide: UNISP_NAME_W, target name in the ClientHello", "%s / %s sni=%d",
              status_name(r), status_name(r2), sni);
        FreeContextBuffer(ob[0].pvBuffer);
        if (r2 == SEC_I_CONTINUE_NEEDED) DeleteSecurityContext(&wx);
        if (r == SEC_E_OK) FreeCredentialsHandle(&wc);
    }
    /* Output token too small, then the same call with room: the handshake goes on. */
    {
        HCERTSTORE st;
        PCCERT_CONTEXT cert = load_pfx(pfx, pw, &st);
        CredHandle sc, cc;
        CtxtHandle sx, cx;
        acquire(&sc, SECPKG_CRED_INBOUND, cert, 0, 0);
        acquire(&cc, SECPKG_CRED_OUTBOUND, NULL, 0, 0);
        static unsigned char hello[16384], flight[65536], small[10];
        ULONG attrs;
        TimeStamp t2;
        SecBuffer ob[1] = {{sizeof hello, SECBUFFER_TOKEN, hello}};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
        SECURITY_STATUS r1 = InitializeSecurityContextA(&cc, NULL, (SEC_CHAR *)"localhost",
                                                        ISC_REQ_STREAM, 0, 0, NULL, 0, &cx, &od,
                                                        &attrs, &t2);
        ULONG hello_len = ob[0].cbBuffer;
        SecBuffer ib[2] = {{hello_len, SECBUFFER_TOKEN, hello}, {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc id = {SECBUFFER_VERSION, 2, ib};
        SecBuffer sb[1] = {{sizeof small, SECBUFFER_TOKEN, small}};
        SecBufferDesc sd = {SECBUFFER_VERSION, 1, sb};
        SECURITY_STATUS r2 = AcceptSecurityContext(&sc, NULL, &id, ASC_REQ_STREAM, 0, &sx, &sd,
                                                   &attrs, &t2);
        /* Windows' Schannel: SEC_E_INSUFFICIENT_MEMORY and cbBuffer 0 (Wine
           dlls/secur32/tests/schannel.c test_communication, run on Windows). */
        CHECK(r1 == SEC_I_CONTINUE_NEEDED && r2 == SEC_E_INSUFFICIENT_MEMORY && sb[0].cbBuffer == 0,
              "output token too small", "%s / %s", status_name(r1), status_name(r2));
        /* The ClientHello one byte at a time: INCOMPLETE with MISSING until whole. */
        int incomplete = 0;
        SECURITY_STATUS rb = SEC_E_INCOMPLETE_MESSAGE;
        for (ULONG k = 1; k < hello_len && rb == SEC_E_INCOMPLETE_MESSAGE; k++) {
            ib[0] = (SecBuffer){k, SECBUFFER_TOKEN, hello};
            ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
            sb[0] = (SecBuffer){sizeof small, SECBUFFER_TOKEN, small};
            rb = AcceptSecurityContext(&sc, NULL, &id, ASC_REQ_STREAM, 0, &sx, &sd, &attrs, &t2);
            if (rb == SEC_E_INCOMPLETE_MESSAGE && ib[1].BufferType == SECBUFFER_MISSING &&
                ib[1].cbBuffer == (k < 5 ? 5 - k : hello_len - k))
                incomplete++;
        }
        CHECK(incomplete == (int)hello_len - 1, "server: ClientHello byte-at-a-time",
              "%d of %u, last %s", incomplete, (unsigned)hello_len - 1, status_name(rb));
        /* A failed first call creates no context: Windows callers start over. */
        ib[0] = (SecBuffer){hello_len, SECBUFFER_TOKEN, hello};
        ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        sb[0] = (SecBuffer){sizeof flight, SECBUFFER_TOKEN, flight};
        r2 = AcceptSecurityContext(&sc, NULL, &id, ASC_REQ_STREAM, 0, &sx, &sd, &attrs, &t2);
        CHECK(r2 == SEC_I_CONTINUE_NEEDED && sb[0].cbBuffer > 100, "retry with room",
              "%s", status_name(r2));
        /* The same mid-handshake, on the client. */
        ULONG flight_len = sb[0].cbBuffer;
        static unsigned char fin[4096], tiny[4];
        ib[0] = (SecBuffer){flight_len, SECBUFFER_TOKEN, flight};
        ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        ob[0] = (SecBuffer){sizeof tiny, SECBUFFER_TOKEN, tiny};
        SECURITY_STATUS r3 = InitializeSecurityContextA(&cc, &cx, (SEC_CHAR *)"localhost",
                                                        ISC_REQ_STREAM, 0, 0, &id, 0, NULL, &od,
                                                        &attrs, &t2);
        ib[0] = (SecBuffer){flight_len, SECBUFFER_TOKEN, flight};
        ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        ob[0] = (SecBuffer){sizeof fin, SECBUFFER_TOKEN, fin};
        SECURITY_STATUS r4 = InitializeSecurityContextA(&cc, &cx, (SEC_CHAR *)"localhost",
                                                        ISC_REQ_STREAM, 0, 0, &id, 0, NULL, &od,
                                                        &attrs, &t2);
        ib[0] = (SecBuffer){ob[0].cbBuffer, SECBUFFER_TOKEN, fin};
        ib[1] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
        sb[0] = (SecBuffer){sizeof flight, SECBUFFER_TOKEN, flight};
        SECURITY_STATUS r5 = AcceptSecurityContext(&sc, &sx, &id, ASC_REQ_STREAM, 0, NULL, &sd,
                                                   &attrs, &t2);
        CHECK(r3 == SEC_E_INSUFFICIENT_MEMORY && r4 == SEC_E_OK && r5 == SEC_E_OK,
              "mid-handshake retry with room", "%s / %s / %s", status_name(r3), status_name(r4),
              status_name(r5));
        if (r1 == SEC_I_CONTINUE_NEEDED) DeleteSecurityContext(&cx);
        if (r2 == SEC_I_CONTINUE_NEEDED) DeleteSecurityContext(&sx);
        FreeCredentialsHandle(&sc);
        FreeCredentialsHandle(&cc);
        CertFreeCertificateContext(cert);
        CertCloseStore(st, 0);
    }
    loopback_one(pfx, pw, SP_PROT_TLS1_3_SERVER, "loopback TLS 1.3");
    loopback_one(pfx, pw, SP_PROT_TLS1_2_SERVER, "loopback TLS 1.2");
    return failures;
}

/* ---------------------------------------------------------------------------------------- */
/* crypt32 mode: $SECUR32_CERT_STORE_DIR holds MY/server.pfx and ROOT/ca.pem */

static int run_crypt32(void) {
    HCERTSTORE my = CertOpenStore(CERT_STORE_PROV_SYSTEM_A, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER,
                                  "MY");
    CHECK(my != NULL, "crypt32: CertOpenStore(SYSTEM, \"MY\")", "NULL");
    if (!my) return failures;
    PCCERT_CONTEXT c = CertFindCertificateInStore(my, X509_ASN_ENCODING, 0, CERT_FIND_SUBJECT_STR_A,
                                                  "LOCALHOST", NULL);
    CHECK(c != NULL, "crypt32: CERT_FIND_SUBJECT_STR_A (case-insensitive)", "not found");
    if (!c) return failures;
    CHECK(c->dwCertEncodingType == (X509_ASN_ENCODING | PKCS_7_ASN_ENCODING) &&
              c->pbCertEncoded[0] == 0x30 && c->cbCertEncoded > 100 && c->pCertInfo &&
              c->pCertInfo->dwVersion == 2 && c->pCertInfo->Subject.cbData > 0 &&
              c->pCertInfo->Issuer.cbData > 0 && c->pCertInfo->SerialNumber.cbData > 0 &&
              c->pCertInfo->SubjectPublicKeyInfo.PublicKey.cbData > 0 &&
              !strcmp(c->pCertInfo->SubjectPublicKeyInfo.Algorithm.pszObjId,
                      "1.2.840.113549.1.1.1") &&
              c->pCertInfo->cExtension > 0,
          "crypt32: CERT_CONTEXT / CERT_INFO fields", "unexpected layout or values");
    uint64_t nb = ((uint64_t)c->pCertInfo->NotBefore.dwHighDateTime << 32) |
                  c->pCertInfo->NotBefore.dwLowDateTime;
    uint64_t na = ((uint64_t)c->pCertInfo->NotAfter.dwHighDateTime << 32) |
                  c->pCertInfo->NotAfter.dwLowDateTime;
    CHECK(na > nb && nb > 130000000000000000ull, "crypt32: NotBefore/NotAfter FILETIME", "%llu %llu",
          (unsigned long long)nb, (unsigned long long)na);
    BYTE hash[20];
    DWORD hl = 0;
    BOOL ok = CertGetCertificateContextProperty(c, CERT_HASH_PROP_ID, NULL, &hl);
    CHECK(ok && hl == 20, "crypt32: CERT_HASH_PROP_ID size", "%d %u", ok, (unsigned)hl);
    hl = 4;
    ok = CertGetCertificateContextProperty(c, CERT_SHA1_HASH_PROP_ID, hash, &hl);
    CHECK(!ok && GetLastError() == ERROR_MORE_DATA && hl == 20, "crypt32: small buffer",
          "ok=%d err=%u", ok, (unsigned)GetLastError());
    hl = sizeof hash;
    ok = CertGetCertificateContextProperty(c, CERT_SHA1_HASH_PROP_ID, hash, &hl);
    CRYPT_HASH_BLOB hb = {20, hash};
    PCCERT_CONTEXT byhash =
        CertFindCertificateInStore(my, X509_ASN_ENCODING, 0, CERT_FIND_SHA1_HASH, &hb, NULL);
    CHECK(ok && byhash && byhash->cbCertEncoded == c->cbCertEncoded &&
              !memcmp(byhash->pbCertEncoded, c->pbCertEncoded, c->cbCertEncoded),
          "crypt32: CERT_FIND_SHA1_HASH", "not found");
    if (byhash) CertFreeCertificateContext(byhash);
    SEC_WCHAR wname[64];
    DWORD wn = CertGetNameStringW(c, CERT_NAME_DNS_TYPE, 0, NULL, wname, 64);
    CHECK(wn == 10 && wname[0] == 'l' && wname[8] == 't' && wname[9] == 0,
          "crypt32: CertGetNameStringW(DNS)", "%u", (unsigned)wn);
    char name[64];
    DWORD n = CertGetNameStringA(c, CERT_NAME_SIMPLE_DISPLAY_TYPE, CERT_NAME_ISSUER_FLAG, NULL,
                                 name, sizeof name);
    CHECK(n == 8 && !strcmp(name, "Test CA"), "crypt32: CertGetNameStringA(issuer)", "'%s'", name);
    n = CertGetNameStringA(c, CERT_NAME_ATTR_TYPE, 0, (void *)szOID_COMMON_NAME, name, sizeof name);
    CHECK(n == 10 && !strcmp(name, "localhost"), "crypt32: CERT_NAME_ATTR_TYPE(szOID_COMMON_NAME)",
          "'%s'", name);
    CHECK(CertGetNameStringA(c, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, NULL, NULL, 0) == 10,
          "crypt32: CertGetNameStringA size query", "wrong size");
    /* A copy made from the DER has no key; the store's certificate has. */
    PCCERT_CONTEXT copy = CertCreateCertificateContext(X509_ASN_ENCODING, c->pbCertEncoded,
                                                       c->cbCertEncoded);
    CHECK(copy != NULL, "crypt32: CertCreateCertificateContext", "NULL");
    CredHandle cred;
    SECURITY_STATUS s = acquire(&cred, SECPKG_CRED_INBOUND, c, 0, 0);
    CHECK(s == SEC_E_OK, "crypt32: server credentials from the MY store", "%s", status_name(s));
    if (s == SEC_E_OK) FreeCredentialsHandle(&cred);
    s = acquire(&cred, SECPKG_CRED_INBOUND, copy, 0, 0);
    CHECK(s == SEC_E_NO_CREDENTIALS, "crypt32: certificate without key", "%s", status_name(s));
    PCCERT_CONTEXT dup = CertDuplicateCertificateContext(c);
    CHECK(dup == c, "crypt32: CertDuplicateCertificateContext", "%p", (const void *)dup);
    CHECK(CertFreeCertificateContext(dup), "crypt32: free duplicate", "FALSE");
    CHECK(CertFreeCertificateContext(copy), "crypt32: free copy", "FALSE");
    CERT_CONTEXT fake;
    memset(&fake, 0, sizeof fake);
    CHECK(!CertFreeCertificateContext(&fake), "crypt32: foreign pointer refused", "TRUE");
    CHECK(CertCreateCertificateContext(X509_ASN_ENCODING, (const BYTE *)"junk", 4) == NULL,
          "crypt32: junk DER", "accepted");
    /* Enumeration frees the previous context; the held one outlives the store. */
    int count = 0;
    for (PCCERT_CONTEXT e = CertEnumCertificatesInStore(my, NULL); e;
         e = CertEnumCertificatesInStore(my, e))
        count++;
    CHECK(count == 2, "crypt32: CertEnumCertificatesInStore", "%d certificates", count);
    CHECK(CertCloseStore(my, 0), "crypt32: CertCloseStore", "FALSE");
    CHECK(c->pCertInfo->dwVersion == 2 && CertFreeCertificateContext(c),
          "crypt32: context outlives its store", "freed");
    HCERTSTORE root = CertOpenSystemStoreA(0, "ROOT");
    PCCERT_CONTEXT ca = root ? CertFindCertificateInStore(root, X509_ASN_ENCODING, 0,
                                                          CERT_FIND_SUBJECT_STR_A, "Test CA", NULL)
                             : NULL;
    CHECK(ca != NULL, "crypt32: ROOT store from SECUR32_CERT_STORE_DIR", "not found");
    if (ca) CertFreeCertificateContext(ca);
    /* A memory store as SCHANNEL_CRED.hRootStore. */
    HCERTSTORE mem = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
    CHECK(mem != NULL, "crypt32: CERT_STORE_PROV_MEMORY", "NULL");
    if (root) CertCloseStore(root, 0);
    if (mem) CertCloseStore(mem, 0);
    HCERTSTORE bad = CertOpenStore((LPCSTR)77, 0, 0, 0, NULL);
    CHECK(bad == NULL, "crypt32: unknown store provider", "opened");
    return failures;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 4 && !strcmp(argv[1], "loopback")) return run_loopback(argv[2], argv[3]) ? 1 : 0;
    if (argc >= 2 && !strcmp(argv[1], "crypt32")) return run_crypt32() ? 1 : 0;
    if (argc >= 5 && !strcmp(argv[1], "chain")) return run_chain(argv[2], argv[3], argv[4]) ? 1 : 0;
    if (argc >= 4 && !strcmp(argv[1], "reconnect")) return run_reconnect(argc, argv) ? 1 : 0;
    if (argc >= 5 && !strcmp(argv[1], "handshake"))
        return run_loopback_handshake(argv[2], argv[3], argv[4]) ? 1 : 0;
    if (argc >= 4 && !strcmp(argv[1], "client")) return run_client(argc, argv) ? 1 : 0;
    if (argc >= 5 && !strcmp(argv[1], "server")) return run_server(argc, argv) ? 1 : 0;
    fprintf(stderr, "usage: see the comment at the top of c-tests/schannel.c\n");
    return 2;
}
