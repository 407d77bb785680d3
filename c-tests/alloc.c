/* Heap allocations per EncryptMessage / DecryptMessage on the steady path must be 0 (issue #5).
   malloc and friends are defined here (c-tests/alloc_count.h) and counted per thread while a
   batch of messages runs after warm-up: NTLM at 1 B, 64 B, 16 KiB and 1 MiB, several DATA
   buffers, the STREAM form, SECQOP_WRAP_NO_ENCRYPT, MakeSignature / VerifySignature. */
#include "alloc_count.h"
#include "check.h"
#include "ntlm_util.h"

static unsigned char sig[16], data[1 << 20], d2[100];

static unsigned long steady(pair_t *p, ULONG len, int rounds) {
  unsigned long total = 0;
  int r;
  for (r = 0; r < rounds + 4; r++) {
    ULONG qop = 0;
    SecBuffer b3[3] = {{16, SECBUFFER_TOKEN, sig}, {len, SECBUFFER_DATA, data}, {sizeof d2, SECBUFFER_DATA, d2}};
    SecBufferDesc d3 = {SECBUFFER_VERSION, 3, b3};
    static unsigned char stream[16 + 4096];
    SecBuffer bs[2] = {{sizeof stream, SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc ds = {SECBUFFER_VERSION, 2, bs};
    SecBuffer bt[2] = {{16, SECBUFFER_TOKEN, stream}, {4096, SECBUFFER_DATA, stream + 16}};
    SecBufferDesc dt = {SECBUFFER_VERSION, 2, bt};
    SecBuffer bm[2] = {{16, SECBUFFER_TOKEN, sig}, {len, SECBUFFER_DATA, data}};
    SecBufferDesc dm = {SECBUFFER_VERSION, 2, bm};
    SECURITY_STATUS s1, s2, s3, s4, s5, s6, s7, s8;
    int counting = r >= 4; /* the first rounds may set up lazily-initialised state */
    if (counting) alloc_count_begin();
    s1 = seal(&p->cctx, sig, data, len, 0);
    s2 = unseal(&p->sctx, sig, data, len, 0, &qop);
    s3 = EncryptMessage(&p->sctx, 0, &d3, 0);
    b3[0].cbBuffer = 16; b3[1].cbBuffer = len;
    s4 = DecryptMessage(&p->cctx, &d3, 0, &qop);
    s5 = EncryptMessage(&p->cctx, 0, &dt, 0); /* [TOKEN|DATA] contiguous = a STREAM */
    s6 = DecryptMessage(&p->sctx, &ds, 0, &qop);
    s7 = MakeSignature(&p->cctx, 0, &dm, 0);
    s8 = VerifySignature(&p->sctx, &dm, 0, &qop);
    if (counting) total += alloc_count_end();
    if (s1 || s2 || s3 || s4 || s5 || s6 || s7 || s8) {
      printf("  status %lx %lx %lx %lx %lx %lx %lx %lx\n", (long)s1, (long)s2, (long)s3, (long)s4, (long)s5,
             (long)s6, (long)s7, (long)s8);
      return (unsigned long)-1;
    }
  }
  return total;
}

int main(void) {
  pair_t p;
  static const ULONG sizes[] = {1, 64, 16384, 1 << 20};
  size_t i;
  memset(&p, 0, sizeof p);
  CHECK(acquire_ntlm(SECPKG_CRED_OUTBOUND, "alice", "DOM", "Pw1!", &p.ccred) == SEC_E_OK, "setup");
  CHECK(acquire_ntlm(SECPKG_CRED_INBOUND, "alice", "DOM", "Pw1!", &p.scred) == SEC_E_OK, "setup");
  alloc_count_begin();
  CHECK(handshake(&p, NTLM_REQ, NTLM_ASC, "HTTP/alloc.example") == SEC_E_OK, "setup");
  /* The library's own allocations are seen (a handshake allocates its contexts). */
  CHECK(alloc_count_end() > 0, "the library's allocations are not counted: interposer not in force");
  alloc_count_begin();
  {
    void *volatile probe = malloc(1); /* the interposer is in force */
    free(probe);
  }
  CHECK(alloc_count_end() == 1, "malloc interposer not in force");
  for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    unsigned long n = steady(&p, sizes[i], sizes[i] > 65536 ? 3 : 200);
    printf("  %u-byte messages: %lu heap allocations in the steady rounds\n", sizes[i], n);
    CHECK(n == 0, "%lu heap allocations on the steady message path at %u bytes (want 0)", n, sizes[i]);
  }
  DeleteSecurityContext(&p.cctx);
  DeleteSecurityContext(&p.sctx);
  FreeCredentialsHandle(&p.ccred);
  FreeCredentialsHandle(&p.scred);
  CHECK_SUMMARY("alloc");
}
