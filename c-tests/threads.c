#define _DEFAULT_SOURCE
/* Race stress (also built with -fsanitize=thread by scripts/reliability.sh): per round, two
   threads seal and two unseal on one shared context pair in both directions, one thread queries
   attributes of the contexts and credentials, one starts and deletes new contexts from the
   shared credentials, and one deletes the contexts and frees the credentials while all of that
   is in flight. Every call must return SEC_E_OK, or SEC_E_INVALID_HANDLE once its handle is
   gone. SECUR32_STRESS_ROUNDS sets the number of rounds (default 200). */
#include "ntlm_util.h"
#include "check.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define RING 64
typedef struct {
  CtxtHandle *from, *to;
  unsigned char sig[RING][16], data[RING][32];
  long produced, consumed, done;
  long ops, errors;   /* producer's */
  long cops, cerrors; /* consumer's */
} lane_t;

static pair_t P;
static CredHandle shared_c, shared_s;
static int stop;
static long q_ops, q_err, n_ops, n_err;

static int fine(SECURITY_STATUS s) { return s == SEC_E_OK || s == SEC_E_INVALID_HANDLE; }

static void *producer(void *arg) {
  lane_t *l = arg;
  for (long i = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
    while (i - __atomic_load_n(&l->consumed, __ATOMIC_ACQUIRE) >= RING) {
      if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE) || __atomic_load_n(&l->done, __ATOMIC_ACQUIRE)) goto out;
      sched_yield();
    }
    int k = (int)(i % RING);
    snprintf((char *)l->data[k], 32, "message %ld", i);
    SECURITY_STATUS s = seal(l->from, l->sig[k], l->data[k], 32, 0);
    l->ops++;
    if (s == SEC_E_INVALID_HANDLE) break;
    if (s != SEC_E_OK) { l->errors++; break; }
    __atomic_store_n(&l->produced, i + 1, __ATOMIC_RELEASE);
  }
out:
  __atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void *consumer(void *arg) {
  lane_t *l = arg;
  ULONG qop;
  for (long i = 0;; i++) {
    while (__atomic_load_n(&l->produced, __ATOMIC_ACQUIRE) <= i) {
      if (__atomic_load_n(&l->done, __ATOMIC_ACQUIRE) && __atomic_load_n(&l->produced, __ATOMIC_ACQUIRE) <= i) return NULL;
      sched_yield();
    }
    int k = (int)(i % RING);
    char want[32];
    snprintf(want, 32, "message %ld", i);
    SECURITY_STATUS s = unseal(l->to, l->sig[k], l->data[k], 32, 0, &qop);
    l->cops++;
    if (s == SEC_E_INVALID_HANDLE) { __atomic_store_n(&l->done, 1, __ATOMIC_RELEASE); return NULL; }
    if (s != SEC_E_OK || strcmp((char *)l->data[k], want) != 0) { l->cerrors++; __atomic_store_n(&l->done, 1, __ATOMIC_RELEASE); return NULL; }
    __atomic_store_n(&l->consumed, i + 1, __ATOMIC_RELEASE);
  }
}

static void *querier(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    CtxtHandle *h = (q_ops & 1) ? &P.sctx : &P.cctx;
    SecPkgContext_Sizes sz;
    SecPkgContext_NamesA na;
    SecPkgContext_SessionKey sk;
    SecPkgContext_Flags fl;
    SecPkgCredentials_NamesA cn;
    SECURITY_STATUS s;
    if (!fine(QueryContextAttributesA(h, SECPKG_ATTR_SIZES, &sz))) q_err++;
    if (!fine(s = QueryContextAttributesA(h, SECPKG_ATTR_NAMES, &na))) q_err++;
    if (s == SEC_E_OK) FreeContextBuffer(na.sUserName);
    if (!fine(s = QueryContextAttributesA(h, SECPKG_ATTR_SESSION_KEY, &sk))) q_err++;
    if (s == SEC_E_OK) FreeContextBuffer(sk.SessionKey);
    if (!fine(QueryContextAttributesW(h, SECPKG_ATTR_FLAGS, &fl))) q_err++;
    s = QueryCredentialsAttributesA(&P.ccred, SECPKG_CRED_ATTR_NAMES, &cn);
    if (s == SEC_E_OK) FreeContextBuffer(cn.sUserName);
    else if (s != SEC_E_INVALID_HANDLE) q_err++;
    q_ops += 5;
  }
  return NULL;
}

/* New contexts from the shared credentials while they are being freed. */
static void *starter(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
    unsigned char tok[512];
    SecBuffer ob = { sizeof tok, SECBUFFER_TOKEN, tok };
    SecBufferDesc od = { SECBUFFER_VERSION, 1, &ob };
    CtxtHandle c;
    ULONG a;
    TimeStamp ts;
    SECURITY_STATUS s = InitializeSecurityContextA(&P.ccred, NULL, (SEC_CHAR *)"host/x", NTLM_REQ, 0, 0, NULL, 0, &c, &od, &a, &ts);
    n_ops++;
    if (s == SEC_I_CONTINUE_NEEDED) {
      if (DeleteSecurityContext(&c) != SEC_E_OK) n_err++;
    } else if (s != SEC_E_INVALID_HANDLE) {
      n_err++;
    }
  }
  return NULL;
}

static unsigned xs = 12345;
static unsigned rnd(void) { xs ^= xs << 13; xs ^= xs >> 17; xs ^= xs << 5; return xs; }

int main(void) {
  long rounds = 200;
  const char *e = getenv("SECUR32_STRESS_ROUNDS");
  if (e) rounds = strtol(e, NULL, 10);
  long ops = 0, errors = 0, deleted_in_flight = 0;
  for (long r = 0; r < rounds; r++) {
    memset(&P, 0, sizeof P);
    if (acquire_ntlm(SECPKG_CRED_OUTBOUND, "user", "DOMAIN", "Password01", &P.ccred) != SEC_E_OK ||
        acquire_ntlm(SECPKG_CRED_INBOUND, "user", "DOMAIN", "Password01", &P.scred) != SEC_E_OK ||
        handshake(&P, NTLM_REQ, NTLM_ASC, "host/stress") != SEC_E_OK) {
      errors++;
      break;
    }
    static lane_t lanes[2];
    memset(lanes, 0, sizeof lanes);
    lanes[0].from = &P.cctx; lanes[0].to = &P.sctx;
    lanes[1].from = &P.sctx; lanes[1].to = &P.cctx;
    __atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
    q_ops = q_err = n_ops = n_err = 0;
    pthread_t t[6];
    pthread_create(&t[0], NULL, producer, &lanes[0]);
    pthread_create(&t[1], NULL, consumer, &lanes[0]);
    pthread_create(&t[2], NULL, producer, &lanes[1]);
    pthread_create(&t[3], NULL, consumer, &lanes[1]);
    pthread_create(&t[4], NULL, querier, NULL);
    pthread_create(&t[5], NULL, starter, NULL);
    usleep(200 + rnd() % 2000);
    /* Delete everything while the other threads are inside calls on it. */
    long before = __atomic_load_n(&lanes[0].produced, __ATOMIC_ACQUIRE) + __atomic_load_n(&lanes[1].produced, __ATOMIC_ACQUIRE);
    if (r & 1) {
      if (DeleteSecurityContext(&P.cctx) != SEC_E_OK) errors++;
      if (FreeCredentialsHandle(&P.ccred) != SEC_E_OK) errors++;
      if (DeleteSecurityContext(&P.sctx) != SEC_E_OK) errors++;
      if (FreeCredentialsHandle(&P.scred) != SEC_E_OK) errors++;
    } else {
      if (FreeCredentialsHandle(&P.scred) != SEC_E_OK) errors++;
      if (FreeCredentialsHandle(&P.ccred) != SEC_E_OK) errors++;
      if (DeleteSecurityContext(&P.sctx) != SEC_E_OK) errors++;
      if (DeleteSecurityContext(&P.cctx) != SEC_E_OK) errors++;
    }
    if (before > 0) deleted_in_flight++;
    usleep(500);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
    ops += lanes[0].ops + lanes[1].ops + lanes[0].cops + lanes[1].cops + q_ops + n_ops;
    errors += lanes[0].errors + lanes[1].errors + lanes[0].cerrors + lanes[1].cerrors + q_err + n_err;
    /* All handles are gone now. */
    if (DeleteSecurityContext(&P.cctx) != SEC_E_INVALID_HANDLE) errors++;
    if (FreeCredentialsHandle(&P.ccred) != SEC_E_INVALID_HANDLE) errors++;
  }
  (void)shared_c; (void)shared_s;
  CHECK(errors == 0, "%ld race rounds, %ld calls, %ld errors", rounds, ops, errors);
  CHECK(deleted_in_flight > 0, "deletes happened while messages were in flight (%ld rounds)", deleted_in_flight);
  printf("threads: %ld race rounds (6 threads each, delete in flight in %ld), %ld concurrent calls\n", rounds, deleted_in_flight, ops);
  CHECK_SUMMARY("threads");
}
