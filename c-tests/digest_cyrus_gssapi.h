/* The SASL "GSSAPI" half of c-tests/digest_cyrus.c (included there; see its header comment).
   Needs the environment of tests/kerberos/mit-kdc.sh start DIR --kinit: KRB5_CONFIG,
   KRB5CCNAME (user1's TGT), KRB5_KTNAME (host/localhost's keys). */

#define GSS_HOST "localhost"
#define GSS_TARGET "host/" GSS_HOST
#define WRAP_NO_ENCRYPT 0x80000001u

/* One Sasl* step: token in (NULL: no input descriptor), token out; returns the status. */
/* One ISC/ASC step, through the Sasl* functions (sasl) or the plain ones (the peers of
   gssapi_codes); attrs (optional) gets pfContextAttr. */
static SECURITY_STATUS any_step(int sasl, int client, CredHandle *cred, CtxtHandle *ctx, int first, ULONG req,
                                const void *in, unsigned inlen, char *out, unsigned *outlen, ULONG *attrs) {
  SecBuffer ib = {inlen, SECBUFFER_TOKEN, (void *)in}, ob = {16384, SECBUFFER_TOKEN, out};
  SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
  ULONG a = 0;
  SECURITY_STATUS s;
  CtxtHandle *prev = first ? NULL : ctx;
  if (client && sasl)
    s = SaslInitializeSecurityContextA(cred, prev, (SEC_CHAR *)GSS_TARGET, req, 0, 0, in ? &id : NULL, 0, ctx, &od, &a,
                                       NULL);
  else if (client)
    s = InitializeSecurityContextA(cred, prev, (SEC_CHAR *)GSS_TARGET, req, 0, 0, in ? &id : NULL, 0, ctx, &od, &a, NULL);
  else if (sasl)
    s = SaslAcceptSecurityContext(cred, prev, &id, req, 0, ctx, &od, &a, NULL);
  else
    s = AcceptSecurityContext(cred, prev, &id, req, 0, ctx, &od, &a, NULL);
  *outlen = ob.cbBuffer;
  if (attrs) *attrs = a;
  return s;
}

static SECURITY_STATUS gss_step(int client, CredHandle *cred, CtxtHandle *ctx, int first, ULONG req, const void *in,
                                unsigned inlen, char *out, unsigned *outlen, ULONG *attrs) {
  return any_step(1, client, cred, ctx, first, req, in, inlen, out, outlen, attrs);
}

static SECURITY_STATUS plain_step(int client, CredHandle *cred, CtxtHandle *ctx, int first, ULONG req, const void *in,
                                  unsigned inlen, char *out, unsigned *outlen) {
  return any_step(0, client, cred, ctx, first, req, in, inlen, out, outlen, NULL);
}

static ULONG sizes_overhead(CtxtHandle *ctx) {
  SecPkgContext_Sizes sz;
  if (QueryContextAttributesA(ctx, SECPKG_ATTR_SIZES, &sz) != SEC_E_OK) return 0;
  return sz.cbMaxSignature + sz.cbBlockSize + sz.cbSecurityTrailer;
}

/* EncryptMessage over [TOKEN, DATA, PADDING], concatenated: a GSS wrap token. Returns its length
   (0 on failure). */
static unsigned wrap_msg(CtxtHandle *ctx, ULONG qop, const void *data, unsigned n, unsigned char *wire) {
  SecPkgContext_Sizes sz;
  if (QueryContextAttributesA(ctx, SECPKG_ATTR_SIZES, &sz) != SEC_E_OK) return 0;
  unsigned char tok[128], pad[16], *buf = malloc(n + 1);
  memcpy(buf, data, n);
  SecBuffer b[3] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok}, {n, SECBUFFER_DATA, buf},
                    {sz.cbBlockSize, SECBUFFER_PADDING, pad}};
  SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
  SECURITY_STATUS s = EncryptMessage(ctx, qop, &d, 0);
  unsigned len = 0;
  if (s == SEC_E_OK) {
    memcpy(wire, tok, b[0].cbBuffer);
    memcpy(wire + b[0].cbBuffer, buf, b[1].cbBuffer);
    memcpy(wire + b[0].cbBuffer + b[1].cbBuffer, pad, b[2].cbBuffer);
    len = b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer;
  }
  free(buf);
  return len;
}

/* DecryptMessage over [STREAM, DATA]; the plaintext copied to out. */
static SECURITY_STATUS unwrap_msg(CtxtHandle *ctx, const void *tok, unsigned n, unsigned char *out, unsigned *outlen,
                                  ULONG *qop) {
  unsigned char *copy = malloc(n + 1);
  memcpy(copy, tok, n);
  SecBuffer b[2] = {{n, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
  SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
  SECURITY_STATUS s = DecryptMessage(ctx, &d, 0, qop);
  if (s == SEC_E_OK) {
    memcpy(out, b[1].pvBuffer, b[1].cbBuffer);
    *outlen = b[1].cbBuffer;
  }
  free(copy);
  return s;
}

static ULONG get_ulong_option(CtxtHandle *ctx, ULONG opt) {
  ULONG v = 0, need = 0;
  SECURITY_STATUS s = SaslGetContextOption(ctx, opt, &v, sizeof v, &need);
  return s == SEC_E_OK ? v : 0xFFFFFFFFu;
}

/* Messages through the negotiated layer, both ways. layer: 1 none, 2 integrity, 4 confidentiality. */
static void gss_messages(const char *label, sasl_conn_t *conn, CtxtHandle *ctx, int layer) {
  const char *enc, *dec;
  unsigned enclen, declen;
  if (layer == 1) {
    /* No layer: Cyrus passes data through. */
    CHECK(sasl_encode(conn, "plain", 5, &enc, &enclen) == SASL_OK && enclen == 5 && !memcmp(enc, "plain", 5),
          "%s: no layer on the Cyrus side", label);
    return;
  }
  ULONG want_qop = layer == 4 ? 0 : WRAP_NO_ENCRYPT;
  for (int i = 0; i < 3; i++) {
    char msg[200];
    int n = snprintf(msg, sizeof msg, "%s message %d from Cyrus%s", label, i, i == 2 ? " with a longer tail" : "");
    CHECK(sasl_encode(conn, msg, (unsigned)n, &enc, &enclen) == SASL_OK, "%s: sasl_encode", label);
    unsigned len = ((unsigned char)enc[0] << 24) | ((unsigned char)enc[1] << 16) | ((unsigned char)enc[2] << 8) |
                   (unsigned char)enc[3];
    CHECK(len + 4 == enclen, "%s: SASL length prefix", label);
    unsigned char plain[512], bad[512];
    unsigned plen = 0;
    ULONG qop = 99;
    /* Cyrus' integrity layer is gss_wrap without confidentiality: the text is visible. */
    CHECK((memmem(enc + 4, len, msg, n) != NULL) == (layer == 2), "%s: text %s on the wire", label,
          layer == 2 ? "visible" : "hidden");
    memcpy(bad, enc + 4, len);
    bad[len - 3] ^= 0x40;
    CHECK_STATUS(unwrap_msg(ctx, bad, len, plain, &plen, &qop), SEC_E_MESSAGE_ALTERED);
    CHECK_STATUS(unwrap_msg(ctx, enc + 4, len, plain, &plen, &qop), SEC_E_OK);
    CHECK(plen == (unsigned)n && !memcmp(plain, msg, n), "%s: plaintext from Cyrus", label);
    CHECK(qop == want_qop, "%s: pfQOP 0x%x", label, (unsigned)qop);

    unsigned char wire[600];
    n = snprintf(msg, sizeof msg, "%s reply %d from SSPI%s", label, i, i == 1 ? " (odd length!)" : "");
    unsigned wl = wrap_msg(ctx, want_qop, msg, (unsigned)n, wire + 4);
    CHECK(wl > 0, "%s: EncryptMessage", label);
    wire[0] = (unsigned char)(wl >> 24); wire[1] = (unsigned char)(wl >> 16);
    wire[2] = (unsigned char)(wl >> 8); wire[3] = (unsigned char)wl;
    int r = sasl_decode(conn, (const char *)wire, wl + 4, &dec, &declen);
    CHECK(r == SASL_OK && declen == (unsigned)n && !memcmp(dec, msg, n), "%s: sasl_decode of EncryptMessage: %d (%s)",
          label, r, sasl_errdetail(conn));
  }
}

struct gss_mode { const char *name; int layer; unsigned min_ssf, max_ssf; ULONG isc, asc; };
static const struct gss_mode g_gss_modes[] = {
    {"none", 1, 0, 0, 0, 0},
    {"integrity", 2, 1, 1, ISC_REQ_INTEGRITY, ASC_REQ_INTEGRITY},
    {"confidentiality", 4, 2, 256, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, ASC_REQ_CONFIDENTIALITY},
};

static void gss_secprops(sasl_conn_t *c, unsigned min, unsigned max, unsigned maxbuf) {
  sasl_security_properties_t p;
  memset(&p, 0, sizeof p);
  p.min_ssf = min;
  p.max_ssf = max;
  p.maxbufsize = maxbuf;
  sasl_setprop(c, SASL_SEC_PROPS, &p);
}

static void check_ret_layer(const char *label, ULONG attrs, int layer, ULONG conf_bit, ULONG integ_bit) {
  CHECK(((attrs & conf_bit) != 0) == (layer == 4), "%s: CONFIDENTIALITY flag 0x%x", label, (unsigned)attrs);
  CHECK(((attrs & integ_bit) != 0) == (layer >= 2), "%s: INTEGRITY flag 0x%x", label, (unsigned)attrs);
}

static void check_cyrus_ssf(const char *label, sasl_conn_t *conn, int layer) {
  const int *ssf = NULL;
  sasl_getprop(conn, SASL_SSF, (const void **)&ssf);
  int v = ssf ? *ssf : -1;
  CHECK(layer == 1 ? v == 0 : layer == 2 ? v == 1 : v > 1, "%s: Cyrus SSF %d", label, v);
  if (layer == 4) printf("  %s: Cyrus SSF %d\n", label, v);
}

/* SEND_SIZE is Cyrus' maxbufsize minus the wrap overhead (0 with no layer), and Cyrus' maxoutbuf
   is below our RECV_SIZE (with a layer). Returns SEND_SIZE; *maxout_out gets Cyrus' maxoutbuf. */
static ULONG check_sizes(const char *label, sasl_conn_t *conn, CtxtHandle *ctx, int layer, unsigned cyrus_maxbuf,
                         ULONG our_recv, const unsigned **maxout_out) {
  ULONG send = get_ulong_option(ctx, SASL_OPTION_SEND_SIZE);
  ULONG want_send = layer == 1 ? 0 : cyrus_maxbuf - sizes_overhead(ctx);
  CHECK(send == want_send, "%s: SEND_SIZE %u, want %u", label, (unsigned)send, (unsigned)want_send);
  const unsigned *maxout = NULL;
  if (layer > 1) {
    sasl_getprop(conn, SASL_MAXOUTBUF, (const void **)&maxout);
    ULONG recv = our_recv ? our_recv : 0xFFFF; /* RECV_SIZE's default, 0x0FFFF */
    CHECK(maxout && *maxout > 0 && *maxout < recv, "%s: Cyrus maxoutbuf %u below our RECV_SIZE %u", label,
          maxout ? *maxout : 0, (unsigned)recv);
  }
  if (maxout_out) *maxout_out = maxout;
  return send;
}

/* C: our client, Cyrus server. cyrus_maxbuf: the server's maxbufsize; our_recv: RECV_SIZE set
   before the cookie (0: default). */
static void gss_our_client(const struct gss_mode *m, int mutual, const char *authz, unsigned cyrus_maxbuf,
                           ULONG our_recv) {
  char label[120];
  snprintf(label, sizeof label, "SaslISC -> Cyrus server [%s%s%s%s]", m->name, mutual ? ", mutual" : "",
           authz ? ", authzid " : "", authz ? authz : "");
  CredHandle cred;
  CtxtHandle ctx;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                         &cred, NULL), SEC_E_OK);
  sasl_conn_t *conn = NULL;
  CHECK(sasl_server_new("host", GSS_HOST, NULL, NULL, NULL, g_server_cbs, 0, &conn) == SASL_OK, "sasl_server_new");
  gss_secprops(conn, m->min_ssf, m->max_ssf, cyrus_maxbuf);
  char out[16384];
  unsigned outlen;
  ULONG attrs;
  ULONG req = m->isc | (mutual ? ISC_REQ_MUTUAL_AUTH : 0);
  /* The first call: the AP-REQ; without mutual authentication the Kerberos exchange is done
     already, and the SASL layer still says "continue". */
  CHECK_STATUS(gss_step(1, &cred, &ctx, 1, req, NULL, 0, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  if (our_recv) CHECK_STATUS(SaslSetContextOption(&ctx, SASL_OPTION_RECV_SIZE, &our_recv, sizeof our_recv), SEC_E_OK);
  if (authz) CHECK_STATUS(SaslSetContextOption(&ctx, SASL_OPTION_AUTHZ_STRING, (void *)authz, strlen(authz)), SEC_E_OK);
  const char *sout;
  unsigned soutlen;
  int r = sasl_server_start(conn, "GSSAPI", out, outlen, &sout, &soutlen);
  CHECK(r == SASL_CONTINUE, "%s: sasl_server_start %d %s", label, r, sasl_errdetail(conn));
  if (mutual) {
    /* The AP-REP in; an empty response out (RFC 4752). */
    CHECK_STATUS(gss_step(1, &cred, &ctx, 0, req, sout, soutlen, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK(outlen == 0, "%s: empty response to the AP-REP (%u bytes)", label, outlen);
    r = sasl_server_step(conn, out, outlen, &sout, &soutlen);
    CHECK(r == SASL_CONTINUE, "%s: sasl_server_step(empty) %d %s", label, r, sasl_errdetail(conn));
  }
  /* The server cookie in, the client cookie out. */
  SECURITY_STATUS s = gss_step(1, &cred, &ctx, 0, req, sout, soutlen, out, &outlen, &attrs);
  CHECK(s == SEC_E_OK, "%s: SaslISC(server cookie) 0x%08X", label, (unsigned)s);
  if (s != SEC_E_OK) goto done;
  check_ret_layer(label, attrs, m->layer, ISC_RET_CONFIDENTIALITY, ISC_RET_INTEGRITY);
  r = sasl_server_step(conn, out, outlen, &sout, &soutlen);
  CHECK(r == SASL_OK, "%s: sasl_server_step(client cookie) %d %s", label, r, sasl_errdetail(conn));
  if (r != SASL_OK) goto done;
  check_cyrus_ssf(label, conn, m->layer);
  const char *user = NULL;
  sasl_getprop(conn, SASL_USERNAME, (const void **)&user);
  const char *want_user = authz ? authz : USER;
  CHECK(user && !strncmp(user, want_user, strlen(want_user)), "%s: Cyrus user %s", label, user ? user : "-");
  /* SEND_SIZE: Cyrus' maxbufsize minus the wrap overhead (0 with no layer); RECV_SIZE as set. */
  const unsigned *maxout = NULL;
  ULONG send = check_sizes(label, conn, &ctx, m->layer, cyrus_maxbuf, our_recv, &maxout);
  if (m->layer > 1) {
    if (our_recv && maxout) {
      /* Cyrus' largest message fits our RECV_SIZE once wrapped. */
      unsigned n = *maxout;
      char *big = malloc(n);
      memset(big, 'x', n);
      const char *enc;
      unsigned enclen;
      CHECK(sasl_encode(conn, big, n, &enc, &enclen) == SASL_OK && enclen - 4 <= our_recv,
            "%s: Cyrus token of %u bytes within RECV_SIZE %u", label, enclen - 4, (unsigned)our_recv);
      unsigned char *plain = malloc(n + 64);
      unsigned plen = 0;
      ULONG qop;
      CHECK_STATUS(unwrap_msg(&ctx, enc + 4, enclen - 4, plain, &plen, &qop), SEC_E_OK);
      CHECK(plen == n, "%s: big message back", label);
      free(plain);
      free(big);
      printf("  %s: RECV_SIZE %u -> Cyrus maxoutbuf %u\n", label, (unsigned)our_recv, *maxout);
    }
    if (cyrus_maxbuf < 65536) {
      /* A message of SEND_SIZE bytes fits Cyrus' maxbufsize once wrapped. */
      unsigned char *big = malloc(send + 200), *wire = malloc(send + 400);
      memset(big, 'y', send + 200);
      unsigned wl = wrap_msg(&ctx, m->layer == 4 ? 0 : WRAP_NO_ENCRYPT, big, send, wire + 4);
      CHECK(wl > 0 && wl <= cyrus_maxbuf, "%s: EncryptMessage(SEND_SIZE %u) -> %u <= %u", label, (unsigned)send, wl,
            cyrus_maxbuf);
      wire[0] = (unsigned char)(wl >> 24); wire[1] = (unsigned char)(wl >> 16);
      wire[2] = (unsigned char)(wl >> 8); wire[3] = (unsigned char)wl;
      const char *dec;
      unsigned declen;
      r = sasl_decode(conn, (const char *)wire, wl + 4, &dec, &declen);
      CHECK(r == SASL_OK && declen == send, "%s: Cyrus decodes SEND_SIZE bytes: %d %s", label, r,
            sasl_errdetail(conn));
      printf("  %s: Cyrus maxbufsize %u -> SEND_SIZE %u, token %u\n", label, cyrus_maxbuf, (unsigned)send, wl);
      free(big);
      free(wire);
    }
  }
  gss_messages(label, conn, &ctx, m->layer);
done:
  sasl_dispose(&conn);
  DeleteSecurityContext(&ctx);
  FreeCredentialsHandle(&cred);
}

/* D: Cyrus client, our server. */
static void gss_cyrus_client(const struct gss_mode *m, const char *authz, unsigned cyrus_maxbuf, ULONG our_recv) {
  char label[120];
  snprintf(label, sizeof label, "Cyrus client -> SaslASC [%s%s%s]", m->name, authz ? ", authzid " : "",
           authz ? authz : "");
  CredHandle cred;
  CtxtHandle ctx;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                         &cred, NULL), SEC_E_OK);
  sasl_conn_t *conn = NULL;
  CHECK(sasl_client_new("host", GSS_HOST, NULL, NULL, g_client_cbs, 0, &conn) == SASL_OK, "sasl_client_new");
  gss_secprops(conn, m->min_ssf, m->max_ssf, cyrus_maxbuf);
  g_authz = authz ? authz : "";
  const char *cout, *mech;
  unsigned coutlen;
  int r = sasl_client_start(conn, "GSSAPI", NULL, &cout, &coutlen, &mech);
  CHECK(r == SASL_CONTINUE, "%s: sasl_client_start %d %s", label, r, sasl_errdetail(conn));
  char out[16384];
  unsigned outlen;
  ULONG attrs;
  /* The AP-REQ in, the AP-REP out: SASL holds the Kerberos SEC_E_OK back. */
  CHECK_STATUS(gss_step(0, &cred, &ctx, 1, m->asc, cout, coutlen, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  if (our_recv) CHECK_STATUS(SaslSetContextOption(&ctx, SASL_OPTION_RECV_SIZE, &our_recv, sizeof our_recv), SEC_E_OK);
  if (authz) {
    ULONG v = 1; /* Sasl_AuthZIDProcessed */
    CHECK_STATUS(SaslSetContextOption(&ctx, SASL_OPTION_AUTHZ_PROCESSING, &v, sizeof v), SEC_E_OK);
  }
  r = sasl_client_step(conn, out, outlen, NULL, &cout, &coutlen);
  CHECK(r == SASL_CONTINUE && coutlen == 0, "%s: sasl_client_step(AP-REP) %d, %u bytes %s", label, r, coutlen,
        sasl_errdetail(conn));
  /* The empty response in, the server cookie out. */
  CHECK_STATUS(gss_step(0, &cred, &ctx, 0, m->asc, cout, coutlen, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  r = sasl_client_step(conn, out, outlen, NULL, &cout, &coutlen);
  CHECK(r == SASL_OK, "%s: sasl_client_step(server cookie) %d %s", label, r, sasl_errdetail(conn));
  if (r != SASL_OK) goto done;
  SECURITY_STATUS s = gss_step(0, &cred, &ctx, 0, m->asc, cout, coutlen, out, &outlen, &attrs);
  CHECK(s == SEC_E_OK, "%s: SaslASC(client cookie) 0x%08X", label, (unsigned)s);
  if (s != SEC_E_OK) goto done;
  CHECK(outlen == 0, "%s: nothing after the client cookie", label);
  check_ret_layer(label, attrs, m->layer, ASC_RET_CONFIDENTIALITY, ASC_RET_INTEGRITY);
  check_cyrus_ssf(label, conn, m->layer);
  SecPkgContext_NamesA names;
  if (QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK) {
    CHECK(!strncmp(names.sUserName, USER "@", strlen(USER) + 1), "%s: client %s", label, names.sUserName);
    FreeContextBuffer(names.sUserName);
  }
  char got[64] = {0};
  ULONG need = 0;
  CHECK_STATUS(SaslGetContextOption(&ctx, SASL_OPTION_AUTHZ_STRING, got, sizeof got - 1, &need), SEC_E_OK);
  CHECK(authz ? need == strlen(authz) && !strcmp(got, authz) : need == 0, "%s: authzid seen \"%s\"", label, got);
  check_sizes(label, conn, &ctx, m->layer, cyrus_maxbuf, our_recv, NULL);
  gss_messages(label, conn, &ctx, m->layer);
done:
  g_authz = "";
  sasl_dispose(&conn);
  DeleteSecurityContext(&ctx);
  FreeCredentialsHandle(&cred);
}

/* Status codes of the cookie steps, our own peers crafting the cookies with EncryptMessage. */
static void gssapi_codes(void) {
  CredHandle ccred, scred;
  CtxtHandle cctx, sctx;
  char out[16384], out2[16384];
  unsigned outlen, out2len;
  ULONG attrs;
  unsigned char w[256], plain[256];
  unsigned wl, plen;
  ULONG qop;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                         &ccred, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                         &scred, NULL), SEC_E_OK);

  /* 1. SaslISC (integrity wanted) against a plain acceptor that crafts the server cookie. */
  ULONG req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY;
  CHECK_STATUS(gss_step(1, &ccred, &cctx, 1, req, NULL, 0, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(plain_step(0, &scred, &sctx, 1, ASC_REQ_INTEGRITY, out, outlen, out2, &out2len), SEC_E_OK);
  CHECK_STATUS(gss_step(1, &ccred, &cctx, 0, req, out2, out2len, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  CHECK(outlen == 0, "codes: empty response to the AP-REP");
  /* Garbage: does not decrypt; nothing consumed. */
  memset(w, 0x5a, 60);
  CHECK_STATUS(gss_step(1, &ccred, &cctx, 0, req, w, 60, out, &outlen, &attrs), SEC_E_INVALID_TOKEN);
  /* A genuine cookie, tampered: SEC_E_INVALID_TOKEN, then the genuine one still works below. */
  wl = wrap_msg(&sctx, WRAP_NO_ENCRYPT, "\x07\x00\x10\x00", 4, w);
  unsigned char t[256];
  memcpy(t, w, wl);
  t[wl - 1] ^= 1;
  CHECK_STATUS(gss_step(1, &ccred, &cctx, 0, req, t, wl, out, &outlen, &attrs), SEC_E_INVALID_TOKEN);
  /* An empty token. */
  CHECK_STATUS(gss_step(1, &ccred, &cctx, 0, req, "", 0, out, &outlen, &attrs), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(gss_step(1, &ccred, &cctx, 0, req, w, wl, out, &outlen, &attrs), SEC_E_OK);
  check_ret_layer("codes: integrity chosen from 7", attrs, 2, ISC_RET_CONFIDENTIALITY, ISC_RET_INTEGRITY);
  CHECK_STATUS(unwrap_msg(&sctx, out, outlen, plain, &plen, &qop), SEC_E_OK);
  CHECK(plen == 4 && !memcmp(plain, "\x02\x00\xff\xff", 4) && qop == WRAP_NO_ENCRYPT,
        "codes: client cookie = integrity, RECV_SIZE 0xFFFF, no authzid, not encrypted (%u bytes, %02x %02x %02x %02x, qop %x)",
        plen, plain[0], plain[1], plain[2], plain[3], (unsigned)qop);
  CHECK(get_ulong_option(&cctx, SASL_OPTION_SEND_SIZE) == 0x1000 - sizes_overhead(&cctx), "codes: SEND_SIZE");
  /* After SEC_E_OK the context is an ordinary one: a further cookie is refused as a token. */
  DeleteSecurityContext(&cctx);
  DeleteSecurityContext(&sctx);

  /* 2. Cookies the client must refuse, each on a fresh context (each unwrapped cookie uses up
        a sequence number). */
  static const struct { const char *bytes; unsigned n; ULONG req; SECURITY_STATUS want; const char *what; } bad[] = {
      {"\x07\x00\x10", 3, ISC_REQ_INTEGRITY, SEC_E_INVALID_TOKEN, "short server cookie"},
      {"\x07\x00\x10\x00\x00", 5, ISC_REQ_INTEGRITY, SEC_E_INVALID_TOKEN, "long server cookie"},
      {"\x00\x00\x10\x00", 4, ISC_REQ_INTEGRITY, SEC_E_INVALID_TOKEN, "no layer offered"},
      {"\x01\x00\x10\x00", 4, 0, SEC_E_INVALID_TOKEN, "only none, with a size"},
      {"\x04\x00\x10\x00", 4, ISC_REQ_INTEGRITY, SEC_E_ALGORITHM_MISMATCH, "only confidentiality, integrity asked"},
      {"\x06\x00\x10\x00", 4, 0, SEC_E_ALGORITHM_MISMATCH, "no none offered, none asked"},
      {"\x01\x00\x00\x00", 4, 0, SEC_E_OK, "none offered and asked"},
      /* Issue #16: the layer asked for is required (these completed with a lower one). */
      {"\x01\x00\x00\x00", 4, ISC_REQ_CONFIDENTIALITY, SEC_E_ALGORITHM_MISMATCH, "only none, confidentiality asked"},
      {"\x03\x00\x10\x00", 4, ISC_REQ_CONFIDENTIALITY, SEC_E_ALGORITHM_MISMATCH, "none|integrity, confidentiality asked"},
      {"\x05\x00\x10\x00", 4, ISC_REQ_INTEGRITY, SEC_E_ALGORITHM_MISMATCH, "none|confidentiality, integrity asked"},
      {"\x07\x00\x10\x00", 4, ISC_REQ_CONFIDENTIALITY, SEC_E_OK, "confidentiality"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ULONG r = bad[i].req | ISC_REQ_MUTUAL_AUTH;
    CHECK_STATUS(gss_step(1, &ccred, &cctx, 1, r, NULL, 0, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(plain_step(0, &scred, &sctx, 1, ASC_REQ_CONFIDENTIALITY, out, outlen, out2, &out2len), SEC_E_OK);
    CHECK_STATUS(gss_step(1, &ccred, &cctx, 0, r, out2, out2len, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
    wl = wrap_msg(&sctx, WRAP_NO_ENCRYPT, bad[i].bytes, bad[i].n, w);
    SECURITY_STATUS s = gss_step(1, &ccred, &cctx, 0, r, w, wl, out, &outlen, &attrs);
    CHECK(s == bad[i].want, "codes: %s: 0x%08X, want 0x%08X", bad[i].what, (unsigned)s, (unsigned)bad[i].want);
    if (s == SEC_E_OK) {
      int layer = bad[i].req & ISC_REQ_CONFIDENTIALITY ? 4 : 1;
      check_ret_layer(bad[i].what, attrs, layer, ISC_RET_CONFIDENTIALITY, ISC_RET_INTEGRITY);
      CHECK_STATUS(unwrap_msg(&sctx, out, outlen, plain, &plen, &qop), SEC_E_OK);
      CHECK(plen == 4 && plain[0] == layer && (layer == 1 ? !memcmp(plain + 1, "\0\0\0", 3) : !memcmp(plain + 1, "\0\xff\xff", 3)),
            "codes: %s: client cookie %02x %02x %02x %02x", bad[i].what, plain[0], plain[1], plain[2], plain[3]);
    }
    DeleteSecurityContext(&cctx);
    DeleteSecurityContext(&sctx);
  }

  /* 3. SaslASC (integrity offered) against a plain initiator that crafts the client cookie.
        processed 1: AUTHZ_PROCESSING left at its default, Sasl_AuthZIDProcessed; 0: set to
        Sasl_AuthZIDForbidden. */
  static const struct { const char *bytes; unsigned n; ULONG processed; SECURITY_STATUS want; const char *what; } cl[] = {
      {"\x02\x00\x10", 3, 1, SEC_E_INVALID_TOKEN, "short client cookie"},
      {"\x04\x00\x10\x00", 4, 1, SEC_E_ALGORITHM_MISMATCH, "confidentiality not offered"},
      {"\x03\x00\x10\x00", 4, 1, SEC_E_ALGORITHM_MISMATCH, "two layers chosen"},
      {"\x02\x00\x10\x00" "admin", 9, 0, SEC_E_ALGORITHM_MISMATCH, "authzid, AuthZIDForbidden"},
      {"\x02\x00\x10\x00" "admin", 9, 1, SEC_E_OK, "authzid, AuthZIDProcessed (the default)"},
      {"\x02\x00\x10\x00", 4, 0, SEC_E_OK, "integrity, no authzid, AuthZIDForbidden"},
      /* Issue #16: integrity required; none (not offered) refused. */
      {"\x01\x00\x00\x00", 4, 1, SEC_E_ALGORITHM_MISMATCH, "none, integrity required"},
  };
  for (size_t i = 0; i < sizeof cl / sizeof cl[0]; i++) {
    ULONG r = ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY;
    CHECK_STATUS(plain_step(1, &ccred, &cctx, 1, r, NULL, 0, out, &outlen), SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(gss_step(0, &scred, &sctx, 1, ASC_REQ_INTEGRITY, out, outlen, out2, &out2len, &attrs),
                 SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(plain_step(1, &ccred, &cctx, 0, r, out2, out2len, out, &outlen), SEC_E_OK);
    CHECK(get_ulong_option(&sctx, SASL_OPTION_AUTHZ_PROCESSING) == 1, "codes: %s: AUTHZ_PROCESSING default",
          cl[i].what);
    if (!cl[i].processed)
      CHECK_STATUS(SaslSetContextOption(&sctx, SASL_OPTION_AUTHZ_PROCESSING, (void *)&cl[i].processed, sizeof(ULONG)),
                   SEC_E_OK);
    CHECK_STATUS(gss_step(0, &scred, &sctx, 0, ASC_REQ_INTEGRITY, "", 0, out2, &out2len, &attrs),
                 SEC_I_CONTINUE_NEEDED);
    CHECK_STATUS(unwrap_msg(&cctx, out2, out2len, plain, &plen, &qop), SEC_E_OK);
    CHECK(plen == 4 && !memcmp(plain, "\x02\x00\xff\xff", 4) && qop == WRAP_NO_ENCRYPT,
          "codes: server cookie = integrity alone (required), RECV_SIZE 0xFFFF (%02x %02x %02x %02x)", plain[0], plain[1], plain[2],
          plain[3]);
    if (i == 0) {
      /* Garbage first: nothing consumed. */
      memset(w, 0x33, 70);
      CHECK_STATUS(gss_step(0, &scred, &sctx, 0, ASC_REQ_INTEGRITY, w, 70, out2, &out2len, &attrs),
                   SEC_E_INVALID_TOKEN);
    }
    wl = wrap_msg(&cctx, WRAP_NO_ENCRYPT, cl[i].bytes, cl[i].n, w);
    SECURITY_STATUS s = gss_step(0, &scred, &sctx, 0, ASC_REQ_INTEGRITY, w, wl, out2, &out2len, &attrs);
    CHECK(s == cl[i].want, "codes: %s: 0x%08X, want 0x%08X", cl[i].what, (unsigned)s, (unsigned)cl[i].want);
    char got[32] = {0};
    ULONG need = 0;
    SECURITY_STATUS gs = SaslGetContextOption(&sctx, SASL_OPTION_AUTHZ_STRING, got, sizeof got - 1, &need);
    /* "If the AuthZ_Processing state is Sasl_AuthZIDForbidden, the return value
       SEC_E_UNSUPPORTED_FUNCTION is returned." */
    CHECK(gs == (cl[i].processed ? SEC_E_OK : SEC_E_UNSUPPORTED_FUNCTION), "codes: %s: Get AUTHZ_STRING 0x%08X",
          cl[i].what, (unsigned)gs);
    if (s == SEC_E_OK) {
      CHECK(cl[i].n > 4 ? !strcmp(got, "admin") : need == 0, "codes: %s: authzid \"%s\"", cl[i].what, got);
      check_ret_layer(cl[i].what, attrs, cl[i].bytes[0], ASC_RET_CONFIDENTIALITY, ASC_RET_INTEGRITY);
      CHECK(get_ulong_option(&sctx, SASL_OPTION_SEND_SIZE) ==
                (cl[i].bytes[0] == 1 ? 0 : 0x1000 - sizes_overhead(&sctx)),
            "codes: %s: SEND_SIZE", cl[i].what);
    }
    DeleteSecurityContext(&cctx);
    DeleteSecurityContext(&sctx);
  }
  FreeCredentialsHandle(&ccred);
  FreeCredentialsHandle(&scred);
}

/* ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY: the cookies come in library buffers. */
static void gssapi_allocate(void) {
  CredHandle ccred, scred;
  CtxtHandle cctx, sctx;
  char out[16384], out2[16384];
  unsigned outlen, out2len;
  unsigned char w[256], plain[256];
  unsigned wl, plen;
  ULONG qop, attrs = 0;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                         &ccred, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                         &scred, NULL), SEC_E_OK);
  /* Client: the client cookie allocated. */
  ULONG req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_ALLOCATE_MEMORY;
  SecBuffer ib = {0, SECBUFFER_TOKEN, NULL}, ob = {0, SECBUFFER_TOKEN, NULL};
  SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
  CHECK_STATUS(SaslInitializeSecurityContextA(&ccred, NULL, (SEC_CHAR *)GSS_TARGET, req, 0, 0, NULL, 0, &cctx, &od,
                                              &attrs, NULL), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(plain_step(0, &scred, &sctx, 1, ASC_REQ_CONFIDENTIALITY, ob.pvBuffer, ob.cbBuffer, out2, &out2len),
               SEC_E_OK);
  FreeContextBuffer(ob.pvBuffer);
  ib.pvBuffer = out2;
  ib.cbBuffer = out2len;
  ob.pvBuffer = NULL;
  ob.cbBuffer = 0;
  CHECK_STATUS(SaslInitializeSecurityContextA(&ccred, &cctx, (SEC_CHAR *)GSS_TARGET, req, 0, 0, &id, 0, &cctx, &od,
                                              &attrs, NULL), SEC_I_CONTINUE_NEEDED);
  CHECK(ob.cbBuffer == 0, "allocate: empty response");
  if (ob.pvBuffer) FreeContextBuffer(ob.pvBuffer);
  wl = wrap_msg(&sctx, WRAP_NO_ENCRYPT, "\x07\x00\x40\x00", 4, w);
  ib.pvBuffer = w;
  ib.cbBuffer = wl;
  ob.pvBuffer = NULL;
  ob.cbBuffer = 0;
  CHECK_STATUS(SaslInitializeSecurityContextA(&ccred, &cctx, (SEC_CHAR *)GSS_TARGET, req, 0, 0, &id, 0, &cctx, &od,
                                              &attrs, NULL), SEC_E_OK);
  CHECK(ob.pvBuffer != NULL && ob.cbBuffer > 4, "allocate: client cookie in a library buffer (%u bytes)",
        (unsigned)ob.cbBuffer);
  if (ob.pvBuffer) {
    CHECK_STATUS(unwrap_msg(&sctx, ob.pvBuffer, ob.cbBuffer, plain, &plen, &qop), SEC_E_OK);
    CHECK(plen == 4 && plain[0] == 4, "allocate: confidentiality chosen");
    CHECK_STATUS(FreeContextBuffer(ob.pvBuffer), SEC_E_OK);
  }
  DeleteSecurityContext(&cctx);
  DeleteSecurityContext(&sctx);

  /* Server: the AP-REP and the server cookie allocated. */
  CHECK_STATUS(plain_step(1, &ccred, &cctx, 1, ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY, NULL, 0, out, &outlen),
               SEC_I_CONTINUE_NEEDED);
  ULONG sreq = ASC_REQ_INTEGRITY | ASC_REQ_ALLOCATE_MEMORY;
  ib.pvBuffer = out;
  ib.cbBuffer = outlen;
  ob.pvBuffer = NULL;
  ob.cbBuffer = 0;
  CHECK_STATUS(SaslAcceptSecurityContext(&scred, NULL, &id, sreq, 0, &sctx, &od, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
  CHECK(ob.pvBuffer != NULL, "allocate: AP-REP allocated");
  CHECK_STATUS(plain_step(1, &ccred, &cctx, 0, ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY, ob.pvBuffer, ob.cbBuffer, out,
                          &outlen), SEC_E_OK);
  if (ob.pvBuffer) FreeContextBuffer(ob.pvBuffer);
  ib.pvBuffer = "";
  ib.cbBuffer = 0;
  ob.pvBuffer = NULL;
  ob.cbBuffer = 0;
  CHECK_STATUS(SaslAcceptSecurityContext(&scred, &sctx, &id, sreq, 0, &sctx, &od, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
  CHECK(ob.pvBuffer != NULL, "allocate: server cookie allocated");
  if (ob.pvBuffer) {
    CHECK_STATUS(unwrap_msg(&cctx, ob.pvBuffer, ob.cbBuffer, plain, &plen, &qop), SEC_E_OK);
    CHECK(plen == 4 && !memcmp(plain, "\x02\x00\xff\xff", 4), "allocate: server cookie bytes (RECV_SIZE 0xFFFF)");
    CHECK_STATUS(FreeContextBuffer(ob.pvBuffer), SEC_E_OK);
  }
  wl = wrap_msg(&cctx, WRAP_NO_ENCRYPT, "\x02\x00\x20\x00", 4, w);
  ib.pvBuffer = w;
  ib.cbBuffer = wl;
  ob.pvBuffer = NULL;
  ob.cbBuffer = 0;
  CHECK_STATUS(SaslAcceptSecurityContext(&scred, &sctx, &id, sreq, 0, &sctx, &od, &attrs, NULL), SEC_E_OK);
  CHECK(ob.cbBuffer == 0, "allocate: nothing after the client cookie");
  check_ret_layer("allocate", attrs, 2, ASC_RET_CONFIDENTIALITY, ASC_RET_INTEGRITY);
  DeleteSecurityContext(&cctx);
  DeleteSecurityContext(&sctx);
  FreeCredentialsHandle(&ccred);
  FreeCredentialsHandle(&scred);
}

/* Issue #16: a client without ISC_REQ_MUTUAL_AUTH (no AP-REP), a server passing its own
   preallocated output TOKEN (16000 bytes, no ASC_REQ_ALLOCATE_MEMORY): the server cookie goes
   into that buffer at once (it came back SEC_E_BUFFER_TOO_SMALL with cbBuffer 0). */
static void gssapi_nonmutual_preallocated(void) {
  CredHandle ccred, scred;
  CtxtHandle cctx, sctx;
  char out[16384], out2[16000];
  unsigned outlen;
  unsigned char plain[256];
  unsigned plen;
  ULONG qop, attrs = 0;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                         &ccred, NULL), SEC_E_OK);
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                         &scred, NULL), SEC_E_OK);
  CHECK_STATUS(gss_step(1, &ccred, &cctx, 1, ISC_REQ_INTEGRITY, NULL, 0, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  SecBuffer ib = {outlen, SECBUFFER_TOKEN, out}, ob = {sizeof out2, SECBUFFER_TOKEN, out2};
  SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
  SECURITY_STATUS s = SaslAcceptSecurityContext(&scred, NULL, &id, ASC_REQ_INTEGRITY, 0, &sctx, &od, &attrs, NULL);
  CHECK(s == SEC_I_CONTINUE_NEEDED && ob.cbBuffer > 4 && ob.pvBuffer == out2,
        "non-mutual, preallocated: server cookie in the caller's 16000-byte buffer (0x%08X, %u bytes)", (unsigned)s,
        (unsigned)ob.cbBuffer);
  if (s == SEC_I_CONTINUE_NEEDED) {
    CHECK_STATUS(unwrap_msg(&cctx, out2, ob.cbBuffer, plain, &plen, &qop), SEC_E_OK);
    CHECK(plen == 4 && !memcmp(plain, "\x02\x00\xff\xff", 4), "non-mutual, preallocated: server cookie bytes");
  }
  DeleteSecurityContext(&cctx);
  if (s == SEC_I_CONTINUE_NEEDED) DeleteSecurityContext(&sctx);
  FreeCredentialsHandle(&ccred);
  FreeCredentialsHandle(&scred);
}

/* Issue #16: the layer asked for is required. SaslISC asking for confidentiality against a
   Cyrus server offering only "none" → SEC_E_ALGORITHM_MISMATCH (it completed with no layer);
   SaslASC requiring confidentiality offers it alone, so a Cyrus client that will only take
   "none" gives up. */
static void gssapi_layer_required(void) {
  CredHandle cred;
  CtxtHandle ctx;
  char out[16384];
  unsigned outlen;
  ULONG attrs;
  const char *sout, *mech;
  unsigned soutlen;
  ULONG req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;
  CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                         &cred, NULL), SEC_E_OK);
  sasl_conn_t *conn = NULL;
  CHECK(sasl_server_new("host", GSS_HOST, NULL, NULL, NULL, g_server_cbs, 0, &conn) == SASL_OK, "sasl_server_new");
  gss_secprops(conn, 0, 0, 65536);
  CHECK_STATUS(gss_step(1, &cred, &ctx, 1, req, NULL, 0, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  int r = sasl_server_start(conn, "GSSAPI", out, outlen, &sout, &soutlen);
  CHECK(r == SASL_CONTINUE, "layer required: sasl_server_start %d %s", r, sasl_errdetail(conn));
  CHECK_STATUS(gss_step(1, &cred, &ctx, 0, req, sout, soutlen, out, &outlen, &attrs), SEC_I_CONTINUE_NEEDED);
  r = sasl_server_step(conn, out, outlen, &sout, &soutlen);
  CHECK(r == SASL_CONTINUE, "layer required: sasl_server_step(empty) %d %s", r, sasl_errdetail(conn));
  CHECK_STATUS(gss_step(1, &cred, &ctx, 0, req, sout, soutlen, out, &outlen, &attrs), SEC_E_ALGORITHM_MISMATCH);
  sasl_dispose(&conn);
  DeleteSecurityContext(&ctx);
  FreeCredentialsHandle(&cred);

  /* Cyrus clients taking at most "none" (max_ssf 0) and at most integrity (max_ssf 1). */
  for (unsigned max_ssf = 0; max_ssf <= 1; max_ssf++) {
    CHECK_STATUS(AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                           &cred, NULL), SEC_E_OK);
    CHECK(sasl_client_new("host", GSS_HOST, NULL, NULL, g_client_cbs, 0, &conn) == SASL_OK, "sasl_client_new");
    gss_secprops(conn, 0, max_ssf, 65536);
    r = sasl_client_start(conn, "GSSAPI", NULL, &sout, &soutlen, &mech);
    CHECK(r == SASL_CONTINUE, "layer required: sasl_client_start %d %s", r, sasl_errdetail(conn));
    CHECK_STATUS(gss_step(0, &cred, &ctx, 1, ASC_REQ_CONFIDENTIALITY, sout, soutlen, out, &outlen, &attrs),
                 SEC_I_CONTINUE_NEEDED);
    r = sasl_client_step(conn, out, outlen, NULL, &sout, &soutlen);
    CHECK(r == SASL_CONTINUE, "layer required: sasl_client_step(AP-REP) %d %s", r, sasl_errdetail(conn));
    SECURITY_STATUS s = gss_step(0, &cred, &ctx, 0, ASC_REQ_CONFIDENTIALITY, sout, soutlen, out, &outlen, &attrs);
    /* max_ssf 0: Cyrus asks Kerberos for no confidentiality (no GSS_C_CONF_FLAG), so the server
       cannot offer what it requires → SEC_E_ALGORITHM_MISMATCH; max_ssf 1: the cookie goes out. */
    CHECK(s == (max_ssf ? SEC_I_CONTINUE_NEEDED : SEC_E_ALGORITHM_MISMATCH),
          "layer required: SaslASC, Cyrus client max_ssf %u: 0x%08X", max_ssf, (unsigned)s);
    if (s == SEC_I_CONTINUE_NEEDED) {
      /* The server cookie offers confidentiality alone: Cyrus finds nothing it takes. */
      r = sasl_client_step(conn, out, outlen, NULL, &sout, &soutlen);
      CHECK(r != SASL_OK && r != SASL_CONTINUE,
            "layer required: Cyrus client (max_ssf %u) refuses a confidentiality-only server cookie: %d %s", max_ssf,
            r, sasl_errdetail(conn));
      printf("  layer required: Cyrus client max_ssf %u on a confidentiality-only cookie: %d %s\n", max_ssf, r,
             sasl_errdetail(conn));
    }
    printf("  layer required: Cyrus client max_ssf %u -> SaslASC(ASC_REQ_CONFIDENTIALITY) 0x%08X\n", max_ssf,
           (unsigned)s);
    sasl_dispose(&conn);
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
  }
}

static int gssapi_main(void) {
  if (!getenv("KRB5CCNAME") || !getenv("KRB5_KTNAME")) {
    fprintf(stderr, "digest_cyrus --gssapi: KRB5CCNAME and KRB5_KTNAME must be set (mit-kdc.sh start DIR --kinit)\n");
    return 2;
  }
  CHECK(sasl_server_init(g_server_cbs, "secur32") == SASL_OK, "sasl_server_init");
  CHECK(sasl_client_init(g_client_cbs) == SASL_OK, "sasl_client_init");
  for (size_t i = 0; i < sizeof g_gss_modes / sizeof g_gss_modes[0]; i++) {
    const struct gss_mode *m = &g_gss_modes[i];
    gss_our_client(m, 1, NULL, 65536, 0);
    gss_our_client(m, 0, NULL, 65536, 0);
    gss_cyrus_client(m, NULL, 65536, 0);
  }
  /* maxbuf both ways, and the authzid both ways. */
  gss_our_client(&g_gss_modes[2], 1, NULL, 4096, 2048);
  gss_our_client(&g_gss_modes[1], 1, NULL, 3000, 1500);
  gss_cyrus_client(&g_gss_modes[2], NULL, 4096, 3000);
  gss_our_client(&g_gss_modes[2], 1, "admin", 65536, 0);
  gss_cyrus_client(&g_gss_modes[1], "admin", 65536, 0);
  gssapi_codes();
  gssapi_allocate();
  gssapi_nonmutual_preallocated();
  gssapi_layer_required();
  sasl_done();
  CHECK_SUMMARY("digest_cyrus --gssapi");
}
