#!/usr/bin/env bash
# Interop with independent NTLM implementations, both directions:
#   pyspnego (PyPI, pure Python)          test_pyspnego.py   client and server
#   gss-ntlmssp via python3-gssapi (apt)  test_gssntlmssp.py client and server
#   sspilib (PyPI, C extension → SSPI)    test_sspilib.py    via LD_PRELOAD of libsecur32
#   sspilib's own test suite (its sdist)  test_sspilib_upstream.sh  LD_PRELOAD, known differences listed
#   curl --ntlm (apt)                     test_curl.sh       against examples/ntlm_http_server.c
#   curl --negotiate / --ntlm             test_curl_negotiate.sh  the same server's Negotiate (Kerberos
#                                         with a kinit'ed ccache, NTLM via gss-ntlmssp) and NTLM
#   MIT krb5 GSSAPI via python3-gssapi    test_kerberos_gssapi.py  Kerberos client and server (MIT KDC)
#   MIT SPNEGO via python3-gssapi         test_negotiate_gssapi.py Negotiate: Kerberos, and NTLM through
#                                         gss-ntlmssp, both directions (same MIT KDC); Kerberos
#                                         mechListMICs (MIT lists NTLM first, we accept krb5)
#   pyspnego protocol="negotiate"         test_negotiate_pyspnego.py Negotiate: NTLM and (gssapi+krb5 in
#                                         .venv) Kerberos, both directions
#   curl --digest (apt)                   test_curl_digest.sh  against examples/digest_http_server.c
#   Cyrus SASL DIGEST-MD5 (apt)           test_digest_cyrus.sh  WDigest client and server, every qop/cipher
#   Cyrus SASL GSSAPI + MIT KDC (apt)     test_digest_cyrus.sh  Sasl* GSSAPI profile, RFC 4752 layers, both ways
#
# Installs what it needs (idempotently), builds the release library if needed, runs every
# suite and ends with "interop: N passed, M failed" (N/M count suites); exits non-zero on a
# failure. Locally a peer that cannot be installed is skipped with a loud message; under
# CI=true that is a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export SECUR32_LIB=${SECUR32_LIB:-${CARGO_TARGET_DIR:-$ROOT/target}/release/libsecur32.so}
CI=${CI:-}

passed=0
failed=0
skipped=0
failures=()
loud_skip() {
  echo
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! interop: SKIPPING $1: $2"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  skipped=$((skipped + 1))
}
unavailable() { # name reason
  if [ "$CI" = "true" ]; then
    echo "interop: FAIL $1: $2 (CI=true: a missing peer is a failure)"
    failed=$((failed + 1))
    failures+=("$1")
  else
    loud_skip "$1" "$2"
  fi
}
run_suite() { # name command...
  local name=$1 rc
  shift
  echo
  echo "=== interop: $name: $*"
  "$@"
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
  elif [ $rc -eq 77 ] || [ $rc -eq 5 ]; then # 77: script skip; 5: pytest collected nothing
    unavailable "$name" "the suite skipped (exit $rc)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== interop: $name FAILED (exit $rc)"
  fi
}

# --- setup (idempotent) -------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
need=()
[ -e /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so ] || ls /usr/lib/*/gssntlmssp/gssntlmssp.so >/dev/null 2>&1 ||
  need+=(gss-ntlmssp)
/usr/bin/python3 -c 'import gssapi' 2>/dev/null || need+=(python3-gssapi)
command -v curl >/dev/null || need+=(curl)
command -v gcc >/dev/null || need+=(gcc)
[ -e /usr/include/krb5.h ] || need+=(libkrb5-dev)
[ -e /usr/include/sasl/sasl.h ] || need+=(libsasl2-dev)
command -v saslpasswd2 >/dev/null || [ -x /usr/sbin/saslpasswd2 ] || need+=(sasl2-bin)
ls /usr/lib/*/sasl2/libdigestmd5.so* >/dev/null 2>&1 || need+=(libsasl2-modules)
ls /usr/lib/*/sasl2/libgssapiv2.so* >/dev/null 2>&1 || need+=(libsasl2-modules-gssapi-mit)
[ -e /usr/include/openssl/des.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "interop: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq && as_root apt-get install -y -qq "${need[@]}" >/dev/null ||
    echo "interop: apt-get install ${need[*]} failed"
fi
if ! .venv/bin/python -c 'import spnego, sspilib, pytest' 2>/dev/null; then
  echo "interop: creating .venv with pyspnego, sspilib, pytest"
  { [ -x .venv/bin/python ] || python3 -m venv .venv; } &&
    .venv/bin/pip install -q pyspnego sspilib pytest ||
    echo "interop: pip install pyspnego sspilib pytest failed"
fi
if [ -x .venv/bin/python ] && ! .venv/bin/python -c 'import gssapi, krb5' 2>/dev/null; then
  echo "interop: building gssapi and krb5 into .venv (pyspnego's Kerberos; takes minutes)"
  .venv/bin/pip install -q gssapi krb5 || echo "interop: pip install gssapi krb5 failed"
fi
if [ ! -e "$SECUR32_LIB" ] || [ -n "$(find src build.rs Cargo.toml -newer "$SECUR32_LIB" 2>/dev/null | head -1)" ]; then
  echo "interop: cargo build --release"
  cargo build --release || { echo "interop: build failed"; echo "interop: 0 passed, 1 failed"; exit 1; }
fi

# --- suites ---------------------------------------------------------------------------------
if .venv/bin/python -c 'import spnego, pytest' 2>/dev/null; then
  run_suite pyspnego .venv/bin/python -m pytest -v -rs -p no:cacheprovider tests/interop/test_pyspnego.py
else
  unavailable pyspnego "pyspnego/pytest are not installed in .venv"
fi

if /usr/bin/python3 -c 'import gssapi' 2>/dev/null &&
  /usr/bin/python3 -c 'import gssapi, sys; sys.exit(gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10") not in gssapi.raw.indicate_mechs())' 2>/dev/null; then
  if /usr/bin/python3 -c 'import pytest' 2>/dev/null; then
    run_suite gss-ntlmssp /usr/bin/python3 -m pytest -v -rs -p no:cacheprovider tests/interop/test_gssntlmssp.py
  else
    run_suite gss-ntlmssp /usr/bin/python3 tests/interop/test_gssntlmssp.py
  fi
else
  unavailable gss-ntlmssp "python3-gssapi with the gss-ntlmssp mechanism is not available to /usr/bin/python3"
fi

if .venv/bin/python -c 'import sspilib, spnego, pytest' 2>/dev/null; then
  run_suite sspilib env LD_PRELOAD="$SECUR32_LIB" .venv/bin/python -m pytest -v -rs -p no:cacheprovider \
    tests/interop/test_sspilib.py
else
  unavailable sspilib "sspilib/pyspnego/pytest are not installed in .venv"
fi

run_suite sspilib-upstream tests/interop/test_sspilib_upstream.sh
run_suite curl tests/interop/test_curl.sh
run_suite curl-negotiate tests/interop/test_curl_negotiate.sh
run_suite digest-cyrus tests/interop/test_digest_cyrus.sh
run_suite curl-digest tests/interop/test_curl_digest.sh

# Kerberos against MIT's GSSAPI mechanism, with a throw-away MIT KDC on loopback.
if /usr/bin/python3 -c 'import gssapi, pytest' 2>/dev/null; then
  kdc_dir=$(mktemp -d /tmp/secur32-interop-kdc-XXXXXX)
  if kdc_env=$(tests/kerberos/mit-kdc.sh start "$kdc_dir" --kinit); then
    run_suite kerberos-gssapi bash -c "$kdc_env
      export KT_REALM=\$REALM KT_USER=\$USER1 KT_PASS=\$USER1_PASSWORD KT_SPN=\$SERVICE
      exec /usr/bin/python3 -m pytest -v -rs -p no:cacheprovider tests/interop/test_kerberos_gssapi.py"
    if .venv/bin/python -c 'import spnego, gssapi, krb5, pytest' 2>/dev/null; then
      run_suite negotiate-pyspnego bash -c "$kdc_env
        export KT_REALM=\$REALM KT_USER=\$USER1 KT_PASS=\$USER1_PASSWORD KT_SPN=\$SERVICE
        exec .venv/bin/python -m pytest -v -rs -p no:cacheprovider tests/interop/test_negotiate_pyspnego.py"
    elif .venv/bin/python -c 'import spnego, pytest' 2>/dev/null; then
      unavailable negotiate-pyspnego-kerberos "pyspnego has no gssapi/krb5 in .venv (NTLM cases only)"
      run_suite negotiate-pyspnego .venv/bin/python -m pytest -v -rs -p no:cacheprovider \
        tests/interop/test_negotiate_pyspnego.py
    fi
    run_suite negotiate-gssapi bash -c "$kdc_env
      export KT_REALM=\$REALM KT_USER=\$USER1 KT_PASS=\$USER1_PASSWORD KT_SPN=\$SERVICE
      exec /usr/bin/python3 -m pytest -v -rs -p no:cacheprovider tests/interop/test_negotiate_gssapi.py"
    tests/kerberos/mit-kdc.sh stop "$kdc_dir" >/dev/null 2>&1
  else
    unavailable kerberos-gssapi "the MIT KDC did not start"
  fi
  rm -rf "$kdc_dir"
else
  unavailable kerberos-gssapi "python3-gssapi/pytest are not available to /usr/bin/python3"
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "interop: failed suites: ${failures[*]}"
[ "$skipped" -gt 0 ] && echo "interop: $skipped suite(s) SKIPPED (local run only)"
echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
