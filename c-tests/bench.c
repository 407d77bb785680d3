/* The message-path benchmark (issue #5). Loads any SSPI library that exports
   InitSecurityInterfaceW with dlopen and calls only through its SecurityFunctionTableW;
   establishes real contexts for every package it offers that this bench knows how to set up;
   measures EncryptMessage / DecryptMessage at 1 B, 64 B, 1 KiB, 16 KiB and 1 MiB (1 thread,
   N threads on N contexts, encrypt ∥ decrypt on one context), handshakes/s, heap allocations
   per call; and, from libsecur32_raw.so, the raw primitives with the same crates and no SSPI
   layer, printed as shim / raw ratios. With two libraries it prints their ratio (B / A).

   Packages: NTLM (user/password credentials) and Schannel (--pfx: the server's certificate and
   key as PKCS#12, loaded with the PFXImportCertStore the library exports; the client validates
   nothing, SCH_CRED_MANUAL_CRED_VALIDATION, and never resumes, SCH_CRED_DISABLE_RECONNECTS, so
   each handshake is a full one). Schannel messages are TLS records of at most 16 KiB: 1 MiB is
   64 records, and its figures are per MiB; its raw baseline is ring AES-GCM with the key size
   the handshake negotiated, sealed / opened in place record by record in the same layout.

   usage: bench [--seconds S] [--threads N] [--size BYTES] [--json FILE] [--raw libsecur32_raw.so]
                [--pfx server.pfx [--pfx-pass PASSWORD]]
                [--openssl md5=MB/s,rc4=MB/s,gcm=MB/s,gcm256=MB/s] lib.so [other-lib.so]
   c-tests/bench.sh builds everything and runs it. */
#define _GNU_SOURCE
#define SECURITY_WIN32
#include <security.h>
#include <schannel.h>
#include <wincrypt.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "alloc_count.h"

#define MAX_THREADS 64
#define NSIZES 5
static const size_t SIZES[NSIZES] = {1, 64, 1024, 16384, 1048576};
static const char *SIZE_NAMES[NSIZES] = {"1 B", "64 B", "1 KiB", "16 KiB", "1 MiB"};

static double g_seconds = 0.5;
static const char *g_load = ""; /* --load: the machine and its load, for the JSON */
static const char *g_only_pkg = NULL; /* --package ntlm|schannel: only that package */
static int g_threads = 0;
static long g_only_size = -1; /* --size: run one message size only (profiling) */
static const char *g_pfx = NULL, *g_pfx_pass = "";
#define TLS_RECORD 16384

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of n samples (sorts them). Batches are timed one by one and the median taken, so a
   batch during which another process held the core does not skew the figure. */
static double median(double *v, size_t n) {
  if (!n) return 0;
  qsort(v, n, sizeof *v, cmp_double);
  return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_ROUNDS 100000

static void die(const char *what, long st) {
  fprintf(stderr, "bench: %s failed: 0x%08lx\n", what, (unsigned long)st);
  exit(2);
}

/* ------------------------------------------------------------------------------------------ */
/* The library under test, through its function table only. */

typedef struct {
  const char *path;
  void *dl;
  SecurityFunctionTableW *t;
  /* Schannel's server certificate, from the library's own crypt32 functions (dlsym). */
  HCERTSTORE store;
  PCCERT_CONTEXT cert;
} lib_t;

static void lib_open(lib_t *l, const char *path) {
  PSecurityFunctionTableW (SEC_ENTRY *init)(void);
  l->path = path;
  l->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!l->dl) { fprintf(stderr, "bench: dlopen %s: %s\n", path, dlerror()); exit(2); }
  *(void **)&init = dlsym(l->dl, "InitSecurityInterfaceW");
  if (!init) { fprintf(stderr, "bench: %s exports no InitSecurityInterfaceW\n", path); exit(2); }
  l->t = init();
  if (!l->t || !l->t->EncryptMessage || !l->t->DecryptMessage) die("InitSecurityInterfaceW", -1);
}

static void u16(SEC_WCHAR *out, const char *s) {
  while ((*out++ = (SEC_WCHAR)(unsigned char)*s++)) {}
}

static int u16eq(const SEC_WCHAR *a, const char *b) {
  for (; *a && *b; a++, b++) {
    SEC_WCHAR x = *a, y = (SEC_WCHAR)(unsigned char)*b;
    if (x >= 'a' && x <= 'z') x -= 32;
    if (y >= 'a' && y <= 'z') y -= 32;
    if (x != y) return 0;
  }
  return *a == 0 && *b == 0;
}

static int lib_offers(lib_t *l, const char *name) {
  ULONG n = 0, i;
  PSecPkgInfoW p = NULL;
  int found = 0;
  if (l->t->EnumerateSecurityPackagesW(&n, &p) != SEC_E_OK) return 0;
  for (i = 0; i < n; i++) if (p[i].Name && u16eq(p[i].Name, name)) found = 1;
  l->t->FreeContextBuffer(p);
  return found;
}

/* Loads --pfx with the library's PFXImportCertStore; 0 if it cannot. */
static int lib_load_cert(lib_t *l) {
  __typeof__(PFXImportCertStore) *pfx_import;
  __typeof__(CertFindCertificateInStore) *find;
  static unsigned char blob[65536];
  SEC_WCHAR pw[128];
  CRYPT_DATA_BLOB b;
  size_t n, i;
  FILE *f;
  *(void **)&pfx_import = dlsym(l->dl, "PFXImportCertStore");
  *(void **)&find = dlsym(l->dl, "CertFindCertificateInStore");
  if (!pfx_import || !find) { fprintf(stderr, "bench: %s exports no PFXImportCertStore\n", l->path); return 0; }
  if (!g_pfx || !(f = fopen(g_pfx, "rb"))) { fprintf(stderr, "bench: no --pfx file (%s)\n", g_pfx ? g_pfx : "none"); return 0; }
  n = fread(blob, 1, sizeof blob, f);
  fclose(f);
  for (i = 0; g_pfx_pass[i] && i < 127; i++) pw[i] = (SEC_WCHAR)(unsigned char)g_pfx_pass[i];
  pw[i] = 0;
  b.cbData = (DWORD)n;
  b.pbData = blob;
  l->store = pfx_import(&b, pw, 0);
  if (!l->store) { fprintf(stderr, "bench: PFXImportCertStore(%s) failed\n", g_pfx); return 0; }
  l->cert = find(l->store, X509_ASN_ENCODING, 0, CERT_FIND_ANY, NULL, NULL);
  return l->cert != NULL;
}

static void lib_free_cert(lib_t *l) {
  __typeof__(CertFreeCertificateContext) *free_cert;
  __typeof__(CertCloseStore) *close_store;
  *(void **)&free_cert = dlsym(l->dl, "CertFreeCertificateContext");
  *(void **)&close_store = dlsym(l->dl, "CertCloseStore");
  if (l->cert && free_cert) free_cert(l->cert);
  if (l->store && close_store) close_store(l->store, 0);
  l->cert = NULL;
  l->store = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Contexts: a client and a server context of one package, in process. */

/* How a message is laid out. NTLM: [TOKEN (trl bytes, apart), DATA]. Schannel: records of at
   most 16 KiB of data, each header (hdr) | data | trailer (trl), one after another. */
typedef struct {
  int sch;
  ULONG hdr, trl;
} shape_t;

typedef struct {
  CredHandle ccred, scred;
  CtxtHandle cctx, sctx;
  int chave, shave; /* Schannel handshake: the context exists */
  shape_t sh;
  ULONG trailer; /* cbSecurityTrailer */
} pair_t;

#define REQ_ISC (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define REQ_ASC (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION)

static void ntlm_creds(lib_t *l, pair_t *p) {
  SEC_WCHAR pkg[8], user[16], dom[16], pw[16];
  SEC_WINNT_AUTH_IDENTITY_W id;
  TimeStamp ts;
  SECURITY_STATUS s;
  u16(pkg, "NTLM"); u16(user, "bench"); u16(dom, "BENCHDOM"); u16(pw, "Passw0rd!");
  memset(&id, 0, sizeof id);
  id.User = (uint16_t *)user; id.UserLength = 5;
  id.Domain = (uint16_t *)dom; id.DomainLength = 8;
  id.Password = (uint16_t *)pw; id.PasswordLength = 9;
  id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  s = l->t->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &p->ccred, &ts);
  if (s != SEC_E_OK) die("AcquireCredentialsHandleW(NTLM, OUTBOUND)", s);
  s = l->t->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &p->scred, &ts);
  if (s != SEC_E_OK) die("AcquireCredentialsHandleW(NTLM, INBOUND)", s);
}

/* Nanoseconds spent in the client's (InitializeSecurityContextW) and the server's
   (AcceptSecurityContext, CompleteAuthToken) calls of the last handshake() on this thread. */
static _Thread_local double g_leg_ns[2];

/* Runs InitializeSecurityContextW / AcceptSecurityContext until both sides are done.
   SEC_I_COMPLETE_NEEDED (sspi-rs' last server leg) is completed with CompleteAuthToken. */
static SECURITY_STATUS handshake(lib_t *l, pair_t *p) {
  unsigned char a[8192], b[8192];
  SecBuffer ob = {sizeof a, SECBUFFER_TOKEN, a}, ib = {0, SECBUFFER_TOKEN, b};
  SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob}, id = {SECBUFFER_VERSION, 1, &ib};
  SEC_WCHAR spn[32];
  TimeStamp ts;
  ULONG attr;
  SECURITY_STATUS cs, ss = SEC_I_CONTINUE_NEEDED;
  int round;
  double t0, t1;
  u16(spn, "HTTP/bench.example");
  g_leg_ns[0] = g_leg_ns[1] = 0;
  t0 = now_ns();
  cs = l->t->InitializeSecurityContextW(&p->ccred, NULL, spn, REQ_ISC, 0, SECURITY_NATIVE_DREP, NULL, 0, &p->cctx, &od, &attr, &ts);
  t1 = now_ns(); g_leg_ns[0] += t1 - t0;
  for (round = 0; round < 16; round++) {
    if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) return cs;
    if (ss == SEC_E_OK && cs == SEC_E_OK) return SEC_E_OK;
    if (ob.cbBuffer == 0 && cs == SEC_E_OK) return ss == SEC_E_OK ? SEC_E_OK : -1;
    memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer; ob.cbBuffer = sizeof a;
    t0 = now_ns();
    ss = l->t->AcceptSecurityContext(&p->scred, round ? &p->sctx : NULL, &id, REQ_ASC, SECURITY_NATIVE_DREP, &p->sctx, &od, &attr, &ts);
    if (ss == SEC_I_COMPLETE_NEEDED && l->t->CompleteAuthToken) ss = l->t->CompleteAuthToken(&p->sctx, &od);
    t1 = now_ns(); g_leg_ns[1] += t1 - t0;
    if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) return ss;
    if (ss == SEC_E_OK && cs == SEC_E_OK) return SEC_E_OK;
    if (ob.cbBuffer == 0) return ss == SEC_E_OK && cs == SEC_E_OK ? SEC_E_OK : -1;
    memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer; ob.cbBuffer = sizeof a;
    t0 = now_ns();
    cs = l->t->InitializeSecurityContextW(&p->ccred, &p->cctx, spn, REQ_ISC, 0, SECURITY_NATIVE_DREP, &id, 0, &p->cctx, &od, &attr, &ts);
    t1 = now_ns(); g_leg_ns[0] += t1 - t0;
  }
  return -1;
}

/* Schannel: server credentials with the --pfx certificate (SCH_CREDENTIALS), client
   credentials that validate nothing and never resume (SCHANNEL_CRED). */
static void sch_creds(lib_t *l, pair_t *p) {
  SEC_WCHAR pkg[64];
  SCH_CREDENTIALS sv;
  SCHANNEL_CRED cl;
  TimeStamp ts;
  SECURITY_STATUS s;
  u16(pkg, "Microsoft Unified Security Protocol Provider");
  memset(&sv, 0, sizeof sv);
  sv.dwVersion = SCH_CREDENTIALS_VERSION;
  sv.cCreds = 1;
  sv.paCred = &l->cert;
  s = l->t->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_INBOUND, NULL, &sv, NULL, NULL, &p->scred, &ts);
  if (s != SEC_E_OK) die("AcquireCredentialsHandleW(Schannel, INBOUND)", s);
  memset(&cl, 0, sizeof cl);
  cl.dwVersion = SCHANNEL_CRED_VERSION;
  cl.dwFlags = SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS | SCH_CRED_DISABLE_RECONNECTS;
  s = l->t->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, NULL, &cl, NULL, NULL, &p->ccred, &ts);
  if (s != SEC_E_OK) die("AcquireCredentialsHandleW(Schannel, OUTBOUND)", s);
}

/* One ISC / ASC call as Schannel callers make it: input [TOKEN, EMPTY] (EXTRA kept for the next
   call), output token allocated by the package. */
static SECURITY_STATUS sch_step(lib_t *l, pair_t *p, int server, unsigned char *in, ULONG *inlen,
                                unsigned char *out, ULONG *outlen) {
  SecBuffer ib[2] = {{*inlen, SECBUFFER_TOKEN, in}, {0, SECBUFFER_EMPTY, NULL}};
  SecBufferDesc id = {SECBUFFER_VERSION, 2, ib};
  SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
  SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
  SEC_WCHAR target[16];
  ULONG attr;
  TimeStamp ts;
  SECURITY_STATUS s;
  u16(target, "localhost");
  if (server)
    s = l->t->AcceptSecurityContext(&p->scred, p->shave ? &p->sctx : NULL, &id,
                                    ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT | ASC_REQ_CONFIDENTIALITY |
                                        ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM,
                                    0, &p->sctx, &od, &attr, &ts);
  else
    s = l->t->InitializeSecurityContextW(&p->ccred, p->chave ? &p->cctx : NULL, target,
                                         ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
                                             ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM,
                                         0, 0, *inlen ? &id : NULL, 0, &p->cctx, &od, &attr, &ts);
  if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) *(server ? &p->shave : &p->chave) = 1;
  *outlen = 0;
  if (ob[0].pvBuffer) {
    memcpy(out, ob[0].pvBuffer, ob[0].cbBuffer);
    *outlen = ob[0].cbBuffer;
    l->t->FreeContextBuffer(ob[0].pvBuffer);
  }
  if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) {
    if (ib[1].BufferType == SECBUFFER_EXTRA && ib[1].cbBuffer) {
      memmove(in, in + *inlen - ib[1].cbBuffer, ib[1].cbBuffer);
      *inlen = ib[1].cbBuffer;
    } else {
      *inlen = 0;
    }
  }
  return s;
}

/* A full TLS handshake, the flights passed in memory. */
static SECURITY_STATUS sch_handshake(lib_t *l, pair_t *p) {
  unsigned char c2s[32768], s2c[32768], out[32768];
  ULONG c2s_len = 0, s2c_len = 0, n;
  SECURITY_STATUS cs, ss = SEC_I_CONTINUE_NEEDED;
  int round;
  p->chave = p->shave = 0;
  cs = sch_step(l, p, 0, s2c, &s2c_len, c2s, &n);
  c2s_len = n;
  for (round = 0; round < 16 && (cs != SEC_E_OK || ss != SEC_E_OK); round++) {
    if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) return cs;
    if (c2s_len) {
      ss = sch_step(l, p, 1, c2s, &c2s_len, out, &n);
      if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED) return ss;
      if (s2c_len + n > sizeof s2c) return -1;
      memcpy(s2c + s2c_len, out, n);
      s2c_len += n;
    }
    if (cs != SEC_E_OK) {
      if (!s2c_len) return -1;
      cs = sch_step(l, p, 0, s2c, &s2c_len, out, &n);
      if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) return cs;
      if (c2s_len + n > sizeof c2s) return -1;
      memcpy(c2s + c2s_len, out, n);
      c2s_len += n;
    } else if (!c2s_len) {
      break;
    }
  }
  return cs == SEC_E_OK && ss == SEC_E_OK && !c2s_len && !s2c_len ? SEC_E_OK : -1;
}

/* Negotiated protocol and suite ("TLS 1.3 TLS_AES_256_GCM_SHA384") and the AEAD key bits. */
static int sch_cipher(lib_t *l, pair_t *p, char *name, size_t cap) {
  SecPkgContext_ConnectionInfo ci;
  static SecPkgContext_CipherInfo cinfo;
  SECURITY_STATUS s;
  size_t i, k;
  s = l->t->QueryContextAttributesW(&p->cctx, SECPKG_ATTR_CONNECTION_INFO, &ci);
  if (s != SEC_E_OK) die("QueryContextAttributesW(CONNECTION_INFO)", s);
  memset(&cinfo, 0, sizeof cinfo);
  cinfo.dwVersion = 1;
  k = (size_t)snprintf(name, cap, "%s", ci.dwProtocol & (SP_PROT_TLS1_3_CLIENT | SP_PROT_TLS1_3_SERVER) ? "TLS 1.3"
                                        : ci.dwProtocol & (SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_2_SERVER) ? "TLS 1.2"
                                                                                                          : "TLS ?");
  if (l->t->QueryContextAttributesW(&p->cctx, SECPKG_ATTR_CIPHER_INFO, &cinfo) == SEC_E_OK && k + 2 < cap) {
    name[k++] = ' ';
    for (i = 0; cinfo.szCipherSuite[i] && k + 1 < cap; i++) name[k++] = (char)cinfo.szCipherSuite[i];
    name[k] = 0;
  }
  return (int)ci.dwCipherStrength;
}

static void pair_new(lib_t *l, pair_t *p, int sch) {
  SECURITY_STATUS s;
  memset(p, 0, sizeof *p);
  if (sch) {
    SecPkgContext_StreamSizes ss;
    sch_creds(l, p);
    s = sch_handshake(l, p);
    if (s != SEC_E_OK) die("Schannel handshake", s);
    s = l->t->QueryContextAttributesW(&p->cctx, SECPKG_ATTR_STREAM_SIZES, &ss);
    if (s != SEC_E_OK) die("QueryContextAttributesW(STREAM_SIZES)", s);
    if (ss.cbMaximumMessage < TLS_RECORD || ss.cbTrailer < 16) die("STREAM_SIZES", ss.cbMaximumMessage);
    p->sh.sch = 1;
    p->sh.hdr = ss.cbHeader;
    p->sh.trl = ss.cbTrailer;
    p->trailer = ss.cbTrailer;
  } else {
    SecPkgContext_Sizes sz;
    ntlm_creds(l, p);
    s = handshake(l, p);
    if (s != SEC_E_OK) die("NTLM handshake", s);
    s = l->t->QueryContextAttributesW(&p->cctx, SECPKG_ATTR_SIZES, &sz);
    if (s != SEC_E_OK) die("QueryContextAttributesW(SIZES)", s);
    p->trailer = sz.cbSecurityTrailer;
    p->sh.trl = sz.cbSecurityTrailer;
  }
}

static void pair_free(lib_t *l, pair_t *p) {
  l->t->DeleteSecurityContext(&p->cctx);
  l->t->DeleteSecurityContext(&p->sctx);
  l->t->FreeCredentialsHandle(&p->ccred);
  l->t->FreeCredentialsHandle(&p->scred);
}

/* ------------------------------------------------------------------------------------------ */
/* The raw baseline: libsecur32_raw.so (same crates, no SSPI layer). */

typedef struct {
  void *dl;
  void *(*ntlm_new)(const unsigned char *);
  void (*ntlm_free)(void *);
  int (*ntlm_seal)(void *, unsigned char *, unsigned char *, size_t);
  int (*ntlm_unseal)(void *, unsigned char *, unsigned char *, size_t);
  void (*md5)(unsigned char *, size_t, unsigned char *);
  void (*rc4)(void *, unsigned char *, size_t);
  void *(*gcm_new)(const unsigned char *);
  void *(*gcm256_new)(const unsigned char *); /* NULL: an older libsecur32_raw */
  void (*gcm_free)(void *);
  int (*gcm_seal)(void *, uint64_t, unsigned char *, size_t, unsigned char *);
  int (*gcm_open)(void *, uint64_t, unsigned char *, size_t, unsigned char *);
} raw_t;

static int raw_open(raw_t *r, const char *path) {
  memset(r, 0, sizeof *r);
  r->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!r->dl) { fprintf(stderr, "bench: no raw baseline (%s)\n", dlerror()); return 0; }
#define SYM(f) *(void **)&r->f = dlsym(r->dl, "secur32_raw_" #f); if (!r->f) return 0
  SYM(ntlm_new); SYM(ntlm_free); SYM(ntlm_seal); SYM(ntlm_unseal); SYM(md5); SYM(rc4);
  SYM(gcm_new); SYM(gcm_free); SYM(gcm_seal); SYM(gcm_open);
#undef SYM
  *(void **)&r->gcm256_new = dlsym(r->dl, "secur32_raw_gcm256_new");
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* One measurement: batches of k messages, each batch encrypted (timed) then decrypted (timed)
   in the same buffers, until the time budget is spent. */

typedef struct {
  double enc_ns, dec_ns; /* per call */
  unsigned long calls;
  double allocs_per_call; /* -1: not measured */
} msg_result_t;

typedef struct {
  int raw; /* 0: SSPI through lib; 1: raw NTLM primitives; 2: raw AES-GCM */
  shape_t sh;
  lib_t *l;
  pair_t *p;
  raw_t *r;
  void *rs;
  size_t size;
  double seconds;
  int count_allocs;
  msg_result_t out;
  /* N-thread start line */
  atomic_int *ready;
  int nthreads;
} msg_job_t;

static size_t batch_for(size_t size) {
  size_t k = (256 * 1024) / (size + 16);
  if (k < 1) k = 1;
  if (k > 1024) k = 1024;
  return k;
}

static inline SECURITY_STATUS sspi_enc(lib_t *l, CtxtHandle *h, unsigned char *sig, ULONG tl, unsigned char *d, ULONG n) {
  SecBuffer b[2] = {{tl, SECBUFFER_TOKEN, sig}, {n, SECBUFFER_DATA, d}};
  SecBufferDesc desc = {SECBUFFER_VERSION, 2, b};
  return l->t->EncryptMessage(h, 0, &desc, 0);
}

static inline SECURITY_STATUS sspi_dec(lib_t *l, CtxtHandle *h, unsigned char *sig, ULONG tl, unsigned char *d, ULONG n) {
  SecBuffer b[2] = {{tl, SECBUFFER_TOKEN, sig}, {n, SECBUFFER_DATA, d}};
  SecBufferDesc desc = {SECBUFFER_VERSION, 2, b};
  ULONG qop = 0;
  return l->t->DecryptMessage(h, &desc, 0, &qop);
}

static size_t records(size_t size) { return size > TLS_RECORD ? (size + TLS_RECORD - 1) / TLS_RECORD : 1; }

/* Bytes one message takes in the data buffer (the NTLM signature is kept apart). */
static size_t stride(const shape_t *sh, size_t size) {
  size_t chunk = size < TLS_RECORD ? size : TLS_RECORD;
  return sh->sch ? records(size) * (sh->hdr + chunk + sh->trl) : size;
}

/* Seals one message: mode 0 through the library, 1 raw NTLM, 2 raw AES-GCM (seq: nonce of its
   first record). Schannel: EncryptMessage [STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY] per
   record, in place. */
static inline long seal_msg(int mode, lib_t *l, raw_t *r, void *rs, const shape_t *sh, CtxtHandle *h, uint64_t seq,
                            unsigned char *sig, unsigned char *d, size_t sz) {
  size_t off = 0;
  if (!sh->sch) {
    if (mode == 0) return sspi_enc(l, h, sig, sh->trl, d, (ULONG)sz);
    if (mode == 1) return r->ntlm_seal(rs, sig, d, sz);
    return r->gcm_seal(rs, seq, d, sz, sig);
  }
  do {
    size_t chunk = sz - off < TLS_RECORD ? sz - off : TLS_RECORD;
    long s;
    if (mode == 0) {
      SecBuffer b[4] = {{sh->hdr, SECBUFFER_STREAM_HEADER, d},
                        {(ULONG)chunk, SECBUFFER_DATA, d + sh->hdr},
                        {sh->trl, SECBUFFER_STREAM_TRAILER, d + sh->hdr + chunk},
                        {0, SECBUFFER_EMPTY, NULL}};
      SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
      s = l->t->EncryptMessage(h, 0, &desc, 0);
      if (s == 0 && b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer != sh->hdr + chunk + sh->trl) s = -1;
    } else {
      s = r->gcm_seal(rs, seq++, d + sh->hdr, chunk, d + sh->hdr + chunk);
    }
    if (s != 0) return s;
    d += sh->hdr + chunk + sh->trl;
    off += chunk;
  } while (off < sz);
  return 0;
}

/* Opens what seal_msg made. Schannel: DecryptMessage [DATA (one record), EMPTY, EMPTY, EMPTY]. */
static inline long open_msg(int mode, lib_t *l, raw_t *r, void *rs, const shape_t *sh, CtxtHandle *h, uint64_t seq,
                            unsigned char *sig, unsigned char *d, size_t sz) {
  size_t off = 0;
  if (!sh->sch) {
    if (mode == 0) return sspi_dec(l, h, sig, sh->trl, d, (ULONG)sz);
    if (mode == 1) return r->ntlm_unseal(rs, sig, d, sz);
    return r->gcm_open(rs, seq, d, sz, sig);
  }
  do {
    size_t chunk = sz - off < TLS_RECORD ? sz - off : TLS_RECORD;
    long s;
    if (mode == 0) {
      SecBuffer b[4] = {{(ULONG)(sh->hdr + chunk + sh->trl), SECBUFFER_DATA, d},
                        {0, SECBUFFER_EMPTY, NULL},
                        {0, SECBUFFER_EMPTY, NULL},
                        {0, SECBUFFER_EMPTY, NULL}};
      SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
      ULONG qop = 0;
      s = l->t->DecryptMessage(h, &desc, 0, &qop);
      if (s == 0 && (b[1].BufferType != SECBUFFER_DATA || b[1].cbBuffer != chunk)) s = -1;
    } else {
      s = r->gcm_open(rs, seq++, d + sh->hdr, chunk, d + sh->hdr + chunk);
    }
    if (s != 0) return s;
    d += sh->hdr + chunk + sh->trl;
    off += chunk;
  } while (off < sz);
  return 0;
}

static void *msg_run(void *arg) {
  msg_job_t *j = arg;
  size_t k = batch_for(j->size), i, sz = j->size, st = stride(&j->sh, sz), nrec = records(sz);
  size_t tl = j->sh.trl > 16 ? j->sh.trl : 16;
  unsigned char *data = malloc(k * st), *sig = malloc(k * tl);
  double t0, t1, t2, enc = 0, dec = 0, start;
  unsigned long calls = 0, allocs = 0, counted = 0;
  uint64_t gseq = 0;
  int round = 0;
  size_t ns = 0;
  double *es = malloc(MAX_ROUNDS * sizeof(double)), *ds = malloc(MAX_ROUNDS * sizeof(double));
  if (!data || !sig || !es || !ds) die("malloc", 0);
  memset(data, 0x5a, k * st);
  if (j->ready) {
    atomic_fetch_add(j->ready, 1);
    while (atomic_load(j->ready) < j->nthreads) sched_yield();
  }
  start = now_ns();
  for (;;) {
    int counting = j->count_allocs && round == 2;
    if (counting) alloc_count_begin();
    t0 = now_ns();
    for (i = 0; i < k; i++) {
      long s = seal_msg(j->raw, j->l, j->r, j->rs, &j->sh, j->p ? &j->p->cctx : NULL, (gseq + i) * nrec,
                        sig + i * tl, data + i * st, sz);
      if (s != 0) die("EncryptMessage", s);
    }
    t1 = now_ns();
    for (i = 0; i < k; i++) {
      long s = open_msg(j->raw, j->l, j->r, j->rs, &j->sh, j->p ? &j->p->sctx : NULL, (gseq + i) * nrec,
                        sig + i * tl, data + i * st, sz);
      if (s != 0) die("DecryptMessage", s);
    }
    t2 = now_ns();
    if (counting) { allocs += alloc_count_end(); counted += 2 * k; }
    gseq += k;
    round++;
    if (round > 1) { /* rounds 0 and 1 warm up */
      enc += t1 - t0;
      dec += t2 - t1;
      calls += k;
      es[ns] = (t1 - t0) / (double)k;
      ds[ns] = (t2 - t1) / (double)k;
      ns++;
    }
    if ((round > 5 && t2 - start >= j->seconds * 1e9) || ns == MAX_ROUNDS) break;
  }
  (void)enc; (void)dec;
  j->out.enc_ns = median(es, ns);
  j->out.dec_ns = median(ds, ns);
  free(es);
  free(ds);
  j->out.calls = calls;
  j->out.allocs_per_call = counted ? (double)allocs / (double)counted : -1;
  free(data);
  free(sig);
  return NULL;
}

/* N threads, each on its own context pair (or raw state). Aggregate calls/s = Σ per-thread. */
static void msg_threads(msg_job_t *proto, pair_t *pairs, void **raws, int n, double *enc_rate, double *dec_rate) {
  pthread_t th[MAX_THREADS];
  msg_job_t jobs[MAX_THREADS];
  atomic_int ready = 0;
  int i;
  *enc_rate = *dec_rate = 0;
  for (i = 0; i < n; i++) {
    jobs[i] = *proto;
    jobs[i].p = pairs ? &pairs[i] : NULL;
    jobs[i].rs = raws ? raws[i] : NULL;
    jobs[i].ready = &ready;
    jobs[i].nthreads = n;
    jobs[i].count_allocs = 0;
    pthread_create(&th[i], NULL, msg_run, &jobs[i]);
  }
  for (i = 0; i < n; i++) {
    pthread_join(th[i], NULL);
    *enc_rate += 1e9 / jobs[i].out.enc_ns;
    *dec_rate += 1e9 / jobs[i].out.dec_ns;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Encrypt on one thread ∥ decrypt on another, same context (the client context X): X seals a
   batch toward its peer while it opens a batch its peer (Y) sealed. Compared with one thread
   doing both batches in turn. */

typedef struct {
  lib_t *l;
  pair_t *p;
  size_t size, k;
  int role; /* 0: X encrypts; 1: Y seals (untimed) and X decrypts */
  double seconds, ns; /* median ns per message */
  atomic_int *ready;
  int nthreads;
} duplex_t;

/* Both threads run their own loop for the whole time; each batch is timed alone and the median
   kept (as for N threads: it shows contention between the two, not the scheduler's sharing). */
static void *duplex_run(void *arg) {
  duplex_t *d = arg;
  const shape_t *sh = &d->p->sh;
  size_t k = d->k, i, tl = d->p->trailer, sz = d->size, n = 0, st = stride(sh, sz);
  unsigned char *data = malloc(k * st), *sig = malloc(k * tl);
  double *v = malloc(MAX_ROUNDS * sizeof(double)), start;
  int round = 0;
  if (!data || !sig || !v) die("malloc", 0);
  memset(data, 0x44, k * st);
  if (d->ready) {
    atomic_fetch_add(d->ready, 1);
    while (atomic_load(d->ready) < d->nthreads) sched_yield();
  }
  start = now_ns();
  for (;;) {
    double t0, t1;
    if (d->role != 0)
      for (i = 0; i < k; i++) {
        long s = seal_msg(0, d->l, NULL, NULL, sh, &d->p->sctx, 0, sig + i * tl, data + i * st, sz);
        if (s != 0) die("EncryptMessage (peer)", s);
      }
    t0 = now_ns();
    if (d->role == 0)
      for (i = 0; i < k; i++) {
        long s = seal_msg(0, d->l, NULL, NULL, sh, &d->p->cctx, 0, sig + i * tl, data + i * st, sz);
        if (s != 0) die("EncryptMessage (duplex)", s);
      }
    if (d->role == 1)
      for (i = 0; i < k; i++) {
        long s = open_msg(0, d->l, NULL, NULL, sh, &d->p->cctx, 0, sig + i * tl, data + i * st, sz);
        if (s != 0) die("DecryptMessage (duplex)", s);
      }
    t1 = now_ns();
    if (round++ >= 2) v[n++] = (t1 - t0) / (double)k;
    if ((round > 8 && t1 - start >= d->seconds * 1e9) || n == MAX_ROUNDS) break;
  }
  d->ns = median(v, n);
  free(v); free(data); free(sig);
  return NULL;
}

/* Returns serial / parallel: the time for one encrypt + one decrypt on one thread, over the
   slower of the two when they run on two threads at once on the same context. */
static double duplex(lib_t *l, pair_t *p, size_t size, double seconds, double *par_ns_per_pair, double *ser_ns_per_pair) {
  duplex_t a, b, e, dd;
  pthread_t ta, tb;
  atomic_int ready = 0;
  memset(&a, 0, sizeof a);
  a.l = l; a.p = p; a.size = size; a.k = batch_for(size); a.seconds = seconds;
  b = a; e = a; dd = a;
  /* serial: encrypt alone and decrypt alone, one thread */
  e.role = 0; duplex_run(&e);
  dd.role = 1; duplex_run(&dd);
  /* parallel */
  b.role = 1; a.role = 0;
  a.ready = b.ready = &ready; a.nthreads = b.nthreads = 2;
  pthread_create(&ta, NULL, duplex_run, &a);
  pthread_create(&tb, NULL, duplex_run, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  *ser_ns_per_pair = e.ns + dd.ns;
  *par_ns_per_pair = a.ns > b.ns ? a.ns : b.ns;
  return *ser_ns_per_pair / *par_ns_per_pair;
}

/* ------------------------------------------------------------------------------------------ */
/* Handshakes/s (credentials acquired once; each handshake makes and deletes both contexts). */

typedef struct {
  lib_t *l;
  int sch;
  double seconds;
  double rate;
  atomic_int *ready;
  int nthreads;
  double *legs[3]; /* 1 thread: per-handshake client / server ns (NTLM) and total ns including
                      DeleteSecurityContext x2 (NULL: not recorded) */
  unsigned long nlegs, cap;
} hs_job_t;

static void *hs_run(void *arg) {
  hs_job_t *j = arg;
  pair_t p;
  unsigned long n = 0;
  double t0;
  memset(&p, 0, sizeof p);
  if (j->sch) sch_creds(j->l, &p);
  else ntlm_creds(j->l, &p);
  if (j->ready) {
    atomic_fetch_add(j->ready, 1);
    while (atomic_load(j->ready) < j->nthreads) sched_yield();
  }
  t0 = now_ns();
  while (n < 4 || now_ns() - t0 < j->seconds * 1e9) {
    double h0 = now_ns();
    SECURITY_STATUS s = j->sch ? sch_handshake(j->l, &p) : handshake(j->l, &p);
    if (s != SEC_E_OK) die("handshake", s);
    j->l->t->DeleteSecurityContext(&p.cctx);
    j->l->t->DeleteSecurityContext(&p.sctx);
    if (j->legs[0] && j->nlegs < j->cap) {
      j->legs[0][j->nlegs] = g_leg_ns[0];
      j->legs[1][j->nlegs] = g_leg_ns[1];
      j->legs[2][j->nlegs++] = now_ns() - h0;
    }
    n++;
  }
  j->rate = (double)n * 1e9 / (now_ns() - t0);
  j->l->t->FreeCredentialsHandle(&p.ccred);
  j->l->t->FreeCredentialsHandle(&p.scred);
  return NULL;
}

/* Aggregate handshakes/s on n threads; with legs (n = 1) the rate from the median handshake and
   the median client-side and server-side ns per handshake (legs[0], legs[1]; NTLM). */
static double handshakes(lib_t *l, int sch, int n, double *legs) {
  pthread_t th[MAX_THREADS];
  hs_job_t jobs[MAX_THREADS];
  atomic_int ready = 0;
  double total = 0;
  int i;
  for (i = 0; i < n; i++) {
    memset(&jobs[i], 0, sizeof jobs[i]);
    jobs[i].l = l; jobs[i].sch = sch; jobs[i].seconds = g_seconds; jobs[i].ready = &ready; jobs[i].nthreads = n;
    if (legs && i == 0) {
      int k;
      jobs[i].cap = 1 << 20;
      for (k = 0; k < 3; k++)
        if (!(jobs[i].legs[k] = malloc(jobs[i].cap * sizeof(double)))) jobs[i].cap = 0;
    }
    pthread_create(&th[i], NULL, hs_run, &jobs[i]);
  }
  for (i = 0; i < n; i++) { pthread_join(th[i], NULL); total += jobs[i].rate; }
  if (legs) {
    /* One thread: the rate is 1 / the median handshake (including both deletes), so a
       handshake during which another process held the core does not skew it. */
    legs[0] = median(jobs[0].legs[0], jobs[0].nlegs);
    legs[1] = median(jobs[0].legs[1], jobs[0].nlegs);
    if (jobs[0].nlegs) total = 1e9 / median(jobs[0].legs[2], jobs[0].nlegs);
    for (i = 0; i < 3; i++) free(jobs[0].legs[i]);
  }
  return total;
}

/* ------------------------------------------------------------------------------------------ */
/* Results. */

typedef struct {
  msg_result_t one;          /* 1 thread */
  double n_enc, n_dec;       /* N threads: aggregate calls/s */
  double duplex, par_ns, ser_ns;
  msg_result_t raw;          /* raw primitive, 1 thread */
  double raw_n_enc, raw_n_dec;
} size_result_t;

typedef struct {
  const char *lib;
  const char *package;
  int sch;
  char cipher[96]; /* Schannel: negotiated protocol and suite */
  int key_bits;    /* Schannel: AEAD key size; the raw baseline uses the same */
  size_result_t s[NSIZES];
  double hs1, hsn;
  double hs_legs[2]; /* NTLM: median ns per handshake in the client's / the server's calls */
} pkg_result_t;

typedef struct {
  double md5, rc4, gcm, gcm_open, gcm256, gcm256_open; /* MB/s, 16 KiB */
} prim_t;

static double mbps(double ns_per_call, size_t size) { return (double)size / ns_per_call * 1e3; }

static void *raw_state(raw_t *r, int sch, int key_bits) {
  static const unsigned char key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  if (!sch) return r->ntlm_new(key);
  return key_bits == 256 ? r->gcm256_new(key) : r->gcm_new(key);
}

/* One package of one library: every size (1 thread, raw, N threads, enc || dec), handshakes. */
static void bench_pkg(lib_t *l, int sch, raw_t *r, int have_raw, pkg_result_t *res) {
  pair_t pairs[MAX_THREADS];
  void *raws[MAX_THREADS];
  int i, z;
  memset(res, 0, sizeof *res);
  res->lib = l->path;
  res->package = sch ? "Schannel" : "NTLM";
  res->sch = sch;
  for (i = 0; i < g_threads; i++) pair_new(l, &pairs[i], sch);
  if (sch) {
    res->key_bits = sch_cipher(l, &pairs[0], res->cipher, sizeof res->cipher);
    if (have_raw && res->key_bits == 256 && !r->gcm256_new) {
      fprintf(stderr, "bench: libsecur32_raw has no AES-256-GCM; Schannel raw baseline skipped\n");
      have_raw = 0;
    }
    if (res->key_bits != 128 && res->key_bits != 256) have_raw = 0; /* not AES-GCM */
    fprintf(stderr, "  Schannel: %s, %d-bit key; record header %lu, trailer %lu\n", res->cipher, res->key_bits,
            (unsigned long)pairs[0].sh.hdr, (unsigned long)pairs[0].sh.trl);
  }
  for (i = 0; i < g_threads; i++) raws[i] = have_raw ? raw_state(r, sch, res->key_bits) : NULL;
  for (z = 0; z < NSIZES; z++) {
    size_result_t *s = &res->s[z];
    msg_job_t job;
    if (g_only_size >= 0 && (size_t)g_only_size != SIZES[z]) continue;
    memset(&job, 0, sizeof job);
    job.l = l; job.p = &pairs[0]; job.sh = pairs[0].sh; job.size = SIZES[z]; job.seconds = g_seconds; job.count_allocs = 1;
    fprintf(stderr, "  %s %s: 1 thread", res->package, SIZE_NAMES[z]);
    msg_run(&job);
    s->one = job.out;
    if (have_raw) {
      msg_job_t rj = job;
      rj.raw = sch ? 2 : 1; rj.p = NULL; rj.r = r; rj.rs = raws[0]; rj.count_allocs = 0;
      fprintf(stderr, ", raw");
      msg_run(&rj);
      s->raw = rj.out;
      if (g_threads > 1) {
        fprintf(stderr, ", raw x%d", g_threads);
        msg_threads(&rj, NULL, raws, g_threads, &s->raw_n_enc, &s->raw_n_dec);
      }
    }
    if (g_threads > 1) {
      fprintf(stderr, ", x%d", g_threads);
      msg_threads(&job, pairs, NULL, g_threads, &s->n_enc, &s->n_dec);
      pair_t dp; /* its own contexts: X's sends are never opened by Y */
      fprintf(stderr, ", enc||dec");
      pair_new(l, &dp, sch);
      s->duplex = duplex(l, &dp, SIZES[z], g_seconds, &s->par_ns, &s->ser_ns);
      pair_free(l, &dp);
    }
    fprintf(stderr, "\n");
  }
  fprintf(stderr, "  %s handshakes\n", res->package);
  res->hs1 = handshakes(l, sch, 1, res->hs_legs);
  res->hsn = g_threads > 1 ? handshakes(l, sch, g_threads, NULL) : res->hs1;
  for (i = 0; i < g_threads; i++) {
    pair_free(l, &pairs[i]);
    if (raws[i]) (sch ? r->gcm_free : r->ntlm_free)(raws[i]);
  }
}

/* Raw primitive throughput at 16 KiB (MB/s): MD5, RC4, ring AES-128-GCM and AES-256-GCM. */
static void bench_prims(raw_t *r, prim_t *p) {
  static const unsigned char key[32] = {9};
  size_t n = 16384, reps = 0;
  unsigned char *buf = malloc(n), out[16];
  void *st = r->ntlm_new(key), *g = r->gcm_new(key);
  double t0;
  msg_job_t gj;
  memset(buf, 7, n);
  t0 = now_ns();
  while (reps < 16 || now_ns() - t0 < g_seconds * 1e9) { r->md5(buf, n, out); reps++; }
  p->md5 = (double)(reps * n) / (now_ns() - t0) * 1e3;
  reps = 0; t0 = now_ns();
  while (reps < 16 || now_ns() - t0 < g_seconds * 1e9) { r->rc4(st, buf, n); reps++; }
  p->rc4 = (double)(reps * n) / (now_ns() - t0) * 1e3;
  memset(&gj, 0, sizeof gj);
  gj.raw = 2; gj.sh.trl = 16; gj.r = r; gj.rs = g; gj.size = n; gj.seconds = g_seconds;
  msg_run(&gj);
  p->gcm = mbps(gj.out.enc_ns, n);
  p->gcm_open = mbps(gj.out.dec_ns, n);
  r->gcm_free(g);
  if (r->gcm256_new && (g = r->gcm256_new(key))) {
    gj.rs = g;
    msg_run(&gj);
    p->gcm256 = mbps(gj.out.enc_ns, n);
    p->gcm256_open = mbps(gj.out.dec_ns, n);
    r->gcm_free(g);
  }
  r->ntlm_free(st);
  free(buf);
}

static void print_pkg(const pkg_result_t *r, int have_raw) {
  int z;
  have_raw = have_raw && r->s[NSIZES > 3 ? 3 : 0].raw.enc_ns > 0;
  if (r->sch)
    printf("\n%s — %s — %s; raw = ring AES-%d-GCM in place per record; 1 MiB = %d records of 16 KiB, "
           "figures per MiB\n", r->package, r->lib, r->cipher, r->key_bits, (int)records(1048576));
  else
    printf("\n%s — %s\n", r->package, r->lib);
  printf("%-7s %-4s %12s %10s %10s | %10s %8s %10s | %11s %7s | %9s\n", "size", "op", "calls/s", "MB/s",
         "ns/call", "raw ns", "shim/raw", "+ns/call", "xN calls/s", "scale", "enc||dec");
  for (z = 0; z < NSIZES; z++) {
    const size_result_t *s = &r->s[z];
    int op;
    if (!s->one.calls) continue;
    for (op = 0; op < 2; op++) {
      double ns = op ? s->one.dec_ns : s->one.enc_ns;
      double rns = op ? s->raw.dec_ns : s->raw.enc_ns;
      double nr = op ? s->n_dec : s->n_enc;
      printf("%-7s %-4s %12.0f %10.1f %10.1f |", op ? "" : SIZE_NAMES[z], op ? "dec" : "enc", 1e9 / ns,
             mbps(ns, SIZES[z]), ns);
      if (have_raw) printf(" %10.1f %8.3f %10.1f |", rns, ns / rns, ns - rns);
      else printf(" %10s %8s %10s |", "-", "-", "-");
      if (nr > 0) printf(" %11.0f %6.2fx |", nr, nr / (1e9 / ns));
      else printf(" %11s %7s |", "-", "-");
      if (!op && s->duplex > 0) printf(" %8.2fx", s->duplex);
      printf("\n");
    }
  }
  printf("seal+unseal 1 B pair: %.0f ns (raw %.0f ns); allocations per call (steady path): %g\n",
         r->s[0].one.enc_ns + r->s[0].one.dec_ns, r->s[0].raw.enc_ns + r->s[0].raw.dec_ns,
         r->s[0].one.allocs_per_call);
  if (r->sch && have_raw && r->s[3].one.calls)
    printf("16 KiB records: shim throughput = %.1f %% (encrypt), %.1f %% (decrypt) of raw AES-%d-GCM (target >= 90 %%)\n",
           100 * r->s[3].raw.enc_ns / r->s[3].one.enc_ns, 100 * r->s[3].raw.dec_ns / r->s[3].one.dec_ns, r->key_bits);
  printf("handshakes/s: %.0f (1 thread), %.0f (%d threads)%s\n", r->hs1, r->hsn, g_threads,
         r->sch ? "; full handshakes, no resumption" : "");
  if (!r->sch)
    printf("handshake legs (median per handshake): client %.0f ns (ISC x2), server %.0f ns (ASC x2)\n",
           r->hs_legs[0], r->hs_legs[1]);
}

static void json_pkg(FILE *f, const pkg_result_t *r) {
  int z;
  fprintf(f, "    {\"library\": \"%s\", \"package\": \"%s\", \"threads\": %d,\n", r->lib, r->package, g_threads);
  if (r->sch)
    fprintf(f, "     \"cipher\": \"%s\", \"key_bits\": %d, \"raw\": \"ring AES-%d-GCM per record\", "
               "\"records_per_message\": {\"1048576\": %d},\n",
            r->cipher, r->key_bits, r->key_bits, (int)records(1048576));
  fprintf(f, "     \"handshakes_per_s\": {\"1\": %.1f, \"n\": %.1f},\n", r->hs1, r->hsn);
  if (!r->sch)
    fprintf(f, "     \"handshake_leg_ns\": {\"client\": %.1f, \"server\": %.1f},\n", r->hs_legs[0], r->hs_legs[1]);
  fprintf(f, "     \"sizes\": [\n");
  for (z = 0; z < NSIZES; z++) {
    const size_result_t *s = &r->s[z];
    fprintf(f,
            "      {\"bytes\": %zu, \"encrypt\": {\"ns_per_call\": %.2f, \"calls_per_s\": %.0f, \"mb_per_s\": %.2f, "
            "\"raw_ns_per_call\": %.2f, \"shim_over_raw\": %.4f, \"n_threads_calls_per_s\": %.0f, "
            "\"raw_n_threads_calls_per_s\": %.0f},\n"
            "       \"decrypt\": {\"ns_per_call\": %.2f, \"calls_per_s\": %.0f, \"mb_per_s\": %.2f, "
            "\"raw_ns_per_call\": %.2f, \"shim_over_raw\": %.4f, \"n_threads_calls_per_s\": %.0f, "
            "\"raw_n_threads_calls_per_s\": %.0f},\n"
            "       \"encrypt_parallel_decrypt_speedup\": %.3f, \"allocations_per_call\": %g}%s\n",
            SIZES[z], s->one.enc_ns, 1e9 / s->one.enc_ns, mbps(s->one.enc_ns, SIZES[z]), s->raw.enc_ns,
            s->raw.enc_ns > 0 ? s->one.enc_ns / s->raw.enc_ns : 0, s->n_enc, s->raw_n_enc, s->one.dec_ns,
            1e9 / s->one.dec_ns, mbps(s->one.dec_ns, SIZES[z]), s->raw.dec_ns,
            s->raw.dec_ns > 0 ? s->one.dec_ns / s->raw.dec_ns : 0, s->n_dec, s->raw_n_dec, s->duplex,
            s->one.allocs_per_call, z + 1 < NSIZES ? "," : "");
  }
  fprintf(f, "     ]}");
}

#define MAX_RESULTS 4

/* The issue #15 targets, each a ratio from this run: printed, and kept for the JSON. */
typedef struct {
  char text[4096];
  size_t len;
} tjson_t;

static void target(tjson_t *tj, const char *name, double value, const char *unit, double limit, int at_least) {
  int met = at_least ? value >= limit : value <= limit;
  printf("  %-58s %10.3f %-5s (target %s %.3f) %s\n", name, value, unit, at_least ? ">=" : "<=", limit, met ? "met" : "MISSED");
  if (tj && tj->len < sizeof tj->text - 256)
    tj->len += (size_t)snprintf(tj->text + tj->len, sizeof tj->text - tj->len,
                                "%s    {\"name\": \"%s\", \"value\": %.4f, \"unit\": \"%s\", \"target\": \"%s %.3f\", \"met\": %s}",
                                tj->len ? ",\n" : "", name, value, unit, at_least ? ">=" : "<=", limit, met ? "true" : "false");
}

static const pkg_result_t *find_res(const pkg_result_t *res, int nres, const char *lib, int sch) {
  int i;
  for (i = 0; i < nres; i++)
    if (res[i].lib == lib && res[i].sch == sch) return &res[i];
  return NULL;
}

static void targets(const pkg_result_t *res, int nres, const char **libs, int nlibs, double md5, double rc4,
                    int have_raw, tjson_t *tj) {
  const pkg_result_t *n = find_res(res, nres, libs[0], 0), *o = nlibs == 2 ? find_res(res, nres, libs[1], 0) : NULL;
  const pkg_result_t *sc = find_res(res, nres, libs[0], 1);
  printf("\ntargets (issue #15; ratios from this run; second library = %s)\n", o ? libs[1] : "none");
  if (n && n->s[0].one.calls) {
    double pair1 = n->s[0].one.enc_ns + n->s[0].one.dec_ns;
    target(tj, "NTLM seal+unseal 1 B pair", pair1, "ns", 450, 0);
    if (have_raw && n->s[0].raw.enc_ns > 0)
      target(tj, "NTLM per-call overhead at 1 B (shim - raw, enc/dec mean)",
             (pair1 - n->s[0].raw.enc_ns - n->s[0].raw.dec_ns) / 2, "ns", 30, 0);
    target(tj, "NTLM allocations per EncryptMessage/DecryptMessage", n->s[0].one.allocs_per_call, "", 0, 0);
    if (md5 > 0 && rc4 > 0 && n->s[3].one.calls) {
      double limit = 16384.0 * (1e3 / md5 + 1e3 / rc4);
      target(tj, "NTLM 16 KiB seal vs OpenSSL RC4+MD5 limit", limit / n->s[3].one.enc_ns, "x", 0.9, 1);
      target(tj, "NTLM 16 KiB unseal vs OpenSSL RC4+MD5 limit", limit / n->s[3].one.dec_ns, "x", 0.9, 1);
    }
    if (o && o->s[0].one.calls) {
      target(tj, "NTLM handshake client legs: other / ours (ns)", o->hs_legs[0] / n->hs_legs[0], "x", 2, 1);
      target(tj, "NTLM handshake server legs: other / ours (ns)", o->hs_legs[1] / n->hs_legs[1], "x", 2, 1);
      target(tj, "NTLM seal+unseal 1 B pair: other / ours (ns)",
             (o->s[0].one.enc_ns + o->s[0].one.dec_ns) / pair1, "x", 2.5, 1);
      if (n->s[3].one.calls && o->s[3].one.calls)
        target(tj, "NTLM seal+unseal 16 KiB pair: other / ours (ns)",
               (o->s[3].one.enc_ns + o->s[3].one.dec_ns) / (n->s[3].one.enc_ns + n->s[3].one.dec_ns), "x", 1.35, 1);
    }
  }
  if (sc && have_raw && sc->s[3].raw.enc_ns > 0 && sc->s[3].one.calls) {
    target(tj, "Schannel 16 KiB encrypt vs raw AEAD", sc->s[3].raw.enc_ns / sc->s[3].one.enc_ns, "x", 0.95, 1);
    target(tj, "Schannel 16 KiB decrypt vs raw AEAD", sc->s[3].raw.dec_ns / sc->s[3].one.dec_ns, "x", 0.95, 1);
  }
}

int main(int argc, char **argv) {
  const char *json = NULL, *rawpath = NULL, *libs[2] = {NULL, NULL};
  double ossl_md5 = 0, ossl_rc4 = 0, ossl_gcm = 0, ossl_gcm256 = 0;
  int nlibs = 0, i, have_raw = 0, unsupported = 0, nres = 0, a, b;
  lib_t l[2];
  raw_t raw;
  prim_t prim;
  pkg_result_t res[MAX_RESULTS];
  tjson_t tj;
  FILE *f;
  memset(&prim, 0, sizeof prim);
  memset(&raw, 0, sizeof raw);
  memset(&tj, 0, sizeof tj);
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) g_seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) g_threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
    else if (!strcmp(argv[i], "--raw") && i + 1 < argc) rawpath = argv[++i];
    else if (!strcmp(argv[i], "--size") && i + 1 < argc) g_only_size = atol(argv[++i]);
    else if (!strcmp(argv[i], "--pfx") && i + 1 < argc) g_pfx = argv[++i];
    else if (!strcmp(argv[i], "--load") && i + 1 < argc) g_load = argv[++i];
    else if (!strcmp(argv[i], "--package") && i + 1 < argc) g_only_pkg = argv[++i];
    else if (!strcmp(argv[i], "--pfx-pass") && i + 1 < argc) g_pfx_pass = argv[++i];
    else if (!strcmp(argv[i], "--openssl") && i + 1 < argc)
      sscanf(argv[++i], "md5=%lf,rc4=%lf,gcm=%lf,gcm256=%lf", &ossl_md5, &ossl_rc4, &ossl_gcm, &ossl_gcm256);
    else if (argv[i][0] != '-' && nlibs < 2) libs[nlibs++] = argv[i];
    else { fprintf(stderr, "usage: %s [--seconds S] [--threads N] [--json FILE] [--raw RAW.so] [--pfx SERVER.pfx [--pfx-pass PW]] [--openssl md5=,rc4=,gcm=,gcm256=] lib.so [other.so]\n", argv[0]); return 2; }
  }
  if (!nlibs) libs[nlibs++] = "target/release/libsecur32.so";
  if (g_threads <= 0) g_threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (g_threads > MAX_THREADS) g_threads = MAX_THREADS;
  if (g_threads < 1) g_threads = 1;
  if (rawpath) have_raw = raw_open(&raw, rawpath);
  if (have_raw) bench_prims(&raw, &prim);
  for (i = 0; i < nlibs; i++) {
    int any = 0;
    memset(&l[i], 0, sizeof l[i]);
    lib_open(&l[i], libs[i]);
    fprintf(stderr, "bench: %s, %d thread(s), %.2f s per figure\n", libs[i], g_threads, g_seconds);
    if ((!g_only_pkg || !strcasecmp(g_only_pkg, "ntlm")) && lib_offers(&l[i], "NTLM")) {
      bench_pkg(&l[i], 0, &raw, have_raw, &res[nres++]);
      any = 1;
    }
    if ((!g_only_pkg || !strcasecmp(g_only_pkg, "schannel")) &&
        (lib_offers(&l[i], "Schannel") || lib_offers(&l[i], "Microsoft Unified Security Protocol Provider"))) {
      if (lib_load_cert(&l[i])) {
        bench_pkg(&l[i], 1, &raw, have_raw, &res[nres++]);
        lib_free_cert(&l[i]);
        any = 1;
      } else {
        fprintf(stderr, "bench: %s offers Schannel: not benchmarked (no server certificate)\n", libs[i]);
        unsupported++;
      }
    }
    if (!any) { fprintf(stderr, "bench: %s offers no package this bench knows\n", libs[i]); return 2; }
  }
  printf("EncryptMessage / DecryptMessage: 1 thread unless noted; xN = %d threads on %d contexts "
         "(aggregate calls/s, scale vs 1 thread); enc||dec = encrypt on one thread while another "
         "decrypts on the same context (speedup vs serial). raw = libsecur32_raw (same crates, no SSPI).\n",
         g_threads, g_threads);
  for (i = 0; i < nres; i++) print_pkg(&res[i], have_raw);
  if (have_raw) {
    double ntlm_ns_b = !res[0].sch ? res[0].s[3].raw.enc_ns / 16384.0 : 0;
    printf("\nraw primitives at 16 KiB, 1 core (MB/s)     this build   openssl speed\n");
    printf("  MD5                                       %9.1f   %9.1f\n", prim.md5, ossl_md5);
    printf("  RC4                                       %9.1f   %9.1f\n", prim.rc4, ossl_rc4);
    printf("  AES-128-GCM seal (ring)                   %9.1f   %9.1f\n", prim.gcm, ossl_gcm);
    printf("  AES-128-GCM open (ring)                   %9.1f\n", prim.gcm_open);
    if (prim.gcm256 > 0) {
      printf("  AES-256-GCM seal (ring)                   %9.1f   %9.1f\n", prim.gcm256, ossl_gcm256);
      printf("  AES-256-GCM open (ring)                   %9.1f\n", prim.gcm256_open);
    }
    if (ossl_md5 > 0 && ossl_rc4 > 0 && ntlm_ns_b > 0)
      printf("  NTLM raw seal per byte: %.3f ns; OpenSSL MD5+RC4: %.3f ns (ratio %.3f)\n", ntlm_ns_b,
             1e3 / ossl_md5 + 1e3 / ossl_rc4, ntlm_ns_b / (1e3 / ossl_md5 + 1e3 / ossl_rc4));
  }
  if (nlibs == 2) {
    int z;
    for (a = 0; a < nres; a++) {
      if (res[a].lib != libs[0]) continue;
      for (b = 0; b < nres; b++) {
        if (res[b].lib != libs[1] || strcmp(res[a].package, res[b].package)) continue;
        printf("\n%s: ratio %s / %s (ns per call; < 1 = second is faster)\n", res[a].package, libs[1], libs[0]);
        for (z = 0; z < NSIZES; z++)
          printf("  %-7s enc %.3f  dec %.3f\n", SIZE_NAMES[z], res[b].s[z].one.enc_ns / res[a].s[z].one.enc_ns,
                 res[b].s[z].one.dec_ns / res[a].s[z].one.dec_ns);
        printf("  handshakes/s %.3f\n", res[b].hs1 / res[a].hs1);
        if (!res[a].sch && res[a].hs_legs[0] > 0)
          printf("  handshake legs (ns): client %.3f  server %.3f\n", res[b].hs_legs[0] / res[a].hs_legs[0],
                 res[b].hs_legs[1] / res[a].hs_legs[1]);
      }
    }
  }
  targets(res, nres, libs, nlibs, ossl_md5, ossl_rc4, have_raw, json ? &tj : NULL);
  if (json) {
    f = fopen(json, "w");
    if (!f) { perror(json); return 2; }
    fprintf(f, "{\n  \"seconds_per_figure\": %.3f,\n  \"threads\": %d,\n", g_seconds, g_threads);
    fprintf(f, "  \"primitives_mb_per_s_16k\": {\"md5\": %.1f, \"rc4\": %.1f, \"aes128gcm_seal\": %.1f, \"aes128gcm_open\": %.1f, "
               "\"aes256gcm_seal\": %.1f, \"aes256gcm_open\": %.1f},\n",
            prim.md5, prim.rc4, prim.gcm, prim.gcm_open, prim.gcm256, prim.gcm256_open);
    fprintf(f, "  \"openssl_speed_mb_per_s_16k\": {\"md5\": %.1f, \"rc4\": %.1f, \"aes128gcm\": %.1f, \"aes256gcm\": %.1f},\n",
            ossl_md5, ossl_rc4, ossl_gcm, ossl_gcm256);
    fprintf(f, "  \"load\": \"%s\",\n", g_load);
    fprintf(f, "  \"targets\": [\n%s\n  ],\n", tj.text);
    fprintf(f, "  \"packages_not_benchmarked\": %d,\n  \"results\": [\n", unsupported);
    for (i = 0; i < nres; i++) { json_pkg(f, &res[i]); fprintf(f, "%s\n", i + 1 < nres ? "," : ""); }
    fprintf(f, "  ]\n}\n");
    fclose(f);
    printf("\nJSON: %s\n", json);
  }
  return 0;
}
