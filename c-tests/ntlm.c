/* NTLM through the exported functions only: loopback (A, W, function table, allocated
   tokens), attributes, every documented message status, single-bit flips, replay, rollback
   after failures, the STREAM form, and threads encrypting while others decrypt. */
#include "ntlm_util.h"
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

static pair_t P;

static void setup_pair(pair_t *p) {
  memset(p, 0, sizeof *p);
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &p->ccred), SEC_E_OK);
  CHECK_STATUS(acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &p->scred), SEC_E_OK);
  CHECK_STATUS(handshake(p, NTLM_REQ, NTLM_ASC, "host/localhost"), SEC_E_OK);
}

static void teardown_pair(pair_t *p) {
  CHECK_STATUS(DeleteSecurityContext(&p->cctx), SEC_E_OK);
  CHECK_STATUS(DeleteSecurityContext(&p->sctx), SEC_E_OK);
  CHECK_STATUS(FreeCredentialsHandle(&p->ccred), SEC_E_OK);
  CHECK_STATUS(FreeCredentialsHandle(&p->scred), SEC_E_OK);
}

static void test_handshake_flags(void) {
  CHECK(P.cattr & ISC_RET_CONFIDENTIALITY, "ISC_RET_CONFIDENTIALITY granted (0x%08X)", (unsigned)P.cattr);
  CHECK(P.cattr & ISC_RET_INTEGRITY, "ISC_RET_INTEGRITY");
  CHECK(P.cattr & ISC_RET_SEQUENCE_DETECT, "ISC_RET_SEQUENCE_DETECT");
  CHECK(P.cattr & ISC_RET_REPLAY_DETECT, "ISC_RET_REPLAY_DETECT");
  CHECK(!(P.cattr & ISC_RET_ALLOCATED_MEMORY), "no ISC_RET_ALLOCATED_MEMORY without the request");
  CHECK(P.sattr & ASC_RET_CONFIDENTIALITY, "ASC_RET_CONFIDENTIALITY (0x%08X)", (unsigned)P.sattr);
  CHECK(P.sattr & ASC_RET_INTEGRITY, "ASC_RET_INTEGRITY");
}

static void test_attributes(void) {
  SecPkgContext_Sizes sz;
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
  CHECK(sz.cbMaxToken == 2888 && sz.cbMaxSignature == 16 && sz.cbBlockSize == 0 && sz.cbSecurityTrailer == 16,
        "SIZES %u %u %u %u", (unsigned)sz.cbMaxToken, (unsigned)sz.cbMaxSignature, (unsigned)sz.cbBlockSize,
        (unsigned)sz.cbSecurityTrailer);
  SecPkgContext_NamesA na;
  CHECK_STATUS(QueryContextAttributesA(&P.sctx, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
  CHECK(strcmp(na.sUserName, "DOMAIN\\user") == 0, "server NAMES = %s", na.sUserName);
  CHECK_STATUS(FreeContextBuffer(na.sUserName), SEC_E_OK);
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
  CHECK(strcmp(na.sUserName, "DOMAIN\\user") == 0, "client NAMES = %s", na.sUserName);
  CHECK_STATUS(FreeContextBuffer(na.sUserName), SEC_E_OK);
  SecPkgContext_NamesW nw;
  CHECK_STATUS(QueryContextAttributesW(&P.sctx, SECPKG_ATTR_NAMES, &nw), SEC_E_OK);
  CHECK(nw.sUserName[0] == 'D' && nw.sUserName[6] == '\\' && nw.sUserName[11] == 0, "W NAMES");
  CHECK_STATUS(FreeContextBuffer(nw.sUserName), SEC_E_OK);

  SecPkgContext_SessionKey ck, sk;
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, SECPKG_ATTR_SESSION_KEY, &ck), SEC_E_OK);
  CHECK_STATUS(QueryContextAttributesA(&P.sctx, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
  CHECK(ck.SessionKeyLength == 16 && sk.SessionKeyLength == 16 && memcmp(ck.SessionKey, sk.SessionKey, 16) == 0,
        "session keys agree");
  FreeContextBuffer(ck.SessionKey);
  FreeContextBuffer(sk.SessionKey);

  SecPkgContext_NegotiationInfoA ni;
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
  CHECK(ni.NegotiationState == SECPKG_NEGOTIATION_COMPLETE && strcmp(ni.PackageInfo->Name, "NTLM") == 0,
        "NEGOTIATION_INFO");
  FreeContextBuffer(ni.PackageInfo);
  SecPkgContext_PackageInfoW pi;
  CHECK_STATUS(QueryContextAttributesW(&P.sctx, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
  CHECK(pi.PackageInfo->wRPCID == 10, "PACKAGE_INFO");
  FreeContextBuffer(pi.PackageInfo);
  SecPkgContext_Flags fl;
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, SECPKG_ATTR_FLAGS, &fl), SEC_E_OK);
  CHECK(fl.Flags & ISC_RET_CONFIDENTIALITY, "FLAGS");
  SecPkgContext_KeyInfoA ki;
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
  CHECK(ki.KeySize == 128, "KEY_INFO key size %u", (unsigned)ki.KeySize);
  FreeContextBuffer(ki.sSignatureAlgorithmName);
  FreeContextBuffer(ki.sEncryptAlgorithmName);
  SecPkgContext_StreamSizes ss;
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, SECPKG_ATTR_STREAM_SIZES, &ss), SEC_E_UNSUPPORTED_FUNCTION);
  CHECK_STATUS(QueryContextAttributesA(&P.cctx, 0x7777, &ss), SEC_E_UNSUPPORTED_FUNCTION);
  CHECK_STATUS(QueryContextAttributesExA(&P.cctx, SECPKG_ATTR_SIZES, &sz, 4), SEC_E_BUFFER_TOO_SMALL);
  CHECK_STATUS(QueryContextAttributesExA(&P.cctx, SECPKG_ATTR_SIZES, &sz, sizeof sz), SEC_E_OK);
  SecPkgCredentials_NamesA cn;
  SECURITY_STATUS s = QueryCredentialsAttributesA(&P.ccred, SECPKG_CRED_ATTR_NAMES, &cn);
  CHECK(s == SEC_E_OK || s == SEC_E_UNSUPPORTED_FUNCTION, "CRED_ATTR_NAMES 0x%08X", (unsigned)s);
  if (s == SEC_E_OK) FreeContextBuffer(cn.sUserName);
}

/* Round trip of a message in both directions. */
static int roundtrip(CtxtHandle *from, CtxtHandle *to, const char *text) {
  unsigned char sig[16], buf[256];
  ULONG len = (ULONG)strlen(text), qop = 99;
  memcpy(buf, text, len);
  if (seal(from, sig, buf, len, 0) != SEC_E_OK) return 0;
  if (len > 3 && memcmp(buf, text, len) == 0) return 0; /* must be encrypted */
  if (unseal(to, sig, buf, len, 0, &qop) != SEC_E_OK) return 0;
  return memcmp(buf, text, len) == 0 && qop == 0;
}

static void test_messages(void) {
  CHECK(roundtrip(&P.cctx, &P.sctx, "client to server"), "c->s");
  CHECK(roundtrip(&P.sctx, &P.cctx, "server to client"), "s->c");
  CHECK(roundtrip(&P.cctx, &P.sctx, "x"), "1-byte message");
  for (int i = 0; i < 20; i++) CHECK(roundtrip(i & 1 ? &P.sctx : &P.cctx, i & 1 ? &P.cctx : &P.sctx, "again and again"), "seq %d", i);

  /* Several DATA buffers and a READONLY one, any order (DCE/RPC style). */
  unsigned char sig[16], d1[5] = "abcde", d2[3] = "xyz", ro[4] = "HEAD";
  SecBuffer b[4] = { { 4, SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, ro }, { 5, SECBUFFER_DATA, d1 },
                     { 16, SECBUFFER_TOKEN, sig }, { 3, SECBUFFER_DATA, d2 } };
  SecBufferDesc d = { SECBUFFER_VERSION, 4, b };
  CHECK_STATUS(EncryptMessage(&P.cctx, 0, &d, 0), SEC_E_OK);
  CHECK(memcmp(ro, "HEAD", 4) == 0, "READONLY buffer untouched");
  CHECK(memcmp(d1, "abcde", 5) != 0, "DATA encrypted");
  ULONG qop;
  CHECK_STATUS(DecryptMessage(&P.sctx, &d, 0, &qop), SEC_E_OK);
  CHECK(memcmp(d1, "abcde", 5) == 0 && memcmp(d2, "xyz", 3) == 0, "multi-buffer decrypt");
  /* The READONLY_WITH_CHECKSUM buffer is covered by the signature. */
  CHECK_STATUS(EncryptMessage(&P.cctx, 0, &d, 0), SEC_E_OK);
  ro[0] ^= 1;
  CHECK_STATUS(DecryptMessage(&P.sctx, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
  ro[0] ^= 1; /* the genuine message (the failed call left the ciphertext in place) */
  CHECK_STATUS(DecryptMessage(&P.sctx, &d, 0, &qop), SEC_E_OK);
  CHECK(memcmp(d1, "abcde", 5) == 0, "genuine message after an altered one");
  CHECK(roundtrip(&P.cctx, &P.sctx, "after altered"), "context survives");

  /* DecryptMessage's [SECBUFFER_STREAM, SECBUFFER_DATA] form: signature || ciphertext. */
  unsigned char stream[16 + 11];
  memcpy(stream + 16, "stream form", 11);
  CHECK_STATUS(seal(&P.cctx, stream, stream + 16, 11, 0), SEC_E_OK);
  SecBuffer sb[2] = { { sizeof stream, SECBUFFER_STREAM, stream }, { 0, SECBUFFER_DATA, NULL } };
  SecBufferDesc sd = { SECBUFFER_VERSION, 2, sb };
  CHECK_STATUS(DecryptMessage(&P.sctx, &sd, 0, &qop), SEC_E_OK);
  CHECK(sb[1].cbBuffer == 11 && sb[1].pvBuffer == stream + 16 && memcmp(stream + 16, "stream form", 11) == 0,
        "STREAM form points DATA into the stream");

  /* MakeSignature / VerifySignature. */
  unsigned char msg[] = "signed, not sealed";
  SecBuffer mb[2] = { { sizeof msg, SECBUFFER_DATA, msg }, { 16, SECBUFFER_TOKEN, sig } };
  SecBufferDesc md = { SECBUFFER_VERSION, 2, mb };
  CHECK_STATUS(MakeSignature(&P.sctx, 0, &md, 0), SEC_E_OK);
  CHECK(memcmp(msg, "signed, not sealed", sizeof msg) == 0, "MakeSignature leaves data");
  CHECK(sig[0] == 1 && sig[1] == 0 && sig[2] == 0 && sig[3] == 0, "signature version 1");
  CHECK_STATUS(VerifySignature(&P.cctx, &md, 0, &qop), SEC_E_OK);
  CHECK_STATUS(MakeSignature(&P.sctx, 0, &md, 0), SEC_E_OK);
  msg[3] ^= 0x20;
  CHECK_STATUS(VerifySignature(&P.cctx, &md, 0, &qop), SEC_E_MESSAGE_ALTERED);
  msg[3] ^= 0x20;
  CHECK_STATUS(VerifySignature(&P.cctx, &md, 0, &qop), SEC_E_OK);
  CHECK(roundtrip(&P.sctx, &P.cctx, "after bad signature"), "context survives a bad signature");
}

static void test_codes(void) {
  unsigned char sig[32], data[8] = "data";
  ULONG qop;
  SecBuffer only_tok[1] = { { 16, SECBUFFER_TOKEN, sig } };
  SecBufferDesc d1 = { SECBUFFER_VERSION, 1, only_tok };
  CHECK_STATUS(EncryptMessage(&P.cctx, 0, &d1, 0), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(DecryptMessage(&P.sctx, &d1, 0, &qop), SEC_E_INVALID_TOKEN);
  SecBuffer only_data[1] = { { 4, SECBUFFER_DATA, data } };
  SecBufferDesc d2 = { SECBUFFER_VERSION, 1, only_data };
  CHECK_STATUS(EncryptMessage(&P.cctx, 0, &d2, 0), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(MakeSignature(&P.cctx, 0, &d2, 0), SEC_E_INVALID_TOKEN);
  SecBuffer short_tok[2] = { { 15, SECBUFFER_TOKEN, sig }, { 4, SECBUFFER_DATA, data } };
  SecBufferDesc d3 = { SECBUFFER_VERSION, 2, short_tok };
  CHECK_STATUS(EncryptMessage(&P.cctx, 0, &d3, 0), SEC_E_BUFFER_TOO_SMALL);
  CHECK_STATUS(MakeSignature(&P.cctx, 0, &d3, 0), SEC_E_BUFFER_TOO_SMALL);
  CHECK(memcmp(data, "data", 4) == 0, "nothing encrypted on BUFFER_TOO_SMALL");
  CHECK(roundtrip(&P.cctx, &P.sctx, "after too small"), "too-small call consumed nothing");
  SecBuffer ok[2] = { { 16, SECBUFFER_TOKEN, sig }, { 4, SECBUFFER_DATA, data } };
  SecBufferDesc d4 = { SECBUFFER_VERSION, 2, ok };
  CHECK_STATUS(EncryptMessage(&P.cctx, 0x1234, &d4, 0), SEC_E_QOP_NOT_SUPPORTED);
  CHECK_STATUS(EncryptMessage(&P.cctx, 0xFFFFFFFF, &d4, 0), SEC_E_QOP_NOT_SUPPORTED);
  CHECK(roundtrip(&P.cctx, &P.sctx, "after bad qop"), "bad QOP consumed nothing");
  CHECK_STATUS(EncryptMessage(&P.cctx, 0, NULL, 0), SEC_E_INVALID_TOKEN);
  SecBufferDesc badver = { 1, 2, ok };
  CHECK_STATUS(EncryptMessage(&P.cctx, 0, &badver, 0), SEC_E_INVALID_TOKEN);

  /* SECQOP_WRAP_NO_ENCRYPT with SEAL negotiated: Windows seals anyway (NTLM has no wire flag). */
  memcpy(data, "data", 4);
  CHECK_STATUS(EncryptMessage(&P.cctx, SECQOP_WRAP_NO_ENCRYPT, &d4, 0), SEC_E_OK);
  CHECK(memcmp(data, "data", 4) != 0, "WRAP_NO_ENCRYPT on a sealing context encrypts");
  qop = 77;
  CHECK_STATUS(DecryptMessage(&P.sctx, &d4, 0, &qop), SEC_E_OK);
  CHECK(qop == 0 && memcmp(data, "data", 4) == 0, "decrypted, pfQOP 0 (qop 0x%08X)", (unsigned)qop);
  CHECK(roundtrip(&P.cctx, &P.sctx, "after no-encrypt"), "sequence continues after WRAP_NO_ENCRYPT");

  /* Incomplete context: never OK. */
  CtxtHandle half;
  ULONG a;
  TimeStamp ts;
  unsigned char tok[4096];
  SecBuffer ob = { sizeof tok, SECBUFFER_TOKEN, tok };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
  CHECK_STATUS(InitializeSecurityContextA(&P.ccred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, NULL, 0, &half, &od, &a, &ts), SEC_I_CONTINUE_NEEDED);
  SECURITY_STATUS s = EncryptMessage(&half, 0, &d4, 0);
  CHECK(s != SEC_E_OK && s < 0, "EncryptMessage on an incomplete context fails (0x%08X)", (unsigned)s);
  s = DecryptMessage(&half, &d4, 0, &qop);
  CHECK(s != SEC_E_OK && s < 0, "DecryptMessage on an incomplete context fails (0x%08X)", (unsigned)s);
  /* Garbage input token for the next step. */
  SecBuffer gb = { 40, SECBUFFER_TOKEN, tok };
  SecBufferDesc gd = { SECBUFFER_VERSION, 1, &gb };
  memset(tok, 0x41, 40);
  ob.cbBuffer = 2048; ob.pvBuffer = tok + 2048;
  CHECK_STATUS(InitializeSecurityContextA(&P.ccred, &half, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, &gd, 0, &half, &od, &a, &ts), SEC_E_INVALID_TOKEN);
  CHECK_STATUS(DeleteSecurityContext(&half), SEC_E_OK);

  /* A context with neither integrity nor confidentiality. */
  pair_t np;
  memset(&np, 0, sizeof np);
  acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &np.ccred);
  acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &np.scred);
  CHECK_STATUS(handshake(&np, ISC_REQ_CONNECTION, ASC_REQ_CONNECTION, "host/localhost"), SEC_E_OK);
  CHECK(!(np.cattr & (ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY)), "no integrity granted (0x%08X)", (unsigned)np.cattr);
  s = EncryptMessage(&np.cctx, 0, &d4, 0);
  CHECK(s == SEC_E_QOP_NOT_SUPPORTED, "EncryptMessage without CONFIDENTIALITY -> QOP_NOT_SUPPORTED (0x%08X)", (unsigned)s);
  teardown_pair(&np);

  /* Integrity only: SECQOP_WRAP_NO_ENCRYPT signs and leaves the data in clear; DecryptMessage
     checks it and reports SECQOP_WRAP_NO_ENCRYPT in pfQOP. */
  pair_t ip;
  memset(&ip, 0, sizeof ip);
  acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &ip.ccred);
  acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &ip.scred);
  CHECK_STATUS(handshake(&ip, ISC_REQ_INTEGRITY | ISC_REQ_CONNECTION, ASC_REQ_INTEGRITY | ASC_REQ_CONNECTION, "host/localhost"), SEC_E_OK);
  CHECK((ip.cattr & ISC_RET_INTEGRITY) && !(ip.cattr & ISC_RET_CONFIDENTIALITY), "integrity only (0x%08X)", (unsigned)ip.cattr);
  memcpy(data, "data", 4);
  CHECK_STATUS(EncryptMessage(&ip.cctx, 0, &d4, 0), SEC_E_QOP_NOT_SUPPORTED);
  CHECK_STATUS(EncryptMessage(&ip.cctx, SECQOP_WRAP_NO_ENCRYPT, &d4, 0), SEC_E_OK);
  CHECK(memcmp(data, "data", 4) == 0, "sign-only wrap leaves data in clear");
  qop = 0;
  CHECK_STATUS(DecryptMessage(&ip.sctx, &d4, 0, &qop), SEC_E_OK);
  CHECK(qop == SECQOP_WRAP_NO_ENCRYPT, "pfQOP = SECQOP_WRAP_NO_ENCRYPT (0x%08X)", (unsigned)qop);
  CHECK_STATUS(EncryptMessage(&ip.cctx, SECQOP_WRAP_NO_ENCRYPT, &d4, 0), SEC_E_OK);
  data[1] ^= 1;
  CHECK_STATUS(DecryptMessage(&ip.sctx, &d4, 0, &qop), SEC_E_MESSAGE_ALTERED);
  data[1] ^= 1;
  CHECK_STATUS(DecryptMessage(&ip.sctx, &d4, 0, &qop), SEC_E_OK);
  teardown_pair(&ip);

  /* Wrong password / unknown user. */
  pair_t bad;
  memset(&bad, 0, sizeof bad);
  acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "WrongPassword", &bad.ccred);
  acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &bad.scred);
  CHECK_STATUS(handshake(&bad, NTLM_REQ, NTLM_ASC, "host/localhost"), SEC_E_LOGON_DENIED);
  DeleteSecurityContext(&bad.cctx);
  DeleteSecurityContext(&bad.sctx);
  FreeCredentialsHandle(&bad.ccred);
  acquire_ntlm(SECPKG_CRED_OUTBOUND, "nobody", "DOMAIN", "Password01", &bad.ccred);
  CHECK_STATUS(handshake(&bad, NTLM_REQ, NTLM_ASC, "host/localhost"), SEC_E_LOGON_DENIED);
  DeleteSecurityContext(&bad.cctx);
  DeleteSecurityContext(&bad.sctx);
  FreeCredentialsHandle(&bad.ccred);
  FreeCredentialsHandle(&bad.scred);
}

/* Every single-bit flip of a sealed message (signature and data) is refused, and the next
   genuine message still decrypts. */
static void test_bit_flips(void) {
  const char *text = "bit flip target message";
  ULONG len = (ULONG)strlen(text), qop;
  unsigned long flips = 0, bad = 0;
  for (ULONG bit = 0; bit < (16 + len) * 8; bit++) {
    unsigned char sig[16], buf[64];
    memcpy(buf, text, len);
    if (seal(&P.cctx, sig, buf, len, 0) != SEC_E_OK) { bad++; break; }
    unsigned char fsig[16], fbuf[64];
    memcpy(fsig, sig, 16); memcpy(fbuf, buf, len);
    if (bit < 128) fsig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    else fbuf[(bit - 128) / 8] ^= (unsigned char)(1u << ((bit - 128) % 8));
    SECURITY_STATUS s = unseal(&P.sctx, fsig, fbuf, len, 0, &qop);
    flips++;
    if (s != SEC_E_MESSAGE_ALTERED && s != SEC_E_OUT_OF_SEQUENCE) { bad++; fprintf(stderr, "bit %u -> 0x%08X\n", (unsigned)bit, (unsigned)s); }
    /* The genuine message is still accepted after the forged one. */
    if (unseal(&P.sctx, sig, buf, len, 0, &qop) != SEC_E_OK || memcmp(buf, text, len) != 0) { bad++; break; }
  }
  CHECK(bad == 0, "%lu single-bit flips refused, context survived each", flips);
  printf("ntlm: %lu bit flips of a sealed message refused\n", flips);

  /* Truncated data and a replayed message. */
  unsigned char sig[16], buf[64];
  memcpy(buf, text, len);
  CHECK_STATUS(seal(&P.cctx, sig, buf, len, 0), SEC_E_OK);
  CHECK_STATUS(unseal(&P.sctx, sig, buf, len - 1, 0, &qop), SEC_E_MESSAGE_ALTERED); /* truncated */
  unsigned char keep_sig[16], keep_buf[64];
  memcpy(keep_sig, sig, 16); memcpy(keep_buf, buf, len);
  CHECK_STATUS(unseal(&P.sctx, sig, buf, len, 0, &qop), SEC_E_OK);
  CHECK_STATUS(unseal(&P.sctx, keep_sig, keep_buf, len, 0, &qop), SEC_E_OUT_OF_SEQUENCE);
  /* Reordered: skip one message. */
  unsigned char s1[16], b1[8] = "one", s2[16], b2[8] = "two";
  CHECK_STATUS(seal(&P.cctx, s1, b1, 3, 0), SEC_E_OK);
  CHECK_STATUS(seal(&P.cctx, s2, b2, 3, 0), SEC_E_OK);
  CHECK_STATUS(unseal(&P.sctx, s2, b2, 3, 0, &qop), SEC_E_OUT_OF_SEQUENCE);
  CHECK_STATUS(unseal(&P.sctx, s1, b1, 3, 0, &qop), SEC_E_OK);
  CHECK_STATUS(unseal(&P.sctx, s2, b2, 3, 0, &qop), SEC_E_OK);
  CHECK(memcmp(b1, "one", 3) == 0 && memcmp(b2, "two", 3) == 0, "in-order after reorder");
  CHECK(roundtrip(&P.sctx, &P.cctx, "other direction unaffected"), "reverse direction");
}

/* Handshake through InitSecurityInterfaceW's table with allocated tokens and W strings. */
static void test_table_and_allocate(void) {
  PSecurityFunctionTableW t = InitSecurityInterfaceW();
  SEC_WCHAR pkg[] = { 'N', 'T', 'L', 'M', 0 };
  SEC_WCHAR spn[] = { 'h', 'o', 's', 't', '/', 'a', 0 };
  SEC_WCHAR u[] = { 'u', 's', 'e', 'r', 0 }, dm[] = { 'D', 'O', 'M', 'A', 'I', 'N', 0 };
  SEC_WCHAR pw[] = { 'P', 'a', 's', 's', 'w', 'o', 'r', 'd', '0', '1', 0 };
  SEC_WINNT_AUTH_IDENTITY_W id = { (unsigned short *)u, 4, (unsigned short *)dm, 6, (unsigned short *)pw, 10, SEC_WINNT_AUTH_IDENTITY_UNICODE };
  CredHandle cc, sc;
  CtxtHandle c, s;
  TimeStamp ts;
  ULONG ca, sa;
  CHECK_STATUS(t->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, &ts), SEC_E_OK);
  CHECK_STATUS(t->AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_INBOUND, NULL, &id, NULL, NULL, &sc, &ts), SEC_E_OK);
  SecBuffer ob = { 0, SECBUFFER_TOKEN, NULL }, ib;
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob }, idd = { SECBUFFER_VERSION, 1, &ib };
  ULONG req = NTLM_REQ | ISC_REQ_ALLOCATE_MEMORY, areq = NTLM_ASC | ASC_REQ_ALLOCATE_MEMORY;
  CHECK_STATUS(t->InitializeSecurityContextW(&cc, NULL, spn, req, 0, 0, NULL, 0, &c, &od, &ca, &ts), SEC_I_CONTINUE_NEEDED);
  CHECK(ob.pvBuffer != NULL && ob.cbBuffer > 0 && (ca & ISC_RET_ALLOCATED_MEMORY), "allocated NEGOTIATE");
  CHECK(ob.cbBuffer >= 8 && memcmp(ob.pvBuffer, "NTLMSSP", 8) == 0, "NTLMSSP signature");
  ib = ob; ob.pvBuffer = NULL; ob.cbBuffer = 0;
  CHECK_STATUS(t->AcceptSecurityContext(&sc, NULL, &idd, areq, 0, &s, &od, &sa, &ts), SEC_I_CONTINUE_NEEDED);
  CHECK_STATUS(t->FreeContextBuffer(ib.pvBuffer), SEC_E_OK);
  ib = ob; ob.pvBuffer = NULL; ob.cbBuffer = 0;
  CHECK_STATUS(t->InitializeSecurityContextW(&cc, &c, spn, req, 0, 0, &idd, 0, &c, &od, &ca, &ts), SEC_E_OK);
  CHECK_STATUS(t->FreeContextBuffer(ib.pvBuffer), SEC_E_OK);
  ib = ob; ob.pvBuffer = NULL; ob.cbBuffer = 0;
  CHECK_STATUS(t->AcceptSecurityContext(&sc, &s, &idd, areq, 0, &s, &od, &sa, &ts), SEC_E_OK);
  CHECK_STATUS(t->FreeContextBuffer(ib.pvBuffer), SEC_E_OK);
  if (ob.pvBuffer) t->FreeContextBuffer(ob.pvBuffer);
  /* Credentials freed before the contexts: the contexts keep working. */
  CHECK_STATUS(t->FreeCredentialsHandle(&cc), SEC_E_OK);
  CHECK_STATUS(t->FreeCredentialsHandle(&sc), SEC_E_OK);
  unsigned char sig[16], data[5] = "table";
  SecBuffer b[2] = { { 16, SECBUFFER_TOKEN, sig }, { 5, SECBUFFER_DATA, data } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  ULONG qop;
  CHECK_STATUS(t->EncryptMessage(&c, 0, &d, 0), SEC_E_OK);
  CHECK_STATUS(((DECRYPT_MESSAGE_FN)t->Reserved4)(&s, &d, 0, &qop), SEC_E_OK);
  CHECK(memcmp(data, "table", 5) == 0, "Reserved4 decrypts");
  CHECK_STATUS(t->DeleteSecurityContext(&c), SEC_E_OK);
  CHECK_STATUS(t->DeleteSecurityContext(&s), SEC_E_OK);
  CHECK_STATUS(t->DeleteSecurityContext(&s), SEC_E_INVALID_HANDLE);
}

/* Encrypt and decrypt in parallel: thread A seals client->server messages while thread B
   unseals them on the server; threads C and D do the reverse at the same time. */
#define NMSG 20000
typedef struct {
  CtxtHandle *from, *to;
  unsigned char sig[NMSG][16];
  unsigned char data[NMSG][32];
  volatile int produced;
  int errors;
} lane_t;
static lane_t lanes[2];

static void *producer(void *arg) {
  lane_t *l = arg;
  for (int i = 0; i < NMSG; i++) {
    snprintf((char *)l->data[i], 32, "message %d", i);
    if (seal(l->from, l->sig[i], l->data[i], 32, 0) != SEC_E_OK) l->errors++;
    __atomic_store_n(&l->produced, i + 1, __ATOMIC_RELEASE);
  }
  return NULL;
}

static void *consumer(void *arg) {
  lane_t *l = arg;
  ULONG qop;
  for (int i = 0; i < NMSG; i++) {
    while (__atomic_load_n(&l->produced, __ATOMIC_ACQUIRE) <= i) {}
    char want[32];
    snprintf(want, 32, "message %d", i);
    if (unseal(l->to, l->sig[i], l->data[i], 32, 0, &qop) != SEC_E_OK || strcmp((char *)l->data[i], want) != 0) l->errors++;
  }
  return NULL;
}

static void test_threads(void) {
  pair_t p;
  setup_pair(&p);
  lanes[0].from = &p.cctx; lanes[0].to = &p.sctx;
  lanes[1].from = &p.sctx; lanes[1].to = &p.cctx;
  pthread_t t[4];
  pthread_create(&t[0], NULL, producer, &lanes[0]);
  pthread_create(&t[1], NULL, consumer, &lanes[0]);
  pthread_create(&t[2], NULL, producer, &lanes[1]);
  pthread_create(&t[3], NULL, consumer, &lanes[1]);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  CHECK(lanes[0].errors == 0 && lanes[1].errors == 0, "parallel encrypt/decrypt: %d + %d errors over 2x%d messages",
        lanes[0].errors, lanes[1].errors, NMSG);
  teardown_pair(&p);
}

/* DeleteSecurityContext while another thread is inside EncryptMessage on it. */
static CtxtHandle victim;
static volatile int stop_flag;
static void *hammer(void *arg) {
  long *after = arg;
  unsigned char sig[16], data[64];
  while (!stop_flag) {
    SECURITY_STATUS s = seal(&victim, sig, data, sizeof data, 0);
    if (s == SEC_E_INVALID_HANDLE) { (*after)++; if (*after > 1000) break; }
    else if (s != SEC_E_OK) { *after = -1000000; break; }
  }
  return NULL;
}

static void test_delete_race(void) {
  for (int round = 0; round < 20; round++) {
    pair_t p;
    setup_pair(&p);
    victim = p.cctx;
    stop_flag = 0;
    long after[2] = { 0, 0 };
    pthread_t t[2];
    pthread_create(&t[0], NULL, hammer, &after[0]);
    pthread_create(&t[1], NULL, hammer, &after[1]);
    for (volatile int spin = 0; spin < 20000; spin++) {}
    CHECK_STATUS(DeleteSecurityContext(&p.cctx), SEC_E_OK);
    for (volatile int spin = 0; spin < 200000; spin++) {}
    stop_flag = 1;
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    CHECK(after[0] >= 0 && after[1] >= 0, "only OK or INVALID_HANDLE while deleting (round %d)", round);
    CHECK_STATUS(DeleteSecurityContext(&p.sctx), SEC_E_OK);
    FreeCredentialsHandle(&p.ccred);
    FreeCredentialsHandle(&p.scred);
  }
}

int main(void) {
  setup_pair(&P);
  test_handshake_flags();
  test_attributes();
  test_messages();
  test_codes();
  test_bit_flips();
  teardown_pair(&P);
  test_table_and_allocate();
  test_threads();
  test_delete_race();
  CHECK_SUMMARY("ntlm");
}
