#!/usr/bin/env bash
# Smoke test of the KDC scripts with MIT's own tools: start each KDC, kinit, kvno every service,
# check the enctypes klist reports and the keytab, stop it, and check the process is gone.
# Usage: tests/kerberos/smoke.sh [mit] [samba]   (default: both). Prints each KDC's start time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(mit samba)
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

# expect_etype SERVICE SKEY TKT: the ccache's entry for SERVICE has these enctypes (klist -e names).
expect_etype() {
  local line
  line=$(klist -e | grep -A1 -F " $1@$REALM" | tail -1)
  grep -q "Etype (skey, tkt): $2, $3" <<<"$line" || fail "$1: expected $2, $3; klist says: $line"
}

for kind in "${kinds[@]}"; do
  dir=$(mktemp -d)
  trap '"$here/$kind-kdc.sh" stop "$dir"; rm -rf "$dir"' EXIT
  t0=$(date +%s%3N)
  eval "$("$here/$kind-kdc.sh" start "$dir")"
  echo "smoke: $kind: realm $REALM on port $KDC_PORT, start ${KDC_START_MS} ms"
  [ ! -e "${KRB5CCNAME#FILE:}" ] || fail "ccache exists without --kinit"
  echo "$USER1_PASSWORD" | kinit "$USER1" >/dev/null || fail "kinit $USER1"
  echo "wrong" | kinit "$USER1" >/dev/null 2>&1 && fail "kinit with a wrong password succeeded"
  echo "$USER1_PASSWORD" | kinit "$USER1" >/dev/null
  klist -s || fail "klist -s"
  klist | grep -q "Default principal: $USER1@$REALM" || fail "default principal"
  kvno "$SERVICE" >/dev/null || fail "kvno $SERVICE"
  [ "$(klist -k "$KRB5_KTNAME" | grep -c -F "$SERVICE@$REALM")" -ge 1 ] || fail "keytab lacks $SERVICE"
  if [ "$kind" = mit ]; then
    expect_etype "krbtgt/$REALM" aes256-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96
    expect_etype "$SERVICE" aes256-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96
    kvno "$HOST_SERVICE" >/dev/null || fail "kvno $HOST_SERVICE"
    for s in $SERVICES_SINGLE_ETYPE; do kvno "$s" >/dev/null || fail "kvno $s"; done
    expect_etype svc-aes256/localhost aes256-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96
    expect_etype svc-aes128/localhost aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    expect_etype svc-sha256/localhost aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha256-128
    expect_etype svc-sha384/localhost aes256-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192
    expect_etype svc-rc4/localhost aes256-cts-hmac-sha1-96 "\(DEPRECATED:\)\?arcfour-hmac"
    [ "$(klist -k "$KRB5_KTNAME" | grep -c "$REALM")" -eq 15 ] || fail "keytab: expected 15 entries"
    # Each single-enctype user has just that key: its AS reply is encrypted in it (kinit succeeds).
    for u in $USERS_SINGLE_ETYPE; do
      echo "$USER_PASSWORD" | KRB5CCNAME=MEMORY:u kinit "$u" >/dev/null || fail "kinit $u"
    done
  else
    expect_etype "$SERVICE" aes256-cts-hmac-sha1-96 "\(DEPRECATED:\)\?arcfour-hmac"
    kvno "$AES_SERVICE" >/dev/null || fail "kvno $AES_SERVICE"
    expect_etype "$AES_SERVICE" aes256-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96
  fi
  "$here/$kind-kdc.sh" stop "$dir"
  sleep 0.2
  ! kill -0 "$KDC_PID" 2>/dev/null || grep -q '^State:.*zombie' "/proc/$KDC_PID/status" \
    || fail "KDC pid $KDC_PID still running after stop"
  echo "smoke: $kind ok ($(($(date +%s%3N) - t0)) ms whole cycle)"
  rm -rf "$dir"
  trap - EXIT
done
