/* digest_http_server: a small single-threaded HTTP/1.1 server that authenticates every request
   with HTTP Digest (RFC 7616 / RFC 2617) through the WDigest package, the way IIS does it on
   Windows: AcceptSecurityContext with ASC_REQ_HTTP and the request's method and URL.

     digest_http_server PORT [N]

   Binds 127.0.0.1:PORT, serves N requests (0 or absent: no limit) and exits. Accounts come
   from NTLM_USER_FILE (lines REALM:user:password; the first realm is the one challenged).

     C: GET /                                  S: 401, WWW-Authenticate: Digest realm=…,nonce=…
     C: Authorization: Digest username=…       S: 200, "hello REALM\user"
   Digest authenticates each request; the nonce is checked without server state, so each
   request gets a fresh context.

   Build (Linux, against libsecur32):
     gcc -Wall -Wextra -Werror -Iinclude examples/digest_http_server.c \
         -Ltarget/release -lsecur32 -Wl,-rpath,$PWD/target/release -o digest_http_server
   Try:
     curl --digest -u 'user:Password01' http://127.0.0.1:PORT/
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

#define MAX_REQUEST 16384
#ifndef ASC_REQ_HTTP
#define ASC_REQ_HTTP 0x10000000
#endif

static CredHandle g_cred;

/* One AcceptSecurityContext (Digest, HTTP): pInput is TOKEN (the Authorization parameters, or
   empty), PKG_PARAMS method, PKG_PARAMS URL, PKG_PARAMS H(entity), PKG_PARAMS realm.
   Returns 200 (user in *user), or 401 with the challenge in out. */
static int digest_step(const char *auth, const char *method, const char *url, char *out, size_t cap,
                       char *user, size_t ucap) {
  CtxtHandle ctx;
  SecBuffer in[5] = {
      {(ULONG)strlen(auth), SECBUFFER_TOKEN, (void *)auth},
      {(ULONG)strlen(method), SECBUFFER_PKG_PARAMS, (void *)method},
      {(ULONG)strlen(url), SECBUFFER_PKG_PARAMS, (void *)url},
      {0, SECBUFFER_PKG_PARAMS, NULL},
      {0, SECBUFFER_PKG_PARAMS, NULL},
  };
  SecBufferDesc in_desc = {SECBUFFER_VERSION, 5, in};
  SecBuffer ob = {(ULONG)cap - 1, SECBUFFER_TOKEN, out};
  SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &ob};
  ULONG attrs = 0;
  SECURITY_STATUS st = AcceptSecurityContext(&g_cred, NULL, &in_desc, ASC_REQ_HTTP, SECURITY_NATIVE_DREP, &ctx,
                                             &out_desc, &attrs, NULL);
  if (st == SEC_E_OK) {
    SecPkgContext_NamesA names;
    if (QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK) {
      snprintf(user, ucap, "%s", names.sUserName);
      FreeContextBuffer(names.sUserName);
    }
    DeleteSecurityContext(&ctx);
    return 200;
  }
  if (st == SEC_I_CONTINUE_NEEDED) {
    out[ob.cbBuffer] = 0;
    DeleteSecurityContext(&ctx);
    return 401;
  }
  fprintf(stderr, "digest_http_server: AcceptSecurityContext: 0x%08X\n", (unsigned)st);
  if (st == SEC_E_LOGON_DENIED || st == SEC_E_INVALID_TOKEN) /* a new challenge */
    return digest_step("", method, url, out, cap, user, ucap);
  return 500;
}

static int header(const char *head, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  const char *p = strstr(head, "\r\n");
  while (p && p[2] && !(p[2] == '\r' && p[3] == '\n')) {
    const char *line = p + 2, *end = strstr(line, "\r\n");
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

static void serve(int fd) {
  char buf[MAX_REQUEST + 1], value[MAX_REQUEST], chal[4096], user[256] = "", body[512], resp[8192];
  char method[16] = "", url[2048] = "";
  size_t have = 0;
  char *end;
  int code, n;
  while (!(buf[have] = 0, end = strstr(buf, "\r\n\r\n"))) {
    ssize_t r;
    if (have >= MAX_REQUEST) return;
    r = recv(fd, buf + have, MAX_REQUEST - have, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    have += (size_t)r;
  }
  end[2] = 0;
  if (sscanf(buf, "%15s %2047s", method, url) != 2) return;
  if (header(buf, "Authorization", value, sizeof value) && strncasecmp(value, "Digest ", 7) == 0)
    code = digest_step(value + 7, method, url, chal, sizeof chal, user, sizeof user);
  else
    code = digest_step("", method, url, chal, sizeof chal, user, sizeof user);
  if (code == 200) snprintf(body, sizeof body, "hello %s", user);
  else snprintf(body, sizeof body, "%s\n", code == 401 ? "authentication required" : "error");
  n = snprintf(resp, sizeof resp,
               "HTTP/1.1 %d %s\r\n%s%s%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
               "Connection: close\r\n\r\n%s",
               code, code == 200 ? "OK" : code == 401 ? "Unauthorized" : "Error",
               code == 401 ? "WWW-Authenticate: Digest " : "", code == 401 ? chal : "", code == 401 ? "\r\n" : "",
               strlen(body), body);
  if (n > 0) (void)send(fd, resp, (size_t)n < sizeof resp ? (size_t)n : sizeof resp - 1, MSG_NOSIGNAL);
}

int main(int argc, char **argv) {
  struct sockaddr_in addr;
  int ls, one = 1;
  long limit, served = 0;
  SECURITY_STATUS st;
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s PORT [N]\n", argv[0]);
    return 2;
  }
  limit = argc > 2 ? atol(argv[2]) : 0;
  signal(SIGPIPE, SIG_IGN);
  st = AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"WDigest", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &g_cred,
                                 NULL);
  if (st != SEC_E_OK) {
    fprintf(stderr, "AcquireCredentialsHandleA: 0x%08X\n", (unsigned)st);
    return 1;
  }
  ls = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(argv[1]));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 16) < 0) {
    perror("bind/listen");
    return 1;
  }
  while (limit == 0 || served < limit) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      break;
    }
    serve(fd);
    served++;
    close(fd);
  }
  close(ls);
  FreeCredentialsHandle(&g_cred);
  return 0;
}
