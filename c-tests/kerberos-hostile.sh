#!/usr/bin/env bash
# Kerberos against hostile peers, with a throw-away MIT KDC (tests/kerberos/mit-kdc.sh) started
# here and stopped by PID; called at the end of c-tests/kerberos-test.sh.
#   1. c-tests/kerberos_hostile.c once per enctype the KDC offers (krb5.conf's enctype lists
#      name only it, so the tickets, the session key and the subkeys use it): every single-bit
#      flip and truncation of the AP-REQ, AP-REP and DCE-style legs and of sealed /
#      integrity-only wrap and MIC tokens both ways; replay, reorder, reflection. RC4 is listed
#      and skipped loudly while RC4 message tokens do not work (the harness exits 3).
#   2. tests/kerberos/hostile-kdc.py: KDC replies (KRB-ERROR PREAUTH_REQUIRED, AS-REP, TGS-REP)
#      flipped and cut by a loopback relay, over UDP and TCP.
# Usage: c-tests/kerberos-hostile.sh [harness] [kdc]   (default: both)
# Environment: SECUR32_HOSTILE_STRIDE (every Nth bit), HOSTILE_KDC_STRIDE (every Nth reply byte;
# default 2, ~70 s; 1 = every byte, ~140 s).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
lib=${CARGO_TARGET_DIR:-$ROOT/target}/release
out=c-tests/out
mkdir -p "$out"
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(harness kdc)

gcc -std=c11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ic-tests -o "$out/kerberos_hostile" c-tests/kerberos_hostile.c \
  -L"$lib" -lsecur32 -Wl,-rpath,"$lib" -lpthread || exit 1

dir=$(mktemp -d /tmp/secur32-kdc-hostile-XXXXXX)
if ! env_lines=$(tests/kerberos/mit-kdc.sh start "$dir"); then
  rm -rf "$dir"
  if [ "${CI:-}" = "true" ]; then
    echo "kerberos-hostile: FAIL: the MIT KDC did not start (CI=true)"
    exit 1
  fi
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! kerberos-hostile: SKIPPING: the MIT KDC did not start"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  exit 0
fi
status=0
(
  eval "$env_lines"
  for part in "${parts[@]}"; do
    case $part in
      harness)
        echo "== c-tests/kerberos_hostile against the MIT KDC ($dir)"
        for item in aes256-sha1:user_aes256:svc-aes256:aes256-cts-hmac-sha1-96 \
          aes128-sha1:user_aes128:svc-aes128:aes128-cts-hmac-sha1-96 \
          aes128-sha256:user_sha256:svc-sha256:aes128-cts-hmac-sha256-128 \
          aes256-sha384:user_sha384:svc-sha384:aes256-cts-hmac-sha384-192 \
          rc4-hmac:user_rc4:svc-rc4:arcfour-hmac; do
          IFS=: read -r name user svc etype <<<"$item"
          conf=$dir/krb5-hostile-$name.conf
          sed "/^\[libdefaults\]/a\\
  default_tkt_enctypes = $etype\\
  default_tgs_enctypes = $etype\\
  permitted_enctypes = $etype" "$KRB5_CONFIG" >"$conf"
          KRB5_CONFIG=$conf KT_REALM=$REALM KT_USER=$user KT_PASS=$USER_PASSWORD KT_SPN=$svc/localhost \
            KT_LABEL=$name "$out/kerberos_hostile"
          rc=$?
          if [ $rc -ne 0 ]; then
            echo "kerberos_hostile [$name]: FAILED (exit $rc)"
            exit 1
          fi
        done
        ;;
      kdc)
        echo "== tests/kerberos/hostile-kdc.py: flipped and cut KDC replies"
        HOSTILE_KDC_STRIDE=${HOSTILE_KDC_STRIDE:-2} SECUR32_LIB=$lib/libsecur32.so timeout 600 \
          python3 tests/kerberos/hostile-kdc.py || exit 1
        ;;
    esac
  done
) || status=1
tests/kerberos/mit-kdc.sh stop "$dir" >/dev/null 2>&1
rm -rf "$dir"
exit $status
