/* Schannel behaviours real users rely on (issue #12), asserted with Windows' values; each
   check cites its source. Run by c-tests/schannel-test.sh: compat_schannel SERVER.pfx PASSWORD
   (a server certificate issued by an intermediate CA, the PFX holding intermediate and root). */
#include "schannel_util.h"

static unsigned long g_pass, g_fail;
#define EXPECT(cond, ...)                                                  \
    do {                                                                   \
        if (cond) {                                                        \
            g_pass++;                                                      \
        } else {                                                           \
            g_fail++;                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

static const ULONG ISC_FLAGS = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
                               ISC_REQ_STREAM | ISC_REQ_MANUAL_CRED_VALIDATION;

/* Full in-process handshake; returns the client's final status. */
static SECURITY_STATUS handshake(side_t *cl, side_t *sv) {
    static unsigned char a[65536], b[65536];
    ULONG alen = 0, blen = 0;
    SECURITY_STATUS c = SEC_I_CONTINUE_NEEDED, s = SEC_I_CONTINUE_NEEDED;
    for (int round = 0; round < 10 && (c == SEC_I_CONTINUE_NEEDED || s == SEC_I_CONTINUE_NEEDED); round++) {
        if (c == SEC_I_CONTINUE_NEEDED) c = step(cl, 0, b, &blen, a, &alen, "localhost", NULL, 0);
        if (c != SEC_E_OK && c != SEC_I_CONTINUE_NEEDED) return c;
        if (alen) s = step(sv, 1, a, &alen, b, &blen, NULL, NULL, 0);
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) return s;
        alen = 0;
    }
    return c == SEC_E_OK && s == SEC_E_OK ? SEC_E_OK : c;
}

/* Client ISC input validation (Wine dlls/secur32/tests/schannel.c test_communication, run on
   Windows): after the first call, a garbage or all-zero input token → SEC_E_INVALID_TOKEN with
   the output token's cbBuffer set to 0. */
static void test_isc_input(CredHandle *cred) {
    CtxtHandle ctx;
    ULONG attrs;
    TimeStamp ts;
    static unsigned char out[16384], in[4000];
    SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out}, ib = {sizeof in, SECBUFFER_TOKEN, in};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob}, id = {SECBUFFER_VERSION, 1, &ib};
    SECURITY_STATUS s = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, NULL, 0,
                                                   &ctx, &od, &attrs, &ts);
    EXPECT(s == SEC_I_CONTINUE_NEEDED, "first ISC %s", status_name(s));
    /* Same test: no input after the first call → SEC_E_INCOMPLETE_MESSAGE, the output buffer
       (size, type) and phNewContext untouched; an empty TOKEN with an EMPTY buffer → the EMPTY
       one becomes SECBUFFER_MISSING 5 (a record header); 4 bytes of a header → MISSING 1. */
    CtxtHandle ctx2;
    ctx2.dwLower = ctx2.dwUpper = 0xdeadbeef;
    ob.cbBuffer = sizeof out;
    s = InitializeSecurityContextA(cred, &ctx, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, NULL, 0, &ctx2, &od,
                                   &attrs, &ts);
    EXPECT(s == SEC_E_INCOMPLETE_MESSAGE && ob.cbBuffer == sizeof out && ob.BufferType == SECBUFFER_TOKEN &&
               ctx2.dwLower == 0xdeadbeef && ctx2.dwUpper == 0xdeadbeef,
           "no input: %s", status_name(s));
    SecBuffer ib2[2] = {{0, SECBUFFER_TOKEN, in}, {0, SECBUFFER_EMPTY, NULL}};
    SecBufferDesc id2 = {SECBUFFER_VERSION, 2, ib2};
    s = InitializeSecurityContextA(cred, &ctx, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, &id2, 0, NULL, &od, &attrs,
                                   &ts);
    EXPECT(s == SEC_E_INCOMPLETE_MESSAGE && ob.cbBuffer == sizeof out && ib2[1].BufferType == SECBUFFER_MISSING &&
               ib2[1].cbBuffer == 5,
           "empty token: %s, buffer 1 type %u count %u", status_name(s), (unsigned)ib2[1].BufferType,
           (unsigned)ib2[1].cbBuffer);
    static const unsigned char hdr[5] = {0x16, 0x03, 0x03, 0x00, 0x40};
    memcpy(in, hdr, sizeof hdr);
    ib2[0].cbBuffer = 4;
    ib2[1].BufferType = SECBUFFER_EMPTY;
    ib2[1].cbBuffer = 0;
    s = InitializeSecurityContextA(cred, &ctx, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, &id2, 0, NULL, &od, &attrs,
                                   &ts);
    EXPECT(s == SEC_E_INCOMPLETE_MESSAGE && ib2[1].BufferType == SECBUFFER_MISSING && ib2[1].cbBuffer == 1,
           "4 header bytes: %s, buffer 1 type %u count %u", status_name(s), (unsigned)ib2[1].BufferType,
           (unsigned)ib2[1].cbBuffer);
    memset(in, 0xfa, sizeof in);
    ob.cbBuffer = 1;
    s = InitializeSecurityContextA(cred, &ctx, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, &id, 0, NULL, &od, &attrs,
                                   &ts);
    EXPECT(s == SEC_E_INVALID_TOKEN && ob.cbBuffer == 0, "garbage input: %s, cbBuffer %u", status_name(s),
           (unsigned)ob.cbBuffer);
    memset(in, 0, sizeof in);
    ob.cbBuffer = 1;
    s = InitializeSecurityContextA(cred, &ctx, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, &id, 0, NULL, &od, &attrs,
                                   &ts);
    EXPECT(s == SEC_E_INVALID_TOKEN && ob.cbBuffer == 0, "all-zero input: %s, cbBuffer %u", status_name(s),
           (unsigned)ob.cbBuffer);
    DeleteSecurityContext(&ctx);
    /* An output token with no room: SEC_E_INSUFFICIENT_MEMORY, cbBuffer 0 (same Wine test). */
    ob.cbBuffer = 0;
    s = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, NULL, 0, &ctx, &od, &attrs,
                                   &ts);
    EXPECT(s == SEC_E_INSUFFICIENT_MEMORY && ob.cbBuffer == 0, "no room: %s", status_name(s));
    /* The first ISC with no output descriptor → SEC_E_INVALID_TOKEN (same Wine test); an
       EMPTY input buffer claiming bytes with a NULL pvBuffer is refused. */
    s = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, NULL, 0, &ctx, NULL, &attrs,
                                   &ts);
    EXPECT(s == SEC_E_INVALID_TOKEN, "NULL pOutput: %s", status_name(s));
    SecBuffer eb = {100, SECBUFFER_EMPTY, NULL};
    SecBufferDesc ed = {SECBUFFER_VERSION, 1, &eb};
    ob.cbBuffer = sizeof out;
    s = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, &ed, 0, &ctx, &od, &attrs,
                                   &ts);
    EXPECT(s == SEC_E_INVALID_TOKEN, "EMPTY input with a bogus length: %s", status_name(s));
    /* The first ISC with a NULL output pvBuffer (cbBuffer 1000) and no ALLOCATE_MEMORY:
       SEC_I_CONTINUE_NEEDED, the token in a buffer Schannel allocated, freed with
       FreeContextBuffer (Wine dlls/secur32/tests/schannel.c test_connection_shutdown, run on
       Windows). */
    SecBuffer nb = {1000, SECBUFFER_TOKEN, NULL};
    SecBufferDesc nd = {SECBUFFER_VERSION, 1, &nb};
    s = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)"localhost", ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM, 0, 0,
                                   NULL, 0, &ctx, &nd, &attrs, &ts);
    EXPECT(s == SEC_I_CONTINUE_NEEDED && nb.pvBuffer != NULL && nb.cbBuffer > 0,
           "NULL pvBuffer without ALLOCATE_MEMORY: %s, pvBuffer %p", status_name(s), nb.pvBuffer);
    if (s == SEC_I_CONTINUE_NEEDED) {
        if (nb.pvBuffer) FreeContextBuffer(nb.pvBuffer);
        DeleteSecurityContext(&ctx);
    }
}

/* ApplyControlToken's checks (Wine dlls/secur32/schannel.c schan_ApplyControlToken, tested on
   Windows): NULL descriptor → SEC_E_INTERNAL_ERROR; not exactly one SECBUFFER_TOKEN →
   SEC_E_INVALID_TOKEN; shorter than a DWORD → SEC_E_UNSUPPORTED_FUNCTION. Before the handshake
   completes, SCHANNEL_SHUTDOWN makes the next ISC produce the plaintext close_notify alert
   record (15 03 03 00 02 01 00). */
static void test_control_token(CredHandle *cred) {
    CtxtHandle ctx;
    ULONG attrs;
    TimeStamp ts;
    static unsigned char out[16384];
    SecBuffer ob = {sizeof out, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    DWORD shutdown = SCHANNEL_SHUTDOWN;
    SecBuffer tb[2] = {{sizeof shutdown, SECBUFFER_TOKEN, &shutdown}, {sizeof shutdown, SECBUFFER_TOKEN, &shutdown}};
    SecBufferDesc td = {SECBUFFER_VERSION, 2, tb};
    SECURITY_STATUS s = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, NULL, 0,
                                                   &ctx, &od, &attrs, &ts);
    EXPECT(s == SEC_I_CONTINUE_NEEDED, "first ISC %s", status_name(s));
    EXPECT(ApplyControlToken(&ctx, NULL) == SEC_E_INTERNAL_ERROR, "NULL descriptor");
    EXPECT(ApplyControlToken(&ctx, &td) == SEC_E_INVALID_TOKEN, "two buffers");
    td.cBuffers = 1;
    tb[0].BufferType = SECBUFFER_DATA;
    EXPECT(ApplyControlToken(&ctx, &td) == SEC_E_INVALID_TOKEN, "DATA buffer");
    tb[0].BufferType = SECBUFFER_TOKEN;
    tb[0].cbBuffer = 2;
    EXPECT(ApplyControlToken(&ctx, &td) == SEC_E_UNSUPPORTED_FUNCTION, "short token");
    tb[0].cbBuffer = sizeof shutdown;
    EXPECT(ApplyControlToken(&ctx, &td) == SEC_E_OK, "SCHANNEL_SHUTDOWN");
    ob.cbBuffer = sizeof out;
    s = InitializeSecurityContextA(cred, &ctx, (SEC_CHAR *)"localhost", ISC_FLAGS, 0, 0, NULL, 0, NULL, &od, &attrs,
                                   &ts);
    static const unsigned char close_notify[7] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
    EXPECT(s == SEC_E_OK && ob.cbBuffer == 7 && memcmp(out, close_notify, 7) == 0,
           "plaintext close_notify before the handshake: %s, %u bytes", status_name(s), (unsigned)ob.cbBuffer);
    /* After the alert record went out, a further ISC with no input → SEC_E_INCOMPLETE_MESSAGE,
       the output buffer's cbBuffer and phNewContext untouched (Wine dlls/secur32/tests/
       schannel.c test_connection_shutdown, run on Windows). */
    CtxtHandle ctx2;
    ctx2.dwLower = ctx2.dwUpper = 0xdeadbeef;
    ob.cbBuffer = 1000;
    s = InitializeSecurityContextA(cred, &ctx, NULL, 0, 0, 0, NULL, 0, &ctx2, &od, &attrs, &ts);
    EXPECT(s == SEC_E_INCOMPLETE_MESSAGE && ob.cbBuffer == 1000 && ctx2.dwLower == 0xdeadbeef &&
               ctx2.dwUpper == 0xdeadbeef,
           "ISC after the alert: %s, cbBuffer %u", status_name(s), (unsigned)ob.cbBuffer);
    /* Same test: the token may be longer than a DWORD; a SECBUFFER_ALERT-typed token or a
       second (EMPTY) buffer → SEC_E_INVALID_TOKEN; another SCHANNEL_SHUTDOWN gives the record
       again; SCHANNEL_ALERT (fatal, bad_certificate) gives 15 03 0x 00 02 02 2a. */
    unsigned char big[8] = {0};
    memcpy(big, &shutdown, sizeof shutdown);
    SecBuffer bb[2] = {{sizeof shutdown + 1, SECBUFFER_TOKEN, big}, {0, SECBUFFER_EMPTY, NULL}};
    SecBufferDesc bd = {SECBUFFER_VERSION, 2, bb};
    EXPECT(ApplyControlToken(&ctx, &bd) == SEC_E_INVALID_TOKEN, "token + EMPTY buffer");
    bd.cBuffers = 1;
    bb[0].BufferType = SECBUFFER_ALERT;
    EXPECT(ApplyControlToken(&ctx, &bd) == SEC_E_INVALID_TOKEN, "ALERT-typed token");
    bb[0].BufferType = SECBUFFER_TOKEN;
    EXPECT(ApplyControlToken(&ctx, &bd) == SEC_E_OK, "SCHANNEL_SHUTDOWN in DWORD + 1 bytes");
    ob.cbBuffer = sizeof out;
    s = InitializeSecurityContextA(cred, &ctx, NULL, 0, 0, 0, NULL, 0, NULL, &od, &attrs, &ts);
    EXPECT(s == SEC_E_OK && ob.cbBuffer == 7 && memcmp(out, close_notify, 7) == 0,
           "second SCHANNEL_SHUTDOWN: %s, %u bytes", status_name(s), (unsigned)ob.cbBuffer);
    SCHANNEL_ALERT_TOKEN alert = {SCHANNEL_ALERT, TLS1_ALERT_FATAL, TLS1_ALERT_BAD_CERTIFICATE};
    SecBuffer ab = {sizeof alert, SECBUFFER_TOKEN, &alert};
    SecBufferDesc ad = {SECBUFFER_VERSION, 1, &ab};
    EXPECT(ApplyControlToken(&ctx, &ad) == SEC_E_OK, "SCHANNEL_ALERT");
    ob.cbBuffer = sizeof out;
    s = InitializeSecurityContextA(cred, &ctx, NULL, 0, 0, 0, NULL, 0, NULL, &od, &attrs, &ts);
    /* Windows writes the record version its credential enables (03 01 for TLS 1.0 only in
       the Wine test); ours enables TLS 1.2, hence 03 03. */
    static const unsigned char bad_cert[7] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x2a};
    EXPECT(s == SEC_E_OK && ob.cbBuffer == 7 && memcmp(out, bad_cert, 7) == 0,
           "SCHANNEL_ALERT record: %s, %u bytes", status_name(s), (unsigned)ob.cbBuffer);
    ob.cbBuffer = 1000;
    s = InitializeSecurityContextA(cred, &ctx, NULL, 0, 0, 0, NULL, 0, NULL, &od, &attrs, &ts);
    EXPECT(s == SEC_E_INCOMPLETE_MESSAGE && ob.cbBuffer == 1000, "ISC after the fatal alert: %s",
           status_name(s));
    DeleteSecurityContext(&ctx);
}

/* SCHANNEL_CRED settings Windows accepts: obsolete protocol bits next to current ones,
   palgSupportedAlgs, cipher strengths (Microsoft, SCHANNEL_CRED structure). */
static void test_cred_settings(void) {
    SCHANNEL_CRED sc;
    CredHandle c;
    TimeStamp ts;
    ALG_ID algs[2] = {CALG_AES_256, CALG_AES_128};
    SECURITY_STATUS s;
    memset(&sc, 0, sizeof sc);
    sc.dwVersion = SCHANNEL_CRED_VERSION;
    sc.grbitEnabledProtocols = SP_PROT_SSL3_CLIENT | SP_PROT_TLS1_CLIENT | SP_PROT_TLS1_1_CLIENT | SP_PROT_TLS1_2_CLIENT;
    sc.cSupportedAlgs = 2;
    sc.palgSupportedAlgs = algs;
    sc.dwMinimumCipherStrength = 128;
    sc.dwMaximumCipherStrength = 256;
    sc.dwFlags = SCH_CRED_NO_DEFAULT_CREDS | SCH_CRED_MANUAL_CRED_VALIDATION;
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, &c, &ts);
    EXPECT(s == SEC_E_OK, "SSL3|TLS1|TLS1.1|TLS1.2, algs, strengths: %s", status_name(s));
    if (s == SEC_E_OK) FreeCredentialsHandle(&c);
}

/* NULL and malformed AcquireCredentialsHandle arguments get Windows' codes (Wine
   dlls/secur32/tests/schannel.c testAcquireSecurityContext, run on Windows; Vista+ values):
   neither inbound nor outbound → SEC_E_NO_CREDENTIALS; a bad dwVersion →
   SEC_E_UNKNOWN_CREDENTIALS even with a NULL phCredential; a certificate without its private
   key → SEC_E_NO_CREDENTIALS; two certificates → SEC_E_UNKNOWN_CREDENTIALS; a NULL
   phCredential with good data → SEC_E_INTERNAL_ERROR (Windows faults; never
   SEC_E_INVALID_PARAMETER). */
static void test_cred_errors(PCCERT_CONTEXT with_key) {
    SCHANNEL_CRED sc;
    CredHandle c;
    SECURITY_STATUS s;
    PCCERT_CONTEXT no_key = CertCreateCertificateContext(X509_ASN_ENCODING, with_key->pbCertEncoded,
                                                         with_key->cbCertEncoded);
    PCCERT_CONTEXT two[2] = {with_key, no_key};
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, 0, NULL, NULL, NULL, NULL, &c, NULL);
    EXPECT(s == SEC_E_NO_CREDENTIALS, "usage 0: %s", status_name(s));
    memset(&sc, 0, sizeof sc);
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, NULL, NULL);
    EXPECT(s == SEC_E_UNKNOWN_CREDENTIALS, "dwVersion 0, NULL phCredential: %s", status_name(s));
    sc.dwVersion = SCHANNEL_CRED_VERSION;
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, NULL, NULL);
    EXPECT(s == SEC_E_INTERNAL_ERROR, "NULL phCredential: %s", status_name(s));
    sc.cCreds = 1;
    sc.paCred = &no_key;
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, &c, NULL);
    EXPECT(s == SEC_E_NO_CREDENTIALS, "certificate without key, outbound: %s", status_name(s));
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_INBOUND, NULL, &sc, NULL, NULL, &c, NULL);
    EXPECT(s == SEC_E_NO_CREDENTIALS, "certificate without key, inbound: %s", status_name(s));
    sc.cCreds = 2;
    sc.paCred = two;
    s = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_INBOUND, NULL, &sc, NULL, NULL, &c, NULL);
    EXPECT(s == SEC_E_UNKNOWN_CREDENTIALS, "two certificates: %s", status_name(s));
    CertFreeCertificateContext(no_key);
}

/* A certificate whose private key is reachable only through its key-provider properties
   (Wine dlls/secur32/tests/schannel.c testAcquireSecurityContext, run on Windows: a context
   from CertCreateCertificateContext has no key → SEC_E_NO_CREDENTIALS; once
   CERT_KEY_PROV_INFO_PROP_ID names a container holding the key → SEC_E_OK). Here the
   containers are the keys PFXImportCertStore imported (docs: CertSetCertificateContextProperty
   in wincrypt.h). */
static void test_key_prov(PCCERT_CONTEXT with_key) {
    static unsigned char buf[1024];
    DWORD n = 0;
    CRYPT_KEY_PROV_INFO *info = (CRYPT_KEY_PROV_INFO *)buf, bogus;
    CERT_KEY_CONTEXT kc;
    SEC_WCHAR none[] = {'n', 'o', '-', 's', 'u', 'c', 'h', 0};
    side_t cl, sv;
    SECURITY_STATUS s;
    memset(&cl, 0, sizeof cl);
    memset(&sv, 0, sizeof sv);
    BOOL ok = CertGetCertificateContextProperty(with_key, CERT_KEY_PROV_INFO_PROP_ID, NULL, &n);
    EXPECT(ok && n > sizeof *info && n <= sizeof buf, "KEY_PROV_INFO size %u", (unsigned)n);
    if (!ok || n > sizeof buf) return;
    ok = CertGetCertificateContextProperty(with_key, CERT_KEY_PROV_INFO_PROP_ID, buf, &n);
    EXPECT(ok && info->pwszContainerName && info->pwszContainerName[0] && info->pwszProvName &&
               info->dwKeySpec == AT_KEYEXCHANGE,
           "imported certificate's KEY_PROV_INFO");
    PCCERT_CONTEXT bare = CertCreateCertificateContext(X509_ASN_ENCODING, with_key->pbCertEncoded,
                                                       with_key->cbCertEncoded);
    EXPECT(bare != NULL, "CertCreateCertificateContext");
    if (!bare) return;
    EXPECT(acquire(&sv.cred, SECPKG_CRED_INBOUND, bare, 0, 0) == SEC_E_NO_CREDENTIALS, "no key yet");
    /* A container that holds no key: still SEC_E_NO_CREDENTIALS. */
    bogus = *info;
    bogus.pwszContainerName = none;
    EXPECT(CertSetCertificateContextProperty(bare, CERT_KEY_PROV_INFO_PROP_ID, 0, &bogus), "set bogus");
    EXPECT(acquire(&sv.cred, SECPKG_CRED_INBOUND, bare, 0, 0) == SEC_E_NO_CREDENTIALS, "bogus container");
    /* The imported key's container: the credential works, and a handshake completes with it. */
    EXPECT(CertSetCertificateContextProperty(bare, CERT_KEY_PROV_INFO_PROP_ID, 0, info), "set KEY_PROV_INFO");
    s = acquire(&sv.cred, SECPKG_CRED_INBOUND, bare, 0, 0);
    EXPECT(s == SEC_E_OK, "key through KEY_PROV_INFO: %s", status_name(s));
    if (s == SEC_E_OK) {
        EXPECT(acquire(&cl.cred, SECPKG_CRED_OUTBOUND, NULL, 0, SCH_CRED_MANUAL_CRED_VALIDATION) == SEC_E_OK,
               "client cred");
        s = handshake(&cl, &sv);
        EXPECT(s == SEC_E_OK, "handshake with the KEY_PROV_INFO key: %s", status_name(s));
        DeleteSecurityContext(&cl.ctx);
        DeleteSecurityContext(&sv.ctx);
        FreeCredentialsHandle(&cl.cred);
        FreeCredentialsHandle(&sv.cred);
    }
    /* NULL pvData removes the property: no key again. */
    EXPECT(CertSetCertificateContextProperty(bare, CERT_KEY_PROV_INFO_PROP_ID, 0, NULL), "remove");
    EXPECT(acquire(&sv.cred, SECPKG_CRED_INBOUND, bare, 0, 0) == SEC_E_NO_CREDENTIALS, "removed");
    /* CERT_KEY_CONTEXT_PROP_ID from the imported certificate does the same. */
    n = sizeof kc;
    ok = CertGetCertificateContextProperty(with_key, CERT_KEY_CONTEXT_PROP_ID, &kc, &n);
    EXPECT(ok && n == sizeof kc && kc.cbSize == sizeof kc && kc.hCryptProv, "KEY_CONTEXT");
    EXPECT(CertSetCertificateContextProperty(bare, CERT_KEY_CONTEXT_PROP_ID, 0, &kc), "set KEY_CONTEXT");
    s = acquire(&sv.cred, SECPKG_CRED_INBOUND, bare, 0, 0);
    EXPECT(s == SEC_E_OK, "key through KEY_CONTEXT: %s", status_name(s));
    if (s == SEC_E_OK) FreeCredentialsHandle(&sv.cred);
    CertFreeCertificateContext(bare);
}

/* compat_schannel storekey CERT.der, with $SECUR32_CERT_STORE_DIR/MY holding the
   certificate's PKCS#12 file: a context made from the DER alone finds its key through
   CERT_KEY_PROV_INFO_PROP_ID naming the container "secur32-" + SHA-1 thumbprint (hex), the
   name this library gives imported keys (wincrypt.h, CertSetCertificateContextProperty). */
static int store_key(const char *path) {
    static unsigned char der[16384];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(der, 1, sizeof der, f) : 0;
    if (f) fclose(f);
    PCCERT_CONTEXT c = CertCreateCertificateContext(X509_ASN_ENCODING, der, (DWORD)n);
    EXPECT(c != NULL, "read %s", path);
    if (!c) return 1;
    CredHandle cred;
    EXPECT(acquire(&cred, SECPKG_CRED_INBOUND, c, 0, 0) == SEC_E_NO_CREDENTIALS, "no key before the property");
    BYTE hash[20];
    DWORD hn = sizeof hash;
    EXPECT(CertGetCertificateContextProperty(c, CERT_SHA1_HASH_PROP_ID, hash, &hn) && hn == 20, "SHA-1");
    SEC_WCHAR name[64];
    const char *pre = "secur32-", *hex = "0123456789abcdef";
    int k = 0;
    for (; pre[k]; k++) name[k] = (SEC_WCHAR)pre[k];
    for (int i = 0; i < 20; i++) {
        name[k++] = (SEC_WCHAR)hex[hash[i] >> 4];
        name[k++] = (SEC_WCHAR)hex[hash[i] & 15];
    }
    name[k] = 0;
    CRYPT_KEY_PROV_INFO info;
    memset(&info, 0, sizeof info);
    info.pwszContainerName = name;
    info.dwProvType = PROV_RSA_FULL;
    info.dwKeySpec = AT_KEYEXCHANGE;
    EXPECT(CertSetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, 0, &info), "set KEY_PROV_INFO");
    SECURITY_STATUS s = acquire(&cred, SECPKG_CRED_INBOUND, c, 0, 0);
    EXPECT(s == SEC_E_OK, "key from the store directory: %s", status_name(s));
    if (s == SEC_E_OK) FreeCredentialsHandle(&cred);
    CertFreeCertificateContext(c);
    printf("compat_schannel storekey: %lu passed, %lu failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "storekey") == 0) return store_key(argv[2]);
    if (argc < 3) {
        fprintf(stderr, "usage: compat_schannel SERVER.pfx PASSWORD\n");
        return 2;
    }
    HCERTSTORE store;
    PCCERT_CONTEXT cert = load_pfx(argv[1], argv[2], &store);
    EXPECT(cert != NULL, "load %s", argv[1]);
    if (!cert) return 1;
    side_t cl, sv;
    memset(&cl, 0, sizeof cl);
    memset(&sv, 0, sizeof sv);
    EXPECT(acquire(&cl.cred, SECPKG_CRED_OUTBOUND, NULL, 0, SCH_CRED_MANUAL_CRED_VALIDATION) == SEC_E_OK, "client cred");
    EXPECT(acquire(&sv.cred, SECPKG_CRED_INBOUND, cert, 0, 0) == SEC_E_OK, "server cred");

    test_isc_input(&cl.cred);
    test_control_token(&cl.cred);
    test_cred_settings();
    test_cred_errors(cert);
    test_key_prov(cert);

    SECURITY_STATUS s = handshake(&cl, &sv);
    EXPECT(s == SEC_E_OK, "handshake %s", status_name(s));
    if (s == SEC_E_OK) {
        /* The remote certificate's hCertStore holds the peer's chain and the very context
           returned (Wine dlls/secur32/tests/schannel.c test_remote_cert, run on Windows). */
        PCCERT_CONTEXT remote = NULL, it = NULL;
        int n = 0, self = 0, issuer = 0;
        s = QueryContextAttributesA(&cl.ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &remote);
        EXPECT(s == SEC_E_OK && remote && remote->hCertStore, "REMOTE_CERT_CONTEXT %s", status_name(s));
        if (s == SEC_E_OK && remote) {
            /* The server's PFX holds leaf, intermediate and root: it sends leaf +
               intermediate (the root stays home), and the store holds both — the leaf being
               the very context returned, the intermediate the leaf's issuer. */
            while ((it = CertEnumCertificatesInStore(remote->hCertStore, it))) {
                n++;
                if (it == remote) self = 1;
                else if (it->pCertInfo->Subject.cbData == remote->pCertInfo->Issuer.cbData &&
                         memcmp(it->pCertInfo->Subject.pbData, remote->pCertInfo->Issuer.pbData,
                                it->pCertInfo->Subject.cbData) == 0)
                    issuer = 1;
            }
            EXPECT(n == 2 && self && issuer, "hCertStore: %d certificates, itself %s, issuer %s", n,
                   self ? "in" : "missing", issuer ? "in" : "missing");
            CertFreeCertificateContext(remote);
        }
        /* DecryptMessage on a record missing its last 5 bytes: SEC_E_INCOMPLETE_MESSAGE and
           the first buffer becomes SECBUFFER_MISSING with the count (same Wine test). */
        static unsigned char rec[4096];
        size_t len = seal(&sv.ctx, "hello", rec, 0);
        SecBuffer b[4] = {{(ULONG)len - 5, SECBUFFER_DATA, rec}, {0, SECBUFFER_EMPTY, NULL},
                          {0, SECBUFFER_EMPTY, NULL}, {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
        s = DecryptMessage(&cl.ctx, &d, 0, NULL);
        EXPECT(s == SEC_E_INCOMPLETE_MESSAGE && b[0].BufferType == SECBUFFER_MISSING && b[0].cbBuffer == 5,
               "short record: %s, buffer 0 type %u count %u", status_name(s), (unsigned)b[0].BufferType,
               (unsigned)b[0].cbBuffer);
    }
    DeleteSecurityContext(&cl.ctx);
    DeleteSecurityContext(&sv.ctx);
    FreeCredentialsHandle(&cl.cred);
    FreeCredentialsHandle(&sv.cred);
    CertFreeCertificateContext(cert);
    CertCloseStore(store, 0);
    printf("compat_schannel: %lu passed, %lu failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
