/* TLS echo client over Schannel, written as Windows Schannel code is written.
 * Usage: tls_echo_client HOST PORT MESSAGE
 * Trusts the system roots (SSL_CERT_FILE on Linux). Build on Linux:
 *   gcc -std=c11 -Iinclude examples/tls_echo_client.c -Ltarget/release -lsecur32 \
 *       -Wl,-rpath,$PWD/target/release */
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#else
#define _DEFAULT_SOURCE 1
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
typedef int SOCKET;
#define INVALID_SOCKET (-1)
#define closesocket close
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define SECURITY_WIN32
#include <security.h>
/* SCH_CREDENTIALS: Microsoft's schannel.h declares it under SCHANNEL_USE_BLACKLISTS and needs
   UNICODE_STRING (subauth.h) for it. */
#define SCHANNEL_USE_BLACKLISTS
#ifdef _WIN32
#include <subauth.h>
#endif
#include <schannel.h>
#ifndef SEC_SUCCESS /* Microsoft's sspi.h has it; mingw-w64's does not. */
#define SEC_SUCCESS(Status) ((Status) >= 0)
#endif

#define IO_BUFFER_SIZE 0x10000

static SOCKET connect_to(const char *host, const char *port) {
    struct addrinfo hints = {0}, *res, *ai;
    SOCKET s = INVALID_SOCKET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res)) return INVALID_SOCKET;
    for (ai = res; ai; ai = ai->ai_next) {
        s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s == INVALID_SOCKET) continue;
        if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0) break;
        closesocket(s);
        s = INVALID_SOCKET;
    }
    freeaddrinfo(res);
    return s;
}

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

static SECURITY_STATUS client_handshake(SOCKET s, CredHandle *cred, const char *host,
                                        CtxtHandle *ctx, unsigned char *io, DWORD *io_len) {
    DWORD flags = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
                  ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM;
    SecBuffer out_buf[1];
    SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, out_buf};
    ULONG attrs;
    TimeStamp expiry;
    out_buf[0].pvBuffer = NULL;
    out_buf[0].BufferType = SECBUFFER_TOKEN;
    out_buf[0].cbBuffer = 0;
    SECURITY_STATUS status = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)host, flags, 0, 0,
                                                        NULL, 0, ctx, &out_desc, &attrs, &expiry);
    if (status != SEC_I_CONTINUE_NEEDED) return status;
    if (out_buf[0].cbBuffer) send_all(s, out_buf[0].pvBuffer, out_buf[0].cbBuffer);
    FreeContextBuffer(out_buf[0].pvBuffer);

    *io_len = 0;
    int do_read = 1;
    while (status == SEC_I_CONTINUE_NEEDED || status == SEC_E_INCOMPLETE_MESSAGE ||
           status == SEC_I_INCOMPLETE_CREDENTIALS) {
        if (*io_len == 0 || status == SEC_E_INCOMPLETE_MESSAGE) {
            if (do_read) {
                int k = (int)recv(s, (char *)io + *io_len, (int)(IO_BUFFER_SIZE - *io_len), 0);
                if (k <= 0) return SEC_E_INTERNAL_ERROR;
                *io_len += (DWORD)k;
            } else {
                do_read = 1;
            }
        }
        SecBuffer in_buf[2];
        SecBufferDesc in_desc = {SECBUFFER_VERSION, 2, in_buf};
        in_buf[0].pvBuffer = io;
        in_buf[0].cbBuffer = *io_len;
        in_buf[0].BufferType = SECBUFFER_TOKEN;
        in_buf[1].pvBuffer = NULL;
        in_buf[1].cbBuffer = 0;
        in_buf[1].BufferType = SECBUFFER_EMPTY;
        out_buf[0].pvBuffer = NULL;
        out_buf[0].BufferType = SECBUFFER_TOKEN;
        out_buf[0].cbBuffer = 0;
        status = InitializeSecurityContextA(cred, ctx, (SEC_CHAR *)host, flags, 0, 0, &in_desc, 0,
                                            NULL, &out_desc, &attrs, &expiry);
        if (status == SEC_E_OK || status == SEC_I_CONTINUE_NEEDED) {
            if (out_buf[0].cbBuffer && out_buf[0].pvBuffer) {
                send_all(s, out_buf[0].pvBuffer, out_buf[0].cbBuffer);
            }
        }
        FreeContextBuffer(out_buf[0].pvBuffer);
        if (status == SEC_E_INCOMPLETE_MESSAGE) continue;
        if (status == SEC_I_INCOMPLETE_CREDENTIALS) {
            /* No client certificate: carry on anonymously with the same input. */
            flags |= ISC_REQ_USE_SUPPLIED_CREDS;
            do_read = 0;
            continue;
        }
        if (!SEC_SUCCESS(status)) return status;
        if (in_buf[1].BufferType == SECBUFFER_EXTRA) {
            memmove(io, io + (*io_len - in_buf[1].cbBuffer), in_buf[1].cbBuffer);
            *io_len = in_buf[1].cbBuffer;
        } else {
            *io_len = 0;
        }
    }
    return status;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s HOST PORT MESSAGE\n", argv[0]);
        return 2;
    }
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }
#endif
    SOCKET s = connect_to(argv[1], argv[2]);
    if (s == INVALID_SOCKET) {
        fprintf(stderr, "connect failed\n");
        return 1;
    }
    SCH_CREDENTIALS sc;
    TLS_PARAMETERS tp;
    memset(&sc, 0, sizeof sc);
    memset(&tp, 0, sizeof tp);
    sc.dwVersion = SCH_CREDENTIALS_VERSION;
    sc.dwFlags = SCH_CRED_AUTO_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS | SCH_USE_STRONG_CRYPTO;
    tp.grbitDisabledProtocols = SP_PROT_TLS1_0 | SP_PROT_TLS1_1; /* TLS 1.2 and 1.3 */
    sc.cTlsParameters = 1;
    sc.pTlsParameters = &tp;
    CredHandle cred;
    TimeStamp expiry;
    SECURITY_STATUS status =
        AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, &sc,
                                  NULL, NULL, &cred, &expiry);
    if (status != SEC_E_OK) {
        fprintf(stderr, "AcquireCredentialsHandle: 0x%08x\n", (unsigned)status);
        return 1;
    }
    static unsigned char io[IO_BUFFER_SIZE];
    DWORD io_len = 0;
    CtxtHandle ctx;
    status = client_handshake(s, &cred, argv[1], &ctx, io, &io_len);
    if (status != SEC_E_OK) {
        fprintf(stderr, "handshake: 0x%08x\n", (unsigned)status);
        return 1;
    }
    SecPkgContext_StreamSizes sizes;
    QueryContextAttributesA(&ctx, SECPKG_ATTR_STREAM_SIZES, &sizes);

    /* Send the message: header, data and trailer in one buffer. */
    static unsigned char msg[IO_BUFFER_SIZE];
    DWORD n = (DWORD)strlen(argv[3]);
    if (n > sizes.cbMaximumMessage) n = sizes.cbMaximumMessage;
    memcpy(msg + sizes.cbHeader, argv[3], n);
    SecBuffer b[4];
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    b[0].pvBuffer = msg;
    b[0].cbBuffer = sizes.cbHeader;
    b[0].BufferType = SECBUFFER_STREAM_HEADER;
    b[1].pvBuffer = msg + sizes.cbHeader;
    b[1].cbBuffer = n;
    b[1].BufferType = SECBUFFER_DATA;
    b[2].pvBuffer = msg + sizes.cbHeader + n;
    b[2].cbBuffer = sizes.cbTrailer;
    b[2].BufferType = SECBUFFER_STREAM_TRAILER;
    b[3].pvBuffer = NULL;
    b[3].cbBuffer = 0;
    b[3].BufferType = SECBUFFER_EMPTY;
    status = EncryptMessage(&ctx, 0, &d, 0);
    if (status != SEC_E_OK) return 1;
    send_all(s, msg, b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);

    /* Read the echo until close_notify. */
    for (;;) {
        if (io_len == 0 || status == SEC_E_INCOMPLETE_MESSAGE) {
            int k = (int)recv(s, (char *)io + io_len, (int)(IO_BUFFER_SIZE - io_len), 0);
            if (k <= 0) break;
            io_len += (DWORD)k;
        }
        b[0].pvBuffer = io;
        b[0].cbBuffer = io_len;
        b[0].BufferType = SECBUFFER_DATA;
        b[1].BufferType = b[2].BufferType = b[3].BufferType = SECBUFFER_EMPTY;
        status = DecryptMessage(&ctx, &d, 0, NULL);
        if (status == SEC_E_INCOMPLETE_MESSAGE) continue;
        if (status != SEC_E_OK && status != SEC_I_RENEGOTIATE && status != SEC_I_CONTEXT_EXPIRED)
            break;
        SecBuffer *data = NULL, *extra = NULL;
        for (int i = 1; i < 4; i++) {
            if (b[i].BufferType == SECBUFFER_DATA) data = &b[i];
            if (b[i].BufferType == SECBUFFER_EXTRA) extra = &b[i];
        }
        if (data && data->cbBuffer) printf("%.*s", (int)data->cbBuffer, (char *)data->pvBuffer);
        if (extra) {
            memmove(io, extra->pvBuffer, extra->cbBuffer);
            io_len = extra->cbBuffer;
        } else {
            io_len = 0;
        }
        if (status == SEC_I_CONTEXT_EXPIRED) break;
        if (status == SEC_I_RENEGOTIATE) {
            /* TLS 1.3 post-handshake message: the rest goes through InitializeSecurityContext. */
            SecBuffer ib[2], ob[1];
            SecBufferDesc id = {SECBUFFER_VERSION, 2, ib}, od = {SECBUFFER_VERSION, 1, ob};
            ULONG attrs;
            ib[0].pvBuffer = io;
            ib[0].cbBuffer = io_len;
            ib[0].BufferType = SECBUFFER_TOKEN;
            ib[1].pvBuffer = NULL;
            ib[1].cbBuffer = 0;
            ib[1].BufferType = SECBUFFER_EMPTY;
            ob[0].pvBuffer = NULL;
            ob[0].cbBuffer = 0;
            ob[0].BufferType = SECBUFFER_TOKEN;
            status = InitializeSecurityContextA(&cred, &ctx, (SEC_CHAR *)argv[1],
                                                ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM, 0, 0,
                                                &id, 0, NULL, &od, &attrs, &expiry);
            if (status != SEC_E_OK) break;
            if (ob[0].cbBuffer) send_all(s, ob[0].pvBuffer, ob[0].cbBuffer);
            FreeContextBuffer(ob[0].pvBuffer);
            if (ib[1].BufferType == SECBUFFER_EXTRA) {
                memmove(io, io + (io_len - ib[1].cbBuffer), ib[1].cbBuffer);
                io_len = ib[1].cbBuffer;
            } else {
                io_len = 0;
            }
        }
    }
    printf("\n");

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
    ULONG attrs;
    if (InitializeSecurityContextA(&cred, &ctx, (SEC_CHAR *)argv[1],
                                   ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM, 0, 0, NULL, 0, NULL,
                                   &sd, &attrs, &expiry) == SEC_E_OK &&
        sb[0].cbBuffer) {
        send_all(s, sb[0].pvBuffer, sb[0].cbBuffer);
        FreeContextBuffer(sb[0].pvBuffer);
    }
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
    closesocket(s);
    return 0;
}
