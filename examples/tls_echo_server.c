/* TLS echo server over Schannel, written as Windows Schannel code is written: the
 * certificate and key come from a PFX file through PFXImportCertStore.
 * Usage: tls_echo_server PORT SERVER.pfx PASSWORD   (serves one connection)
 * Build on Linux:
 *   gcc -std=c11 -Iinclude examples/tls_echo_server.c -Ltarget/release -lsecur32 -lcrypt32 \
 *       -Wl,-rpath,$PWD/target/release */
#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
#else
#define _DEFAULT_SOURCE 1
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
typedef int SOCKET;
#define closesocket close
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define SECURITY_WIN32
#include <security.h>
#include <schannel.h>
#include <wincrypt.h>

#define IO_BUFFER_SIZE 0x10000

static int send_all(SOCKET s, const void *p, unsigned long n) {
    const char *b = p;
    while (n) {
        int k = (int)send(s, b, (int)n, 0);
        if (k <= 0) return -1;
        b += k;
        n -= (unsigned long)k;
    }
    return 0;
}

static PCCERT_CONTEXT load_certificate(const char *path, const char *password, HCERTSTORE *store) {
    static BYTE data[IO_BUFFER_SIZE];
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    DWORD n = (DWORD)fread(data, 1, sizeof data, f);
    fclose(f);
    SEC_WCHAR wide[128];
    size_t i;
    for (i = 0; password[i] && i < 127; i++) wide[i] = (SEC_WCHAR)password[i];
    wide[i] = 0;
    CRYPT_DATA_BLOB pfx;
    pfx.cbData = n;
    pfx.pbData = data;
    *store = PFXImportCertStore(&pfx, wide, CRYPT_EXPORTABLE);
    if (!*store) return NULL;
    return CertEnumCertificatesInStore(*store, NULL);
}

/* Serves one connection on 127.0.0.1:port with the certificate and its private key:
 * handshake, one message echoed back, close_notify. */
static int serve_one(unsigned short port, PCCERT_CONTEXT cert) {
    SCHANNEL_CRED sc;
    memset(&sc, 0, sizeof sc);
    sc.dwVersion = SCHANNEL_CRED_VERSION;
    sc.cCreds = 1;
    sc.paCred = &cert;
    sc.grbitEnabledProtocols = SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_3_SERVER;
    CredHandle cred;
    TimeStamp expiry;
    SECURITY_STATUS status =
        AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_INBOUND, NULL, &sc,
                                  NULL, NULL, &cred, &expiry);
    if (status != SEC_E_OK) {
        fprintf(stderr, "AcquireCredentialsHandle: 0x%08x\n", (unsigned)status);
        return 1;
    }

    SOCKET ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) || listen(ls, 1)) return 1;
    printf("LISTENING\n");
    fflush(stdout);
    SOCKET s = accept(ls, NULL, NULL);

    /* Handshake: AcceptSecurityContext until SEC_E_OK. */
    static unsigned char io[IO_BUFFER_SIZE];
    DWORD io_len = 0;
    CtxtHandle ctx;
    int have_ctx = 0;
    ULONG flags = ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT | ASC_REQ_CONFIDENTIALITY |
                  ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM;
    ULONG attrs;
    status = SEC_I_CONTINUE_NEEDED;
    while (status == SEC_I_CONTINUE_NEEDED || status == SEC_E_INCOMPLETE_MESSAGE) {
        if (io_len == 0 || status == SEC_E_INCOMPLETE_MESSAGE) {
            int k = (int)recv(s, (char *)io + io_len, (int)(IO_BUFFER_SIZE - io_len), 0);
            if (k <= 0) return 1;
            io_len += (DWORD)k;
        }
        SecBuffer in_buf[2], out_buf[1];
        SecBufferDesc in_desc = {SECBUFFER_VERSION, 2, in_buf};
        SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, out_buf};
        in_buf[0].pvBuffer = io;
        in_buf[0].cbBuffer = io_len;
        in_buf[0].BufferType = SECBUFFER_TOKEN;
        in_buf[1].pvBuffer = NULL;
        in_buf[1].cbBuffer = 0;
        in_buf[1].BufferType = SECBUFFER_EMPTY;
        out_buf[0].pvBuffer = NULL;
        out_buf[0].cbBuffer = 0;
        out_buf[0].BufferType = SECBUFFER_TOKEN;
        status = AcceptSecurityContext(&cred, have_ctx ? &ctx : NULL, &in_desc, flags, 0, &ctx,
                                       &out_desc, &attrs, &expiry);
        if (status == SEC_E_OK || status == SEC_I_CONTINUE_NEEDED) {
            have_ctx = 1;
            if (out_buf[0].cbBuffer) send_all(s, out_buf[0].pvBuffer, out_buf[0].cbBuffer);
            FreeContextBuffer(out_buf[0].pvBuffer);
            if (in_buf[1].BufferType == SECBUFFER_EXTRA) {
                memmove(io, io + (io_len - in_buf[1].cbBuffer), in_buf[1].cbBuffer);
                io_len = in_buf[1].cbBuffer;
            } else {
                io_len = 0;
            }
        }
    }
    if (status != SEC_E_OK) {
        fprintf(stderr, "AcceptSecurityContext: 0x%08x\n", (unsigned)status);
        return 1;
    }
    SecPkgContext_StreamSizes sizes;
    QueryContextAttributesA(&ctx, SECPKG_ATTR_STREAM_SIZES, &sizes);

    /* Read one message and echo it back. */
    static unsigned char msg[IO_BUFFER_SIZE];
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    DWORD got = 0;
    /* io may already hold a record: the SECBUFFER_EXTRA of the last AcceptSecurityContext
       (a client's first data can arrive with its Finished). Receive only when it is empty. */
    status = SEC_E_OK;
    while (got == 0) {
        if (io_len == 0 || status == SEC_E_INCOMPLETE_MESSAGE) {
            int k = (int)recv(s, (char *)io + io_len, (int)(IO_BUFFER_SIZE - io_len), 0);
            if (k <= 0) return 1;
            io_len += (DWORD)k;
        }
        b[0].pvBuffer = io;
        b[0].cbBuffer = io_len;
        b[0].BufferType = SECBUFFER_DATA;
        b[1].BufferType = b[2].BufferType = b[3].BufferType = SECBUFFER_EMPTY;
        status = DecryptMessage(&ctx, &d, 0, NULL);
        if (status == SEC_E_INCOMPLETE_MESSAGE) continue;
        if (status != SEC_E_OK) return 1;
        memcpy(msg + sizes.cbHeader, b[1].pvBuffer, b[1].cbBuffer);
        got = b[1].cbBuffer;
        io_len = 0;
    }
    printf("received %.*s\n", (int)got, (char *)msg + sizes.cbHeader);
    b[0].pvBuffer = msg;
    b[0].cbBuffer = sizes.cbHeader;
    b[0].BufferType = SECBUFFER_STREAM_HEADER;
    b[1].pvBuffer = msg + sizes.cbHeader;
    b[1].cbBuffer = got;
    b[1].BufferType = SECBUFFER_DATA;
    b[2].pvBuffer = msg + sizes.cbHeader + got;
    b[2].cbBuffer = sizes.cbTrailer;
    b[2].BufferType = SECBUFFER_STREAM_TRAILER;
    b[3].pvBuffer = NULL;
    b[3].cbBuffer = 0;
    b[3].BufferType = SECBUFFER_EMPTY;
    if (EncryptMessage(&ctx, 0, &d, 0) == SEC_E_OK)
        send_all(s, msg, b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);

    /* close_notify. */
    DWORD type = SCHANNEL_SHUTDOWN;
    SecBuffer sb[1];
    SecBufferDesc sd = {SECBUFFER_VERSION, 1, sb};
    sb[0].pvBuffer = &type;
    sb[0].cbBuffer = sizeof type;
    sb[0].BufferType = SECBUFFER_TOKEN;
    ApplyControlToken(&ctx, &sd);
    sb[0].pvBuffer = NULL;
    sb[0].cbBuffer = 0;
    if (AcceptSecurityContext(&cred, &ctx, NULL, flags, 0, NULL, &sd, &attrs, &expiry) ==
            SEC_E_OK &&
        sb[0].cbBuffer) {
        send_all(s, sb[0].pvBuffer, sb[0].cbBuffer);
        FreeContextBuffer(sb[0].pvBuffer);
    }
    closesocket(s);
    closesocket(ls);
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT SERVER.pfx PASSWORD\n", argv[0]);
        return 2;
    }
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }
#endif
    HCERTSTORE store;
    PCCERT_CONTEXT cert = load_certificate(argv[2], argv[3], &store);
    if (!cert) {
        fprintf(stderr, "PFXImportCertStore failed\n");
        return 1;
    }
    int rc = serve_one((unsigned short)atoi(argv[1]), cert);
    CertFreeCertificateContext(cert);
    CertCloseStore(store, 0);
    return rc;
}
