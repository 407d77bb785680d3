/*
 * ToySSP: a SAMPLE security package (SSP/AP) written to Microsoft's ntsecpkg.h interface.
 *
 * It shows the whole interface a third-party package implements, and builds from this one
 * source as a Linux shared object (against secur32's include/ntsecpkg.h) and as a Windows DLL
 * (with mingw-w64, against mingw's own ntsecpkg.h):
 *
 *   cc -shared -fPIC -Iinclude -o libtoyssp.so examples/toy_ssp/toy_ssp.c
 *   x86_64-w64-mingw32-gcc -shared -o toyssp.dll examples/toy_ssp/toy_ssp.c
 *
 * It is a sample, not a security protocol to deploy: both sides share a secret (the password
 * of the SEC_WINNT_AUTH_IDENTITY given to AcquireCredentialsHandle, or TOYSSP_SECRET, or
 * "toy"). The handshake exchanges two 16-byte nonces and proves knowledge of the secret
 * with HMAC-SHA-256 both ways (three tokens); the session keys are HMAC-SHA-256(secret,
 * label | nonces). Messages get real integrity (HMAC-SHA-256 over QOP, sequence number and
 * data) and confidentiality (XOR with a SHA-256 counter-mode keystream), one key per
 * direction, with sequence numbers checked on receipt.
 *
 * The library provides two packages (two tables): "ToySSP" and "ToySSP-Alt" (the same code
 * under another name). Message layout for EncryptMessage / MakeSignature:
 *   [SECBUFFER_TOKEN (40 bytes: QOP, sequence number, 32-byte MAC), SECBUFFER_DATA].
 */
#ifdef _WIN32
#define _CRT_RAND_S /* rand_s */
#ifndef UNICODE
#define UNICODE /* LSA packages are Unicode: SpGetInfo fills a SecPkgInfoW */
#endif
#include <windows.h>
#define SECURITY_WIN32
#include <sspi.h>
#include <ntsecapi.h>
#include <ntsecpkg.h>
#define TOY_EXPORT __declspec(dllexport)
#else
#define SECURITY_WIN32
#include "security.h"
#include "ntsecpkg.h"
#define TOY_EXPORT __attribute__((visibility("default")))
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOY_STATUS_SUCCESS ((NTSTATUS)0)
#define TOY_STATUS_LOGON_FAILURE ((NTSTATUS)0xC000006DL)
#define TOY_STATUS_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define TOY_STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#define TOY_STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#define TOY_TRAILER 40u
#define TOY_WRAP_NO_ENCRYPT 0x80000001u

/* ---- SHA-256 (FIPS 180-4) and HMAC (RFC 2104) ------------------------------------------ */

typedef struct {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t n;
} sha256_ctx;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256_ctx *c, const uint8_t *p) {
    uint32_t w[64], a, b, d, e, f, g, h, cc, t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 64; i++)
        w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
               (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
    a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g, g = f, f = e, e = d + t1, d = cc, cc = b, b = a, a = t1 + t2;
    }
    c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
    c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

static void sha256_init(sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->n = 0;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    c->len += len;
    while (len) {
        size_t k = 64 - c->n < len ? 64 - c->n : len;
        memcpy(c->buf + c->n, p, k);
        c->n += k, p += k, len -= k;
        if (c->n == 64) {
            sha256_block(c, c->buf);
            c->n = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
    uint64_t bits = c->len * 8;
    uint8_t pad = 0x80, z = 0, l[8];
    int i;
    sha256_update(c, &pad, 1);
    while (c->n != 56) sha256_update(c, &z, 1);
    for (i = 0; i < 8; i++) l[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, l, 8);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24), out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8), out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

typedef struct {
    sha256_ctx inner, outer;
} hmac_ctx;

static void hmac_init(hmac_ctx *m, const uint8_t *key, size_t klen) {
    uint8_t k[64], ipad[64], opad[64];
    int i;
    memset(k, 0, sizeof k);
    if (klen > 64) {
        sha256_ctx t;
        sha256_init(&t);
        sha256_update(&t, key, klen);
        sha256_final(&t, k);
    } else {
        memcpy(k, key, klen);
    }
    for (i = 0; i < 64; i++) ipad[i] = k[i] ^ 0x36, opad[i] = k[i] ^ 0x5c;
    sha256_init(&m->inner);
    sha256_update(&m->inner, ipad, 64);
    sha256_init(&m->outer);
    sha256_update(&m->outer, opad, 64);
}

static void hmac_final(hmac_ctx *m, uint8_t out[32]) {
    uint8_t ih[32];
    sha256_final(&m->inner, ih);
    sha256_update(&m->outer, ih, 32);
    sha256_final(&m->outer, out);
}

static int ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    uint8_t d = 0;
    size_t i;
    for (i = 0; i < n; i++) d |= a[i] ^ b[i];
    return d == 0;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- package state -------------------------------------------------------------------- */

static PLSA_SECPKG_FUNCTION_TABLE g_lsa;      /* from SpInitialize */
static PSECPKG_DLL_FUNCTIONS g_dll;           /* from SpInstanceInit */

/* For tests: what the package saw. A real package has no such thing. */
typedef struct {
    void *seal_desc;     /* the SecBufferDesc SpSealMessage received */
    void *seal_buffers;  /* its pBuffers */
    unsigned long seal_qop, seal_seq;
    unsigned long user_contexts_deleted, lsa_contexts_deleted, credentials_freed, mapped;
    unsigned long instance_inits, initializes;
    unsigned long package_ids[2];
} toy_trace;
TOY_EXPORT toy_trace ToySspTrace;

typedef struct {
    uint8_t secret[64];
    size_t secret_len;
    ULONG use;
} toy_cred;

typedef struct {
    toy_cred *cred;
    int server, state; /* state: 0 new, 1 waiting, 2 established */
    uint8_t nc[16], ns[16];
    /* LSA side: the keys, packed for SpInitUserModeContext. User side: copied in there. */
    uint8_t lsa_keys[128];
    int user_ready;
    uint8_t send_enc[32], send_mac[32], recv_enc[32], recv_mac[32];
    uint32_t send_seq, recv_seq;
} toy_ctx;

/* Nonces from the system's random source. */
static void random_bytes(uint8_t *p, size_t n) {
    size_t i = 0;
#ifdef _WIN32
    while (i < n) {
        unsigned int v = 0;
        rand_s(&v);
        for (int k = 0; k < 4 && i < n; k++) p[i++] = (uint8_t)(v >> (8 * k));
    }
#else
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        i = fread(p, 1, n, f);
        fclose(f);
    }
    {
        uint32_t s = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)p; /* only if urandom failed */
        for (; i < n; i++) s ^= s << 13, s ^= s >> 17, s ^= s << 5, p[i] = (uint8_t)s;
    }
#endif
}

static void derive(const toy_ctx *c, const char *label, uint8_t out[32]) {
    hmac_ctx m;
    hmac_init(&m, c->cred->secret, c->cred->secret_len);
    sha256_update(&m.inner, label, strlen(label));
    sha256_update(&m.inner, c->nc, 16);
    sha256_update(&m.inner, c->ns, 16);
    hmac_final(&m, out);
}

/* c2s-enc, c2s-mac, s2c-enc, s2c-mac → lsa_keys */
static void derive_keys(toy_ctx *c) {
    derive(c, "c2s-enc", c->lsa_keys);
    derive(c, "c2s-mac", c->lsa_keys + 32);
    derive(c, "s2c-enc", c->lsa_keys + 64);
    derive(c, "s2c-mac", c->lsa_keys + 96);
}

static void *lsa_alloc(ULONG n) { return g_lsa->AllocateLsaHeap(n); }
static void lsa_free(void *p) { g_lsa->FreeLsaHeap(p); }

/* ---- LSA mode ------------------------------------------------------------------------- */

static NTSTATUS SEC_ENTRY ToyInitialize(ULONG_PTR PackageId, PSECPKG_PARAMETERS Parameters,
                                        PLSA_SECPKG_FUNCTION_TABLE FunctionTable) {
    if (!FunctionTable || !Parameters) return TOY_STATUS_NOT_SUPPORTED;
    g_lsa = FunctionTable;
    if (ToySspTrace.initializes < 2) ToySspTrace.package_ids[ToySspTrace.initializes] = (unsigned long)PackageId;
    ToySspTrace.initializes++;
    return TOY_STATUS_SUCCESS;
}

static NTSTATUS fill_info(PSecPkgInfoW info, const SEC_WCHAR *name) {
    static SEC_WCHAR comment[] = {'T', 'o', 'y', ' ', 's', 'a', 'm', 'p', 'l', 'e', ' ', 'S', 'S', 'P', 0};
    info->fCapabilities = SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | SECPKG_FLAG_CONNECTION;
    info->wVersion = 1;
    info->wRPCID = 0xFFFF; /* SECPKG_ID_NONE */
    info->cbMaxToken = 128;
    info->Name = (SEC_WCHAR *)name;
    info->Comment = comment;
    return TOY_STATUS_SUCCESS;
}

static SEC_WCHAR g_name0[] = {'T', 'o', 'y', 'S', 'S', 'P', 0};
static SEC_WCHAR g_name1[] = {'T', 'o', 'y', 'S', 'S', 'P', '-', 'A', 'l', 't', 0};
static NTSTATUS SEC_ENTRY ToyGetInfo0(PSecPkgInfoW info) { return fill_info(info, g_name0); }
static NTSTATUS SEC_ENTRY ToyGetInfo1(PSecPkgInfoW info) { return fill_info(info, g_name1); }

static NTSTATUS SEC_ENTRY ToyAcquireCredentialsHandle(PUNICODE_STRING PrincipalName, ULONG CredentialUseFlags,
                                                      PLUID LogonId, PVOID AuthorizationData,
                                                      PVOID GetKeyFunction, PVOID GetKeyArgument,
                                                      PLSA_SEC_HANDLE CredentialHandle, PTimeStamp ExpirationTime) {
    toy_cred *c;
    const char *env = getenv("TOYSSP_SECRET");
    (void)PrincipalName, (void)LogonId, (void)GetKeyFunction, (void)GetKeyArgument;
    c = (toy_cred *)lsa_alloc(sizeof *c);
    if (!c) return TOY_STATUS_NO_MEMORY;
    c->use = CredentialUseFlags;
    if (AuthorizationData) {
        /* SEC_WINNT_AUTH_IDENTITY_W/A: the password's bytes are the secret. */
        SEC_WINNT_AUTH_IDENTITY_W *id = (SEC_WINNT_AUTH_IDENTITY_W *)AuthorizationData;
        size_t n = id->PasswordLength * (id->Flags == SEC_WINNT_AUTH_IDENTITY_UNICODE ? 2u : 1u);
        if (n > sizeof c->secret) n = sizeof c->secret;
        if (id->Password) memcpy(c->secret, id->Password, n);
        c->secret_len = n;
    } else {
        if (!env) env = "toy";
        c->secret_len = strlen(env) < sizeof c->secret ? strlen(env) : sizeof c->secret;
        memcpy(c->secret, env, c->secret_len);
    }
    *CredentialHandle = (LSA_SEC_HANDLE)c;
    if (ExpirationTime) ExpirationTime->QuadPart = 0x7FFFFFFFFFFFFFFFLL;
    return TOY_STATUS_SUCCESS;
}

static NTSTATUS SEC_ENTRY ToyFreeCredentialsHandle(LSA_SEC_HANDLE CredentialHandle) {
    toy_cred *c = (toy_cred *)CredentialHandle;
    if (!c) return TOY_STATUS_INVALID_HANDLE;
    memset(c, 0, sizeof *c);
    lsa_free(c);
    ToySspTrace.credentials_freed++;
    return TOY_STATUS_SUCCESS;
}

/* Writes a handshake token into the caller's SECBUFFER_TOKEN (or allocates it). */
static NTSTATUS put_token(PSecBufferDesc out, ULONG req_alloc, const uint8_t *tok, ULONG n) {
    ULONG i;
    if (!out) return (NTSTATUS)SEC_E_INVALID_TOKEN;
    for (i = 0; i < out->cBuffers; i++) {
        PSecBuffer b = &out->pBuffers[i];
        if ((b->BufferType & ~SECBUFFER_ATTRMASK) != SECBUFFER_TOKEN) continue;
        if (req_alloc) {
            b->pvBuffer = g_dll ? g_dll->AllocateHeap(n) : lsa_alloc(n);
            if (!b->pvBuffer) return TOY_STATUS_NO_MEMORY;
        } else if (b->cbBuffer < n || !b->pvBuffer) {
            return (NTSTATUS)SEC_E_BUFFER_TOO_SMALL;
        }
        memcpy(b->pvBuffer, tok, n);
        b->cbBuffer = n;
        return TOY_STATUS_SUCCESS;
    }
    return (NTSTATUS)SEC_E_INVALID_TOKEN;
}

static const uint8_t *get_token(PSecBufferDesc in, ULONG want) {
    ULONG i;
    if (!in) return NULL;
    for (i = 0; i < in->cBuffers; i++) {
        PSecBuffer b = &in->pBuffers[i];
        if ((b->BufferType & ~SECBUFFER_ATTRMASK) == SECBUFFER_TOKEN && b->cbBuffer == want && b->pvBuffer)
            return (const uint8_t *)b->pvBuffer;
    }
    return NULL;
}

static void proof(toy_ctx *c, const char *who, uint8_t out[32]) { derive(c, who, out); }

/* Hands the session keys to user mode (SpInitUserModeContext), as an LSA package does. */
static void map_context(toy_ctx *c, PBOOLEAN MappedContext, PSecBuffer ContextData) {
    derive_keys(c);
    ContextData->pvBuffer = lsa_alloc(sizeof c->lsa_keys + 1);
    if (!ContextData->pvBuffer) return;
    ((uint8_t *)ContextData->pvBuffer)[0] = (uint8_t)c->server;
    memcpy((uint8_t *)ContextData->pvBuffer + 1, c->lsa_keys, sizeof c->lsa_keys);
    ContextData->cbBuffer = sizeof c->lsa_keys + 1;
    ContextData->BufferType = SECBUFFER_TOKEN;
    *MappedContext = 1;
}

#define ISC_ALLOC 0x00000100u /* ISC_REQ_ALLOCATE_MEMORY = ASC_REQ_ALLOCATE_MEMORY */

static NTSTATUS SEC_ENTRY ToyInitLsaModeContext(LSA_SEC_HANDLE CredentialHandle, LSA_SEC_HANDLE ContextHandle,
                                                PUNICODE_STRING TargetName, ULONG ContextRequirements,
                                                ULONG TargetDataRep, PSecBufferDesc InputBuffers,
                                                PLSA_SEC_HANDLE NewContextHandle, PSecBufferDesc OutputBuffers,
                                                PULONG ContextAttributes, PTimeStamp ExpirationTime,
                                                PBOOLEAN MappedContext, PSecBuffer ContextData) {
    toy_ctx *c = (toy_ctx *)ContextHandle;
    uint8_t tok[64];
    NTSTATUS s;
    (void)TargetName, (void)TargetDataRep;
    if (!c) {
        if (!CredentialHandle) return TOY_STATUS_INVALID_HANDLE;
        c = (toy_ctx *)lsa_alloc(sizeof *c);
        if (!c) return TOY_STATUS_NO_MEMORY;
        c->cred = (toy_cred *)CredentialHandle;
        random_bytes(c->nc, 16);
        memcpy(tok, "TOY1", 4), tok[4] = 1, memcpy(tok + 5, c->nc, 16);
        s = put_token(OutputBuffers, ContextRequirements & ISC_ALLOC, tok, 21);
        if (s) {
            lsa_free(c);
            return s;
        }
        c->state = 1;
        *NewContextHandle = (LSA_SEC_HANDLE)c;
        *ContextAttributes = ContextRequirements & ~ISC_ALLOC;
        if (ContextRequirements & ISC_ALLOC) *ContextAttributes |= ISC_ALLOC;
        return (NTSTATUS)SEC_I_CONTINUE_NEEDED;
    } else {
        const uint8_t *in = get_token(InputBuffers, 5 + 16 + 32);
        uint8_t want[32];
        if (c->state != 1) return (NTSTATUS)SEC_E_OUT_OF_SEQUENCE;
        if (!in || memcmp(in, "TOY1\2", 5)) return (NTSTATUS)SEC_E_INVALID_TOKEN;
        memcpy(c->ns, in + 5, 16);
        proof(c, "server", want);
        if (!ct_equal(want, in + 21, 32)) return TOY_STATUS_LOGON_FAILURE;
        memcpy(tok, "TOY1", 4), tok[4] = 3;
        proof(c, "client", tok + 5);
        s = put_token(OutputBuffers, ContextRequirements & ISC_ALLOC, tok, 37);
        if (s) return s;
        c->state = 2;
        *NewContextHandle = (LSA_SEC_HANDLE)c;
        *ContextAttributes = ContextRequirements;
        if (ExpirationTime) ExpirationTime->QuadPart = 0x7FFFFFFFFFFFFFFFLL;
        map_context(c, MappedContext, ContextData);
        return TOY_STATUS_SUCCESS;
    }
}

static NTSTATUS SEC_ENTRY ToyAcceptLsaModeContext(LSA_SEC_HANDLE CredentialHandle, LSA_SEC_HANDLE ContextHandle,
                                                  PSecBufferDesc InputBuffer, ULONG ContextRequirements,
                                                  ULONG TargetDataRep, PLSA_SEC_HANDLE NewContextHandle,
                                                  PSecBufferDesc OutputBuffer, PULONG ContextAttributes,
                                                  PTimeStamp ExpirationTime, PBOOLEAN MappedContext,
                                                  PSecBuffer ContextData) {
    toy_ctx *c = (toy_ctx *)ContextHandle;
    uint8_t tok[64], want[32];
    NTSTATUS s;
    (void)TargetDataRep;
    if (!c) {
        const uint8_t *in = get_token(InputBuffer, 21);
        if (!CredentialHandle) return TOY_STATUS_INVALID_HANDLE;
        if (!in || memcmp(in, "TOY1\1", 5)) return (NTSTATUS)SEC_E_INVALID_TOKEN;
        c = (toy_ctx *)lsa_alloc(sizeof *c);
        if (!c) return TOY_STATUS_NO_MEMORY;
        c->cred = (toy_cred *)CredentialHandle;
        c->server = 1;
        memcpy(c->nc, in + 5, 16);
        random_bytes(c->ns, 16);
        memcpy(tok, "TOY1", 4), tok[4] = 2, memcpy(tok + 5, c->ns, 16);
        proof(c, "server", tok + 21);
        s = put_token(OutputBuffer, ContextRequirements & ISC_ALLOC, tok, 53);
        if (s) {
            lsa_free(c);
            return s;
        }
        c->state = 1;
        *NewContextHandle = (LSA_SEC_HANDLE)c;
        *ContextAttributes = ContextRequirements;
        return (NTSTATUS)SEC_I_CONTINUE_NEEDED;
    } else {
        const uint8_t *in = get_token(InputBuffer, 37);
        if (c->state != 1) return (NTSTATUS)SEC_E_OUT_OF_SEQUENCE;
        if (!in || memcmp(in, "TOY1\3", 5)) return (NTSTATUS)SEC_E_INVALID_TOKEN;
        proof(c, "client", want);
        if (!ct_equal(want, in + 5, 32)) return TOY_STATUS_LOGON_FAILURE;
        c->state = 2;
        *NewContextHandle = (LSA_SEC_HANDLE)c;
        *ContextAttributes = ContextRequirements;
        if (ExpirationTime) ExpirationTime->QuadPart = 0x7FFFFFFFFFFFFFFFLL;
        /* The last leg sends nothing: say so, so a caller's `if (out.cbBuffer) send()` loop
           does not send its own buffer. */
        if (OutputBuffer)
            for (ULONG i = 0; i < OutputBuffer->cBuffers; i++)
                if ((OutputBuffer->pBuffers[i].BufferType & ~SECBUFFER_ATTRMASK) == SECBUFFER_TOKEN)
                    OutputBuffer->pBuffers[i].cbBuffer = 0;
        map_context(c, MappedContext, ContextData);
        return TOY_STATUS_SUCCESS;
    }
}

static NTSTATUS SEC_ENTRY ToyDeleteContext(LSA_SEC_HANDLE ContextHandle) {
    toy_ctx *c = (toy_ctx *)ContextHandle;
    if (!c) return TOY_STATUS_INVALID_HANDLE;
    memset(c, 0, sizeof *c);
    lsa_free(c);
    ToySspTrace.lsa_contexts_deleted++;
    return TOY_STATUS_SUCCESS;
}

/* ---- user mode ------------------------------------------------------------------------ */

static NTSTATUS SEC_ENTRY ToyInstanceInit(ULONG Version, PSECPKG_DLL_FUNCTIONS FunctionTable, PVOID *UserFunctions) {
    (void)Version, (void)UserFunctions;
    g_dll = FunctionTable;
    ToySspTrace.instance_inits++;
    return TOY_STATUS_SUCCESS;
}

static NTSTATUS SEC_ENTRY ToyInitUserModeContext(LSA_SEC_HANDLE ContextHandle, PSecBuffer PackedContext) {
    toy_ctx *c = (toy_ctx *)ContextHandle;
    const uint8_t *k;
    if (!c || !PackedContext || PackedContext->cbBuffer != 129) return TOY_STATUS_INVALID_HANDLE;
    k = (const uint8_t *)PackedContext->pvBuffer + 1;
    if (((const uint8_t *)PackedContext->pvBuffer)[0]) { /* server: receives c2s */
        memcpy(c->recv_enc, k, 32), memcpy(c->recv_mac, k + 32, 32);
        memcpy(c->send_enc, k + 64, 32), memcpy(c->send_mac, k + 96, 32);
    } else {
        memcpy(c->send_enc, k, 32), memcpy(c->send_mac, k + 32, 32);
        memcpy(c->recv_enc, k + 64, 32), memcpy(c->recv_mac, k + 96, 32);
    }
    c->user_ready = 1;
    ToySspTrace.mapped++;
    return TOY_STATUS_SUCCESS;
}

static NTSTATUS SEC_ENTRY ToyDeleteUserModeContext(LSA_SEC_HANDLE ContextHandle) {
    toy_ctx *c = (toy_ctx *)ContextHandle;
    if (!c) return TOY_STATUS_INVALID_HANDLE;
    memset(c->send_enc, 0, 128);
    c->user_ready = 0;
    ToySspTrace.user_contexts_deleted++;
    return TOY_STATUS_SUCCESS;
}

/* The message's TOKEN and DATA buffers. */
static NTSTATUS split(PSecBufferDesc m, PSecBuffer *tok, PSecBuffer *data) {
    ULONG i;
    *tok = *data = NULL;
    if (!m) return (NTSTATUS)SEC_E_INVALID_TOKEN;
    for (i = 0; i < m->cBuffers; i++) {
        ULONG t = m->pBuffers[i].BufferType & ~SECBUFFER_ATTRMASK;
        if (t == SECBUFFER_TOKEN && !*tok) *tok = &m->pBuffers[i];
        if (t == SECBUFFER_DATA && !*data) *data = &m->pBuffers[i];
    }
    if (!*tok || !*data) return (NTSTATUS)SEC_E_INVALID_TOKEN;
    if ((*tok)->cbBuffer < TOY_TRAILER || !(*tok)->pvBuffer) return (NTSTATUS)SEC_E_BUFFER_TOO_SMALL;
    if ((*data)->cbBuffer && !(*data)->pvBuffer) return (NTSTATUS)SEC_E_INVALID_TOKEN;
    return TOY_STATUS_SUCCESS;
}

static void mac(const uint8_t key[32], uint32_t qop, uint32_t seq, ULONG caller_seq, const uint8_t *d, size_t n,
                uint8_t out[32]) {
    hmac_ctx m;
    uint8_t h[12];
    put32(h, qop), put32(h + 4, seq), put32(h + 8, caller_seq);
    hmac_init(&m, key, 32);
    sha256_update(&m.inner, h, 12);
    sha256_update(&m.inner, d, n);
    hmac_final(&m, out);
}

static void keystream_xor(const uint8_t key[32], uint32_t seq, uint8_t *d, size_t n) {
    uint32_t ctr = 0;
    size_t off = 0, i;
    while (off < n) {
        sha256_ctx c;
        uint8_t blk[32], hdr[8];
        put32(hdr, seq), put32(hdr + 4, ctr++);
        sha256_init(&c);
        sha256_update(&c, key, 32);
        sha256_update(&c, hdr, 8);
        sha256_final(&c, blk);
        for (i = 0; i < 32 && off < n; i++) d[off++] ^= blk[i];
    }
}

static NTSTATUS protect(toy_ctx *c, ULONG qop, PSecBufferDesc m, ULONG caller_seq, int encrypt) {
    PSecBuffer tok, data;
    uint8_t *t;
    NTSTATUS s;
    if (!c || !c->user_ready) return TOY_STATUS_INVALID_HANDLE;
    if (qop != 0 && qop != TOY_WRAP_NO_ENCRYPT) return (NTSTATUS)SEC_E_QOP_NOT_SUPPORTED;
    if ((s = split(m, &tok, &data))) return s;
    t = (uint8_t *)tok->pvBuffer;
    if (encrypt && qop == 0) keystream_xor(c->send_enc, c->send_seq, (uint8_t *)data->pvBuffer, data->cbBuffer);
    put32(t, qop), put32(t + 4, c->send_seq);
    mac(c->send_mac, qop, c->send_seq, caller_seq, (const uint8_t *)data->pvBuffer, data->cbBuffer, t + 8);
    tok->cbBuffer = TOY_TRAILER;
    c->send_seq++;
    return TOY_STATUS_SUCCESS;
}

static NTSTATUS check(toy_ctx *c, PSecBufferDesc m, ULONG caller_seq, PULONG pqop, int decrypt) {
    PSecBuffer tok, data;
    const uint8_t *t;
    uint8_t want[32];
    uint32_t qop, seq;
    NTSTATUS s;
    if (!c || !c->user_ready) return TOY_STATUS_INVALID_HANDLE;
    if ((s = split(m, &tok, &data))) return s;
    t = (const uint8_t *)tok->pvBuffer;
    qop = get32(t), seq = get32(t + 4);
    mac(c->recv_mac, qop, seq, caller_seq, (const uint8_t *)data->pvBuffer, data->cbBuffer, want);
    if (!ct_equal(want, t + 8, 32)) return (NTSTATUS)SEC_E_MESSAGE_ALTERED;
    if (seq != c->recv_seq) return (NTSTATUS)SEC_E_OUT_OF_SEQUENCE;
    if (decrypt && qop == 0) keystream_xor(c->recv_enc, seq, (uint8_t *)data->pvBuffer, data->cbBuffer);
    c->recv_seq++;
    if (pqop) *pqop = qop;
    return TOY_STATUS_SUCCESS;
}

static NTSTATUS SEC_ENTRY ToySealMessage(LSA_SEC_HANDLE ContextHandle, ULONG QualityOfProtection,
                                         PSecBufferDesc MessageBuffers, ULONG MessageSequenceNumber) {
    ToySspTrace.seal_desc = MessageBuffers;
    ToySspTrace.seal_buffers = MessageBuffers ? MessageBuffers->pBuffers : NULL;
    ToySspTrace.seal_qop = QualityOfProtection;
    ToySspTrace.seal_seq = MessageSequenceNumber;
    return protect((toy_ctx *)ContextHandle, QualityOfProtection, MessageBuffers, MessageSequenceNumber, 1);
}

static NTSTATUS SEC_ENTRY ToyUnsealMessage(LSA_SEC_HANDLE ContextHandle, PSecBufferDesc MessageBuffers,
                                           ULONG MessageSequenceNumber, PULONG QualityOfProtection) {
    return check((toy_ctx *)ContextHandle, MessageBuffers, MessageSequenceNumber, QualityOfProtection, 1);
}

static NTSTATUS SEC_ENTRY ToyMakeSignature(LSA_SEC_HANDLE ContextHandle, ULONG QualityOfProtection,
                                           PSecBufferDesc MessageBuffers, ULONG MessageSequenceNumber) {
    return protect((toy_ctx *)ContextHandle, QualityOfProtection, MessageBuffers, MessageSequenceNumber, 0);
}

static NTSTATUS SEC_ENTRY ToyVerifySignature(LSA_SEC_HANDLE ContextHandle, PSecBufferDesc MessageBuffers,
                                             ULONG MessageSequenceNumber, PULONG QualityOfProtection) {
    return check((toy_ctx *)ContextHandle, MessageBuffers, MessageSequenceNumber, QualityOfProtection, 0);
}

static NTSTATUS SEC_ENTRY ToyQueryContextAttributes(LSA_SEC_HANDLE ContextHandle, ULONG ContextAttribute,
                                                    PVOID Buffer) {
    toy_ctx *c = (toy_ctx *)ContextHandle;
    if (!c || c->state != 2) return TOY_STATUS_INVALID_HANDLE;
    switch (ContextAttribute) {
    case SECPKG_ATTR_SIZES: {
        SecPkgContext_Sizes *s = (SecPkgContext_Sizes *)Buffer;
        s->cbMaxToken = 128;
        s->cbMaxSignature = TOY_TRAILER;
        s->cbBlockSize = 1;
        s->cbSecurityTrailer = TOY_TRAILER;
        return TOY_STATUS_SUCCESS;
    }
    case SECPKG_ATTR_NAMES: { /* a string the caller frees with FreeContextBuffer */
        static const SEC_WCHAR who[] = {'t', 'o', 'y', '-', 'p', 'e', 'e', 'r', 0};
        SEC_WCHAR *p = (SEC_WCHAR *)g_dll->AllocateHeap(sizeof who);
        if (!p) return TOY_STATUS_NO_MEMORY;
        memcpy(p, who, sizeof who);
        ((SecPkgContext_NamesW *)Buffer)->sUserName = p;
        return TOY_STATUS_SUCCESS;
    }
    default:
        return TOY_STATUS_NOT_SUPPORTED;
    }
}

/* Export: "TOYX", both sequence numbers, the four user-mode keys (140 bytes). */
static NTSTATUS SEC_ENTRY ToyExportContext(LSA_SEC_HANDLE phContext, ULONG fFlags, PSecBuffer pPackedContext,
                                           PHANDLE pToken) {
    toy_ctx *c = (toy_ctx *)phContext;
    uint8_t *p;
    (void)fFlags;
    if (!c || !c->user_ready || !pPackedContext) return TOY_STATUS_INVALID_HANDLE;
    p = (uint8_t *)g_dll->AllocateHeap(140);
    if (!p) return TOY_STATUS_NO_MEMORY;
    memcpy(p, "TOYX", 4), put32(p + 4, c->send_seq), put32(p + 8, c->recv_seq);
    memcpy(p + 12, c->send_enc, 32), memcpy(p + 44, c->send_mac, 32);
    memcpy(p + 76, c->recv_enc, 32), memcpy(p + 108, c->recv_mac, 32);
    pPackedContext->pvBuffer = p;
    pPackedContext->cbBuffer = 140;
    if (pToken) *pToken = NULL;
    return TOY_STATUS_SUCCESS;
}

static NTSTATUS SEC_ENTRY ToyImportContext(PSecBuffer pPackedContext, HANDLE Token, PLSA_SEC_HANDLE phContext) {
    const uint8_t *p;
    toy_ctx *c;
    (void)Token;
    if (!pPackedContext || pPackedContext->cbBuffer != 140 || !pPackedContext->pvBuffer)
        return (NTSTATUS)SEC_E_INVALID_TOKEN;
    p = (const uint8_t *)pPackedContext->pvBuffer;
    if (memcmp(p, "TOYX", 4)) return (NTSTATUS)SEC_E_INVALID_TOKEN;
    c = (toy_ctx *)lsa_alloc(sizeof *c);
    if (!c) return TOY_STATUS_NO_MEMORY;
    c->state = 2, c->user_ready = 1;
    c->send_seq = get32(p + 4), c->recv_seq = get32(p + 8);
    memcpy(c->send_enc, p + 12, 32), memcpy(c->send_mac, p + 44, 32);
    memcpy(c->recv_enc, p + 76, 32), memcpy(c->recv_mac, p + 108, 32);
    *phContext = (LSA_SEC_HANDLE)c;
    return TOY_STATUS_SUCCESS;
}

/* ---- entry points --------------------------------------------------------------------- */

static SECPKG_FUNCTION_TABLE g_tables[2];
static SECPKG_USER_FUNCTION_TABLE g_user_tables[2];

TOY_EXPORT NTSTATUS SEC_ENTRY SpLsaModeInitialize(ULONG LsaVersion, PULONG PackageVersion,
                                                  PSECPKG_FUNCTION_TABLE *ppTables, PULONG pcTables) {
    int i;
    (void)LsaVersion;
    for (i = 0; i < 2; i++) {
        SECPKG_FUNCTION_TABLE *t = &g_tables[i];
        memset(t, 0, sizeof *t);
        t->Initialize = ToyInitialize;
        t->GetInfo = i ? ToyGetInfo1 : ToyGetInfo0;
        t->AcquireCredentialsHandle = ToyAcquireCredentialsHandle;
        t->FreeCredentialsHandle = ToyFreeCredentialsHandle;
        t->InitLsaModeContext = ToyInitLsaModeContext;
        t->AcceptLsaModeContext = ToyAcceptLsaModeContext;
        t->DeleteContext = ToyDeleteContext;
    }
    *PackageVersion = SECPKG_INTERFACE_VERSION;
    *ppTables = g_tables;
    *pcTables = 2;
    return TOY_STATUS_SUCCESS;
}

TOY_EXPORT NTSTATUS SEC_ENTRY SpUserModeInitialize(ULONG LsaVersion, PULONG PackageVersion,
                                                   PSECPKG_USER_FUNCTION_TABLE *ppTables, PULONG pcTables) {
    int i;
    (void)LsaVersion;
    for (i = 0; i < 2; i++) {
        SECPKG_USER_FUNCTION_TABLE *t = &g_user_tables[i];
        memset(t, 0, sizeof *t);
        t->InstanceInit = ToyInstanceInit;
        t->InitUserModeContext = ToyInitUserModeContext;
        t->MakeSignature = ToyMakeSignature;
        t->VerifySignature = ToyVerifySignature;
        t->SealMessage = ToySealMessage;
        t->UnsealMessage = ToyUnsealMessage;
        t->QueryContextAttributes = ToyQueryContextAttributes;
        t->DeleteUserModeContext = ToyDeleteUserModeContext;
        t->ExportContext = ToyExportContext;
        t->ImportContext = ToyImportContext;
    }
    *PackageVersion = SECPKG_INTERFACE_VERSION;
    *ppTables = g_user_tables;
    *pcTables = 2;
    return TOY_STATUS_SUCCESS;
}
