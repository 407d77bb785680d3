#!/usr/bin/env bash
# Interop: WDigest (libsecur32) against Cyrus SASL's DIGEST-MD5 (libsasl2 + libdigestmd5),
# both directions, qop auth / auth-int / auth-conf with rc4, 3des, rc4-56, des and rc4-40,
# messages both ways, tamper, replay and a wrong password: c-tests/digest_cyrus.c, with the
# server's accounts in a sasldb made by saslpasswd2.
# Then the SASL "GSSAPI" profile (Kerberos + the RFC 4752 security layer) against Cyrus' GSSAPI
# mechanism (libsasl2-modules-gssapi-mit) on a throw-away MIT KDC (tests/kerberos/mit-kdc.sh):
# both directions, layers none / integrity / confidentiality, messages both ways, maxbuf,
# authzid, and the status codes of bad cookies (digest_cyrus --gssapi).
#
#   tests/interop/test_digest_cyrus.sh        (after cargo build --release)
#
# Exits 0 when every check passed, 1 on a failure, 77 when Cyrus SASL/gcc are missing locally
# (under CI=true a missing peer is a failure).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LIBDIR=${SECUR32_LIB:+$(dirname "$SECUR32_LIB")}
LIBDIR=${LIBDIR:-$ROOT/target/release}

missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "test_digest_cyrus: FAIL: $1 is missing (CI=true: missing peers are failures)"
    exit 1
  fi
  echo "!!!!! test_digest_cyrus: SKIPPING: $1 is missing (install sasl2-bin libsasl2-dev libsasl2-modules libsasl2-modules-gssapi-mit libssl-dev krb5-kdc krb5-admin-server krb5-user) !!!!!"
  exit 77
}
command -v gcc >/dev/null || missing gcc
SASLPASSWD2=$(command -v saslpasswd2 || echo /usr/sbin/saslpasswd2)
[ -x "$SASLPASSWD2" ] || missing "saslpasswd2 (sasl2-bin)"
[ -e /usr/include/sasl/sasl.h ] || missing "sasl/sasl.h (libsasl2-dev)"
ls /usr/lib/*/sasl2/libdigestmd5.so* >/dev/null 2>&1 || missing "libdigestmd5 (libsasl2-modules)"
[ -e /usr/include/openssl/des.h ] || missing "openssl/des.h (libssl-dev)"
[ -e "$LIBDIR/libsecur32.so" ] || { echo "test_digest_cyrus: FAIL: $LIBDIR/libsecur32.so not built"; exit 1; }

TMP=$(mktemp -d /tmp/secur32-digest.XXXXXX)
trap 'tests/kerberos/mit-kdc.sh stop "$TMP/kdc" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
mkdir -p target/interop
gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ic-tests -rdynamic -o target/interop/digest_cyrus \
  c-tests/digest_cyrus.c -L"$LIBDIR" -lsecur32 -Wl,-rpath,"$LIBDIR" -lsasl2 -lcrypto ||
  { echo "test_digest_cyrus: FAIL: build c-tests/digest_cyrus.c"; exit 1; }
echo Password01 | "$SASLPASSWD2" -p -f "$TMP/sasldb" -c -u EXAMPLE -a secur32 user1 ||
  { echo "test_digest_cyrus: FAIL: saslpasswd2"; exit 1; }
target/interop/digest_cyrus "$TMP/sasldb"
rc=$?
# GSSAPI: a realm with host/localhost in KRB5_KTNAME and user1's TGT in KRB5CCNAME.
gss_missing=
ls /usr/lib/*/sasl2/libgssapiv2.so* >/dev/null 2>&1 || gss_missing="libgssapiv2 (libsasl2-modules-gssapi-mit)"
if [ -z "$gss_missing" ] && [ "$(id -u)" != 0 ] && ! [ -x /usr/sbin/krb5kdc ] && ! command -v krb5kdc >/dev/null; then
  gss_missing="krb5kdc (krb5-kdc; mit-kdc.sh installs it only as root)"
fi
if [ -n "$gss_missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "test_digest_cyrus: FAIL: $gss_missing is missing (CI=true: missing peers are failures)"
    exit 1
  fi
  echo "!!!!! test_digest_cyrus: SKIPPING the GSSAPI part: $gss_missing is missing !!!!!"
  exit $rc
fi
if ! kdc_env=$(tests/kerberos/mit-kdc.sh start "$TMP/kdc" --kinit); then
  echo "test_digest_cyrus: FAIL: MIT KDC did not start"
  exit 1
fi
(eval "$kdc_env" && exec target/interop/digest_cyrus --gssapi) || rc=1
exit $rc
