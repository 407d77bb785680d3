/* ntlm_http_server: a small single-threaded HTTP/1.1 server that authenticates clients with
   Negotiate (RFC 4559: SPNEGO — Kerberos or NTLM) or NTLM through SSPI (AcceptSecurityContext),
   the way an IIS-style server does it on Windows.

     ntlm_http_server PORT [N]

   Binds 127.0.0.1:PORT, serves N requests (0 or absent: no limit) and exits. NTLM accounts come
   from NTLM_USER_FILE (lines DOMAIN:user:password); Kerberos service keys from the keytab
   (KRB5_KTNAME, the "Negotiate" package's default server credentials).

   A 401 offers both schemes, Negotiate first, as IIS does:
     WWW-Authenticate: Negotiate
     WWW-Authenticate: NTLM
   NTLM, on one keep-alive connection (NTLM authenticates the connection, not a request):
     C: Authorization: NTLM <NEGOTIATE>           S: 401, WWW-Authenticate: NTLM <CHALLENGE>
     C: Authorization: NTLM <AUTHENTICATE>        S: 200, "hello DOMAIN\user"
   Negotiate with Kerberos (curl --negotiate -u : with a kinit'ed ccache):
     C: Authorization: Negotiate <NegTokenInit + AP-REQ>
                                                  S: 200, WWW-Authenticate: Negotiate <AP-REP>
   Negotiate with NTLM: NegTokenInit/NegTokenResp legs as 401s, the last one 200 with the
   acceptor's final NegTokenResp (mechListMIC). Raw NTLMSSP under "Negotiate" is accepted too.
   Later requests on an authenticated connection are served without a new handshake.

   Build (Linux, against libsecur32):
     gcc -Wall -Wextra -Werror -Iinclude examples/ntlm_http_server.c \
         -Ltarget/release -lsecur32 -Wl,-rpath,$PWD/target/release -o ntlm_http_server
   Try:
     curl --ntlm -u 'DOMAIN\user:Password01' http://127.0.0.1:PORT/
*/
#define _POSIX_C_SOURCE 200809L
#define SECURITY_WIN32
#include <security.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQUEST 65536

static CredHandle g_ntlm;      /* "NTLM" */
static CredHandle g_negotiate; /* "Negotiate" */
/* What a 401 offers (two WWW-Authenticate headers). */
#define OFFER "Negotiate\r\nWWW-Authenticate: NTLM"

/* --- base64 ------------------------------------------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t n, char *out) {
  size_t o = 0, i;
  for (i = 0; i + 2 < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64[v >> 18 & 63];
    out[o++] = B64[v >> 12 & 63];
    out[o++] = B64[v >> 6 & 63];
    out[o++] = B64[v & 63];
  }
  if (i < n) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
    out[o++] = B64[v >> 18 & 63];
    out[o++] = B64[v >> 12 & 63];
    out[o++] = i + 1 < n ? B64[v >> 6 & 63] : '=';
    out[o++] = '=';
  }
  out[o] = 0;
  return o;
}

static int b64_val(char c) {
  const char *p = c ? strchr(B64, c) : NULL;
  return p ? (int)(p - B64) : -1;
}

/* Decodes up to the first character that is not base64; returns the length or -1. */
static long b64_decode(const char *in, unsigned char *out, size_t cap) {
  size_t o = 0;
  unsigned v = 0;
  int bits = 0;
  for (; *in && *in != '='; in++) {
    int d = b64_val(*in);
    if (d < 0) {
      if (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n') break;
      return -1;
    }
    v = v << 6 | (unsigned)d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= cap) return -1;
      out[o++] = (unsigned char)(v >> bits);
    }
  }
  return (long)o;
}

/* --- one connection ----------------------------------------------------------------- */

struct conn {
  int fd;
  CtxtHandle ctx;
  int have_ctx;      /* a context exists (handshake in progress or done) */
  int authenticated; /* the handshake finished */
  int negotiate;     /* the context is a "Negotiate" one */
  char user[256];
  char package[32];  /* the package that authenticated (PACKAGE_INFO) */
};

static void drop_context(struct conn *c) {
  if (c->have_ctx) DeleteSecurityContext(&c->ctx);
  c->have_ctx = 0;
  c->authenticated = 0;
  c->user[0] = 0;
  c->package[0] = 0;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int respond(struct conn *c, int code, const char *www_auth, const char *body, int close_after) {
  char head[8192];
  const char *reason = code == 200   ? "OK"
                       : code == 401 ? "Unauthorized"
                       : code == 400 ? "Bad Request"
                                     : "Internal Server Error";
  size_t blen = body ? strlen(body) : 0;
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\n"
                   "%s%s%s"
                   "Content-Type: text/plain\r\n"
                   "Content-Length: %zu\r\n"
                   "Connection: %s\r\n\r\n",
                   code, reason, www_auth ? "WWW-Authenticate: " : "", www_auth ? www_auth : "",
                   www_auth ? "\r\n" : "", blen, close_after ? "close" : "keep-alive");
  if (n < 0 || (size_t)n >= sizeof head) return -1;
  if (send_all(c->fd, head, (size_t)n) < 0) return -1;
  if (blen && send_all(c->fd, body, blen) < 0) return -1;
  return 0;
}

/* Runs one AcceptSecurityContext step on a token from the Authorization header, with the NTLM
   or the Negotiate credentials. Returns the HTTP status to answer with; *out_header gets
   "<scheme> <base64>" when there is a token to send (a 401 leg, or the final Negotiate token
   that goes with the 200), else "". */
static int auth_step(struct conn *c, int negotiate, const unsigned char *tok, unsigned long len,
                     char *out_header, size_t out_cap) {
  static unsigned char outbuf[65536];
  SecBuffer in_buf = {(ULONG)len, SECBUFFER_TOKEN, (void *)tok};
  SecBufferDesc in_desc = {SECBUFFER_VERSION, 1, &in_buf};
  SecBuffer out_buf = {sizeof outbuf, SECBUFFER_TOKEN, outbuf};
  SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out_buf};
  const char *scheme = negotiate ? "Negotiate " : "NTLM ";
  size_t sl = strlen(scheme);
  ULONG attrs = 0;
  TimeStamp expiry;
  SECURITY_STATUS st;

  out_header[0] = 0;
  /* A first token (NTLM NEGOTIATE, a GSS InitialContextToken such as SPNEGO's NegTokenInit or
     a raw AP-REQ) always starts a new handshake on this connection; so does a change of scheme. */
  if ((len >= 12 && memcmp(tok, "NTLMSSP\0", 8) == 0 && tok[8] == 1) || (len > 0 && tok[0] == 0x60) ||
      (len > 0 && tok[0] == 0x6e) || c->negotiate != negotiate || c->authenticated)
    drop_context(c);
  c->negotiate = negotiate;

  st = AcceptSecurityContext(negotiate ? &g_negotiate : &g_ntlm, c->have_ctx ? &c->ctx : NULL, &in_desc,
                             ASC_REQ_CONNECTION | ASC_REQ_INTEGRITY | ASC_REQ_CONFIDENTIALITY,
                             SECURITY_NATIVE_DREP, &c->ctx, &out_desc, &attrs, &expiry);
  if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
    SECURITY_STATUS cs = CompleteAuthToken(&c->ctx, &out_desc);
    if (cs != SEC_E_OK) st = cs;
    else st = st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
  }
  if ((st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK) && out_buf.cbBuffer > 0) {
    if (4 * ((size_t)out_buf.cbBuffer + 2) / 3 + sl + 8 > out_cap) {
      drop_context(c);
      return 500;
    }
    memcpy(out_header, scheme, sl);
    b64_encode(outbuf, out_buf.cbBuffer, out_header + sl);
  }
  if (st == SEC_I_CONTINUE_NEEDED) {
    c->have_ctx = 1;
    return 401;
  }
  if (st == SEC_E_OK) {
    SecPkgContext_NamesA names;
    SecPkgContext_PackageInfoA pkg;
    c->have_ctx = 1;
    c->authenticated = 1;
    st = QueryContextAttributesA(&c->ctx, SECPKG_ATTR_NAMES, &names);
    if (st != SEC_E_OK) {
      fprintf(stderr, "ntlm_http_server: QueryContextAttributesA(NAMES): 0x%08X\n", (unsigned)st);
      drop_context(c);
      return 500;
    }
    snprintf(c->user, sizeof c->user, "%s", names.sUserName);
    FreeContextBuffer(names.sUserName);
    /* Negotiate names the package it selected ("Kerberos" or "NTLM"), as on Windows. */
    if (QueryContextAttributesA(&c->ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg) == SEC_E_OK) {
      snprintf(c->package, sizeof c->package, "%s", pkg.PackageInfo->Name);
      FreeContextBuffer(pkg.PackageInfo);
    }
    fprintf(stderr, "ntlm_http_server: authenticated %s with %s (scheme %s)\n", c->user, c->package,
            negotiate ? "Negotiate" : "NTLM");
    return 200;
  }
  /* A failed step leaves the connection unauthenticated; the client starts over. */
  fprintf(stderr, "ntlm_http_server: AcceptSecurityContext: 0x%08X\n", (unsigned)st);
  drop_context(c);
  out_header[0] = 0;
  return 401;
}

/* Finds a header's value (case-insensitive name) in the request head; copies it to out. */
static int header(const char *head, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  const char *p = strstr(head, "\r\n");
  while (p && p[2] && !(p[2] == '\r' && p[3] == '\n')) {
    const char *line = p + 2;
    const char *end = strstr(line, "\r\n");
    if (!end) break;
    if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
      const char *v = line + nl + 1;
      size_t n;
      while (*v == ' ' || *v == '\t') v++;
      n = (size_t)(end - v);
      if (n >= cap) n = cap - 1;
      memcpy(out, v, n);
      out[n] = 0;
      return 1;
    }
    p = end;
  }
  return 0;
}

/* Serves requests on one connection until it closes; returns the number served. */
static long serve_connection(int fd, long budget) {
  static char buf[MAX_REQUEST + 1];
  static unsigned char token[MAX_REQUEST];
  static char out_header[MAX_REQUEST];
  struct conn c;
  size_t have = 0;
  long served = 0;
  memset(&c, 0, sizeof c);
  c.fd = fd;

  while (budget == 0 || served < budget) {
    char *end;
    char value[MAX_REQUEST];
    size_t head_len, body_len = 0;
    int close_after = 0, code;
    const char *www = NULL;
    char body[512];

    /* Read one request head. */
    while (!(buf[have] = 0, end = strstr(buf, "\r\n\r\n"))) {
      ssize_t r;
      if (have >= MAX_REQUEST) goto out;
      r = recv(fd, buf + have, MAX_REQUEST - have, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) goto out;
      have += (size_t)r;
    }
    head_len = (size_t)(end - buf) + 4;
    end[2] = 0; /* the head, keeping the last header's CRLF */
    if (header(buf, "Content-Length", value, sizeof value)) body_len = strtoul(value, NULL, 10);
    if (strstr(buf, " HTTP/1.0\r\n")) close_after = 1;
    if (header(buf, "Connection", value, sizeof value)) {
      if (strcasecmp(value, "close") == 0) close_after = 1;
      if (strcasecmp(value, "keep-alive") == 0) close_after = 0;
    }

    if (header(buf, "Authorization", value, sizeof value)) {
      int nego = strncasecmp(value, "Negotiate ", 10) == 0;
      if (nego || strncasecmp(value, "NTLM ", 5) == 0) {
        long n = b64_decode(value + (nego ? 10 : 5), token, sizeof token);
        code = n > 0 ? auth_step(&c, nego, token, (unsigned long)n, out_header, sizeof out_header) : 400;
        if (out_header[0]) www = out_header;
        else if (code == 401) www = OFFER;
      } else {
        code = 401;
        www = OFFER;
      }
    } else if (c.authenticated) {
      code = 200; /* the connection is authenticated */
    } else {
      code = 401;
      www = OFFER;
    }
    if (code == 200) snprintf(body, sizeof body, "hello %s", c.user);
    else snprintf(body, sizeof body, "%s\n", code == 401 ? "authentication required" : "error");
    if (code != 200 && code != 401) close_after = 1;

    /* Drop the request body (it may be partly in buf already). */
    {
      size_t extra = have - head_len;
      if (extra >= body_len) {
        memmove(buf, buf + head_len + body_len, extra - body_len);
        have = extra - body_len;
      } else {
        size_t left = body_len - extra;
        have = 0;
        while (left) {
          ssize_t r = recv(fd, buf, left < MAX_REQUEST ? left : MAX_REQUEST, 0);
          if (r < 0 && errno == EINTR) continue;
          if (r <= 0) goto out;
          left -= (size_t)r;
        }
      }
    }

    served++;
    if (respond(&c, code, www, body, close_after) < 0 || close_after) break;
  }
out:
  drop_context(&c);
  return served;
}

int main(int argc, char **argv) {
  struct sockaddr_in addr;
  int port, ls, one = 1;
  long limit, served = 0;
  TimeStamp expiry;
  SECURITY_STATUS st;

  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s PORT [N]\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  limit = argc > 2 ? atol(argv[2]) : 0;
  signal(SIGPIPE, SIG_IGN);

  st = AcquireCredentialsHandleA(NULL, NTLMSP_NAME_A, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                 &g_ntlm, &expiry);
  if (st != SEC_E_OK) {
    fprintf(stderr, "AcquireCredentialsHandleA(NTLM): 0x%08X\n", (unsigned)st);
    return 1;
  }
  st = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                 &g_negotiate, &expiry);
  if (st != SEC_E_OK) {
    fprintf(stderr, "AcquireCredentialsHandleA(Negotiate): 0x%08X\n", (unsigned)st);
    return 1;
  }

  ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) {
    perror("socket");
    return 1;
  }
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 16) < 0) {
    perror("bind/listen");
    return 1;
  }
  fprintf(stderr, "ntlm_http_server: listening on 127.0.0.1:%d\n", port);

  while (limit == 0 || served < limit) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      perror("accept");
      break;
    }
    served += serve_connection(fd, limit ? limit - served : 0);
    close(fd);
  }
  close(ls);
  FreeCredentialsHandle(&g_ntlm);
  FreeCredentialsHandle(&g_negotiate);
  return 0;
}
