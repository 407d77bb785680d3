/* Shared helpers for the Schannel C tests (schannel.c, schannel_hostile.c): status names,
 * certificates and credentials, one ISC/ASC step of an in-process pair, one record sealed or
 * opened through the exports. */
#ifndef SECUR32_SCHANNEL_UTIL_H
#define SECUR32_SCHANNEL_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security.h"
#include "schannel.h"
#include "wincrypt.h"

static const struct {
    const char *name;
    SECURITY_STATUS status;
} statuses[] = {
    {"SEC_E_OK", SEC_E_OK},
    {"SEC_I_CONTINUE_NEEDED", SEC_I_CONTINUE_NEEDED},
    {"SEC_E_INCOMPLETE_MESSAGE", SEC_E_INCOMPLETE_MESSAGE},
    {"SEC_I_INCOMPLETE_CREDENTIALS", SEC_I_INCOMPLETE_CREDENTIALS},
    {"SEC_E_UNTRUSTED_ROOT", SEC_E_UNTRUSTED_ROOT},
    {"SEC_E_CERT_EXPIRED", SEC_E_CERT_EXPIRED},
    {"SEC_E_WRONG_PRINCIPAL", SEC_E_WRONG_PRINCIPAL},
    {"SEC_E_ILLEGAL_MESSAGE", SEC_E_ILLEGAL_MESSAGE},
    {"SEC_E_ALGORITHM_MISMATCH", SEC_E_ALGORITHM_MISMATCH},
    {"SEC_E_DECRYPT_FAILURE", SEC_E_DECRYPT_FAILURE},
    {"SEC_E_CERT_UNKNOWN", SEC_E_CERT_UNKNOWN},
    {"SEC_E_NO_CREDENTIALS", SEC_E_NO_CREDENTIALS},
};

static inline const char *status_name(SECURITY_STATUS s) {
    static char buf[32];
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].status == s) return statuses[i].name;
    snprintf(buf, sizeof buf, "0x%08X", (unsigned)s);
    return buf;
}

static inline SECURITY_STATUS status_from_name(const char *n) {
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(statuses[i].name, n) == 0) return statuses[i].status;
    return (SECURITY_STATUS)strtoul(n, NULL, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Certificates */

static inline PCCERT_CONTEXT load_pfx(const char *path, const char *password, HCERTSTORE *store) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static BYTE data[65536];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    SEC_WCHAR wpw[128];
    size_t i = 0;
    for (; password[i] && i < 127; i++) wpw[i] = (SEC_WCHAR)password[i];
    wpw[i] = 0;
    CRYPT_DATA_BLOB blob = {(DWORD)n, data};
    *store = PFXImportCertStore(&blob, wpw, 0);
    if (!*store) return NULL;
    /* The certificate that has a private key: the first one, as openssl writes them. */
    return CertFindCertificateInStore(*store, X509_ASN_ENCODING, 0, CERT_FIND_ANY, NULL, NULL);
}

static inline SECURITY_STATUS acquire(CredHandle *cred, ULONG use, PCCERT_CONTEXT cert, DWORD protocols,
                               DWORD flags) {
    SCHANNEL_CRED sc;
    memset(&sc, 0, sizeof sc);
    sc.dwVersion = SCHANNEL_CRED_VERSION;
    sc.grbitEnabledProtocols = protocols;
    sc.dwFlags = flags;
    if (cert) {
        sc.cCreds = 1;
        sc.paCred = &cert;
    }
    TimeStamp expiry;
    return AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, use, NULL, &sc, NULL, NULL,
                                     cred, &expiry);
}


typedef struct {
    CredHandle cred;
    CtxtHandle ctx;
    int have;
    ULONG attrs; /* pfContextAttr of the last successful step */
} side_t;

static inline SECURITY_STATUS step(side_t *x, int server, unsigned char *in, ULONG *inlen,
                            unsigned char *out, ULONG *outlen, const char *target, void *alpn,
                            ULONG alpn_len) {
    SecBuffer ib[3] = {{*inlen, SECBUFFER_TOKEN, in},
                       {0, SECBUFFER_EMPTY, NULL},
                       {alpn_len, SECBUFFER_APPLICATION_PROTOCOLS, alpn}};
    SecBufferDesc id = {SECBUFFER_VERSION, alpn_len ? 3 : 2, ib};
    SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, ob};
    ULONG attrs;
    TimeStamp ts;
    SECURITY_STATUS s;
    ULONG req = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
                ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM;
    if (server)
        s = AcceptSecurityContext(&x->cred, x->have ? &x->ctx : NULL, &id,
                                  ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT |
                                      ASC_REQ_CONFIDENTIALITY | ASC_REQ_ALLOCATE_MEMORY |
                                      ASC_REQ_STREAM,
                                  0, &x->ctx, &od, &attrs, &ts);
    else
        s = InitializeSecurityContextA(&x->cred, x->have ? &x->ctx : NULL, (SEC_CHAR *)target, req,
                                       0, 0, *inlen || alpn_len ? &id : NULL, 0, &x->ctx, &od,
                                       &attrs, &ts);
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) {
        x->have = 1;
        x->attrs = attrs;
    }
    *outlen = 0;
    if (ob[0].cbBuffer) {
        memcpy(out, ob[0].pvBuffer, ob[0].cbBuffer);
        *outlen = ob[0].cbBuffer;
    }
    FreeContextBuffer(ob[0].pvBuffer);
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED) {
        if (ib[1].BufferType == SECBUFFER_EXTRA) {
            memmove(in, in + *inlen - ib[1].cbBuffer, ib[1].cbBuffer);
            *inlen = ib[1].cbBuffer;
        } else {
            *inlen = 0;
        }
    }
    return s;
}

static inline size_t seal(CtxtHandle *ctx, const char *msg, unsigned char *out, ULONG qop) {
    SecPkgContext_StreamSizes sz;
    QueryContextAttributesA(ctx, SECPKG_ATTR_STREAM_SIZES, &sz);
    size_t n = strlen(msg);
    memcpy(out + sz.cbHeader, msg, n);
    SecBuffer b[4] = {{sz.cbHeader, SECBUFFER_STREAM_HEADER, out},
                      {(ULONG)n, SECBUFFER_DATA, out + sz.cbHeader},
                      {sz.cbTrailer, SECBUFFER_STREAM_TRAILER, out + sz.cbHeader + n},
                      {0, SECBUFFER_EMPTY, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    if (EncryptMessage(ctx, qop, &d, 0) != SEC_E_OK) return 0;
    return b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer;
}

static inline SECURITY_STATUS open_rec(CtxtHandle *ctx, unsigned char *buf, size_t len, SecBuffer b[4]) {
    b[0] = (SecBuffer){(ULONG)len, SECBUFFER_DATA, buf};
    for (int i = 1; i < 4; i++) b[i] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    return DecryptMessage(ctx, &d, 0, NULL);
}


#endif
