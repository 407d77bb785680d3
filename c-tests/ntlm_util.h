/* Shared helpers for the NTLM C tests: credentials from a user name/password, and a full
   client<->server handshake through the exports. */
#ifndef SECUR32_NTLM_UTIL_H
#define SECUR32_NTLM_UTIL_H
#define SECURITY_WIN32
#include <security.h>
#include <string.h>
#include <stdlib.h>

#define NTLM_REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION)
#define NTLM_ASC (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION)

static SECURITY_STATUS acquire_ntlm(ULONG use, const char *user, const char *domain, const char *pw, CredHandle *out) {
  SEC_WINNT_AUTH_IDENTITY_A id;
  TimeStamp ts;
  memset(&id, 0, sizeof id);
  id.User = (unsigned char *)user; id.UserLength = (ULONG)strlen(user);
  id.Domain = (unsigned char *)domain; id.DomainLength = domain ? (ULONG)strlen(domain) : 0;
  id.Password = (unsigned char *)pw; id.PasswordLength = (ULONG)strlen(pw);
  id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
  return AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"NTLM", use, NULL, &id, NULL, NULL, out, &ts);
}

typedef struct {
  CredHandle ccred, scred;
  CtxtHandle cctx, sctx;
  ULONG cattr, sattr;
  SECURITY_STATUS last_isc, last_asc;
} pair_t;

/* Runs the three-leg handshake; returns the first failing status or SEC_E_OK. */
static SECURITY_STATUS handshake(pair_t *p, ULONG isc_req, ULONG asc_req, const char *spn) {
  unsigned char a[4096], b[4096];
  SecBuffer ob = { sizeof a, SECBUFFER_TOKEN, a }, ib = { 0, SECBUFFER_TOKEN, b };
  SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob }, id = { SECBUFFER_VERSION, 1, &ib };
  TimeStamp ts;
  SECURITY_STATUS s;
  s = InitializeSecurityContextA(&p->ccred, NULL, (SEC_CHAR *)spn, isc_req, 0, SECURITY_NATIVE_DREP, NULL, 0, &p->cctx, &od, &p->cattr, &ts);
  p->last_isc = s;
  if (s != SEC_I_CONTINUE_NEEDED) return s;
  memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer; ob.cbBuffer = sizeof a;
  s = AcceptSecurityContext(&p->scred, NULL, &id, asc_req, SECURITY_NATIVE_DREP, &p->sctx, &od, &p->sattr, &ts);
  p->last_asc = s;
  if (s != SEC_I_CONTINUE_NEEDED) return s;
  memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer; ob.cbBuffer = sizeof a;
  s = InitializeSecurityContextA(&p->ccred, &p->cctx, (SEC_CHAR *)spn, isc_req, 0, SECURITY_NATIVE_DREP, &id, 0, &p->cctx, &od, &p->cattr, &ts);
  p->last_isc = s;
  if (s != SEC_E_OK) return s;
  memcpy(b, a, ob.cbBuffer); ib.cbBuffer = ob.cbBuffer; ob.cbBuffer = sizeof a;
  s = AcceptSecurityContext(&p->scred, &p->sctx, &id, asc_req, SECURITY_NATIVE_DREP, &p->sctx, &od, &p->sattr, &ts);
  p->last_asc = s;
  return s;
}

/* EncryptMessage with [TOKEN(16), DATA(len)] in place; sig receives the token. */
static SECURITY_STATUS seal(CtxtHandle *h, unsigned char *sig, unsigned char *data, ULONG len, ULONG seq) {
  SecBuffer b[2] = { { 16, SECBUFFER_TOKEN, sig }, { len, SECBUFFER_DATA, data } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  return EncryptMessage(h, 0, &d, seq);
}

static SECURITY_STATUS unseal(CtxtHandle *h, unsigned char *sig, unsigned char *data, ULONG len, ULONG seq, ULONG *qop) {
  SecBuffer b[2] = { { 16, SECBUFFER_TOKEN, sig }, { len, SECBUFFER_DATA, data } };
  SecBufferDesc d = { SECBUFFER_VERSION, 2, b };
  return DecryptMessage(h, &d, seq, qop);
}
#endif
